#pragma once
// The ARP engine: the frames an ARP client sends and the rules that read the answers, with no
// socket (bytes in, bytes and verdicts out). RFC 826 for requests and replies, RFC 5227 for
// probes and announcements (IPv4 address conflict detection).

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"

namespace weft::arp {

/// "Who has `target`? Tell `sender_ip`": a request broadcast from `sender_mac`. A host with no
/// address yet asks with sender_ip 0.0.0.0.
std::vector<std::byte> request_frame(const MacAddress& sender_mac, Ipv4Address sender_ip, Ipv4Address target);

/// An RFC 5227 probe for `candidate`: a request with sender IP 0.0.0.0 (so no neighbour
/// caches the candidate before it is known to be free) and target IP the candidate.
std::vector<std::byte> probe_frame(const MacAddress& mac, Ipv4Address candidate);

/// An RFC 5227 announcement (gratuitous ARP) of `address`: a request with sender and target IP
/// both the address, broadcast, so every neighbour updates its cache.
std::vector<std::byte> announcement_frame(const MacAddress& mac, Ipv4Address address);

/// The MAC that `frame` gives for `target`, if it is the answer to our request: an ARP reply
/// whose sender IP is `target` and whose target MAC is ours (`our_mac`). Anything else (other
/// traffic, someone else's exchange, a malformed frame) is nullopt.
std::optional<MacAddress> reply_from(std::span<const std::byte> frame, Ipv4Address target, const MacAddress& our_mac);

/// RFC 5227 section 2.1.1: while probing for `candidate`, `frame` shows a conflict when it is
/// any ARP packet whose sender IP is the candidate, or a probe for the candidate from another
/// MAC (another host probing for the same address at the same time). Returns that host's MAC.
std::optional<MacAddress> conflict_in(std::span<const std::byte> frame, Ipv4Address candidate,
                                      const MacAddress& our_mac);

}  // namespace weft::arp
