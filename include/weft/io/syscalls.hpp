#pragma once
// detail: the few syscalls io/ makes, as noexcept wrappers returning Result<T>.
// EINTR is retried here so that no caller has to; EAGAIN comes back as an error code that the
// awaitables test with would_block().

#include <cerrno>
#include <cstddef>
#include <system_error>

#include <sys/socket.h>
#include <unistd.h>

#include "weft/expected.hpp"

namespace weft::detail {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

inline bool would_block(const std::error_code& ec) noexcept {
    return ec.category() == std::system_category() && (ec.value() == EAGAIN || ec.value() == EWOULDBLOCK);
}

/// Runs f until it stops failing with EINTR; a negative return becomes the errno code.
template <class F>
inline auto retry_eintr(F f) noexcept -> Result<decltype(f())> {
    for (;;) {
        auto r = f();
        if (r >= 0) return r;
        if (errno != EINTR) return Unexpected(last_error());
    }
}

inline Result<int> sys_socket(int family, int type) noexcept {
    return retry_eintr([&] { return ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); });
}

inline Result<int> sys_accept(int fd, sockaddr_storage* peer, socklen_t* len) noexcept {
    return retry_eintr([&] {
        return ::accept4(fd, reinterpret_cast<sockaddr*>(peer), len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    });
}

inline Result<ssize_t> sys_read(int fd, void* data, std::size_t size) noexcept {
    return retry_eintr([&] { return ::read(fd, data, size); });
}

inline Result<ssize_t> sys_send(int fd, const void* data, std::size_t size) noexcept {
    // MSG_NOSIGNAL: a peer that reset gives EPIPE here, never a process-wide SIGPIPE.
    return retry_eintr([&] { return ::send(fd, data, size, MSG_NOSIGNAL); });
}

inline Result<int> sys_setsockopt_int(int fd, int level, int name, int value) noexcept {
    return retry_eintr([&] { return ::setsockopt(fd, level, name, &value, sizeof value); });
}

/// close() is not retried on EINTR: on Linux the descriptor is gone either way.
inline void sys_close(int fd) noexcept {
    if (fd >= 0) ::close(fd);
}

}  // namespace weft::detail
