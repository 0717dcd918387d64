#pragma once
// ARP (RFC 826) for IPv4 over Ethernet: the 28-byte request/reply that maps an IPv4 address
// to a MAC address. Other hardware or protocol types are rejected by parse().

#include <cstddef>
#include <cstdint>
#include <vector>
#include <span>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::size_t kArpPacketSize = 28;  ///< bytes of an ARP packet for IPv4 over Ethernet
///@{
/// The operation field: a request ("who has?") or a reply.
inline constexpr std::uint16_t kArpRequest = 1;
inline constexpr std::uint16_t kArpReply = 2;
///@}

/// An ARP packet for IPv4 over Ethernet: who asks (sender), about whom (target).
struct ArpPacket {
    std::uint16_t operation = kArpRequest;  ///< 1 request, 2 reply (others kept as numbers)
    MacAddress sender_mac;  ///< the asking (or answering) host's MAC
    Ipv4Address sender_ip;  ///< its IPv4 address
    MacAddress target_mac;  ///< zero in a request
    Ipv4Address target_ip;  ///< the address asked about (in a reply: the asker's)

    /// Decodes the first 28 bytes (Ethernet padding after them is ignored). Errors: truncated,
    /// hardware type not 1, protocol type not 0x0800, hlen not 6, plen not 4.
    static WireResult<ArpPacket> parse(std::span<const std::byte> bytes);

    /// "Who has target_ip? Tell sender_ip": target MAC zero.
    static ArpPacket request(const MacAddress& sender_mac, Ipv4Address sender_ip, Ipv4Address target_ip);
    /// The answer to `request` from the host owning its target_ip, whose MAC is `mac`.
    static ArpPacket reply_to(const ArpPacket& request, const MacAddress& mac);

    /// Appends the 28-byte packet (htype 1, ptype 0x0800, hlen 6, plen 4).
    void append_to(std::vector<std::byte>& out) const;
    /// append_to() into a new vector.
    std::vector<std::byte> build() const;
};

}  // namespace weft::wire
