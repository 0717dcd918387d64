// SocketHandle: the descriptor plumbing every io/ socket shares, and the one place that
// knows how a port is shared.

#include "weft/io/socket_handle.hpp"

#include <cstring>
#include <string>
#include <utility>

#include <net/if.h>
#include <sys/socket.h>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/syscalls.hpp"
#include "weft/io/tcp_stream.hpp"

namespace weft {

SocketHandle::SocketHandle(SocketHandle&& other) noexcept
    : loop_(other.loop_), fd_(std::exchange(other.fd_, -1)) {}

SocketHandle& SocketHandle::operator=(SocketHandle&& other) noexcept {
    if (this != &other) {
        close();
        loop_ = other.loop_;
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Result<Endpoint> SocketHandle::local_endpoint() const noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Unexpected(detail::last_error());
    return endpoint_of(address, length);
}

Result<void> SocketHandle::set_option_raw(int level, int name, const void* value, unsigned size) noexcept {
    if (::setsockopt(fd_, level, name, value, size) < 0) return Unexpected(detail::last_error());
    return {};
}

Result<void> SocketHandle::get_option_raw(int level, int name, void* value, unsigned size) const noexcept {
    socklen_t length = size;
    if (::getsockopt(fd_, level, name, value, &length) < 0) return Unexpected(detail::last_error());
    return {};
}

Result<void> SocketHandle::bind_to_device(std::string_view interface) noexcept {
    // The kernel takes the name without a terminator, but rejects one of IFNAMSIZ or more.
    if (interface.empty() || interface.size() >= IFNAMSIZ) return Unexpected(std::make_error_code(std::errc::no_such_device));
    char name[IFNAMSIZ] = {};
    std::memcpy(name, interface.data(), interface.size());
    return set_option_raw(SOL_SOCKET, SO_BINDTODEVICE, name, static_cast<unsigned>(interface.size()));
}

void SocketHandle::cancel() noexcept {
    if (fd_ >= 0) detail::LoopAccess::cancel_fd(*loop_, fd_, std::make_error_code(std::errc::operation_canceled));
}

void SocketHandle::close() noexcept {
    if (fd_ < 0) return;
    detail::LoopAccess::unregister_fd(*loop_, fd_);  // no-op when it never got registered
    detail::sys_close(std::exchange(fd_, -1));
}

int SocketHandle::release() noexcept {
    if (fd_ < 0) return -1;
    detail::LoopAccess::unregister_fd(*loop_, fd_, /*remove_from_epoll=*/true);  // the new owner may dup it
    return std::exchange(fd_, -1);
}

namespace detail {

Result<int> open_bound(const Endpoint& at, int type, PortSharing sharing, bool reuse_address) noexcept {
    sockaddr_storage address{};
    const socklen_t length = at.to_sockaddr(address);
    auto s = sys_socket(address.ss_family, type);
    if (!s) return Unexpected(s.error());
    const int fd = *s;
    auto fail = [fd](std::error_code ec) {
        sys_close(fd);
        return Unexpected(ec);
    };
    if (reuse_address) {
        if (auto r = sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1); !r) return fail(r.error());
    }
    if (sharing == PortSharing::shared) {
        if (auto r = sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1); !r) return fail(r.error());
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) < 0) return fail(last_error());
    // Set after an exclusive bind, SO_REUSEPORT lets our own later sockets join the port
    // while a stranger's bind without it, and every bind before ours, still fails.
    if (sharing == PortSharing::exclusive_then_shared) {
        if (auto r = sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1); !r) return fail(r.error());
    }
    return fd;
}

Result<void> register_or_close(EventLoop& loop, int fd) noexcept {
    if (auto r = LoopAccess::register_fd(loop, fd); !r) {
        sys_close(fd);
        return Unexpected(r.error());
    }
    return {};
}

}  // namespace detail

}  // namespace weft
