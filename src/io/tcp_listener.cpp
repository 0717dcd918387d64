// TcpListener: bind/listen and the accept awaitable.

#include "weft/io/tcp_listener.hpp"

#include <utility>

#include <sys/socket.h>

#include "weft/io/detail/loop_access.hpp"
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
    auto fd = detail::open_bound(at, SOCK_STREAM, options.sharing, /*reuse_address=*/true);
    if (!fd) return Unexpected(fd.error());
    TcpListener listener(loop, *fd);  // closes the descriptor on every early return below
    if (::listen(*fd, options.backlog) < 0) return Unexpected(detail::last_error());
    if (auto r = detail::LoopAccess::register_fd(loop, *fd); !r) return Unexpected(r.error());
    return listener;
}

}  // namespace weft
