#pragma once
// Ipv4Network: an IPv4 address with a prefix length (CIDR, RFC 4632), the seed's
// "address + subnet mask" pair: which part of 172.16.10.1 names the network, which the host.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/net/ipv4_address.hpp"

namespace weft {

/// An IPv4 address and a prefix length: its network, netmask, broadcast and host range.
class Ipv4Network {
public:
    /// 0.0.0.0/32.
    constexpr Ipv4Network() noexcept = default;
    /// `prefix` above 32 is taken as 32 (a constructor cannot fail; parse() reports it).
    constexpr Ipv4Network(Ipv4Address address, unsigned prefix) noexcept
        : address_(address), prefix_(prefix > 32 ? 32 : prefix) {}

    /// "172.16.10.1/24", "172.16.10.0/255.255.255.0", or a bare address meaning /32. The
    /// address keeps its host bits. A netmask whose one bits are not contiguous, a prefix
    /// over 32 or anything not digits is an error naming the bad part. Never throws.
    static Expected<Ipv4Network, ParseError> parse(std::string_view text);

    /// The address as given, host bits kept (172.16.10.1 for "172.16.10.1/24").
    constexpr Ipv4Address address() const noexcept { return address_; }
    /// The prefix length, 0-32.
    constexpr unsigned prefix() const noexcept { return prefix_; }
    /// 255.255.255.0 for /24.
    Ipv4Address netmask() const noexcept;
    /// The complement of the netmask (0.0.0.255 for /24), Cisco's "wildcard".
    Ipv4Address hostmask() const noexcept;
    /// The address with its host bits cleared: address AND netmask.
    Ipv4Address network() const noexcept;
    /// All host bits set; none for /31 (RFC 3021 point-to-point) and /32.
    std::optional<Ipv4Address> broadcast() const noexcept;
    ///@{
    /// The usable range: network+1 .. broadcast-1, or both addresses of a /31, or the one
    /// address of a /32.
    Ipv4Address first_host() const noexcept;
    Ipv4Address last_host() const noexcept;
    ///@}
    /// 2^(32-prefix) - 2; a /31 has 2 hosts (RFC 3021) and a /32 has 1.
    std::uint64_t host_count() const noexcept;

    /// True when `address` AND the netmask is this network.
    bool contains(Ipv4Address address) const noexcept;
    /// True when `other` lies wholly inside this network (an equal network included).
    bool contains(const Ipv4Network& other) const noexcept;

    /// The network in CIDR form: "172.16.10.0/24".
    std::string to_string() const;
    /// The address as given in CIDR form: "172.16.10.1/24".
    std::string to_string_with_address() const;

    /// Address as given, then prefix.
    constexpr auto operator<=>(const Ipv4Network&) const noexcept = default;

private:
    Ipv4Address address_;
    unsigned prefix_ = 32;
};

/// The seed's test: a and b are on one subnet when (a AND mask) == (b AND mask). Any mask is
/// applied as given, contiguous or not.
bool same_subnet(Ipv4Address a, Ipv4Address b, Ipv4Address mask) noexcept;

/// 24 for 255.255.255.0; an error when the one bits are not contiguous from the top
/// ("invalid netmask '255.0.255.0': ..."), offset 0.
Expected<unsigned, ParseError> prefix_from_netmask(Ipv4Address mask);

/// 255.255.255.0 for 24; a prefix above 32 is taken as 32.
Ipv4Address netmask_from_prefix(unsigned prefix) noexcept;

}  // namespace weft
