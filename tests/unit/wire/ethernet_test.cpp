#include "weft/wire/ethernet.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace weft::wire {
namespace {

using test_support::hex;

// A broadcast ARP request 10.0.0.1 -> who has 10.0.0.2, padded to 60 bytes.
const std::string kArpFrame =
    "ff ff ff ff ff ff 02 00 00 00 00 01 08 06"
    "00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02"
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

TEST(Crc32, CheckValue) {
    // The standard CRC-32 check value over the ASCII digits "123456789".
    std::string digits = "123456789";
    EXPECT_EQ(crc32(std::as_bytes(std::span(digits))), 0xcbf43926u);
    EXPECT_EQ(crc32({}), 0u);
}

TEST(Crc32, OddLengthsMatchBytewise) {
    // The slicing path (4 bytes at a time) and the tail path must agree at every length.
    std::string text = "The quick brown fox jumps over the lazy dog";
    EXPECT_EQ(crc32(std::as_bytes(std::span(text))), 0x414fa339u);
    for (std::size_t n = 0; n <= text.size(); ++n) {
        std::uint32_t c = 0xffffffffu;  // the bit-at-a-time definition
        for (std::size_t i = 0; i < n; ++i) {
            c ^= static_cast<unsigned char>(text[i]);
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        EXPECT_EQ(crc32(std::as_bytes(std::span(text).first(n))), ~c) << n;
    }
}

TEST(Ethernet, ParsesArpFrame) {
    auto bytes = hex(kArpFrame);
    auto f = EthernetFrame::parse(bytes);
    ASSERT_TRUE(f) << f.error().to_string();
    EXPECT_TRUE(f->dst.is_broadcast());
    EXPECT_EQ(f->src, MacAddress({0x02, 0, 0, 0, 0, 0x01}));
    EXPECT_EQ(f->type, kEtherTypeArp);
    EXPECT_FALSE(f->vlan);
    EXPECT_EQ(f->header_length, 14u);
    EXPECT_EQ(f->payload.size(), 46u);
    EXPECT_EQ(f->payload.data(), bytes.data() + 14);  // a view, not a copy
    EXPECT_FALSE(f->fcs);
}

TEST(Ethernet, ParsesVlanTag) {
    // TCI 0xa07b: PCP 5, DEI 0, VID 123; then IPv4.
    auto bytes = hex("01 02 03 04 05 06 0a 0b 0c 0d 0e 0f 81 00 a0 7b 08 00 45");
    auto f = EthernetFrame::parse(bytes);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->vlan);
    EXPECT_EQ(f->vlan->id, 123);
    EXPECT_EQ(f->vlan->pcp, 5);
    EXPECT_FALSE(f->vlan->dei);
    EXPECT_EQ(f->type, kEtherTypeIpv4);
    EXPECT_EQ(f->header_length, 18u);
    EXPECT_EQ(f->payload.size(), 1u);

    bytes[14] = std::byte{0x10};  // DEI set, PCP 0
    f = EthernetFrame::parse(bytes);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->vlan->dei);
    EXPECT_EQ(f->vlan->pcp, 0);
}

TEST(Ethernet, Malformed) {
    struct Case {
        std::string bytes;
        std::string reason;
        std::size_t offset;
    };
    const Case cases[] = {
        {"", "truncated header: need 14 bytes, have 0", 0},
        {"ff ff ff ff ff ff 02 00 00 00 00 01", "truncated header: need 14 bytes, have 12", 0},
        {"ff ff ff ff ff ff 02 00 00 00 00 01 08", "truncated header: need 14 bytes, have 13", 0},
        {"ff ff ff ff ff ff 02 00 00 00 00 01 81 00 00 01 08", "truncated 802.1Q tag: need 4 bytes, have 3", 14},
    };
    for (const auto& c : cases) {
        auto bytes = hex(c.bytes);
        auto f = EthernetFrame::parse(bytes);
        ASSERT_FALSE(f) << c.bytes;
        EXPECT_STREQ(f.error().layer, "ethernet");
        EXPECT_EQ(f.error().reason, c.reason);
        EXPECT_EQ(f.error().offset, c.offset);
    }
    auto short_fcs = hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00");
    auto f = EthernetFrame::parse(short_fcs, Fcs::present);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().reason, "truncated frame: need 18 bytes with FCS, have 15");
}

TEST(Ethernet, FcsCheckedWhenAsked) {
    // FCS from an independent CRC-32 (Python's zlib.crc32 = 0xf84d6fe8), sent LSB first.
    auto bytes = hex(kArpFrame + " e8 6f 4d f8");
    auto f = EthernetFrame::parse(bytes, Fcs::present);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->fcs, 0xf84d6fe8u);
    EXPECT_TRUE(f->fcs_ok);
    EXPECT_EQ(f->payload.size(), 46u);

    bytes[20] ^= std::byte{1};  // a flipped bit is not an error, only fcs_ok false
    f = EthernetFrame::parse(bytes, Fcs::present);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->fcs_ok);
}

TEST(Ethernet, BuildPadsAndRoundTrips) {
    auto arp = hex(kArpFrame);
    EthernetFrame f;
    f.dst = MacAddress::broadcast();
    f.src = MacAddress({0x02, 0, 0, 0, 0, 0x01});
    f.type = kEtherTypeArp;
    auto payload = std::span(arp).subspan(14, 28);  // the ARP body without padding
    f.payload = payload;
    EXPECT_EQ(f.build(), arp);                      // padded to 60
    EXPECT_EQ(f.build(false).size(), 42u);          // not padded
    EXPECT_EQ(f.build(true, Fcs::present), hex(kArpFrame + " e8 6f 4d f8"));

    f.vlan = VlanTag{4095, 7, true};
    auto tagged = f.build();
    EXPECT_EQ(tagged.size(), 60u);
    auto back = EthernetFrame::parse(tagged);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->vlan->id, 4095);
    EXPECT_EQ(back->vlan->pcp, 7);
    EXPECT_TRUE(back->vlan->dei);
    EXPECT_EQ(back->type, kEtherTypeArp);
    EXPECT_EQ(back->src, f.src);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), back->payload.begin()));
}

TEST(Ethernet, EtherTypeTextIsFourHexDigits) {
    EXPECT_EQ(ether_type_to_string(kEtherTypeIpv4), "0x0800");
    EXPECT_EQ(ether_type_to_string(kEtherTypeArp), "0x0806");
    EXPECT_EQ(ether_type_to_string(kEtherTypeIpv6), "0x86dd");
    EXPECT_EQ(ether_type_to_string(0x0001), "0x0001");
    EXPECT_EQ(ether_type_to_string(0xffff), "0xffff");
}

}  // namespace
}  // namespace weft::wire
