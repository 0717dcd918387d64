#include "weft/wire/checksum.hpp"

#include <bit>
#include <cstring>

namespace weft::wire {

std::uint64_t checksum_add(std::span<const std::byte> bytes, std::uint64_t sum) noexcept {
    // The one's complement sum does not depend on byte order (RFC 1071 section 2(B)): summing
    // the data as native-order words and swapping the folded result gives the big-endian sum.
    // So eight bytes at a time are loaded as they lie, added as two 32-bit halves (a 32-bit
    // word adds the same as its two 16-bit halves since 2^16 = 1 mod 2^16 - 1) into a 64-bit
    // accumulator that 2^32 such additions cannot overflow. Checksums are most of the cost of
    // decoding a full-size TCP segment, so this loop is worth its comment.
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    std::uint64_t native = 0;
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        native += (w & 0xffffffffu) + (w >> 32);
    }
    if (n >= 4) {
        std::uint32_t w;
        std::memcpy(&w, p, 4);
        native += w;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        std::uint16_t w;
        std::memcpy(&w, p, 2);
        native += w;
        p += 2;
        n -= 2;
    }
    // An odd final byte is the high half of a word whose low half is zero (RFC 1071 4.1):
    // in memory order that word is the byte then a zero.
    if (n == 1) {
        const unsigned char last[2] = {p[0], 0};
        std::uint16_t w;
        std::memcpy(&w, last, 2);
        native += w;
    }
    auto folded = static_cast<std::uint16_t>(checksum_fold(native));
    if constexpr (std::endian::native == std::endian::little) folded = static_cast<std::uint16_t>(folded << 8 | folded >> 8);
    return sum + folded;
}

std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept {
    return static_cast<std::uint16_t>(~checksum_fold(checksum_add(bytes)));
}

std::uint64_t pseudo_header_sum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                std::uint16_t length) noexcept {
    // Each address is two 16-bit words; the zero byte and the protocol form one more.
    return std::uint64_t{src.to_uint() >> 16} + (src.to_uint() & 0xffff) + (dst.to_uint() >> 16) +
           (dst.to_uint() & 0xffff) + protocol + length;
}

std::uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                 std::span<const std::byte> segment) noexcept {
    // The pseudo-header length is the segment's own; a caller never passes more than 65535
    // bytes (IPv4 cannot carry more), so the truncation is exact.
    const auto length = static_cast<std::uint16_t>(segment.size());
    const std::uint64_t sum = checksum_add(segment, pseudo_header_sum(src, dst, protocol, length));
    return static_cast<std::uint16_t>(~checksum_fold(sum));
}

}  // namespace weft::wire
