#pragma once
// ICMP for IPv4 (RFC 792, RFC 1191): echo request/reply, destination unreachable (with the
// next-hop MTU of "fragmentation needed"), time exceeded, and any other type kept raw.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "weft/wire/checksum.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::size_t kIcmpHeaderSize = 8;  ///< type, code, checksum and 4 type-specific bytes

///@{
/// Message types weft builds and names.
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestinationUnreachable = 3;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
///@}

///@{
/// Destination unreachable codes.
inline constexpr std::uint8_t kIcmpNetUnreachable = 0;
inline constexpr std::uint8_t kIcmpHostUnreachable = 1;
inline constexpr std::uint8_t kIcmpProtocolUnreachable = 2;
inline constexpr std::uint8_t kIcmpPortUnreachable = 3;
inline constexpr std::uint8_t kIcmpFragmentationNeeded = 4;  ///< carries the next-hop MTU
///@}
///@{
/// Time exceeded codes: TTL reached 0 in transit, or fragments not reassembled in time.
inline constexpr std::uint8_t kIcmpTtlExceeded = 0;
inline constexpr std::uint8_t kIcmpReassemblyTimeExceeded = 1;
///@}

/// An ICMP message: type, code, checksum, the 4 type-specific bytes and the payload.
struct IcmpMessage {
    std::uint8_t type = kIcmpEchoRequest;  ///< kIcmpEchoRequest, kIcmpDestinationUnreachable, ...
    std::uint8_t code = 0;  ///< the type's code (kIcmpPortUnreachable, ...)
    std::uint16_t checksum = 0;       ///< as stored; build() computes it unless told to keep
    bool checksum_ok = false;         ///< set by parse(): the message sums to zero
    std::uint32_t rest = 0;           ///< bytes 4-7: id/seq, next-hop MTU, or unused
    std::span<const std::byte> payload;  ///< after the 8-byte header (echo data, or the quote)

    ///@{
    /// Echo request/reply identifier and sequence number (the two halves of `rest`).
    constexpr std::uint16_t id() const noexcept { return static_cast<std::uint16_t>(rest >> 16); }
    constexpr std::uint16_t seq() const noexcept { return static_cast<std::uint16_t>(rest); }
    ///@}
    /// RFC 1191: the MTU of the next hop in "fragmentation needed" (0 from old routers).
    constexpr std::uint16_t next_hop_mtu() const noexcept { return static_cast<std::uint16_t>(rest); }
    /// An echo request or reply.
    constexpr bool is_echo() const noexcept { return type == kIcmpEchoRequest || type == kIcmpEchoReply; }

    /// Decodes a message that is all of `bytes` (the IPv4 payload: the checksum covers it
    /// whole). Errors: shorter than the 8-byte header.
    static WireResult<IcmpMessage> parse(std::span<const std::byte> bytes);

    /// An echo request (ping) with `id`, `seq` and `data` as its payload.
    static IcmpMessage echo_request(std::uint16_t id, std::uint16_t seq, std::span<const std::byte> data);
    /// The reply to `request`: same id, seq and data.
    static IcmpMessage echo_reply_to(const IcmpMessage& request);
    /// `quote` is the start of the offending datagram (see icmp_quote()).
    static IcmpMessage destination_unreachable(std::uint8_t code, std::span<const std::byte> quote,
                                               std::uint16_t next_hop_mtu = 0);
    /// Time exceeded (kIcmpTtlExceeded or kIcmpReassemblyTimeExceeded) quoting `quote`.
    static IcmpMessage time_exceeded(std::uint8_t code, std::span<const std::byte> quote);

    /// Appends header and payload; the checksum covers both.
    void append_to(std::vector<std::byte>& out, ChecksumMode mode = ChecksumMode::compute) const;
    /// append_to() into a new vector.
    std::vector<std::byte> build(ChecksumMode mode = ChecksumMode::compute) const;
};

/// What an ICMP error quotes of an offending datagram (RFC 792): its IPv4 header and the first
/// 8 bytes of its payload, or all of it when shorter. Never reads past `datagram`.
std::span<const std::byte> icmp_quote(std::span<const std::byte> datagram) noexcept;

}  // namespace weft::wire
