#pragma once
// TcpStream: a connected TCP socket owned by value, registered with one EventLoop.
//
//   while (std::size_t n = (co_await conn.read_some(buf)).value_or(0))
//       if (!co_await conn.write_all(std::span(buf).first(n))) break;
//
// Every operation is an awaitable returning Result<...>: an errno code when the syscall
// failed (ECONNRESET, EPIPE, ...), std::errc::operation_canceled when the stream was closed or
// the server is stopping, std::errc::timed_out when a timeout wrapper or the server's idle
// timer expired, IoErrc::busy when another coroutine already waits in that direction.
// At most one read and one write may wait at a time (a reader and a writer coroutine may share
// a stream). A stream and its awaitables are used on the loop's thread only.

#include <chrono>
#include <cstddef>
#include <span>

#include "weft/expected.hpp"
#include "weft/io/buffer.hpp"
#include "weft/io/fd_awaiter.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

class TcpStream;

namespace detail {

/// read_some: returns the count read, 0 at orderly EOF.
class ReadSomeAwaiter : public FdAwaiter {
public:
    ReadSomeAwaiter(EventLoop* loop, int fd, std::span<std::byte> buffer) noexcept
        : FdAwaiter(loop, fd, false, &perform_read), buffer_(buffer) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_read(IoOp& op) noexcept;
    std::span<std::byte> buffer_;
    std::size_t done_ = 0;
    std::error_code error_;
};

/// read_some into a Buffer: one readv (free space + 64 KiB stack area); 0 at EOF.
class ReadBufferAwaiter : public FdAwaiter {
public:
    ReadBufferAwaiter(EventLoop* loop, int fd, Buffer& buffer) noexcept
        : FdAwaiter(loop, fd, false, &perform_read), buffer_(&buffer) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_read(IoOp& op) noexcept;
    Buffer* buffer_;
    std::size_t done_ = 0;
    std::error_code error_;
};

/// read_exact: the whole span, or IoErrc::eof when the peer closed first.
class ReadExactAwaiter : public FdAwaiter {
public:
    ReadExactAwaiter(EventLoop* loop, int fd, std::span<std::byte> buffer) noexcept
        : FdAwaiter(loop, fd, false, &perform_read), buffer_(buffer) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_read(IoOp& op) noexcept;
    std::span<std::byte> buffer_;
    std::size_t done_ = 0;
    std::error_code error_;
};

/// write_all: the whole span; suspends while the socket's send buffer is full.
class WriteAllAwaiter : public FdAwaiter {
public:
    WriteAllAwaiter(EventLoop* loop, int fd, std::span<const std::byte> data) noexcept
        : FdAwaiter(loop, fd, true, &perform_write), data_(data) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_write(IoOp& op) noexcept;
    std::span<const std::byte> data_;
    std::size_t done_ = 0;
    std::error_code error_;
};

/// connect: a stream, or the error (ECONNREFUSED, timed_out, ...).
class ConnectAwaiter : public FdAwaiter {
public:
    ConnectAwaiter(EventLoop& loop, const Endpoint& to, std::chrono::nanoseconds timeout) noexcept;
    ConnectAwaiter(ConnectAwaiter&& other) noexcept;
    ~ConnectAwaiter();
    bool await_ready() noexcept;
    bool await_suspend(std::coroutine_handle<> awaiter) noexcept;
    Result<TcpStream> await_resume() noexcept;

private:
    static bool perform_connect(IoOp& op) noexcept;
    EventLoop& owner_;
    Endpoint to_;
    std::chrono::nanoseconds timeout_;
    TimerId timer_ = 0;
    std::error_code error_;
};

}  // namespace detail

class TcpStream {
public:
    TcpStream() noexcept = default;
    /// Takes over a connected non-blocking socket and registers it with `loop`. On failure the
    /// descriptor is closed and the error returned. Loop thread only.
    static Result<TcpStream> adopt(EventLoop& loop, int fd) noexcept;
    /// For io/ internals: fd is already registered with loop.
    static TcpStream adopt_registered(EventLoop& loop, int fd) noexcept;

    TcpStream(TcpStream&& other) noexcept;
    TcpStream& operator=(TcpStream&& other) noexcept;
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;
    /// Closes the socket (see close()).
    ~TcpStream() { close(); }

    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }
    EventLoop* loop() const noexcept { return loop_; }

    /// Reads what is available, up to buffer.size(); 0 means the peer closed its write side.
    detail::ReadSomeAwaiter read_some(std::span<std::byte> buffer) noexcept { return {loop_, fd_, buffer}; }
    /// Appends what is available to `buffer` (growing it only by what arrived); 0 at EOF.
    detail::ReadBufferAwaiter read_some(Buffer& buffer) noexcept { return {loop_, fd_, buffer}; }
    /// Fills the whole buffer; IoErrc::eof if the peer closes first (what arrived is in it).
    detail::ReadExactAwaiter read_exact(std::span<std::byte> buffer) noexcept { return {loop_, fd_, buffer}; }
    /// Sends all of data, suspending while the kernel's send buffer is full: a peer that does
    /// not read holds this coroutine, not memory. Returns data.size() or the error.
    detail::WriteAllAwaiter write_all(std::span<const std::byte> data) noexcept { return {loop_, fd_, data}; }

    /// Half-close: the peer reads EOF after what was sent; this side may still read.
    Result<void> shutdown_write() noexcept;
    /// Cancels the pending read and write (they resume with operation_canceled), keeps the
    /// socket open.
    void cancel() noexcept;
    /// Cancels pending operations, unregisters and closes. Idempotent.
    void close() noexcept;
    /// Hands the descriptor over (unregistered, still open); the stream is empty afterwards.
    int release() noexcept;

    Result<Endpoint> local_endpoint() const noexcept;
    Result<Endpoint> remote_endpoint() const noexcept;
    /// TCP_NODELAY on or off.
    Result<void> set_no_delay(bool on) noexcept;

private:
    TcpStream(EventLoop& loop, int fd) noexcept : loop_(&loop), fd_(fd) {}
    EventLoop* loop_ = nullptr;
    int fd_ = -1;
};

/// Connects to `to`; `timeout` 0 means none (the kernel's own, minutes). Awaiting gives
/// Result<TcpStream>: std::errc::timed_out when the timeout ran out, errno codes otherwise.
inline detail::ConnectAwaiter connect(EventLoop& loop, const Endpoint& to,
                                      std::chrono::nanoseconds timeout = {}) noexcept {
    return {loop, to, timeout};
}

/// The Endpoint of a sockaddr the kernel filled (getsockname, accept, recvfrom).
Result<Endpoint> endpoint_of(const sockaddr_storage& address, socklen_t length) noexcept;

}  // namespace weft
