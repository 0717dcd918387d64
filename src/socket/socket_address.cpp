#include "weft/socket/socket_address.hpp"

#include <cstddef>
#include <cstring>

#include <sys/un.h>

namespace weft {

std::string SocketAddress::to_string() const {
    return is_ip() ? endpoint().to_string() : unix_address().to_string();
}

Expected<socklen_t, ParseError> SocketAddress::to_sockaddr(sockaddr_storage& out) const {
    if (is_ip()) return endpoint().to_sockaddr(out);

    const UnixAddress& ua = unix_address();
    std::memset(&out, 0, sizeof out);
    auto* sun = reinterpret_cast<sockaddr_un*>(&out);
    sun->sun_family = AF_UNIX;
    // An abstract name starts with a NUL byte and is not NUL-terminated: its length is
    // carried by addrlen alone. A path needs room for its terminating NUL. Either way one
    // byte of sun_path is not the name's.
    const std::size_t room = sizeof sun->sun_path - 1;
    if (ua.name().size() > room)
        return Unexpected(ParseError{"UNIX socket name '" + ua.to_string() + "' is longer than " +
                                         std::to_string(room) + " bytes", 0});
    if (ua.name().find('\0') != std::string::npos)
        return Unexpected(ParseError{"UNIX socket name contains a NUL byte", ua.name().find('\0')});
    const std::size_t start = ua.is_abstract() ? 1 : 0;
    std::memcpy(sun->sun_path + start, ua.name().data(), ua.name().size());
    std::size_t len = offsetof(sockaddr_un, sun_path) + start + ua.name().size();
    if (!ua.is_abstract() && !ua.name().empty()) ++len;  // the path's NUL
    return static_cast<socklen_t>(len);
}

Expected<SocketAddress, ParseError> SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
    if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t)))
        return UnixAddress();  // the kernel reports an unnamed peer with an empty address
    if (sa->sa_family != AF_UNIX) {
        auto ep = Endpoint::from_sockaddr(sa, len);
        if (!ep) return Unexpected(ep.error());
        return SocketAddress(*ep);
    }
    const auto* sun = reinterpret_cast<const sockaddr_un*>(sa);
    const std::size_t header = offsetof(sockaddr_un, sun_path);
    if (static_cast<std::size_t>(len) <= header) return SocketAddress(UnixAddress());
    std::size_t n = static_cast<std::size_t>(len) - header;
    if (n > sizeof sun->sun_path) n = sizeof sun->sun_path;
    if (sun->sun_path[0] == '\0')  // abstract: every byte after the NUL is the name
        return SocketAddress(UnixAddress::abstract(std::string(sun->sun_path + 1, n - 1)));
    // A path: the kernel may or may not count the terminating NUL in len.
    return SocketAddress(UnixAddress::path(std::string(sun->sun_path, strnlen(sun->sun_path, n))));
}

}  // namespace weft
