#include "weft/net/endpoint.hpp"

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "text_detail.hpp"

namespace weft {

Expected<std::uint16_t, ParseError> parse_port(std::string_view text) {
    const std::string what = "invalid port " + detail::quoted(text);
    if (text.empty()) return Unexpected(ParseError{what + ": empty", 0});
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        // No sign, no spaces, no hex: strtoul would take " +0x50" and that hides typos.
        if (!detail::is_digit(c)) {
            return Unexpected(ParseError{what + ": " + detail::quoted(std::string_view(&c, 1)) +
                                             " is not a decimal digit (must be 0-65535)",
                                         i});
        }
        // Saturate rather than overflow on a long run of digits; the range check follows.
        if (value <= 65535) value = value * 10 + std::uint32_t(c - '0');
    }
    if (value > 65535) return Unexpected(ParseError{what + ": must be 0-65535", 0});
    return std::uint16_t(value);
}

Endpoint::Endpoint(std::string_view ip_literal, std::uint16_t port) : port_(port) {
    auto address = IpAddress::parse(ip_literal);
    // The one throwing door of net/: a literal in the source that does not parse is a
    // programming error, like a bad std::bitset string.
    if (!address) throw std::invalid_argument(address.error().message);
    address_ = *address;
}

Expected<Endpoint, ParseError> Endpoint::parse(std::string_view text) {
    const std::string what = "invalid endpoint " + detail::quoted(text);
    auto fail = [&](std::string reason, std::size_t offset) {
        return Unexpected(ParseError{what + ": " + std::move(reason), offset});
    };
    if (text.empty()) return fail("empty", 0);

    IpAddress address;
    std::size_t port_start = 0;
    if (text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return fail("'[' without a closing ']'", 0);
        auto v6 = Ipv6Address::parse(text.substr(1, close - 1));
        if (!v6) return Unexpected(detail::wrap(what, v6.error(), 1));
        address = *v6;
        if (close + 1 == text.size()) return fail("missing ':port' after ']'", close + 1);
        if (text[close + 1] != ':') {
            return fail("expected ':' after ']', found " + detail::quoted(text.substr(close + 1, 1)), close + 1);
        }
        port_start = close + 2;
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail("missing ':port'", text.size());
        // "::1:80" could be ::1 port 80 or ::0.1:80; brackets are how RFC 3986 settles it.
        if (text.find(':') != colon) return fail("an IPv6 address needs brackets, as in '[::1]:80'", 0);
        auto v4 = Ipv4Address::parse(text.substr(0, colon));
        if (!v4) return Unexpected(detail::wrap(what, v4.error(), 0));
        address = *v4;
        port_start = colon + 1;
    }
    auto port = parse_port(text.substr(port_start));
    if (!port) return Unexpected(detail::wrap(what, port.error(), port_start));
    return Endpoint(address, *port);
}

std::string Endpoint::to_string() const {
    // Built by appending: g++ 12 at -O3 raises a false -Wrestrict on "[" + std::string
    // (GCC bug 105329).
    std::string text;
    if (address_.is_v6()) text += '[';
    text += address_.to_string();
    if (address_.is_v6()) text += ']';
    text += ':';
    text += std::to_string(port_);
    return text;
}

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out) const noexcept {
    std::memset(&out, 0, sizeof out);
    if (address_.is_v4()) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port_);
        sin.sin_addr.s_addr = htonl(address_.v4().to_uint());
        std::memcpy(&out, &sin, sizeof sin);
        return sizeof sin;
    }
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port_);
    const Ipv6Address v6 = address_.v6();
    std::memcpy(sin6.sin6_addr.s6_addr, v6.to_bytes().data(), v6.to_bytes().size());
    sin6.sin6_scope_id = v6.scope_id();
    std::memcpy(&out, &sin6, sizeof sin6);
    return sizeof sin6;
}

Expected<Endpoint, ParseError> Endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) {
    if (sa == nullptr) return Unexpected(ParseError{"sockaddr: null pointer", 0});
    if (len < socklen_t(sizeof(sa_family_t))) {
        return Unexpected(ParseError{"sockaddr: length " + std::to_string(len) + " is too short for a family", 0});
    }
    // Copy out rather than cast: the caller's buffer need not be aligned for sockaddr_in6.
    sa_family_t family = 0;
    std::memcpy(&family, reinterpret_cast<const char*>(sa) + offsetof(sockaddr, sa_family), sizeof family);
    if (family == AF_INET) {
        if (len < socklen_t(sizeof(sockaddr_in))) {
            return Unexpected(ParseError{"sockaddr_in: length " + std::to_string(len) + ", need " +
                                             std::to_string(sizeof(sockaddr_in)),
                                         0});
        }
        sockaddr_in sin;
        std::memcpy(&sin, sa, sizeof sin);
        return Endpoint(Ipv4Address(ntohl(sin.sin_addr.s_addr)), ntohs(sin.sin_port));
    }
    if (family == AF_INET6) {
        if (len < socklen_t(sizeof(sockaddr_in6))) {
            return Unexpected(ParseError{"sockaddr_in6: length " + std::to_string(len) + ", need " +
                                             std::to_string(sizeof(sockaddr_in6)),
                                         0});
        }
        sockaddr_in6 sin6;
        std::memcpy(&sin6, sa, sizeof sin6);
        Ipv6Address::Bytes bytes{};
        std::memcpy(bytes.data(), sin6.sin6_addr.s6_addr, bytes.size());
        return Endpoint(Ipv6Address(bytes, sin6.sin6_scope_id), ntohs(sin6.sin6_port));
    }
    return Unexpected(ParseError{"sockaddr: family " + std::to_string(family) +
                                     " is not AF_INET or AF_INET6",
                                 0});
}

}  // namespace weft
