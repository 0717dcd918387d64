// UdpSocket and its awaitables; the batched ones wrap recvmmsg/sendmmsg.

#include "weft/io/udp_socket.hpp"

#include <algorithm>
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

BatchAwaiter::BatchAwaiter(EventLoop* loop, int fd, std::span<UdpMessage> messages, bool sending) noexcept
    : FdAwaiter(loop, fd, sending, sending ? &perform_send : &perform_recv),
      messages_(messages.first(std::min(messages.size(), kMaxBatch))) {}

BatchAwaiter::BatchAwaiter(BatchAwaiter&& other) noexcept
    : FdAwaiter(std::move(other)), messages_(other.messages_) {}

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
    }
    self.done_ = static_cast<std::size_t>(*n);
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

Result<UdpSocket> UdpSocket::bind(EventLoop& loop, const Endpoint& at, UdpBindOptions options) noexcept {
    sockaddr_storage address{};
    const socklen_t length = at.to_sockaddr(address);
    auto s = detail::sys_socket(address.ss_family, SOCK_DGRAM);
    if (!s) return Unexpected(s.error());
    UdpSocket socket(loop, *s);  // closes the descriptor on the early returns
    if (options.reuse_port) {
        if (auto r = detail::sys_setsockopt_int(*s, SOL_SOCKET, SO_REUSEPORT, 1); !r) return Unexpected(r.error());
    }
    if (::bind(*s, reinterpret_cast<const sockaddr*>(&address), length) < 0) return Unexpected(detail::last_error());
    // Set after an exclusive bind (as TcpListener does), SO_REUSEPORT lets our own later
    // sockets join the port, while a later bind without it (another weft server's first
    // socket) still fails, and so did ours against everyone already holding the port.
    if (options.exclusive_then_shared && !options.reuse_port) {
        if (auto r = detail::sys_setsockopt_int(*s, SOL_SOCKET, SO_REUSEPORT, 1); !r) return Unexpected(r.error());
    }
    if (auto r = loop.register_fd(*s); !r) return Unexpected(r.error());
    return socket;
}

Result<UdpSocket> UdpSocket::open(EventLoop& loop, const Endpoint& peer, bool connect_to_peer) noexcept {
    sockaddr_storage address{};
    const socklen_t length = peer.to_sockaddr(address);
    auto s = detail::sys_socket(address.ss_family, SOCK_DGRAM);
    if (!s) return Unexpected(s.error());
    UdpSocket socket(loop, *s);
    if (connect_to_peer && ::connect(*s, reinterpret_cast<const sockaddr*>(&address), length) < 0)
        return Unexpected(detail::last_error());
    if (auto r = loop.register_fd(*s); !r) return Unexpected(r.error());
    return socket;
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept : loop_(other.loop_), fd_(std::exchange(other.fd_, -1)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
    if (this != &other) {
        close();
        loop_ = other.loop_;
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Result<Endpoint> UdpSocket::local_endpoint() const noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Unexpected(detail::last_error());
    return endpoint_of(address, length);
}

void UdpSocket::close() noexcept {
    if (fd_ < 0) return;
    loop_->unregister_fd(fd_);
    detail::sys_close(std::exchange(fd_, -1));
}

}  // namespace weft
