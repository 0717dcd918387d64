#pragma once
// What socket.cpp and socket_data.cpp share; private to src/socket.

#include <cerrno>
#include <span>
#include <string_view>

#include <sys/socket.h>

#include "weft/socket/socket.hpp"

namespace weft::detail {

// Sends never raise SIGPIPE: a vanished peer becomes an EPIPE error like any other.
inline constexpr int kSendFlags = MSG_NOSIGNAL;

inline bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

inline std::span<const std::byte> as_bytes(std::string_view text) noexcept {
    return std::as_bytes(std::span(text.data(), text.size()));
}

/// Turns an address into the kernel's form, or throws naming the call.
inline socklen_t native(const SocketAddress& address, sockaddr_storage& out, const char* call) {
    auto len = address.to_sockaddr(out);
    if (!len) throw SocketError(call, address.to_string(), std::make_error_code(std::errc::invalid_argument));
    return *len;
}

inline SocketAddress from_native(const sockaddr_storage& ss, socklen_t len) {
    auto address = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
    return address ? *address : SocketAddress();
}

}  // namespace weft::detail
