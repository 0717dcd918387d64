#pragma once
// DHCP below the UDP socket layer: a host without an address can neither send from 0.0.0.0
// through an ordinary route nor count on the kernel to deliver a reply to a socket (RFC 2131
// section 4.1 expects the client to take whatever reaches its link), so DHCP speaks through a
// packet socket and builds and reads whole frames: Ethernet, IPv4, UDP, DHCP. These helpers
// are that wrapping, with no socket: bytes in, bytes out.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "weft/net/endpoint.hpp"
#include "weft/net/mac_address.hpp"

namespace weft::dhcp {

/// An Ethernet frame from `src_mac` to `dst_mac` holding an IPv4 UDP datagram from `from` to
/// `to` (IPv4 endpoints) with `payload`; TTL 64 (RFC 2131 leaves it to the IP layer), the IPv4
/// and UDP checksums computed.
std::vector<std::byte> udp_frame(const MacAddress& src_mac, const MacAddress& dst_mac, const Endpoint& from,
                                 const Endpoint& to, std::span<const std::byte> payload);

/// What udp_in() found in a frame.
struct UdpInFrame {
    MacAddress src_mac;  ///< the Ethernet source: the sender's MAC
    Endpoint from;       ///< the IPv4 source address and UDP source port
    Endpoint to;         ///< the IPv4 destination address and UDP destination port
    std::span<const std::byte> payload;  ///< a view into the frame
};

/// The UDP datagram in `frame` when it is an unfragmented IPv4 UDP datagram to `port` with a
/// right IPv4 header checksum; nullopt for anything else. The UDP checksum is not judged (a
/// locally sent datagram may reach a packet socket before offload fills it in).
std::optional<UdpInFrame> udp_in(std::span<const std::byte> frame, std::uint16_t port);

}  // namespace weft::dhcp
