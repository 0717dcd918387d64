// TcpStream and its awaitables. Each perform_* function is what both await_ready (the
// optimistic first try) and the loop (after an edge) call: it loops until done or EAGAIN.

#include "weft/io/tcp_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "weft/io/io_error.hpp"
#include "weft/io/syscalls.hpp"

namespace weft {

Result<Endpoint> endpoint_of(const sockaddr_storage& address, socklen_t length) noexcept {
    auto ep = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&address), length);
    if (!ep) return Unexpected(std::make_error_code(std::errc::address_family_not_supported));
    return *ep;
}

namespace detail {

// ---- reads -------------------------------------------------------------------------------

bool ReadSomeAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadSomeAwaiter&>(op);
    auto n = sys_read(self.fd, self.buffer_.data(), self.buffer_.size());
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.done_ = static_cast<std::size_t>(*n);
    // A stream read that returns less than asked emptied the receive queue: the next
    // read_some can wait for the edge instead of trying a read that would say EAGAIN.
    if (self.done_ > 0 && self.done_ < self.buffer_.size()) self.loop()->mark_read_drained(self.fd);
    return true;
}

Result<std::size_t> ReadSomeAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    if (done_ > 0) loop_->note_activity(fd);
    return done_;
}

bool ReadBufferAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadBufferAwaiter&>(op);
    try {
        // What one read_from can take: the free space, plus its stack overflow area when
        // the free space is smaller than that area (see Buffer::read_from).
        const std::size_t writable = self.buffer_->writable_bytes();
        const std::size_t room = writable < Buffer::kExtraReadSize ? writable + Buffer::kExtraReadSize : writable;
        auto n = self.buffer_->read_from(self.fd);
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        self.done_ = *n;
        if (self.done_ > 0 && self.done_ < room) self.loop()->mark_read_drained(self.fd);  // as above
    } catch (const std::bad_alloc&) {
        self.error_ = std::make_error_code(std::errc::not_enough_memory);
    }
    return true;
}

Result<std::size_t> ReadBufferAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    if (done_ > 0) loop_->note_activity(fd);
    return done_;
}

bool ReadExactAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadExactAwaiter&>(op);
    while (self.done_ < self.buffer_.size()) {
        auto n = sys_read(self.fd, self.buffer_.data() + self.done_, self.buffer_.size() - self.done_);
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        if (*n == 0) {
            self.error_ = IoErrc::eof;
            return true;
        }
        self.done_ += static_cast<std::size_t>(*n);
    }
    return true;
}

Result<std::size_t> ReadExactAwaiter::await_resume() const noexcept {
    if (done_ > 0) loop_->note_activity(fd);
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return done_;
}

// ---- writes ------------------------------------------------------------------------------

bool WriteAllAwaiter::perform_write(IoOp& op) noexcept {
    auto& self = static_cast<WriteAllAwaiter&>(op);
    while (self.done_ < self.data_.size()) {
        auto n = sys_send(self.fd, self.data_.data() + self.done_, self.data_.size() - self.done_);
        if (!n) {
            if (would_block(n.error())) return false;  // send buffer full: wait for EPOLLOUT
            self.error_ = n.error();
            return true;
        }
        self.done_ += static_cast<std::size_t>(*n);
    }
    return true;
}

Result<std::size_t> WriteAllAwaiter::await_resume() const noexcept {
    if (done_ > 0) loop_->note_activity(fd);
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return done_;
}

// ---- connect -----------------------------------------------------------------------------

ConnectAwaiter::ConnectAwaiter(EventLoop& loop, const Endpoint& to, std::chrono::nanoseconds timeout) noexcept
    : FdAwaiter(&loop, -1, true, &perform_connect), owner_(loop), to_(to), timeout_(timeout) {
    cancelled = {};  // the descriptor is made in await_ready
}

ConnectAwaiter::ConnectAwaiter(ConnectAwaiter&& other) noexcept
    : FdAwaiter(std::move(other)), owner_(other.owner_), to_(other.to_), timeout_(other.timeout_) {
    other.fd = -1;
}

ConnectAwaiter::~ConnectAwaiter() {
    if (timer_) owner_.cancel_timer(timer_);
    if (fd >= 0) {  // never handed to a TcpStream (the frame died, or connect failed)
        if (state != State::idle) loop_->forget(*this);
        state = State::idle;
        owner_.unregister_fd(fd);
        sys_close(fd);
    }
}

bool ConnectAwaiter::await_ready() noexcept {
    sockaddr_storage address{};
    const socklen_t length = to_.to_sockaddr(address);
    auto s = sys_socket(address.ss_family, SOCK_STREAM);
    if (!s) {
        error_ = s.error();
        return true;
    }
    fd = *s;
    if (auto r = owner_.register_fd(fd); !r) {
        error_ = r.error();
        return true;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0) return true;
    // EINPROGRESS is the usual answer; EINTR also leaves the connect running in the background.
    if (errno == EINPROGRESS || errno == EINTR) return false;
    error_ = last_error();
    return true;
}

bool ConnectAwaiter::await_suspend(std::coroutine_handle<> awaiter) noexcept {
    if (timeout_.count() > 0) {
        timer_ = owner_.add_timer(std::chrono::duration_cast<EventLoop::Clock::duration>(timeout_), [this] {
            timer_ = 0;
            owner_.cancel(*this, std::make_error_code(std::errc::timed_out));
        });
    }
    return FdAwaiter::await_suspend(awaiter);
}

bool ConnectAwaiter::perform_connect(IoOp& op) noexcept {
    auto& self = static_cast<ConnectAwaiter&>(op);
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
    if (error == EINPROGRESS || error == EALREADY) return false;  // not decided yet
    if (error != 0) self.error_ = {error, std::system_category()};
    return true;
}

Result<TcpStream> ConnectAwaiter::await_resume() noexcept {
    if (timer_) owner_.cancel_timer(std::exchange(timer_, 0));
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    // Success: the descriptor already sits in its slot; hand it to the stream.
    return TcpStream::adopt_registered(owner_, std::exchange(fd, -1));
}

}  // namespace detail

// ---- TcpStream -----------------------------------------------------------------------------

Result<TcpStream> TcpStream::adopt(EventLoop& loop, int fd) noexcept {
    if (auto r = loop.register_fd(fd); !r) {
        detail::sys_close(fd);
        return Unexpected(r.error());
    }
    return TcpStream(loop, fd);
}

TcpStream TcpStream::adopt_registered(EventLoop& loop, int fd) noexcept { return TcpStream(loop, fd); }

TcpStream::TcpStream(TcpStream&& other) noexcept
    : loop_(other.loop_), fd_(std::exchange(other.fd_, -1)) {}

TcpStream& TcpStream::operator=(TcpStream&& other) noexcept {
    if (this != &other) {
        close();
        loop_ = other.loop_;
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Result<void> TcpStream::shutdown_write() noexcept {
    if (::shutdown(fd_, SHUT_WR) < 0) return Unexpected(detail::last_error());
    return {};
}

void TcpStream::cancel() noexcept {
    if (fd_ >= 0) loop_->cancel_fd(fd_, std::make_error_code(std::errc::operation_canceled));
}

void TcpStream::close() noexcept {
    if (fd_ < 0) return;
    loop_->unregister_fd(fd_);
    detail::sys_close(std::exchange(fd_, -1));
}

int TcpStream::release() noexcept {
    if (fd_ < 0) return -1;
    loop_->unregister_fd(fd_, /*remove_from_epoll=*/true);  // the new owner may dup it
    return std::exchange(fd_, -1);
}

Result<Endpoint> TcpStream::local_endpoint() const noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Unexpected(detail::last_error());
    return endpoint_of(address, length);
}

Result<Endpoint> TcpStream::remote_endpoint() const noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Unexpected(detail::last_error());
    return endpoint_of(address, length);
}

Result<void> TcpStream::set_no_delay(bool on) noexcept {
    if (auto r = detail::sys_setsockopt_int(fd_, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); !r)
        return Unexpected(r.error());
    return {};
}

}  // namespace weft
