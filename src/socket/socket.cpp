#include "weft/socket/socket.hpp"

#include <cerrno>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "socket_detail.hpp"
#include "weft/net/resolve.hpp"

namespace weft {

using detail::from_native;
using detail::native;
using detail::would_block;
using Clock = std::chrono::steady_clock;

namespace {

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) throw SocketError("fcntl", "", std::error_code(errno, std::system_category()));
    int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0)
        throw SocketError("fcntl", "", std::error_code(errno, std::system_category()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction and lifetime

Socket::Socket(Family family, Type type) : family_(family), type_(type) {
    fd_ = ::socket(static_cast<int>(family), static_cast<int>(type) | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket", errno);
}

Socket Socket::from_fd(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        throw SocketError("from_fd", "", std::error_code(errno, std::system_category()));
    int domain = 0;
    len = sizeof domain;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
        throw SocketError("from_fd", "", std::error_code(errno, std::system_category()));
    Socket s(fd, static_cast<Family>(domain), static_cast<Type>(type));
    // An adopted descriptor that is already non-blocking behaves like settimeout(0).
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) s.timeout_ = std::chrono::nanoseconds(0);
    return s;
}

std::pair<Socket, Socket> Socket::pair(Type type) {
    int fds[2];
    if (::socketpair(AF_UNIX, static_cast<int>(type) | SOCK_CLOEXEC, 0, fds) < 0)
        throw SocketError("socketpair", "", std::error_code(errno, std::system_category()));
    return {Socket(fds[0], Family::unix_domain, type), Socket(fds[1], Family::unix_domain, type)};
}

Socket::Socket(Socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      type_(other.type_),
      timeout_(other.timeout_),
      peer_(std::move(other.peer_)),
      local_(std::move(other.local_)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        family_ = other.family_;
        type_ = other.type_;
        timeout_ = other.timeout_;
        peer_ = std::move(other.peer_);
        local_ = std::move(other.local_);
    }
    return *this;
}

Socket::~Socket() { close(); }

void Socket::close() noexcept {
    // close(2) is not retried on EINTR: on Linux the descriptor is released either way, and a
    // retry could close a descriptor another thread has just been given.
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

int Socket::release() noexcept { return std::exchange(fd_, -1); }

// ---------------------------------------------------------------------------------------------
// Errors

std::string Socket::describe() const { return !peer_.empty() ? peer_ : local_; }

void Socket::fail(const char* call, int err) const {
    throw SocketError(call, describe(), std::error_code(err, std::system_category()));
}

void Socket::fail(const char* call, const SocketAddress& address, int err) const {
    throw SocketError(call, address.to_string(), std::error_code(err, std::system_category()));
}

// ---------------------------------------------------------------------------------------------
// Timeouts: like CPython, a socket with a timeout keeps O_NONBLOCK set and waits in poll(2),
// so one syscall path serves blocking, non-blocking and timed calls alike.

void Socket::settimeout(Timeout timeout) {
    if (timeout && timeout->count() < 0) throw std::invalid_argument("settimeout: negative timeout");
    if (fd_ >= 0) set_nonblocking(fd_, timeout.has_value());
    timeout_ = timeout;
}

void Socket::setblocking(bool blocking) {
    settimeout(blocking ? Timeout{} : Timeout{std::chrono::nanoseconds(0)});
}

std::optional<Clock::time_point> Socket::deadline_from_now() const {
    if (!timeout_) return std::nullopt;
    return Clock::now() + *timeout_;
}

void Socket::wait_ready(short events, const char* call, std::optional<Clock::time_point> deadline) const {
    for (;;) {
        int wait_ms = -1;
        if (deadline) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
            if (left.count() <= 0) throw TimeoutError(call, describe());
            wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
        }
        pollfd pfd{fd_, events, 0};
        int n = ::poll(&pfd, 1, wait_ms);
        if (n > 0) return;  // ready, or an error/hang-up the next call will report
        if (n == 0) throw TimeoutError(call, describe());
        if (errno != EINTR) fail(call, errno);
    }
}

// ---------------------------------------------------------------------------------------------
// Server calls

void Socket::bind(const SocketAddress& address) {
    sockaddr_storage ss;
    socklen_t len = native(address, ss, "bind");
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) < 0) fail("bind", address, errno);
    local_ = address.to_string();
    // Name the real port in later messages when the caller asked for an ephemeral one.
    if (address.is_ip() && address.endpoint().port() == 0) local_ = getsockname().to_string();
}

void Socket::listen(int backlog) {
    if (::listen(fd_, backlog) < 0) fail("listen", errno);
}

std::pair<Socket, SocketAddress> Socket::accept() {
    auto deadline = deadline_from_now();
    for (;;) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
        if (fd >= 0) {
            Socket conn(fd, family_, type_);
            SocketAddress peer = from_native(ss, len);
            conn.peer_ = peer.to_string();
            conn.local_ = local_;
            conn.settimeout(timeout_);  // accept4 does not inherit O_NONBLOCK; set it to match
            return {std::move(conn), std::move(peer)};
        }
        int err = errno;
        if (err == EINTR) continue;
        // ECONNABORTED: the client gave up while queued; that is its problem, not ours.
        if (err == ECONNABORTED) continue;
        if (would_block(err) && timeout_ && timeout_->count() > 0) {
            wait_ready(POLLIN, "accept", deadline);
            continue;
        }
        fail("accept", err);
    }
}

// ---------------------------------------------------------------------------------------------
// Client calls

std::error_code Socket::connect_impl(const SocketAddress& address) {
    sockaddr_storage ss;
    auto len = address.to_sockaddr(ss);
    if (!len) return std::make_error_code(std::errc::invalid_argument);
    peer_ = address.to_string();
    int rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), *len);
    if (rc == 0) return {};
    int err = errno;
    // An interrupted connect carries on in the kernel; it completes like a non-blocking one.
    if (err != EINPROGRESS && err != EINTR) return std::error_code(err, std::system_category());
    if (timeout_ && timeout_->count() == 0) return std::error_code(err, std::system_category());

    try {
        wait_ready(POLLOUT, "connect", deadline_from_now());
    } catch (const TimeoutError&) {
        return std::make_error_code(std::errc::timed_out);
    } catch (const SocketError& e) {
        return e.code();
    }
    int so_error = 0;
    socklen_t so_len = sizeof so_error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &so_len) < 0) so_error = errno;
    return so_error ? std::error_code(so_error, std::system_category()) : std::error_code();
}

void Socket::connect(const SocketAddress& address) {
    std::error_code ec = connect_impl(address);
    if (ec == std::errc::timed_out) throw TimeoutError("connect", address.to_string());
    if (ec) throw SocketError("connect", address.to_string(), ec);
}

void Socket::connect(std::string_view host, std::uint16_t port) {
    AddressFamily want = family_ == Family::inet6 ? AddressFamily::v6 : AddressFamily::v4;
    auto endpoints = resolve(host, std::to_string(port), want);
    std::string where = std::string(host) + ":" + std::to_string(port);
    if (!endpoints)
        throw SocketError("connect", where, std::make_error_code(std::errc::host_unreachable),
                          endpoints.error().message);
    // Like Python's create_connection: try each address in the resolver's order.
    std::error_code last;
    for (const Endpoint& ep : *endpoints) {
        last = connect_impl(ep);
        if (!last) return;
        if (last == std::errc::timed_out) throw TimeoutError("connect", ep.to_string());
    }
    throw SocketError("connect", endpoints->size() == 1 ? endpoints->front().to_string() : where, last);
}

std::error_code Socket::connect_ex(const SocketAddress& address) noexcept {
    try {
        return connect_impl(address);
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    }
}

// ---------------------------------------------------------------------------------------------
// Names, options, shutdown

SocketAddress Socket::getpeername() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) fail("getpeername", errno);
    return from_native(ss, len);
}

SocketAddress Socket::getsockname() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) fail("getsockname", errno);
    return from_native(ss, len);
}

void Socket::setsockopt_raw(int level, int name, const void* value, socklen_t size) {
    if (::setsockopt(fd_, level, name, value, size) < 0) fail("setsockopt", errno);
}

void Socket::getsockopt_raw(int level, int name, void* value, socklen_t size) const {
    socklen_t len = size;
    if (::getsockopt(fd_, level, name, value, &len) < 0) fail("getsockopt", errno);
}

void Socket::setsockopt(int level, int name, int value) { setsockopt_raw(level, name, &value, sizeof value); }

int Socket::getsockopt(int level, int name) const {
    int value = 0;
    getsockopt_raw(level, name, &value, sizeof value);
    return value;
}

void Socket::setsockopt(int level, int name, std::span<const std::byte> value) {
    setsockopt_raw(level, name, value.data(), static_cast<socklen_t>(value.size()));
}

std::size_t Socket::getsockopt(int level, int name, std::span<std::byte> out) const {
    socklen_t len = static_cast<socklen_t>(out.size());
    if (::getsockopt(fd_, level, name, out.data(), &len) < 0) fail("getsockopt", errno);
    return len;
}

void Socket::shutdown(Shutdown how) {
    if (::shutdown(fd_, static_cast<int>(how)) < 0) fail("shutdown", errno);
}

SocketStream Socket::makefile() { return SocketStream(*this); }

}  // namespace weft
