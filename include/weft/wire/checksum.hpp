#pragma once
// The Internet checksum (RFC 1071) and its helpers: the IPv4 pseudo-header that UDP and TCP
// checksums cover, and the incremental update of RFC 1624 for a changed 16-bit field.

#include <cstddef>
#include <cstdint>
#include <span>

#include "weft/net/ipv4_address.hpp"

namespace weft::wire {

/// Whether a builder computes a checksum or writes the one already in the struct (tests use
/// `keep` to produce packets with a wrong checksum on purpose).
enum class ChecksumMode { compute, keep };

/// The one's complement sum of `bytes` as 16-bit big-endian words, added to `sum`, not yet
/// complemented: a wide value equal to that sum modulo 0xffff (checksum_fold() gives the
/// 16-bit sum). Chain calls to cover data in pieces: every piece but the last must
/// have an even length (an odd piece's last byte is padded with a zero, as at the very end).
std::uint64_t checksum_add(std::span<const std::byte> bytes, std::uint64_t sum = 0) noexcept;

/// Folds a wide sum to 16 bits with end-around carry (not complemented).
constexpr std::uint16_t checksum_fold(std::uint64_t sum) noexcept {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

/// The checksum to store in a header: ~fold(sum of bytes). Over data that already holds a
/// correct checksum the result is 0, which is how verification works.
std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept;

/// The sum of the IPv4 pseudo-header (src, dst, zero, protocol, length) of RFC 768 / 793.
std::uint64_t pseudo_header_sum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                std::uint16_t length) noexcept;

/// The UDP/TCP checksum of `segment` (header with its checksum field, plus data) over IPv4:
/// ~fold(pseudo-header + segment). Over a segment with a correct checksum stored it is 0.
std::uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                 std::span<const std::byte> segment) noexcept;

/// RFC 1624 eqn 3: the new checksum HC' = ~(~HC + ~m + m') after one 16-bit word of the
/// covered data changes from `old_word` (m) to `new_word` (m').
constexpr std::uint16_t checksum_update(std::uint16_t old_checksum, std::uint16_t old_word,
                                        std::uint16_t new_word) noexcept {
    std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~old_checksum)} +
                        static_cast<std::uint16_t>(~old_word) + new_word;
    return static_cast<std::uint16_t>(~checksum_fold(sum));
}

}  // namespace weft::wire
