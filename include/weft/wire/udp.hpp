#pragma once
// UDP (RFC 768) over IPv4: the 8-byte header, its length field, and the checksum over the
// IPv4 pseudo-header.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/wire/checksum.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::size_t kUdpHeaderSize = 8;  ///< ports, length, checksum

/// A UDP datagram: ports, length, checksum and data.
struct UdpDatagram {
    std::uint16_t src_port = 0;  ///< the sender's port
    std::uint16_t dst_port = 0;  ///< the receiver's port
    std::uint16_t length = 0;            ///< as parsed (header + data); build() computes it
    std::uint16_t checksum = 0;          ///< as stored; 0 means "not computed"
    std::span<const std::byte> payload;  ///< the data, bounded by `length`
    std::span<const std::byte> bytes;    ///< the whole datagram as parsed (what the checksum covers)

    /// Decodes the header; the datagram is the first `length` bytes (anything after is ignored).
    /// Errors: truncated header, length below 8, length past the available bytes.
    static WireResult<UdpDatagram> parse(std::span<const std::byte> bytes);

    /// Verifies a parsed datagram against the IPv4 pseudo-header; a checksum of 0 means the
    /// sender computed none, which is acceptable over IPv4, so it is true.
    bool checksum_ok(Ipv4Address src, Ipv4Address dst) const noexcept;

    /// Appends header and payload with the length computed and the checksum computed over the
    /// pseudo-header (a computed 0 is sent as 0xffff) unless ChecksumMode::keep. Throws
    /// std::length_error when the datagram would exceed 65535 bytes.
    void append_to(std::vector<std::byte>& out, Ipv4Address src, Ipv4Address dst,
                   ChecksumMode mode = ChecksumMode::compute) const;
    /// append_to() into a new vector.
    std::vector<std::byte> build(Ipv4Address src, Ipv4Address dst, ChecksumMode mode = ChecksumMode::compute) const;
};

}  // namespace weft::wire
