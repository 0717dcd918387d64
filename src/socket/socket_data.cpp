// Socket's data calls: recv, send, sendall, recvfrom, sendto. Each tries the call first and
// waits in poll only when the socket has a timeout and the call would block.
#include <algorithm>

#include <poll.h>

#include "socket_detail.hpp"
#include "weft/socket/socket.hpp"

namespace weft {

using detail::as_bytes;
using detail::from_native;
using detail::kSendFlags;
using detail::native;
using detail::would_block;

std::size_t Socket::recv(std::span<std::byte> buffer, int flags) {
    if (buffer.empty()) throw std::invalid_argument("recv: empty buffer (0 is reserved for end of stream)");
    auto deadline = deadline_from_now();
    for (;;) {
        ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), flags);
        if (n >= 0) return static_cast<std::size_t>(n);
        int err = errno;
        if (err == EINTR) continue;
        if (would_block(err) && timeout_ && timeout_->count() > 0) {
            wait_ready(POLLIN, "recv", deadline);
            continue;
        }
        fail("recv", err);
    }
}

std::string Socket::recv(std::size_t max_bytes, int flags) {
    std::string out(max_bytes, '\0');
    std::size_t n = recv(std::as_writable_bytes(std::span(out.data(), out.size())), flags);
    out.resize(n);
    return out;
}

std::size_t Socket::send(std::span<const std::byte> data, int flags) {
    auto deadline = deadline_from_now();
    for (;;) {
        ssize_t n = ::send(fd_, data.data(), data.size(), flags | kSendFlags);
        if (n >= 0) return static_cast<std::size_t>(n);
        int err = errno;
        if (err == EINTR) continue;
        if (would_block(err) && timeout_ && timeout_->count() > 0) {
            wait_ready(POLLOUT, "send", deadline);
            continue;
        }
        fail("send", err);
    }
}

std::size_t Socket::send(std::string_view data, int flags) { return send(as_bytes(data), flags); }

void Socket::sendall(std::span<const std::byte> data, int flags) {
    // One deadline for the whole call: a peer that reads a byte a minute cannot stretch a
    // 5-second timeout into hours.
    auto deadline = deadline_from_now();
    while (!data.empty()) {
        ssize_t n = ::send(fd_, data.data(), data.size(), flags | kSendFlags);
        if (n >= 0) {
            data = data.subspan(static_cast<std::size_t>(n));
            continue;
        }
        int err = errno;
        if (err == EINTR) continue;
        if (would_block(err) && timeout_ && timeout_->count() > 0) {
            wait_ready(POLLOUT, "sendall", deadline);
            continue;
        }
        fail("sendall", err);
    }
}

void Socket::sendall(std::string_view data, int flags) { sendall(as_bytes(data), flags); }

std::pair<std::size_t, SocketAddress> Socket::recvfrom(std::span<std::byte> buffer, int flags) {
    auto deadline = deadline_from_now();
    for (;;) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), flags, reinterpret_cast<sockaddr*>(&ss), &len);
        if (n >= 0) return {static_cast<std::size_t>(n), from_native(ss, len)};
        int err = errno;
        if (err == EINTR) continue;
        if (would_block(err) && timeout_ && timeout_->count() > 0) {
            wait_ready(POLLIN, "recvfrom", deadline);
            continue;
        }
        fail("recvfrom", err);
    }
}

std::pair<std::string, SocketAddress> Socket::recvfrom(std::size_t max_bytes, int flags) {
    std::string out(max_bytes, '\0');
    auto [size, sender] = recvfrom(std::as_writable_bytes(std::span(out.data(), out.size())), flags);
    out.resize(std::min(size, max_bytes));  // MSG_TRUNC reports the whole datagram's length
    return {std::move(out), std::move(sender)};
}

std::size_t Socket::sendto(std::span<const std::byte> data, const SocketAddress& address, int flags) {
    sockaddr_storage ss;
    socklen_t len = native(address, ss, "sendto");
    auto deadline = deadline_from_now();
    for (;;) {
        ssize_t n = ::sendto(fd_, data.data(), data.size(), flags | kSendFlags,
                             reinterpret_cast<sockaddr*>(&ss), len);
        if (n >= 0) return static_cast<std::size_t>(n);
        int err = errno;
        if (err == EINTR) continue;
        if (would_block(err) && timeout_ && timeout_->count() > 0) {
            wait_ready(POLLOUT, "sendto", deadline);
            continue;
        }
        fail("sendto", address, err);
    }
}

std::size_t Socket::sendto(std::string_view data, const SocketAddress& address, int flags) {
    return sendto(as_bytes(data), address, flags);
}

}  // namespace weft
