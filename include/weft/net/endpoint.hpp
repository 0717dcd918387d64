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

class Endpoint {
public:
    constexpr Endpoint() noexcept = default;
    constexpr Endpoint(IpAddress address, std::uint16_t port) noexcept : address_(address), port_(port) {}

    /// "1.2.3.4:80" or "[::1]:80" (brackets required around IPv6). Ports are decimal 0-65535
    /// without sign or spaces; the error says which part is wrong.
    static Expected<Endpoint, ParseError> parse(std::string_view text);

    constexpr const IpAddress& address() const noexcept { return address_; }
    constexpr std::uint16_t port() const noexcept { return port_; }

    /// "1.2.3.4:80" / "[::1]:80".
    std::string to_string() const;

    /// Fills a sockaddr_in or sockaddr_in6; returns its length.
    socklen_t to_sockaddr(sockaddr_storage& out) const noexcept;
    /// From an AF_INET or AF_INET6 sockaddr; an error for any other family or a short length.
    static Expected<Endpoint, ParseError> from_sockaddr(const sockaddr* sa, socklen_t len);

    constexpr auto operator<=>(const Endpoint&) const noexcept = default;

private:
    IpAddress address_;
    std::uint16_t port_ = 0;
};

/// Parses a port: decimal digits only, 0-65535. Error text: "invalid port '99999': must be 0-65535".
Expected<std::uint16_t, ParseError> parse_port(std::string_view text);

}  // namespace weft
