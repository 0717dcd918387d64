#include "weft/wire/checksum.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <string_view>
#include <vector>

namespace weft::wire {
namespace {

using test_support::hex;

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    auto data = hex("00 01 f2 03 f4 f5 f6 f7");
    EXPECT_EQ(checksum_fold(checksum_add(data)), 0xddf2);
    EXPECT_EQ(internet_checksum(data), 0x220d);
}

TEST(Checksum, OddLengthPadsWithZero) {
    EXPECT_EQ(checksum_fold(checksum_add(hex("01"))), 0x0100);
    EXPECT_EQ(checksum_fold(checksum_add(hex("00 01 f2"))), 0xf201);
    EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(Checksum, ChainedPiecesEqualWhole) {
    auto data = hex("45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7 ab");
    std::uint64_t sum = checksum_add(std::span(data).first(6));
    sum = checksum_add(std::span(data).subspan(6), sum);
    EXPECT_EQ(checksum_fold(sum), checksum_fold(checksum_add(data)));
}

TEST(Checksum, KnownIpv4Header) {
    // A widely quoted header (192.168.0.1 -> 192.168.0.199, UDP) whose checksum is b861.
    auto header = hex("45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7");
    EXPECT_EQ(internet_checksum(header), 0xb861);
    header[10] = std::byte{0xb8};
    header[11] = std::byte{0x61};
    EXPECT_EQ(internet_checksum(header), 0);  // verification: a correct header sums to 0
}

TEST(Checksum, LongBufferMatchesWordByWordSum) {
    std::vector<std::byte> data(4099);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 7 + 3);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2)
        sum += std::uint32_t(data[i]) << 8 | std::uint32_t(data[i + 1]);
    sum += std::uint32_t(data.back()) << 8;
    EXPECT_EQ(checksum_fold(checksum_add(data)), checksum_fold(sum));
}

TEST(Checksum, Rfc1624Example) {
    // RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives HC' 0x0000 with eqn 3
    // (eqn 2 of RFC 1141 would give the wrong 0xffff).
    EXPECT_EQ(checksum_update(0xdd2f, 0x5555, 0x3285), 0x0000);
}

TEST(Checksum, IncrementalUpdateMatchesRecompute) {
    auto header = hex("45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7");
    // Decrement the TTL (64 -> 63) as a router does: word 4 is ttl|protocol.
    const std::uint16_t updated = checksum_update(0xb861, 0x4011, 0x3f11);
    header[8] = std::byte{0x3f};
    header[10] = std::byte{0};
    header[11] = std::byte{0};
    EXPECT_EQ(updated, internet_checksum(header));
}

TEST(Checksum, PseudoHeader) {
    // UDP 10.0.0.1:1024 -> 10.0.0.2:53, 4-byte payload "abcd", checksum field zero.
    auto udp = hex("04 00 00 35 00 0c 00 00 61 62 63 64");
    const Ipv4Address src(10, 0, 0, 1), dst(10, 0, 0, 2);
    const std::uint16_t c = transport_checksum(src, dst, 17, udp);
    // By hand: 0a00+0001+0a00+0002+0011+000c + 0400+0035+000c+0000+6162+6364.
    std::uint32_t sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000c + 0x0400 + 0x0035 +
                        0x000c + 0x6162 + 0x6364;
    EXPECT_EQ(c, static_cast<std::uint16_t>(~checksum_fold(sum)));
    udp[6] = std::byte(c >> 8);
    udp[7] = std::byte(c & 0xff);
    EXPECT_EQ(transport_checksum(src, dst, 17, udp), 0);
}

}  // namespace
}  // namespace weft::wire
