#pragma once
// IPv4 headers (RFC 791): fixed part, options, flags and fragment offset. Fragmentation and
// reassembly live in ipv4_fragment.hpp.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/wire/checksum.hpp"
#include "weft/wire/inline_list.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::size_t kIpv4MinHeaderSize = 20;  ///< no options
inline constexpr std::size_t kIpv4MaxHeaderSize = 60;      ///< IHL is 4 bits of 32-bit words
inline constexpr std::size_t kIpv4MaxDatagramSize = 65535; ///< total length is 16 bits

///@{
/// Protocol numbers of the protocol field (IANA).
inline constexpr std::uint8_t kIpProtocolIcmp = 1;
inline constexpr std::uint8_t kIpProtocolTcp = 6;
inline constexpr std::uint8_t kIpProtocolUdp = 17;
///@}

inline constexpr std::uint8_t kIpv4OptionEnd = 0;  ///< EOL: one byte, ends the list
inline constexpr std::uint8_t kIpv4OptionNop = 1;  ///< one byte

/// One option. EOL and NOP have length 1 and no data; others carry type, length, data.
struct Ipv4Option {
    std::uint8_t type = 0;  ///< the option type byte: copied flag, class and number
    std::uint8_t length = 1;            ///< as stored; build() recomputes it from data
    std::span<const std::byte> data;    ///< the bytes after type and length
    /// Bit 7 of the type: fragmentation copies this option into every fragment.
    constexpr bool copied() const noexcept { return (type & 0x80) != 0; }
};

/// 40 option bytes hold at most 40 options (one-byte NOPs): the cap of Ipv4Packet::options.
inline constexpr std::size_t kIpv4MaxOptions = kIpv4MaxHeaderSize - kIpv4MinHeaderSize;
/// The options of one header, in order, stored inline: parsing never allocates.
using Ipv4Options = InlineList<Ipv4Option, kIpv4MaxOptions>;

/// An IPv4 packet: header fields, options and payload.
struct Ipv4Packet {
    std::uint8_t tos = 0;               ///< DSCP (6 bits) and ECN (2 bits)
    std::uint16_t total_length = 0;     ///< as parsed; build() computes it
    std::uint16_t identification = 0;  ///< groups the fragments of one datagram
    bool reserved_flag = false;         ///< the must-be-zero flag bit, kept as seen
    bool dont_fragment = false;  ///< DF: routers must not fragment it
    bool more_fragments = false;  ///< MF: more fragments follow this one
    std::uint16_t fragment_offset = 0;  ///< in bytes (the field times 8)
    std::uint8_t ttl = 64;  ///< time to live: hops left
    std::uint8_t protocol = 0;  ///< the payload's protocol: kIpProtocolTcp, kIpProtocolUdp, ...
    std::uint16_t checksum = 0;         ///< as stored; build() computes it unless told to keep
    bool checksum_ok = false;           ///< set by parse(): the header sums to zero
    Ipv4Address src;  ///< source address
    Ipv4Address dst;  ///< destination address
    Ipv4Options options;                ///< in order, EOL included; padding after EOL is not
    std::size_t header_length = 0;      ///< IHL * 4, as parsed
    std::span<const std::byte> header;  ///< the raw header bytes, as parsed
    std::span<const std::byte> payload; ///< after the header up to total_length

    /// Decodes header and options; the datagram ends at total_length (Ethernet padding after
    /// it is ignored). Errors: truncated, version not 4, IHL < 5, header or total length past
    /// the span, total length below the header length, malformed options. A bad checksum is
    /// not an error: see checksum_ok.
    static WireResult<Ipv4Packet> parse(std::span<const std::byte> bytes);

    /// MF set or a non-zero offset: one piece of a larger datagram.
    bool is_fragment() const noexcept { return more_fragments || fragment_offset != 0; }
    /// The length build() gives the header: 20 + options padded to 4 bytes.
    std::size_t built_header_length() const noexcept;

    /// Appends header and payload, computing header and total length (and the checksum unless
    /// ChecksumMode::keep). Throws std::length_error for options over 40 bytes or a datagram
    /// over 65535, std::invalid_argument for a fragment offset not a multiple of 8.
    void append_to(std::vector<std::byte>& out, ChecksumMode mode = ChecksumMode::compute) const;
    /// append_to() into a new vector.
    std::vector<std::byte> build(ChecksumMode mode = ChecksumMode::compute) const;
};

}  // namespace weft::wire
