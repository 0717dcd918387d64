#include "weft/wire/checksum.hpp"

namespace weft::wire {

std::uint64_t checksum_add(std::span<const std::byte> bytes, std::uint64_t sum) noexcept {
    // Sum 32-bit big-endian words into a 64-bit accumulator: since 2^16 = 1 in one's
    // complement arithmetic (mod 2^16 - 1), a 32-bit word adds the same as its two 16-bit
    // halves, so this halves the additions, and 2^32 of them cannot overflow 64 bits.
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    std::size_t n = bytes.size();
    while (n >= 4) {
        sum += std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        sum += std::uint32_t{p[0]} << 8 | p[1];
        p += 2;
        n -= 2;
    }
    // An odd final byte is the high half of a word whose low half is zero (RFC 1071 4.1).
    if (n == 1) sum += std::uint32_t{p[0]} << 8;
    return sum;
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
