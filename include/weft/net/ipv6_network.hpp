#pragma once
// Ipv6Network: an IPv6 address with a prefix length (RFC 4291 section 2.3), "2001:db8::/32".

#include <compare>
#include <string>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/net/ipv6_address.hpp"

namespace weft {

/// An IPv6 address and a prefix length: its network and netmask, and what it contains.
class Ipv6Network {
public:
    /// ::/128.
    constexpr Ipv6Network() noexcept = default;
    /// `prefix` above 128 is taken as 128. A zone on `address` is dropped: a prefix names
    /// addresses, not an interface.
    constexpr Ipv6Network(const Ipv6Address& address, unsigned prefix) noexcept
        : address_(address.to_bytes()), prefix_(prefix > 128 ? 128 : prefix) {}

    /// "2001:db8::1/64", or a bare address meaning /128. The address keeps its host bits.
    /// A zone ("%eth0"), a prefix over 128 or one that is not decimal digits is an error
    /// naming the bad part. Never throws.
    static Expected<Ipv6Network, ParseError> parse(std::string_view text);

    /// The address as given, host bits kept.
    constexpr const Ipv6Address& address() const noexcept { return address_; }
    /// The prefix length, 0-128.
    constexpr unsigned prefix() const noexcept { return prefix_; }
    /// ffff:ffff:ffff:ffff:: for /64.
    Ipv6Address netmask() const noexcept;
    /// The address with the bits after the prefix cleared.
    Ipv6Address network() const noexcept;

    /// Compares the first prefix() bits; the zone of `address` is ignored.
    bool contains(const Ipv6Address& address) const noexcept;
    /// True when `other` lies wholly inside this network (an equal network included).
    bool contains(const Ipv6Network& other) const noexcept;

    /// The network in RFC 5952 form with its prefix: "2001:db8::/64".
    std::string to_string() const;
    /// The address as given with the prefix: "2001:db8::1/64".
    std::string to_string_with_address() const;

    /// Address as given, then prefix.
    constexpr auto operator<=>(const Ipv6Network&) const noexcept = default;

private:
    Ipv6Address address_;
    unsigned prefix_ = 128;
};

}  // namespace weft
