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
#include "weft/io/socket_handle.hpp"
#include "weft/net/endpoint.hpp"
#include "weft/net/ip_address.hpp"

namespace weft {

/// What UdpSocket::recv_from received.
struct Datagram {
    std::size_t size = 0;  ///< Bytes received (truncated to the buffer when larger).
    Endpoint from;         ///< The sender.
};

/// One datagram of a batch. recv_many fills size and the address; send_many sends
/// buffer.first(size) to the address. So a server can receive into an array of these,
/// rewrite each in place and send the same array back.
struct UdpMessage {
    std::span<std::byte> buffer;    ///< Where the datagram is received into / sent from.
    std::size_t size = 0;           ///< The datagram's length within buffer.
    sockaddr_storage address{};     ///< The sender (received) or the destination (sent).
    socklen_t address_length = 0;   ///< The length of address; set_peer() fills both.
    ///@{
    /// Received with packet info on (UdpSocket::enable_packet_info): `destination` is the
    /// address the datagram was sent to (maybe a broadcast one), `local` this host's address
    /// it arrived at (what a reply should come from), `interface_index` the link it came in
    /// on. Sending: when has_local is set, the datagram leaves from `local` (IP_PKTINFO), so a
    /// server bound to 0.0.0.0 answers from the address it was asked at; a non-zero
    /// `interface_index` picks the outgoing link.
    IpAddress destination{};
    IpAddress local{};
    bool has_local = false;
    unsigned interface_index = 0;
    ///@}

    /// The datagram: the first size bytes of buffer.
    std::span<const std::byte> data() const noexcept { return buffer.first(size); }
    /// address as an Endpoint (an error for a family other than IPv4/IPv6).
    Result<Endpoint> peer() const noexcept;
    /// Sets address and address_length to `to`.
    void set_peer(const Endpoint& to) noexcept { address_length = to.to_sockaddr(address); }
};

namespace detail {

class [[nodiscard]] RecvFromAwaiter : public FdAwaiter {
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

class [[nodiscard]] SendToAwaiter : public FdAwaiter {
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
class [[nodiscard]] BatchAwaiter : public FdAwaiter {
public:
    BatchAwaiter(EventLoop* loop, int fd, std::span<UdpMessage> messages, bool sending, bool packet_info) noexcept;
    BatchAwaiter(BatchAwaiter&& other) noexcept;
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_recv(IoOp& op) noexcept;
    static bool perform_send(IoOp& op) noexcept;
    void prepare() noexcept;
    std::span<UdpMessage> messages_;
    std::size_t done_ = 0;
    std::error_code error_;
    bool packet_info_;
    mmsghdr headers_[kMaxBatch];
    iovec vectors_[kMaxBatch];
    // Room for one IP_PKTINFO or IPV6_PKTINFO control message per datagram.
    static constexpr std::size_t kControlSize = 64;
    alignas(cmsghdr) unsigned char control_[kMaxBatch][kControlSize];
};

}  // namespace detail

/// A UDP socket on an EventLoop: awaitable sends and receives, one datagram or a batch per
/// syscall. Move-only; used on its loop's thread.
class UdpSocket final : public SocketHandle {
public:
    /// An empty socket (not open).
    UdpSocket() noexcept = default;
    /// A socket bound to `at` (port 0: any free port). SO_REUSEADDR is never set: for UDP it
    /// would let a second server that sets it too bind the same port and silently take part
    /// of the datagrams; sharing is only what `sharing` asks (see PortSharing).
    [[nodiscard]] static Result<UdpSocket> bind(EventLoop& loop, const Endpoint& at,
                                                PortSharing sharing = PortSharing::exclusive) noexcept;
    /// An unbound socket of at's family (a client), optionally connected to `peer` so that
    /// ICMP errors are reported and only its datagrams are received.
    [[nodiscard]] static Result<UdpSocket> open(EventLoop& loop, const Endpoint& peer,
                                                bool connect_to_peer = false) noexcept;

    ///@{
    /// Move-only, as every handle (see SocketHandle).
    UdpSocket(UdpSocket&& other) noexcept = default;
    UdpSocket& operator=(UdpSocket&& other) noexcept = default;
    ///@}

    /// Awaitable giving Result<Datagram>: the next datagram, into `buffer` (the rest of a
    /// longer one is dropped), and its sender.
    detail::RecvFromAwaiter recv_from(std::span<std::byte> buffer) noexcept { return {loop_, fd_, buffer}; }
    /// Awaitable giving Result<std::size_t>: sends `data` as one datagram to `to` (waiting
    /// while the send buffer is full); the bytes sent.
    detail::SendToAwaiter send_to(std::span<const std::byte> data, const Endpoint& to) noexcept {
        return {loop_, fd_, data, to};
    }
    /// Waits for at least one datagram, then takes as many as are queued (up to
    /// messages.size() and kMaxBatch) in one recvmmsg. Returns how many were filled; with
    /// packet info on, each also says where it arrived (UdpMessage::local, interface_index).
    detail::BatchAwaiter recv_many(std::span<UdpMessage> messages) noexcept {
        return {loop_, fd_, messages, false, packet_info_};
    }
    /// Sends every message (up to kMaxBatch), sendmmsg at a time; returns how many went out.
    detail::BatchAwaiter send_many(std::span<UdpMessage> messages) noexcept {
        return {loop_, fd_, messages, true, packet_info_};
    }

    /// Asks the kernel for each datagram's destination address and arrival interface
    /// (IP_PKTINFO, and IPV6_RECVPKTINFO on an IPv6 socket): what a server bound to a
    /// wildcard address needs to answer from the right address, and what DHCP needs to know
    /// the link. Costs a control message per datagram, so it is off until asked.
    [[nodiscard]] Result<void> enable_packet_info() noexcept;
    /// True once enable_packet_info() succeeded.
    bool packet_info() const noexcept { return packet_info_; }

    // local_endpoint(), close(), set_option (weft::Broadcast for a DHCP server),
    // bind_to_device: see SocketHandle.

private:
    UdpSocket(EventLoop& loop, int fd) noexcept : SocketHandle(loop, fd) {}
    bool packet_info_ = false;
};

}  // namespace weft
