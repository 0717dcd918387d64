// UdpSocket and its awaitables; the batched ones wrap recvmmsg/sendmmsg.

#include "weft/io/udp_socket.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <netinet/in.h>
#include <cstring>
#include <utility>

#include "weft/io/syscalls.hpp"
#include "weft/io/tcp_stream.hpp"

namespace weft {

Result<Endpoint> UdpMessage::peer() const noexcept { return endpoint_of(address, address_length); }

namespace detail {

bool RecvFromAwaiter::perform_recv(IoOp& op) noexcept {
    auto& self = static_cast<RecvFromAwaiter&>(op);
    self.from_length_ = sizeof self.from_;
    auto n = retry_eintr([&] {
        return ::recvfrom(self.fd, self.buffer_.data(), self.buffer_.size(), 0,
                          reinterpret_cast<sockaddr*>(&self.from_), &self.from_length_);
    });
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.size_ = static_cast<std::size_t>(*n);
    return true;
}

Result<Datagram> RecvFromAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    auto from = endpoint_of(from_, from_length_);
    if (!from) return Unexpected(from.error());
    return Datagram{size_, *from};
}

SendToAwaiter::SendToAwaiter(EventLoop* loop, int fd, std::span<const std::byte> data, const Endpoint& to) noexcept
    : FdAwaiter(loop, fd, true, &perform_send), data_(data) {
    to_length_ = to.to_sockaddr(to_);
}

bool SendToAwaiter::perform_send(IoOp& op) noexcept {
    auto& self = static_cast<SendToAwaiter&>(op);
    auto n = retry_eintr([&] {
        return ::sendto(self.fd, self.data_.data(), self.data_.size(), MSG_NOSIGNAL,
                        reinterpret_cast<const sockaddr*>(&self.to_), self.to_length_);
    });
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.sent_ = static_cast<std::size_t>(*n);
    return true;
}

Result<std::size_t> SendToAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return sent_;
}

BatchAwaiter::BatchAwaiter(EventLoop* loop, int fd, std::span<UdpMessage> messages, bool sending,
                           bool packet_info) noexcept
    : FdAwaiter(loop, fd, sending, sending ? &perform_send : &perform_recv),
      messages_(messages.first(std::min(messages.size(), kMaxBatch))), packet_info_(packet_info) {}

BatchAwaiter::BatchAwaiter(BatchAwaiter&& other) noexcept
    : FdAwaiter(std::move(other)), messages_(other.messages_), packet_info_(other.packet_info_) {}

namespace {

// The source-address control message of an outgoing datagram: IP_PKTINFO's ipi_spec_dst (or
// IPV6_PKTINFO's address) picks the source; the interface index the link. Returns its length.
std::size_t put_source(const UdpMessage& m, unsigned char* control, std::size_t room) noexcept {
    std::memset(control, 0, room);
    auto* c = reinterpret_cast<cmsghdr*>(control);
    if (m.local.is_v4()) {
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        info.ipi_ifindex = static_cast<int>(m.interface_index);
        const auto bytes = m.local.v4().to_bytes();
        std::memcpy(&info.ipi_spec_dst, bytes.data(), 4);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
        return CMSG_SPACE(sizeof(in_pktinfo));
    }
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    info.ipi6_ifindex = m.interface_index;
    const auto bytes = m.local.v6().to_bytes();
    std::memcpy(&info.ipi6_addr, bytes.data(), 16);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof(in6_pktinfo));
}

// Where a received datagram arrived, from its IP_PKTINFO / IPV6_PKTINFO control message.
void take_destination(UdpMessage& m, msghdr& header) noexcept {
    m.has_local = false;
    m.interface_index = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            std::array<std::uint8_t, 4> b;
            std::memcpy(b.data(), &info.ipi_addr, 4);
            m.destination = Ipv4Address(b[0], b[1], b[2], b[3]);
            std::memcpy(b.data(), &info.ipi_spec_dst, 4);  // the local address routing chose
            m.local = Ipv4Address(b[0], b[1], b[2], b[3]);
            m.has_local = true;
            m.interface_index = static_cast<unsigned>(info.ipi_ifindex);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            std::array<std::uint8_t, 16> bytes;
            std::memcpy(bytes.data(), &info.ipi6_addr, 16);
            m.destination = m.local = Ipv6Address(bytes);
            m.has_local = true;
            m.interface_index = info.ipi6_ifindex;
        }
    }
}

}  // namespace

// The headers point into the caller's messages; rebuilt before every call because the
// kernel rewrites the lengths.
void BatchAwaiter::prepare() noexcept {
    for (std::size_t i = done_; i < messages_.size(); ++i) {
        UdpMessage& m = messages_[i];
        const bool sending = for_write;
        vectors_[i] = {m.buffer.data(), sending ? m.size : m.buffer.size()};
        std::memset(&headers_[i], 0, sizeof headers_[i]);
        headers_[i].msg_hdr.msg_iov = &vectors_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
        headers_[i].msg_hdr.msg_name = &m.address;
        headers_[i].msg_hdr.msg_namelen = sending ? m.address_length : sizeof m.address;
        if (!sending && packet_info_) {
            headers_[i].msg_hdr.msg_control = control_[i];
            headers_[i].msg_hdr.msg_controllen = kControlSize;
        } else if (sending && m.has_local) {
            headers_[i].msg_hdr.msg_control = control_[i];
            headers_[i].msg_hdr.msg_controllen = put_source(m, control_[i], kControlSize);
        }
    }
}

bool BatchAwaiter::perform_recv(IoOp& op) noexcept {
    auto& self = static_cast<BatchAwaiter&>(op);
    self.prepare();
    const auto count = static_cast<unsigned>(self.messages_.size());
    auto n = retry_eintr([&] { return ::recvmmsg(self.fd, self.headers_, count, MSG_DONTWAIT, nullptr); });
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    for (int i = 0; i < *n; ++i) {
        auto& m = self.messages_[static_cast<std::size_t>(i)];
        m.size = self.headers_[i].msg_len;
        m.address_length = self.headers_[i].msg_hdr.msg_namelen;
        if (self.packet_info_) take_destination(m, self.headers_[i].msg_hdr);
    }
    self.done_ = static_cast<std::size_t>(*n);
    // A short batch emptied the queue: the next receive would only say EAGAIN, so it waits
    // for the next edge instead (one syscall less per batch under load; a datagram that came
    // in meanwhile raised an edge that the loop's next epoll_wait reports).
    if (self.done_ < count) LoopAccess::mark_read_drained(*self.loop_, self.fd);
    return true;
}

bool BatchAwaiter::perform_send(IoOp& op) noexcept {
    auto& self = static_cast<BatchAwaiter&>(op);
    // sendmmsg may stop early (a full buffer, or an error on one datagram): continue from
    // there; an error with nothing sent in this call ends the batch.
    while (self.done_ < self.messages_.size()) {
        self.prepare();
        const auto count = static_cast<unsigned>(self.messages_.size() - self.done_);
        auto n = retry_eintr([&] { return ::sendmmsg(self.fd, &self.headers_[self.done_], count, MSG_NOSIGNAL); });
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        self.done_ += static_cast<std::size_t>(*n);
    }
    return true;
}

Result<std::size_t> BatchAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_ && done_ == 0) return Unexpected(error_);
    return done_;
}

}  // namespace detail

Result<UdpSocket> UdpSocket::bind(EventLoop& loop, const Endpoint& at, PortSharing sharing) noexcept {
    auto fd = detail::open_bound(at, SOCK_DGRAM, sharing, /*reuse_address=*/false);
    if (!fd) return Unexpected(fd.error());
    if (auto r = detail::register_or_close(loop, *fd); !r) return Unexpected(r.error());
    return UdpSocket(loop, *fd);
}

Result<UdpSocket> UdpSocket::open(EventLoop& loop, const Endpoint& peer, bool connect_to_peer) noexcept {
    sockaddr_storage address{};
    const socklen_t length = peer.to_sockaddr(address);
    auto s = detail::sys_socket(address.ss_family, SOCK_DGRAM);
    if (!s) return Unexpected(s.error());
    if (connect_to_peer && ::connect(*s, reinterpret_cast<const sockaddr*>(&address), length) < 0) {
        const auto ec = detail::last_error();
        detail::sys_close(*s);
        return Unexpected(ec);
    }
    if (auto r = detail::register_or_close(loop, *s); !r) return Unexpected(r.error());
    return UdpSocket(loop, *s);
}

Result<void> UdpSocket::enable_packet_info() noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0) return Unexpected(detail::last_error());
    auto r = address.ss_family == AF_INET6 ? detail::sys_setsockopt_int(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
                                           : detail::sys_setsockopt_int(fd_, IPPROTO_IP, IP_PKTINFO, 1);
    if (!r) return Unexpected(r.error());
    packet_info_ = true;
    return {};
}

}  // namespace weft
