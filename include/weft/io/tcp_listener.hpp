#pragma once
// TcpListener: a listening TCP socket registered with one EventLoop.
//
//   auto listener = weft::TcpListener::bind(loop, endpoint);   // Result<TcpListener>
//   auto conn = co_await listener->accept();                  // Result<TcpStream>
//
// SO_REUSEADDR is always set (a restarted server binds at once while old connections sit in
// TIME_WAIT). accept() returns the kernel's errors as they are: EMFILE/ENFILE when descriptors
// run out, which the caller must answer by pausing (TcpServer backs off with a timer; retrying
// at once would spin, since the pending connection keeps the listener readable).

#include <cstddef>

#include "weft/expected.hpp"
#include "weft/io/fd_awaiter.hpp"
#include "weft/io/socket_handle.hpp"
#include "weft/io/syscalls.hpp"
#include "weft/io/tcp_stream.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// How TcpListener::bind listens.
struct ListenOptions {
    int backlog = 1024;  ///< listen(2)'s queue of connections not yet accepted.
    /// exclusive (the default), shared with our other listeners (SO_REUSEPORT: the kernel
    /// spreads connections over them), or exclusive_then_shared (see PortSharing).
    PortSharing sharing = PortSharing::exclusive;
};

namespace detail {
/// accept_fd: the new descriptor, non-blocking and close-on-exec, not registered anywhere.
class [[nodiscard]] AcceptFdAwaiter : public FdAwaiter {
public:
    AcceptFdAwaiter(EventLoop* loop, int fd) noexcept : FdAwaiter(loop, fd, false, &perform_accept) {}
    AcceptFdAwaiter(AcceptFdAwaiter&& other) noexcept : FdAwaiter(std::move(other)) {}
    ~AcceptFdAwaiter() { sys_close(accepted_); }
    Result<int> await_resume() noexcept;

private:
    static bool perform_accept(IoOp& op) noexcept;
    int accepted_ = -1;
    std::error_code error_;
};

/// accept: the new connection as a TcpStream registered with the listener's loop.
class [[nodiscard]] AcceptAwaiter : public AcceptFdAwaiter {
public:
    using AcceptFdAwaiter::AcceptFdAwaiter;
    Result<TcpStream> await_resume() noexcept;
};
}  // namespace detail

/// A listening TCP socket on an EventLoop: co_await accept() for each connection.
class TcpListener final : public SocketHandle {
public:
    /// An empty listener (not open).
    TcpListener() noexcept = default;
    /// socket + SO_REUSEADDR (+ SO_REUSEPORT as `options.sharing` says) + bind + listen +
    /// register. EADDRINUSE when the port is taken. Loop thread only.
    [[nodiscard]] static Result<TcpListener> bind(EventLoop& loop, const Endpoint& at,
                                                  ListenOptions options = {}) noexcept;

    ///@{
    /// Move-only, as every handle (see SocketHandle).
    TcpListener(TcpListener&&) noexcept = default;
    TcpListener& operator=(TcpListener&&) noexcept = default;
    ///@}

    /// The next connection, registered with this listener's loop.
    detail::AcceptAwaiter accept() noexcept { return {loop_, fd_}; }
    /// The next connection as a bare descriptor (the caller adopts it, possibly on another
    /// loop: one acceptor handing connections round-robin).
    detail::AcceptFdAwaiter accept_fd() noexcept { return {loop_, fd_}; }
    // local_endpoint(), close() (a pending accept ends with operation_canceled), options:
    // see SocketHandle.

private:
    TcpListener(EventLoop& loop, int fd) noexcept : SocketHandle(loop, fd) {}
};

}  // namespace weft
