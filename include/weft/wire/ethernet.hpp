#pragma once
// Ethernet II frames (IEEE 802.3 with an EtherType), with an optional 802.1Q VLAN tag and an
// optional frame check sequence (CRC-32).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "weft/net/mac_address.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::size_t kEthernetHeaderSize = 14;   ///< dst, src, type
inline constexpr std::size_t kVlanTagSize = 4;           ///< TPID 0x8100 + TCI
inline constexpr std::size_t kEthernetMinFrameSize = 60; ///< without the FCS
inline constexpr std::size_t kEthernetFcsSize = 4;  ///< the CRC-32 trailer

///@{
/// EtherTypes weft decodes (or recognises, for IPv6).
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
///@}

/// An EtherType as it is written everywhere (Wireshark, IEEE's registry): "0x" and four
/// lowercase hex digits, "0x0800" for IPv4, "0x86dd" for IPv6.
std::string ether_type_to_string(std::uint16_t type);

/// The IEEE 802.3 CRC-32 (reflected polynomial 0xEDB88320, initial and final XOR 0xffffffff):
/// the FCS value of a frame, and zlib's crc32.
std::uint32_t crc32(std::span<const std::byte> bytes) noexcept;

/// Whether the bytes handed to parse() end with a 4-byte FCS (most captures strip it).
enum class Fcs { absent, present };

/// An 802.1Q tag's fields (its TCI).
struct VlanTag {
    std::uint16_t id = 0;   ///< 12 bits
    std::uint8_t pcp = 0;   ///< priority code point, 3 bits
    bool dei = false;       ///< drop eligible indicator
};

/// An Ethernet II frame: addresses, EtherType, optional VLAN tag, payload and FCS.
struct EthernetFrame {
    MacAddress dst;  ///< destination MAC
    MacAddress src;  ///< source MAC
    std::uint16_t type = 0;         ///< the EtherType; with a VLAN tag, the inner one
    std::optional<VlanTag> vlan;    ///< present when the outer type was 0x8100
    std::size_t header_length = 0;  ///< 14, or 18 with a VLAN tag
    std::span<const std::byte> payload;  ///< after the header, before any FCS (padding included)
    std::optional<std::uint32_t> fcs;    ///< the stored FCS when parsed with Fcs::present
    bool fcs_ok = false;                 ///< the stored FCS matches the frame's CRC-32

    /// Decodes the header; the payload is the rest of `bytes` (minus the FCS with
    /// Fcs::present). Errors: truncated header or VLAN tag, too short for an FCS.
    static WireResult<EthernetFrame> parse(std::span<const std::byte> bytes, Fcs fcs = Fcs::absent);

    /// Appends header (with the VLAN tag when `vlan` is set) and payload, zero-padded to
    /// kEthernetMinFrameSize when `pad`, then the computed FCS with Fcs::present.
    void append_to(std::vector<std::byte>& out, bool pad = true, Fcs fcs = Fcs::absent) const;
    /// append_to() into a new vector.
    std::vector<std::byte> build(bool pad = true, Fcs fcs = Fcs::absent) const;
};

}  // namespace weft::wire
