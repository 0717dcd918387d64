#pragma once
// SipHash-1-3 (Aumasson and Bernstein; the variant Rust and Python use for their hash
// tables): a hash keyed with a secret, so that nobody who sends us names can choose ones that
// collide. std::hash is unkeyed in libstdc++: names that collide in an open-addressing table
// can be computed offline and sent, turning every lookup into a long probe.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace weft::dns::detail {

struct HashKey {
    std::uint64_t k0 = 0, k1 = 0;
    /// 128 random bits from the kernel (getrandom).
    static HashKey random() noexcept;
};

inline std::uint64_t siphash13(const HashKey& key, std::string_view data) noexcept {
    auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
    std::uint64_t v0 = key.k0 ^ 0x736f6d6570736575ULL, v1 = key.k1 ^ 0x646f72616e646f6dULL;
    std::uint64_t v2 = key.k0 ^ 0x6c7967656e657261ULL, v3 = key.k1 ^ 0x7465646279746573ULL;
    auto round = [&] {
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    };
    const std::size_t whole = data.size() & ~std::size_t{7};
    for (std::size_t i = 0; i < whole; i += 8) {
        std::uint64_t m = 0;
        for (int b = 0; b < 8; ++b) m |= std::uint64_t(static_cast<unsigned char>(data[i + b])) << (8 * b);
        v3 ^= m;
        round();
        v0 ^= m;
    }
    std::uint64_t last = std::uint64_t(data.size() & 0xff) << 56;
    for (std::size_t b = 0; b < data.size() - whole; ++b)
        last |= std::uint64_t(static_cast<unsigned char>(data[whole + b])) << (8 * b);
    v3 ^= last;
    round();
    v0 ^= last;
    v2 ^= 0xff;
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace weft::dns::detail
