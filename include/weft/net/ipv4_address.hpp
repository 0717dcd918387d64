#pragma once
// Ipv4Address: a 32-bit IPv4 address (RFC 791), held in host byte order.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expected.hpp"

namespace weft {

/// An IPv4 address; a 32-bit value with text, byte and classification helpers.
class Ipv4Address {
public:
    /// 0.0.0.0.
    constexpr Ipv4Address() noexcept = default;
    /// From the 32-bit value in host order: Ipv4Address(0x7f000001) is 127.0.0.1.
    constexpr explicit Ipv4Address(std::uint32_t value) noexcept : value_(value) {}
    /// a.b.c.d: Ipv4Address(127, 0, 0, 1).
    constexpr Ipv4Address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept
        : value_(std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d) {}

    /// Strict dotted-decimal: exactly four decimal parts 0-255, no spaces, no leading zeros
    /// ("01.2.3.4" is rejected: inet_aton would read it as octal). The error names the part.
    static Expected<Ipv4Address, ParseError> parse(std::string_view text);

    /// 0.0.0.0 (INADDR_ANY: bind to every interface).
    static constexpr Ipv4Address any() noexcept { return Ipv4Address(0u); }
    /// 127.0.0.1.
    static constexpr Ipv4Address loopback() noexcept { return Ipv4Address(0x7f000001u); }
    /// 255.255.255.255, the limited broadcast address.
    static constexpr Ipv4Address broadcast() noexcept { return Ipv4Address(0xffffffffu); }

    /// The 32-bit value in host byte order.
    constexpr std::uint32_t to_uint() const noexcept { return value_; }
    /// Network byte order, as it appears in a packet and in sockaddr_in.
    constexpr std::array<std::uint8_t, 4> to_bytes() const noexcept {
        return {std::uint8_t(value_ >> 24), std::uint8_t(value_ >> 16), std::uint8_t(value_ >> 8),
                std::uint8_t(value_)};
    }
    /// From the four bytes in network order, as to_bytes() gives them.
    static constexpr Ipv4Address from_bytes(const std::array<std::uint8_t, 4>& b) noexcept {
        return Ipv4Address(b[0], b[1], b[2], b[3]);
    }

    /// "192.168.1.100"
    std::string to_string() const;
    /// Each octet as 8 binary digits, dot-separated: "01100100.00000100.00000101.00000110".
    std::string to_binary() const;

    /// 0.0.0.0.
    constexpr bool is_unspecified() const noexcept { return value_ == 0; }
    /// 127/8.
    constexpr bool is_loopback() const noexcept { return (value_ >> 24) == 127; }
    /// 224/4 (class D).
    constexpr bool is_multicast() const noexcept { return (value_ >> 28) == 0xe; }
    /// 255.255.255.255 only (a subnet's broadcast address depends on its prefix: Ipv4Network).
    constexpr bool is_broadcast() const noexcept { return value_ == 0xffffffffu; }
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    constexpr bool is_private() const noexcept {
        return (value_ >> 24) == 10 || (value_ >> 20) == 0xac1 || (value_ >> 16) == 0xc0a8;
    }
    /// RFC 3927: 169.254/16.
    constexpr bool is_link_local() const noexcept { return (value_ >> 16) == 0xa9fe; }

    /// By numeric value.
    constexpr auto operator<=>(const Ipv4Address&) const noexcept = default;

private:
    std::uint32_t value_ = 0;
};

}  // namespace weft
