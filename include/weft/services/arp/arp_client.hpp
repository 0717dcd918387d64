#pragma once
// ARP on a live interface: ask who has an address (like arping), probe whether an address is
// free and announce one (RFC 5227, what a DHCP client does before and after it takes a lease).
// The frames and the rules for reading answers are arp_frames.hpp; this runs them on a packet
// socket (AF_PACKET, so it needs CAP_NET_RAW: root).
//
//   auto n = weft::arp::resolve_blocking("veth0", weft::Ipv4Address(198, 18, 0, 2));
//   if (n) std::cout << n->mac.to_string() << " in " << n->rtt.count() << " ns\n";
//   else std::cerr << n.error() << '\n';  // "no ARP reply from 198.18.0.2 on veth0 within 2 s (4 requests)"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"
#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"

namespace weft::arp {

/// How resolve() asks: how long in all, how often, and from which address.
struct ResolveOptions {
    /// The whole wait; the call fails when no reply came within it.
    std::chrono::nanoseconds timeout{std::chrono::seconds(2)};
    /// A new request goes out this long after the previous one while no reply came (requests
    /// and replies are broadcast and unreliable: one lost frame must not cost the answer).
    std::chrono::nanoseconds interval{std::chrono::milliseconds(500)};
    /// The sender IP of the requests; default: the interface's first IPv4 address, or 0.0.0.0
    /// when it has none (which a neighbour answers all the same).
    std::optional<Ipv4Address> sender_ip{};
};

/// A neighbour found.
struct Neighbour {
    Ipv4Address ip;  ///< the address asked about
    MacAddress mac;  ///< the MAC that answered for it
    /// From the request that was answered (the last one sent) to its reply.
    std::chrono::nanoseconds rtt{};
    int requests = 0;  ///< requests sent, the answered one included
};

/// Resolves `target` on `interface`. Errors are one line naming the address and interface:
/// no reply within the timeout, no such interface, no permission (not root).
Task<Expected<Neighbour, std::string>> resolve(EventLoop& loop, std::string interface, Ipv4Address target,
                                               ResolveOptions options = {});
/// The same on a loop of its own, blocking the calling thread.
Expected<Neighbour, std::string> resolve_blocking(std::string_view interface, Ipv4Address target,
                                                  ResolveOptions options = {});

/// RFC 5227 section 2.1.1's timing, in full by default; tests shorten it.
struct ProbeOptions {
    int probes = 3;                                                ///< PROBE_NUM
    std::chrono::nanoseconds interval{std::chrono::seconds(1)};    ///< between probes (PROBE_MIN)
    std::chrono::nanoseconds wait_after{std::chrono::seconds(2)};  ///< ANNOUNCE_WAIT after the last
};

/// Probes whether `candidate` is in use on `interface`: nullopt when no host claimed it during
/// the probes and the wait after them, else the MAC of the host that did.
Task<Expected<std::optional<MacAddress>, std::string>> probe(EventLoop& loop, std::string interface,
                                                             Ipv4Address candidate, ProbeOptions options = {});

/// Announces `address` as this interface's (gratuitous ARP): `count` announcements `interval`
/// apart (RFC 5227: ANNOUNCE_NUM 2, ANNOUNCE_INTERVAL 2 s).
Task<Expected<void, std::string>> announce(EventLoop& loop, std::string interface, Ipv4Address address,
                                           int count = 2,
                                           std::chrono::nanoseconds interval = std::chrono::seconds(2));

}  // namespace weft::arp
