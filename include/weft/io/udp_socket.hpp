#pragma once
// UdpSocket: a datagram socket registered with one EventLoop.
//
//   auto sock = weft::UdpSocket::bind(loop, endpoint);            // Result<UdpSocket>
//   auto d = co_await sock->recv_from(buf);                       // Result<Datagram>
//   co_await sock->send_to(std::span(buf).first(d->size), d->from);
//
// Batched forms move up to kMaxBatch datagrams per syscall (recvmmsg/sendmmsg): what lets a
// busy UDP server spend a fraction of the syscalls per datagram. Errors as in TcpStream:
// errno codes, operation_canceled after close(), timed_out through with_timeout. On a
// connected socket an ICMP port-unreachable comes back as ECONNREFUSED.

#include <cstddef>
#include <span>

#include <sys/socket.h>

#include "weft/expected.hpp"
#include "weft/io/fd_awaiter.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

struct Datagram {
    std::size_t size = 0;  // bytes received (truncated to the buffer when larger)
    Endpoint from;
};

/// One datagram of a batch. recv_many fills size and the address; send_many sends
/// buffer.first(size) to the address. So a server can receive into an array of these,
/// rewrite each in place and send the same array back.
struct UdpMessage {
    std::span<std::byte> buffer;
    std::size_t size = 0;
    sockaddr_storage address{};
    socklen_t address_length = 0;

    std::span<const std::byte> data() const noexcept { return buffer.first(size); }
    Result<Endpoint> peer() const noexcept;
    void set_peer(const Endpoint& to) noexcept { address_length = to.to_sockaddr(address); }
};

/// How UdpSocket::bind shares its port. Neither sets SO_REUSEADDR: for UDP that would let a
/// second server that sets it too bind the same port and silently take part of the datagrams.
struct UdpBindOptions {
    /// SO_REUSEPORT: several sockets (one per loop) share the address and the kernel spreads
    /// datagrams over them by a hash of the 4-tuple, so one peer's datagrams stay on one socket.
    bool reuse_port = false;
    /// Bind without SO_REUSEPORT — so the bind fails with EADDRINUSE if anyone holds the port,
    /// SO_REUSEPORT users included — then set SO_REUSEPORT so that this process's further
    /// sockets (with reuse_port) can join. What UdpServer does for its first socket.
    bool exclusive_then_shared = false;
};

namespace detail {

class RecvFromAwaiter : public FdAwaiter {
public:
    RecvFromAwaiter(EventLoop* loop, int fd, std::span<std::byte> buffer) noexcept
        : FdAwaiter(loop, fd, false, &perform_recv), buffer_(buffer) {}
    Result<Datagram> await_resume() const noexcept;

private:
    static bool perform_recv(IoOp& op) noexcept;
    std::span<std::byte> buffer_;
    std::size_t size_ = 0;
    sockaddr_storage from_{};
    socklen_t from_length_ = 0;
    std::error_code error_;
};

class SendToAwaiter : public FdAwaiter {
public:
    SendToAwaiter(EventLoop* loop, int fd, std::span<const std::byte> data, const Endpoint& to) noexcept;
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_send(IoOp& op) noexcept;
    std::span<const std::byte> data_;
    sockaddr_storage to_{};
    socklen_t to_length_ = 0;
    std::size_t sent_ = 0;
    std::error_code error_;
};

inline constexpr std::size_t kMaxBatch = 64;

/// recv_many / send_many: the mmsghdr array lives here, in the awaiting frame.
class BatchAwaiter : public FdAwaiter {
public:
    BatchAwaiter(EventLoop* loop, int fd, std::span<UdpMessage> messages, bool sending) noexcept;
    BatchAwaiter(BatchAwaiter&& other) noexcept;
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_recv(IoOp& op) noexcept;
    static bool perform_send(IoOp& op) noexcept;
    void prepare() noexcept;
    std::span<UdpMessage> messages_;
    std::size_t done_ = 0;
    std::error_code error_;
    mmsghdr headers_[kMaxBatch];
    iovec vectors_[kMaxBatch];
};

}  // namespace detail

class UdpSocket {
public:
    UdpSocket() noexcept = default;
    /// A socket bound to `at` (port 0: any free port). SO_REUSEADDR is not set: a second
    /// server on the same port fails with EADDRINUSE (see UdpBindOptions for sharing it).
    static Result<UdpSocket> bind(EventLoop& loop, const Endpoint& at, UdpBindOptions options = {}) noexcept;
    /// An unbound socket of at's family (a client), optionally connected to `peer` so that
    /// ICMP errors are reported and only its datagrams are received.
    static Result<UdpSocket> open(EventLoop& loop, const Endpoint& peer, bool connect_to_peer = false) noexcept;

    UdpSocket(UdpSocket&& other) noexcept;
    UdpSocket& operator=(UdpSocket&& other) noexcept;
    ~UdpSocket() { close(); }

    detail::RecvFromAwaiter recv_from(std::span<std::byte> buffer) noexcept { return {loop_, fd_, buffer}; }
    detail::SendToAwaiter send_to(std::span<const std::byte> data, const Endpoint& to) noexcept {
        return {loop_, fd_, data, to};
    }
    /// Waits for at least one datagram, then takes as many as are queued (up to
    /// messages.size() and kMaxBatch) in one recvmmsg. Returns how many were filled.
    detail::BatchAwaiter recv_many(std::span<UdpMessage> messages) noexcept { return {loop_, fd_, messages, false}; }
    /// Sends every message (up to kMaxBatch), sendmmsg at a time; returns how many went out.
    detail::BatchAwaiter send_many(std::span<UdpMessage> messages) noexcept { return {loop_, fd_, messages, true}; }

    Result<Endpoint> local_endpoint() const noexcept;
    /// Cancels pending operations (operation_canceled) and closes. Idempotent.
    void close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }
    EventLoop* loop() const noexcept { return loop_; }

private:
    UdpSocket(EventLoop& loop, int fd) noexcept : loop_(&loop), fd_(fd) {}
    EventLoop* loop_ = nullptr;
    int fd_ = -1;
};

}  // namespace weft
