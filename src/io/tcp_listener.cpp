// TcpListener: bind/listen and the accept awaitable.

#include "weft/io/tcp_listener.hpp"

#include <utility>

#include <sys/socket.h>

#include "weft/io/syscalls.hpp"

namespace weft {

namespace detail {

bool AcceptFdAwaiter::perform_accept(IoOp& op) noexcept {
    auto& self = static_cast<AcceptFdAwaiter&>(op);
    auto s = sys_accept(self.fd, nullptr, nullptr);
    if (s) {
        self.accepted_ = *s;
        return true;
    }
    // ECONNABORTED: a client gave up while queued; the next one may be there already.
    if (s.error().value() == ECONNABORTED) return perform_accept(op);
    if (would_block(s.error())) return false;
    self.error_ = s.error();
    return true;
}

Result<int> AcceptFdAwaiter::await_resume() noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return std::exchange(accepted_, -1);
}

Result<TcpStream> AcceptAwaiter::await_resume() noexcept {
    auto fd = AcceptFdAwaiter::await_resume();
    if (!fd) return Unexpected(fd.error());
    return TcpStream::adopt(*loop_, *fd);
}

}  // namespace detail

Result<TcpListener> TcpListener::bind(EventLoop& loop, const Endpoint& at, ListenOptions options) noexcept {
    sockaddr_storage address{};
    const socklen_t length = at.to_sockaddr(address);
    auto s = detail::sys_socket(address.ss_family, SOCK_STREAM);
    if (!s) return Unexpected(s.error());
    TcpListener listener(loop, *s);  // closes the descriptor on every early return below
    if (auto r = detail::sys_setsockopt_int(*s, SOL_SOCKET, SO_REUSEADDR, 1); !r) return Unexpected(r.error());
    if (options.reuse_port) {
        if (auto r = detail::sys_setsockopt_int(*s, SOL_SOCKET, SO_REUSEPORT, 1); !r)
            return Unexpected(r.error());
    }
    if (::bind(*s, reinterpret_cast<const sockaddr*>(&address), length) < 0) return Unexpected(detail::last_error());
    // Set after an exclusive bind, SO_REUSEPORT lets our own later listeners join the port
    // while a stranger's bind without it, and every bind before ours, still fails.
    if (options.exclusive_then_shared && !options.reuse_port) {
        if (auto r = detail::sys_setsockopt_int(*s, SOL_SOCKET, SO_REUSEPORT, 1); !r)
            return Unexpected(r.error());
    }
    if (::listen(*s, options.backlog) < 0) return Unexpected(detail::last_error());
    if (auto r = loop.register_fd(*s); !r) return Unexpected(r.error());
    return listener;
}

TcpListener::TcpListener(TcpListener&& other) noexcept : loop_(other.loop_), fd_(std::exchange(other.fd_, -1)) {}

TcpListener& TcpListener::operator=(TcpListener&& other) noexcept {
    if (this != &other) {
        close();
        loop_ = other.loop_;
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Result<Endpoint> TcpListener::local_endpoint() const noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Unexpected(detail::last_error());
    return endpoint_of(address, length);
}

void TcpListener::close() noexcept {
    if (fd_ < 0) return;
    loop_->unregister_fd(fd_);  // no-op when it never got registered
    detail::sys_close(std::exchange(fd_, -1));
}

}  // namespace weft
