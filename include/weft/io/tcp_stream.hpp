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
//
// Writes come in three shapes: write_all (suspends until every byte is taken: backpressure
// without memory), try_write (takes what the kernel accepts now, never waits: the fast path of
// an echo), and the gather and file forms (writev of several buffers, sendfile of a file's
// range without copying it through user space). Reads either fill the caller's buffer or
// borrow the loop's shared read buffer (read_lent), so an idle connection owns no buffer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <sys/types.h>

#include "weft/expected.hpp"
#include "weft/io/buffer.hpp"
#include "weft/io/fd_awaiter.hpp"
#include "weft/io/socket_handle.hpp"
#include "weft/io/task.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

class TcpStream;

namespace detail {

/// read_some: returns the count read, 0 at orderly EOF.
class [[nodiscard]] ReadSomeAwaiter : public FdAwaiter {
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
class [[nodiscard]] ReadBufferAwaiter : public FdAwaiter {
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

/// read_lent: reads into the loop's shared buffer and lends the bytes (0 bytes at EOF).
class [[nodiscard]] ReadLentAwaiter : public FdAwaiter {
public:
    ReadLentAwaiter(EventLoop* loop, int fd) noexcept : FdAwaiter(loop, fd, false, &perform_read) {}
    Result<std::span<std::byte>> await_resume() const noexcept;

private:
    static bool perform_read(IoOp& op) noexcept;
    std::span<std::byte> got_;
    std::error_code error_;
};

/// read_exact: the whole span, or IoErrc::eof when the peer closed first.
class [[nodiscard]] ReadExactAwaiter : public FdAwaiter {
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
class [[nodiscard]] WriteAllAwaiter : public FdAwaiter {
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

/// write_all of several buffers: sendmsg with an iovec per buffer (up to kMaxGather a call).
class [[nodiscard]] GatherWriteAwaiter : public FdAwaiter {
public:
    static constexpr std::size_t kMaxGather = 64;
    GatherWriteAwaiter(EventLoop* loop, int fd, std::span<const std::span<const std::byte>> parts) noexcept
        : FdAwaiter(loop, fd, true, &perform_write), parts_(parts) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_write(IoOp& op) noexcept;
    std::span<const std::span<const std::byte>> parts_;
    std::size_t part_ = 0;         // the first buffer not wholly sent
    std::size_t part_offset_ = 0;  // bytes of it already sent
    std::size_t done_ = 0;
    std::error_code error_;
};

/// send_file: sendfile(2) from a file descriptor's range, after an optional head.
class [[nodiscard]] SendFileAwaiter : public FdAwaiter {
public:
    SendFileAwaiter(EventLoop* loop, int fd, int file, off_t offset, std::size_t count,
                    std::span<const std::byte> head = {}) noexcept
        : FdAwaiter(loop, fd, true, &perform_send), file_(file), offset_(offset), count_(count), head_(head) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_send(IoOp& op) noexcept;
    int file_;
    off_t offset_;
    std::size_t count_;
    std::span<const std::byte> head_;
    std::size_t head_done_ = 0;
    std::size_t done_ = 0;
    std::error_code error_;
};

/// connect without a deadline: a stream, or the error (ECONNREFUSED, ...).
class [[nodiscard]] ConnectAwaiter : public FdAwaiter {
public:
    ConnectAwaiter(EventLoop& loop, const Endpoint& to) noexcept;
    ConnectAwaiter(ConnectAwaiter&& other) noexcept;
    ~ConnectAwaiter();
    bool await_ready() noexcept;
    Result<TcpStream> await_resume() noexcept;

private:
    static bool perform_connect(IoOp& op) noexcept;
    Endpoint to_;
    std::error_code error_;
};

/// Who takes a server connection's descriptor back when its stream closes: TcpServer, which
/// ends the connection with a FIN and reads what the peer still sends, instead of letting
/// close() answer unread bytes with an RST while the peer may still be reading.
struct StreamOwner {
    void (*take_back)(StreamOwner& owner, std::uint64_t id, int fd) noexcept = nullptr;
    bool stopping = false;  // the owner began a graceful stop (TcpStream::stop_requested)
    /// Marks `stream` as owned: its close() hands the descriptor to take_back.
    void attach(TcpStream& stream, std::uint64_t id) noexcept;
};

}  // namespace detail

class TcpStream final : public SocketHandle {
public:
    TcpStream() noexcept = default;
    /// Takes over a connected non-blocking socket and registers it with `loop`. On failure the
    /// descriptor is closed and the error returned. Loop thread only.
    [[nodiscard]] static Result<TcpStream> adopt(EventLoop& loop, int fd) noexcept;
    /// For io/ internals: fd is already registered with loop.
    static TcpStream adopt_registered(EventLoop& loop, int fd) noexcept;

    TcpStream(TcpStream&& other) noexcept;
    TcpStream& operator=(TcpStream&& other) noexcept;
    /// Closes the socket (see close()).
    ~TcpStream() { close(); }

    // ---- reads ----------------------------------------------------------------------------
    /// Reads what is available, up to buffer.size(); 0 means the peer closed its write side.
    detail::ReadSomeAwaiter read_some(std::span<std::byte> buffer) noexcept { return {loop_, fd_, buffer}; }
    /// Appends what is available to `buffer` (growing it only by what arrived); 0 at EOF.
    detail::ReadBufferAwaiter read_some(Buffer& buffer) noexcept { return {loop_, fd_, buffer}; }
    /// Reads what is available (up to 64 KiB) into the loop's shared read buffer and lends it:
    /// the span is valid, and writable in place, until this coroutine next suspends (any
    /// co_await that waits). An empty span means EOF. Copy what must outlive that.
    detail::ReadLentAwaiter read_lent() noexcept { return {loop_, fd_}; }
    /// Fills the whole buffer; IoErrc::eof if the peer closes first (what arrived is in it).
    detail::ReadExactAwaiter read_exact(std::span<std::byte> buffer) noexcept { return {loop_, fd_, buffer}; }

    // ---- writes ---------------------------------------------------------------------------
    /// Sends all of data, suspending while the kernel's send buffer is full: a peer that does
    /// not read holds this coroutine, not memory. Returns data.size() or the error.
    detail::WriteAllAwaiter write_all(std::span<const std::byte> data) noexcept { return {loop_, fd_, data}; }
    detail::WriteAllAwaiter write_all(std::string_view text) noexcept {
        return {loop_, fd_, std::as_bytes(std::span(text.data(), text.size()))};
    }
    /// Sends the buffers in order as one stream (writev: a response head and its body in one
    /// syscall). `parts` and what it points to must stay alive until the await completes.
    detail::GatherWriteAwaiter write_all(std::span<const std::span<const std::byte>> parts) noexcept {
        return {loop_, fd_, parts};
    }
    /// Sends `count` bytes of the open file `file` from `offset` with sendfile(2): the kernel
    /// copies file pages to the socket, nothing passes through user space. Returns the bytes
    /// sent: fewer than count only when the file ended first.
    detail::SendFileAwaiter send_file(int file, off_t offset, std::size_t count) noexcept {
        return {loop_, fd_, file, offset, count};
    }
    /// Sends all of `head` (a response head, say), then the file's range as above; returns the
    /// file bytes sent. The head goes with MSG_MORE, so the kernel puts it in the same segment
    /// as the file's first bytes instead of a packet of its own. `head` must stay alive until
    /// the await completes.
    detail::SendFileAwaiter send_file(std::span<const std::byte> head, int file, off_t offset,
                                      std::size_t count) noexcept {
        return {loop_, fd_, file, offset, count, head};
    }
    /// Sends what the kernel takes right now and never waits: the count (less than
    /// data.size(), maybe 0, when the send buffer is full) or the error (EPIPE, ...).
    [[nodiscard]] Result<std::size_t> try_write(std::span<const std::byte> data) noexcept;

    // ---- lifetime -------------------------------------------------------------------------
    /// Half-close: the peer reads EOF after what was sent; this side may still read.
    [[nodiscard]] Result<void> shutdown_write() noexcept;
    /// Cancels the pending read and write (they resume with operation_canceled), keeps the
    /// socket open.
    void cancel() noexcept;
    /// Cancels pending operations and closes. Idempotent. A connection accepted by TcpServer
    /// is handed back to the server instead, which sends a FIN and reads and discards what the
    /// peer still sends for a bounded time (ServerOptions::linger_timeout), so the peer reads
    /// every byte it was sent and never an RST.
    void close() noexcept;
    /// Hands the descriptor over (unregistered, still open); the stream is empty afterwards.
    int release() noexcept;

    // ---- graceful stop of a server --------------------------------------------------------
    /// True once the server that accepted this connection began its graceful stop. A handler
    /// of a protocol with messages (HTTP, DNS over TCP) checks it after each answer and
    /// closes at that boundary.
    bool stop_requested() const noexcept { return owner_ && owner_->stopping; }
    /// Marks the connection as inside a message (a request partly read, an answer being
    /// made): a server stopping then keeps serving it even while it waits to read. Off again
    /// at the boundary. A stream with no marks (echo) counts as between messages whenever it
    /// waits to read with nothing buffered.
    void set_mid_message(bool on) noexcept;

    // ---- addresses and options (local_endpoint, set_option: see SocketHandle) --------------
    [[nodiscard]] Result<Endpoint> remote_endpoint() const noexcept;
    /// TCP_NODELAY on or off.
    [[nodiscard]] Result<void> set_no_delay(bool on) noexcept;

private:
    friend struct detail::StreamOwner;
    TcpStream(EventLoop& loop, int fd) noexcept : SocketHandle(loop, fd) {}
    detail::StreamOwner* owner_ = nullptr;
    std::uint64_t owner_id_ = 0;
};

/// Connects to `to`; `timeout` 0 means none (the kernel's own, minutes). Result: the stream,
/// std::errc::timed_out when the timeout ran out (through with_timeout), errno codes otherwise.
[[nodiscard]] Task<Result<TcpStream>> connect(EventLoop& loop, Endpoint to, std::chrono::nanoseconds timeout = {});

/// The Endpoint of a sockaddr the kernel filled (getsockname, accept, recvfrom).
Result<Endpoint> endpoint_of(const sockaddr_storage& address, socklen_t length) noexcept;

}  // namespace weft
