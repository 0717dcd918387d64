#pragma once
// Ipv6Address: a 128-bit IPv6 address (RFC 4291) with an optional zone (scope) id.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/net/ipv4_address.hpp"

namespace weft {

/// An IPv6 address: 16 bytes and the zone (interface index) a link-local address needs.
class Ipv6Address {
public:
    using Bytes = std::array<std::uint8_t, 16>;  ///< The address in network byte order.

    /// ::, zone 0.
    constexpr Ipv6Address() noexcept = default;
    /// From the bytes in network order and a zone (interface index, 0 for none).
    constexpr explicit Ipv6Address(const Bytes& bytes, std::uint32_t scope_id = 0) noexcept
        : bytes_(bytes), scope_id_(scope_id) {}

    /// Every RFC 4291 section 2.2 text form: full, "::"-compressed, embedded IPv4
    /// ("\::ffff:192.0.2.1"), and a zone suffix ("fe80::1%eth0" or "fe80::1%2"). A named zone
    /// is resolved with if_nametoindex; an unknown name is an error, a numeric one is taken
    /// as is. Rejected, with the group named and its offset: a second "::", more than 8
    /// groups, a group of more than 4 hex digits, IPv4 anywhere but the last 32 bits, a stray
    /// ':', empty text. Never throws.
    static Expected<Ipv6Address, ParseError> parse(std::string_view text);

    /// :: (in6addr_any: bind to every interface).
    static constexpr Ipv6Address any() noexcept { return Ipv6Address(); }
    /// ::1.
    static constexpr Ipv6Address loopback() noexcept {
        return Ipv6Address(Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    }
    /// The IPv4-mapped form \::ffff:a.b.c.d (RFC 4291 section 2.5.5.2).
    static Ipv6Address v4_mapped(Ipv4Address v4) noexcept;

    /// The 16 bytes in network order.
    constexpr const Bytes& to_bytes() const& noexcept { return bytes_; }
    /// On a temporary (ip.v6().to_bytes()) a copy: a reference would dangle at the semicolon.
    constexpr Bytes to_bytes() const&& noexcept { return bytes_; }
    /// The zone: an interface index, 0 for none (sin6_scope_id).
    constexpr std::uint32_t scope_id() const noexcept { return scope_id_; }

    /// RFC 5952 canonical text: lower case, no leading zeros, the longest run of two or more
    /// zero groups compressed (the first on a tie; a lone zero group stays "0"), IPv4-mapped
    /// addresses as \::ffff:a.b.c.d, and the zone appended as "%name" when if_indextoname
    /// knows the index, else "%index".
    std::string to_string() const;

    /// ::.
    bool is_unspecified() const noexcept;
    /// ::1.
    bool is_loopback() const noexcept;
    /// ff00::/8.
    bool is_multicast() const noexcept { return bytes_[0] == 0xff; }
    /// fe80::/10.
    bool is_link_local() const noexcept { return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80; }
    /// \::ffff:0:0/96, an IPv4 address in IPv6 form.
    bool is_v4_mapped() const noexcept;
    /// The IPv4 address inside an IPv4-mapped address; precondition is_v4_mapped().
    Ipv4Address to_v4() const noexcept;

    /// Bytes, then zone.
    constexpr auto operator<=>(const Ipv6Address&) const noexcept = default;

private:
    Bytes bytes_{};
    std::uint32_t scope_id_ = 0;
};

}  // namespace weft
