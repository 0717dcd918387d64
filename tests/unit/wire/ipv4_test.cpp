#include "weft/wire/ipv4.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::wire {
namespace {

using test_support::hex;

// 192.0.2.1 -> 192.0.2.2, UDP, DF, id 0x1c46, total 28; checksum 9a87 (computed by Python).
const std::string kUdpHeader = "45 00 00 1c 1c 46 40 00 40 11 9a 87 c0 00 02 01 c0 00 02 02";
const std::string kUdpBody = " 04 00 00 35 00 08 00 00";
// IHL 8: Router Alert (0x94, copied), Record Route (7, not copied) with one slot, EOL.
// MF set, offset 5 (40 bytes), TTL 32, TCP; total 36 = 32 + 4 payload bytes.
const std::string kOptionsHeader =
    "48 00 00 24 ab cd 20 05 20 06 18 f4 0a 00 00 01 0a 00 00 02 94 04 00 00 07 07 04 00 00 00 00 00";

TEST(Ipv4, ParsesFixedHeader) {
    auto bytes = hex(kUdpHeader + kUdpBody + " 00 00 00 00 00 00");  // + Ethernet padding
    auto p = Ipv4Packet::parse(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->header_length, 20u);
    EXPECT_EQ(p->total_length, 28);
    EXPECT_EQ(p->identification, 0x1c46);
    EXPECT_TRUE(p->dont_fragment);
    EXPECT_FALSE(p->more_fragments);
    EXPECT_FALSE(p->reserved_flag);
    EXPECT_EQ(p->fragment_offset, 0);
    EXPECT_FALSE(p->is_fragment());
    EXPECT_EQ(p->ttl, 64);
    EXPECT_EQ(p->protocol, kIpProtocolUdp);
    EXPECT_EQ(p->checksum, 0x9a87);
    EXPECT_TRUE(p->checksum_ok);
    EXPECT_EQ(p->src, Ipv4Address(192, 0, 2, 1));
    EXPECT_EQ(p->dst, Ipv4Address(192, 0, 2, 2));
    EXPECT_TRUE(p->options.empty());
    EXPECT_EQ(p->payload.size(), 8u);  // the padding is not payload
    EXPECT_EQ(p->payload.data(), bytes.data() + 20);
    EXPECT_EQ(p->header.size(), 20u);
}

TEST(Ipv4, ParsesOptionsAndFragmentFields) {
    auto bytes = hex(kOptionsHeader + " de ad be ef");
    auto p = Ipv4Packet::parse(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->header_length, 32u);
    EXPECT_TRUE(p->checksum_ok);
    EXPECT_TRUE(p->more_fragments);
    EXPECT_FALSE(p->dont_fragment);
    EXPECT_EQ(p->fragment_offset, 40);
    EXPECT_TRUE(p->is_fragment());
    ASSERT_EQ(p->options.size(), 3u);
    EXPECT_EQ(p->options[0].type, 0x94);
    EXPECT_EQ(p->options[0].length, 4);
    EXPECT_TRUE(p->options[0].copied());
    EXPECT_EQ(p->options[0].data.size(), 2u);
    EXPECT_EQ(p->options[1].type, 7);
    EXPECT_EQ(p->options[1].length, 7);
    EXPECT_FALSE(p->options[1].copied());
    EXPECT_EQ(p->options[1].data.size(), 5u);
    EXPECT_EQ(p->options[2].type, kIpv4OptionEnd);
    EXPECT_EQ(p->payload.size(), 4u);
}

TEST(Ipv4, BadChecksumIsNotAnError) {
    auto bytes = hex(kUdpHeader + kUdpBody);
    bytes[11] = std::byte{0x88};
    auto p = Ipv4Packet::parse(bytes);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->checksum_ok);
    EXPECT_EQ(p->checksum, 0x9a88);
}

TEST(Ipv4, Malformed) {
    struct Case {
        std::string name;
        std::string bytes;
        std::string reason;
        std::size_t offset;
    };
    const std::string body = kUdpHeader.substr(2);  // everything after version/IHL
    const Case cases[] = {
        {"short", "45 00 00 1c 1c 46 40 00 40 11 9a 87", "truncated header: need 20 bytes, have 12", 0},
        {"version 6", "65" + body + kUdpBody, "bad version 6, expected 4", 0},
        {"IHL 4", "44" + body + kUdpBody, "bad header length 16 (IHL 4), minimum 20", 0},
        {"IHL past end", "4f" + body, "truncated header: need 60 bytes (IHL 15), have 20", 0},
        {"total < header", "45 00 00 13" + kUdpHeader.substr(11) + kUdpBody,
         "total length 19 is less than the header length 20", 2},
        {"total past end", "45 00 05 dc" + kUdpHeader.substr(11) + kUdpBody,
         "truncated datagram: total length 1500, have 28", 2},
        {"option without length", "46 00 00 18" + kUdpHeader.substr(11, 48) + " 01 01 01 44",
         "option 68 truncated: no length byte", 23},
        {"option length 1", "46 00 00 18" + kUdpHeader.substr(11, 48) + " 44 01 00 00",
         "option 68 has length 1, less than 2", 21},
        {"option past header", "46 00 00 18" + kUdpHeader.substr(11, 48) + " 01 44 08 00",
         "option 68 length 8 runs past the header (3 bytes left)", 22},
    };
    for (const auto& c : cases) {
        auto bytes = hex(c.bytes);
        auto p = Ipv4Packet::parse(bytes);
        ASSERT_FALSE(p) << c.name;
        EXPECT_STREQ(p.error().layer, "ipv4") << c.name;
        EXPECT_EQ(p.error().reason, c.reason) << c.name;
        EXPECT_EQ(p.error().offset, c.offset) << c.name;
    }
}

TEST(Ipv4, ErrorMessageShape) {
    auto bytes = hex("45 00 00 1c 1c 46 40 00 40 11 9a 87");
    auto p = Ipv4Packet::parse(bytes);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().shifted(14).to_string(), "ipv4: truncated header: need 20 bytes, have 12 at offset 14");
}

TEST(Ipv4, BuildComputesLengthsAndChecksum) {
    auto body = hex(kUdpBody);
    Ipv4Packet p;
    p.identification = 0x1c46;
    p.dont_fragment = true;
    p.protocol = kIpProtocolUdp;
    p.src = Ipv4Address(192, 0, 2, 1);
    p.dst = Ipv4Address(192, 0, 2, 2);
    p.payload = body;
    EXPECT_EQ(p.build(), hex(kUdpHeader + kUdpBody));
    p.checksum = 0x1234;
    auto kept = p.build(ChecksumMode::keep);
    EXPECT_EQ(kept[10], std::byte{0x12});
    EXPECT_EQ(kept[11], std::byte{0x34});
}

TEST(Ipv4, OptionsRoundTrip) {
    auto bytes = hex(kOptionsHeader + " de ad be ef");
    auto p = Ipv4Packet::parse(bytes);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->built_header_length(), 32u);
    EXPECT_EQ(p->build(), bytes);
    // Without the EOL the header is re-padded with zeros to the same bytes.
    Ipv4Packet q = *p;
    q.options.pop_back();
    EXPECT_EQ(q.build(), bytes);
    // A single 3-byte option pads to 4.
    const std::byte data[] = {std::byte{1}};
    q.options = {{0x88, 3, data}};
    auto built = q.build();
    EXPECT_EQ(built.size(), 24u + 4u);
    auto back = Ipv4Packet::parse(built);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->checksum_ok);
    ASSERT_EQ(back->options.size(), 2u);
    EXPECT_EQ(back->options[0].type, 0x88);
    EXPECT_EQ(back->options[1].type, kIpv4OptionEnd);
}

TEST(Ipv4, MutatedBytesNeverReadPastTheSpan) {
    // Random flips and truncations of a header with options; ASan catches any overread.
    const auto original = hex(kOptionsHeader + " de ad be ef");
    std::uint32_t state = 777;
    auto next = [&state] { return state = state * 1103515245u + 12345u; };
    for (int i = 0; i < 20000; ++i) {
        auto bytes = original;
        for (int k = 0; k < 3; ++k) bytes[next() % bytes.size()] = std::byte(next() >> 16);
        bytes.resize(next() % (bytes.size() + 1));
        std::vector<std::byte> exact(bytes);
        auto p = Ipv4Packet::parse(exact);
        if (!p) {
            EXPECT_LE(p.error().offset, exact.size());
        } else {
            EXPECT_LE(p->header_length + p->payload.size(), exact.size());
        }
    }
}

TEST(Ipv4, BuildRejectsImpossible) {
    Ipv4Packet p;
    std::vector<std::byte> data(39);
    p.options = {{0x44, 41, data}};
    EXPECT_THROW((void)p.build(), std::length_error);
    p.options.clear();
    std::vector<std::byte> big(65516);
    p.payload = big;
    EXPECT_THROW((void)p.build(), std::length_error);
    p.payload = {};
    p.fragment_offset = 12;
    EXPECT_THROW((void)p.build(), std::invalid_argument);
}

}  // namespace
}  // namespace weft::wire
