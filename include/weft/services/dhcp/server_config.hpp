#pragma once
// The DHCP server's settings: the subnet it serves from its own interface address, the pool
// it leases from, the options it hands out (RFC 2132: 1 subnet mask, 3 routers, 6 DNS
// servers, 51 lease time, 54 server identifier, 58 T1, 59 T2) and its timers.
//
//   weft::dhcp::ServerConfig c;
//   c.server_address = Ipv4Address(198, 18, 0, 1);
//   c.netmask = Ipv4Address(255, 255, 255, 0);
//   c.range = weft::dhcp::parse_address_range("198.18.0.10-198.18.0.99").value();
//   if (auto ok = weft::dhcp::validate(c); !ok) die(ok.error());   // one line, names the value

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/net/ipv4_address.hpp"

namespace weft::dhcp {

/// An inclusive range of addresses, first <= last once validated.
struct AddressRange {
    Ipv4Address first;  ///< the lowest address, included
    Ipv4Address last;   ///< the highest address, included

    /// Whether `a` is in the range, ends included.
    bool contains(Ipv4Address a) const noexcept { return first <= a && a <= last; }
    /// How many addresses (0 when last < first).
    std::uint64_t size() const noexcept {
        return last < first ? 0 : std::uint64_t{last.to_uint()} - first.to_uint() + 1;
    }
    /// "198.18.0.10-198.18.0.99"
    std::string to_string() const;
    /// Same first and last.
    bool operator==(const AddressRange&) const = default;
};

/// "START-END" (two dotted quads, START <= END). The error is one line naming what is wrong
/// ("range '198.18.0.9-198.18.0.1': START is after END"). Never throws.
Expected<AddressRange, std::string> parse_address_range(std::string_view text);

/// What a DHCP server serves; check it with validate() (ServerEngine::create does) before use.
struct ServerConfig {
    /// The address of the server's interface: its identifier (option 54) and what defines
    /// the subnet together with the netmask.
    Ipv4Address server_address;
    Ipv4Address netmask{255, 255, 255, 0};  ///< option 1
    AddressRange range;                     ///< the pool
    std::vector<Ipv4Address> routers;       ///< option 3 (omitted when empty)
    std::vector<Ipv4Address> dns_servers;   ///< option 6 (omitted when empty)
    std::chrono::seconds lease_time{3600};  ///< option 51
    /// How long an OFFER keeps its address for the client: RFC 2131 section 4.3.1 leaves it to
    /// the server; it must cover the client's retransmissions of its REQUEST (up to ~64 s with
    /// the RFC's backoff is rare; udhcpc and dhclient send within a few seconds).
    std::chrono::seconds offer_reservation{30};
    /// How long a DECLINEd address is put aside (RFC 2131 section 4.3.3 says "mark as not
    /// available" without a duration). 10 minutes, like dnsmasq: long enough for the host that
    /// squats on it to go, short enough that a false alarm does not shrink a small pool for long.
    std::chrono::seconds decline_quarantine{600};

    /// T1 = 0.5 x lease time (option 58), the default of RFC 2131 section 4.4.5.
    std::chrono::seconds renewal_time() const noexcept { return lease_time / 2; }
    /// T2 = 0.875 x lease time (option 59), rounded down to whole seconds, the default of RFC
    /// 2131 section 4.4.5.
    std::chrono::seconds rebinding_time() const noexcept { return lease_time * 7 / 8; }
};

/// Whether `config` can be served, else a one-line reason naming the value: a netmask that is
/// not contiguous or leaves no hosts (/31, /32), a server address that is the network or
/// broadcast address, a range with START after END, outside the server's subnet, holding the
/// network or broadcast address, the server's own address or a router's, and timers out of
/// bounds (lease time 1 s .. 2^32-2 s, since 2^32-1 means "infinite" on the wire; a positive
/// offer reservation).
Expected<void, std::string> validate(const ServerConfig& config);

}  // namespace weft::dhcp
