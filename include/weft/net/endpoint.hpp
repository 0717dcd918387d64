#pragma once
// Endpoint: an IP address and a port, the (host, port) pair of Python's socket module.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "weft/expected.hpp"
#include "weft/net/ip_address.hpp"

namespace weft {

/// An IP address and a port: where a socket is bound or connected. A value; compares and
/// orders by address, then port.
class Endpoint {
public:
    /// 0.0.0.0 port 0.
    constexpr Endpoint() noexcept = default;
    /// `address`, `port`.
    constexpr Endpoint(IpAddress address, std::uint16_t port) noexcept : address_(address), port_(port) {}
    /// Python's ('127.0.0.1', 8898): an IP literal (as IpAddress::parse: "::1", "fe80::1%lo";
    /// no brackets, no names) and a port, so that serve_tcp({"127.0.0.1", 9000}, ...) reads
    /// like Socket::bind({"127.0.0.1", 8898}). Bad text throws std::invalid_argument whose
    /// what() is the parser's message ("invalid IPv4 address '1.2.3.256': ..."); code that
    /// takes text from outside should call IpAddress::parse or Endpoint::parse, which never throw.
    Endpoint(std::string_view ip_literal, std::uint16_t port);
    /// The same from a C string (so that `{"127.0.0.1", 8898}` picks this one); throws likewise.
    Endpoint(const char* ip_literal, std::uint16_t port) : Endpoint(std::string_view(ip_literal), port) {}

    /// "1.2.3.4:80", "[::1]:80" or "[fe80::1%lo]:80" (brackets required around IPv6). Ports
    /// as parse_port. The error starts "invalid endpoint '<text>': " and goes on with the
    /// address or port error; its offset points into `text`. Never throws.
    static Expected<Endpoint, ParseError> parse(std::string_view text);

    /// The IP address.
    constexpr const IpAddress& address() const noexcept { return address_; }
    /// The port, in host byte order.
    constexpr std::uint16_t port() const noexcept { return port_; }

    /// "1.2.3.4:80" / "[::1]:80".
    std::string to_string() const;

    /// Fills a sockaddr_in or sockaddr_in6 (the zone in sin6_scope_id); returns its length.
    socklen_t to_sockaddr(sockaddr_storage& out) const noexcept;
    /// From an AF_INET or AF_INET6 sockaddr; an error for any other family or a short length.
    static Expected<Endpoint, ParseError> from_sockaddr(const sockaddr* sa, socklen_t len);

    /// Address, then port.
    constexpr auto operator<=>(const Endpoint&) const noexcept = default;

private:
    IpAddress address_;
    std::uint16_t port_ = 0;
};

/// Parses a port: decimal digits only (no sign, no spaces), 0-65535; leading zeros are
/// allowed. Error text: "invalid port '99999': must be 0-65535" when out of range,
/// "invalid port 'x': 'x' is not a decimal digit (must be 0-65535)" otherwise.
Expected<std::uint16_t, ParseError> parse_port(std::string_view text);

}  // namespace weft
