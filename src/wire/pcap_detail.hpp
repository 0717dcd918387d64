#pragma once
// Helpers shared by pcap.cpp and pcapng.cpp (private to src/wire).

#include <cstddef>
#include <cstdint>
#include <span>

namespace weft::wire::detail {

/// The pcapng Section Header Block type; a palindrome, so it reads the same in both orders.
inline constexpr std::uint32_t kPcapngSectionHeader = 0x0a0d0d0a;

// Unchecked loads in the file's byte order: every caller has checked `at + size` against the
// span first (these sit in tight loops, and the checks there carry the error messages).
inline std::uint16_t load_u16(std::span<const std::byte> b, std::size_t at, bool big) noexcept {
    const auto x = static_cast<std::uint16_t>(b[at]), y = static_cast<std::uint16_t>(b[at + 1]);
    return static_cast<std::uint16_t>(big ? (x << 8 | y) : (y << 8 | x));
}

inline std::uint32_t load_u32(std::span<const std::byte> b, std::size_t at, bool big) noexcept {
    const std::uint32_t hi = load_u16(b, at, big), lo = load_u16(b, at + 2, big);
    return big ? (hi << 16 | lo) : (lo << 16 | hi);
}

inline std::uint64_t load_u64(std::span<const std::byte> b, std::size_t at, bool big) noexcept {
    const std::uint64_t hi = load_u32(b, at, big), lo = load_u32(b, at + 4, big);
    return big ? (hi << 32 | lo) : (lo << 32 | hi);
}

}  // namespace weft::wire::detail
