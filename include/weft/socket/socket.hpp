#pragma once
// Socket: the blocking BSD socket, with the calls and the behaviour of Python's socket module.
//
//   weft::Socket sk;                                   // socket.socket()
//   sk.setsockopt(weft::ReuseAddress{true});
//   sk.bind({weft::Ipv4Address::loopback(), 8898});    // sk.bind(('127.0.0.1', 8898))
//   sk.listen();
//   auto [conn, addr] = sk.accept();
//   std::string msg = conn.recv(1024);
//   conn.sendall("hi");
//
// Failures throw SocketError naming the call, the address and the errno text; a call that
// runs past the timeout throws TimeoutError. connect_ex returns the error instead. EINTR is
// retried. Sends use MSG_NOSIGNAL, so a vanished peer is an EPIPE error and never a SIGPIPE.
// Descriptors are close-on-exec. A Socket is move-only and closes its descriptor when destroyed.

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <sys/socket.h>

#include "weft/socket/socket_address.hpp"
#include "weft/socket/socket_error.hpp"
#include "weft/socket/socket_option.hpp"

namespace weft {

class SocketStream;

/// The address family of a Socket (AF_INET, AF_INET6, AF_UNIX).
enum class Family : int { inet = AF_INET, inet6 = AF_INET6, unix_domain = AF_UNIX };
/// The socket type: a byte stream (TCP) or datagrams (UDP).
enum class Type : int { stream = SOCK_STREAM, datagram = SOCK_DGRAM };
/// Which direction Socket::shutdown ends.
enum class Shutdown : int { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

/// A blocking BSD socket with the calls and behaviour of Python's socket module (see the top
/// of socket.hpp). Move-only; closes its descriptor when destroyed.
class Socket final {
public:
    /// A timeout as Python's settimeout takes it: nullopt blocks forever, zero never blocks.
    using Timeout = std::optional<std::chrono::nanoseconds>;
    static constexpr int kDefaultBacklog = 128;  ///< listen()'s default backlog.

    /// socket(family, type). Throws SocketError("socket").
    explicit Socket(Family family = Family::inet, Type type = Type::stream);
    /// Adopts an open descriptor (its family and type are read back from the kernel).
    static Socket from_fd(int fd);
    /// A connected pair (socketpair), UNIX-domain.
    static std::pair<Socket, Socket> pair(Type type = Type::stream);

    /// Takes over `other`'s descriptor, timeout and names; `other` is left closed.
    Socket(Socket&& other) noexcept;
    /// Closes this socket's descriptor, then takes over `other`'s.
    Socket& operator=(Socket&& other) noexcept;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket();

    // ---- server calls ----
    /// bind(2). Throws SocketError naming the address ("bind 127.0.0.1:8898: Address already
    /// in use"); after binding port 0, later errors name the port the kernel chose.
    void bind(const SocketAddress& address);
    /// Starts listening; `backlog` bounds the queue of connections not yet accepted.
    void listen(int backlog = kDefaultBacklog);
    /// Waits for a connection (bounded by the timeout). The new socket inherits the timeout.
    std::pair<Socket, SocketAddress> accept();

    // ---- client calls ----
    /// Connects, waiting at most the timeout. Throws SocketError/TimeoutError.
    void connect(const SocketAddress& address);
    /// Resolves `host` for this socket's family and connects to the first address that answers.
    void connect(std::string_view host, std::uint16_t port);
    /// Like connect, but returns the error (an empty error_code on success) instead of throwing;
    /// a timeout is std::errc::timed_out.
    [[nodiscard]] std::error_code connect_ex(const SocketAddress& address) noexcept;

    // ---- data ----
    /// Receives at most buffer.size() bytes. Returns 0 only when the peer closed its side in
    /// order (an empty buffer is rejected with std::invalid_argument, so 0 means nothing else).
    std::size_t recv(std::span<std::byte> buffer, int flags = 0);
    /// Receives at most max_bytes; an empty string means the peer closed in order.
    std::string recv(std::size_t max_bytes, int flags = 0);
    ///@{
    /// Sends what the kernel takes now (maybe less than all); returns the count.
    std::size_t send(std::span<const std::byte> data, int flags = 0);
    std::size_t send(std::string_view data, int flags = 0);
    ///@}
    ///@{
    /// Sends everything, or throws; the timeout bounds the whole call, as in Python 3.5+.
    void sendall(std::span<const std::byte> data, int flags = 0);
    void sendall(std::string_view data, int flags = 0);
    ///@}
    /// Receives one datagram and its sender, as Python's tuples: (data, address) with at most
    /// max_bytes of the datagram (the rest is dropped), so that
    ///   auto [data, sender] = sk.recvfrom(1024);
    [[nodiscard]] std::pair<std::string, SocketAddress> recvfrom(std::size_t max_bytes, int flags = 0);
    /// The same into the caller's buffer, as recvfrom_into: (bytes written, address). Only with
    /// MSG_TRUNC in flags can the count exceed buffer.size(): it is then the datagram's length.
    ///   auto [n, sender] = sk.recvfrom(buffer);
    [[nodiscard]] std::pair<std::size_t, SocketAddress> recvfrom(std::span<std::byte> buffer, int flags = 0);
    ///@{
    /// Sends one datagram to `address`; returns the count.
    std::size_t sendto(std::span<const std::byte> data, const SocketAddress& address, int flags = 0);
    std::size_t sendto(std::string_view data, const SocketAddress& address, int flags = 0);
    ///@}

    // ---- names ----
    /// The connected peer's address; throws SocketError (ENOTCONN when not connected).
    SocketAddress getpeername() const;
    /// The address this socket is bound to (the port the kernel chose after binding port 0).
    SocketAddress getsockname() const;

    // ---- options ----
    /// Sets a typed option (socket_option.hpp): `sk.setsockopt(weft::ReuseAddress{true})`.
    /// Throws SocketError("setsockopt").
    template <class Option>
    void setsockopt(const Option& option) {
        auto native = option.to_native();
        setsockopt_raw(Option::level, Option::name, &native, sizeof native);
    }
    /// Reads a typed option: `sk.getsockopt<weft::ReceiveBufferSize>().value`. Throws SocketError.
    template <class Option>
    Option getsockopt() const {
        decltype(Option{}.to_native()) native{};
        getsockopt_raw(Option::level, Option::name, &native, sizeof native);
        return Option::from_native(native);
    }
    ///@{
    /// Raw access, for options weft does not type: an int value...
    void setsockopt(int level, int name, int value);
    int getsockopt(int level, int name) const;
    ///@}
    ///@{
    /// ...or bytes. getsockopt returns how many bytes the kernel wrote into `out`.
    void setsockopt(int level, int name, std::span<const std::byte> value);
    std::size_t getsockopt(int level, int name, std::span<std::byte> out) const;
    ///@}

    // ---- lifetime ----
    /// shutdown(2): ends reading, writing (the peer then reads EOF) or both.
    void shutdown(Shutdown how);
    /// Closes the descriptor. Idempotent; never throws (a close error is not actionable).
    void close() noexcept;
    /// Hands the descriptor over; the Socket no longer owns it.
    int release() noexcept;

    // ---- blocking mode and timeouts ----
    /// setblocking(false) is settimeout(0s); setblocking(true) is settimeout(nullopt).
    void setblocking(bool blocking);
    /// False when the timeout is zero (non-blocking).
    bool getblocking() const noexcept { return !timeout_ || timeout_->count() != 0; }
    /// nullopt: block forever. Zero: never block (a call that would block throws SocketError
    /// with EAGAIN). Positive: each blocking call (connect, accept, recv, send, sendall as a
    /// whole) throws TimeoutError once it has waited this long.
    void settimeout(Timeout timeout);
    /// The timeout settimeout set (nullopt: none).
    Timeout gettimeout() const noexcept { return timeout_; }

    // ---- files ----
    /// The descriptor, -1 once closed or released.
    int fileno() const noexcept { return fd_; }
    /// True until close() or release().
    bool is_open() const noexcept { return fd_ >= 0; }
    /// The address family it was created with.
    Family family() const noexcept { return family_; }
    /// Stream or datagram.
    Type type() const noexcept { return type_; }
    /// A buffered std::iostream over this socket (which must outlive it): getline works across
    /// packet boundaries; flush() or destruction sends what was written. It does not throw
    /// SocketError: a timeout or error sets badbit, and last_error() says which.
    SocketStream makefile();

private:
    Socket(int fd, Family family, Type type) noexcept : fd_(fd), family_(family), type_(type) {}

    void setsockopt_raw(int level, int name, const void* value, socklen_t size);
    void getsockopt_raw(int level, int name, void* value, socklen_t size) const;
    /// Waits until the descriptor is ready for `events` (POLLIN/POLLOUT) or the deadline
    /// passes; throws TimeoutError(call) then.
    void wait_ready(short events, const char* call,
                    std::optional<std::chrono::steady_clock::time_point> deadline) const;
    std::optional<std::chrono::steady_clock::time_point> deadline_from_now() const;
    std::error_code connect_impl(const SocketAddress& address);
    /// The address to name in an error message: the peer's when connected, else our own.
    std::string describe() const;
    [[noreturn]] void fail(const char* call, int err) const;
    [[noreturn]] void fail(const char* call, const SocketAddress& address, int err) const;

    int fd_ = -1;
    Family family_ = Family::inet;
    Type type_ = Type::stream;
    Timeout timeout_;
    std::string peer_;   // cached for error messages, set by connect/accept
    std::string local_;  // cached for error messages, set by bind
};

}  // namespace weft

#include "weft/socket/socket_stream.hpp"
