#include "weft/wire/udp.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::wire {
namespace {

using test_support::hex;

const Ipv4Address kSrc(192, 0, 2, 1);
const Ipv4Address kDst(192, 0, 2, 2);
// 192.0.2.1:53 -> 192.0.2.2:33000 "hello"; checksum b6e0 computed by Python.
const std::string kHello = "00 35 80 e8 00 0d b6 e0 68 65 6c 6c 6f";

TEST(Udp, Parses) {
    auto bytes = hex(kHello + " 00 00");  // trailing bytes past `length` are ignored
    auto d = UdpDatagram::parse(bytes);
    ASSERT_TRUE(d) << d.error().to_string();
    EXPECT_EQ(d->src_port, 53);
    EXPECT_EQ(d->dst_port, 33000);
    EXPECT_EQ(d->length, 13);
    EXPECT_EQ(d->checksum, 0xb6e0);
    EXPECT_EQ(d->payload.size(), 5u);
    EXPECT_EQ(d->payload.data(), bytes.data() + 8);
    EXPECT_EQ(d->bytes.size(), 13u);
    EXPECT_TRUE(d->checksum_ok(kSrc, kDst));
    EXPECT_FALSE(d->checksum_ok(kSrc, Ipv4Address(192, 0, 2, 3)));
}

TEST(Udp, ZeroChecksumMeansNone) {
    auto bytes = hex(kHello);
    bytes[6] = bytes[7] = std::byte{0};
    auto d = UdpDatagram::parse(bytes);
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->checksum_ok(kSrc, kDst));
    bytes[7] = std::byte{1};
    d = UdpDatagram::parse(bytes);
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->checksum_ok(kSrc, kDst));
}

TEST(Udp, Malformed) {
    struct Case {
        std::string bytes;
        std::string reason;
        std::size_t offset;
    };
    const Case cases[] = {
        {"00 35 80 e8 00", "truncated header: need 8 bytes, have 5", 0},
        {"00 35 80 e8 00 07 00 00", "length 7 is less than the 8-byte header", 4},
        {"00 35 80 e8 00 00 00 00", "length 0 is less than the 8-byte header", 4},
        {"00 35 80 e8 00 0e b6 e0 68 65 6c 6c 6f", "truncated datagram: length 14, have 13", 4},
    };
    for (const auto& c : cases) {
        auto bytes = hex(c.bytes);
        auto d = UdpDatagram::parse(bytes);
        ASSERT_FALSE(d) << c.bytes;
        EXPECT_STREQ(d.error().layer, "udp");
        EXPECT_EQ(d.error().reason, c.reason);
        EXPECT_EQ(d.error().offset, c.offset);
    }
}

TEST(Udp, BuildRoundTrip) {
    auto payload = hex("68 65 6c 6c 6f");
    UdpDatagram d;
    d.src_port = 53;
    d.dst_port = 33000;
    d.payload = payload;
    EXPECT_EQ(d.build(kSrc, kDst), hex(kHello));
    d.checksum = 0;
    auto none = d.build(kSrc, kDst, ChecksumMode::keep);
    EXPECT_EQ(none[6], std::byte{0});
    EXPECT_EQ(none[7], std::byte{0});
}

TEST(Udp, ComputedZeroIsSentAsFfff) {
    // Payload 70 1e makes the checksum come out 0 for these ports and addresses (found by
    // search in Python); it must go on the wire as ffff, which still verifies.
    auto payload = hex("70 1e");
    UdpDatagram d;
    d.src_port = 1000;
    d.dst_port = 2000;
    d.payload = payload;
    auto bytes = d.build(kSrc, kDst);
    EXPECT_EQ(bytes[6], std::byte{0xff});
    EXPECT_EQ(bytes[7], std::byte{0xff});
    auto back = UdpDatagram::parse(bytes);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->checksum_ok(kSrc, kDst));
}

TEST(Udp, BuildRejectsOversize) {
    std::vector<std::byte> big(65528);
    UdpDatagram d;
    d.payload = big;
    EXPECT_THROW((void)d.build(kSrc, kDst), std::length_error);
}

}  // namespace
}  // namespace weft::wire
