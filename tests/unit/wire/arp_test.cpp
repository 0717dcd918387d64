#include "weft/wire/arp.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace weft::wire {
namespace {

using test_support::hex;

// Who has 192.168.1.1? Tell 192.168.1.100 (from 00:0c:29:aa:bb:cc).
const char* const kRequest =
    "00 01 08 00 06 04 00 01 00 0c 29 aa bb cc c0 a8 01 64 00 00 00 00 00 00 c0 a8 01 01";
// 192.168.1.1 is at 00:50:56:c0:00:08.
const char* const kReply =
    "00 01 08 00 06 04 00 02 00 50 56 c0 00 08 c0 a8 01 01 00 0c 29 aa bb cc c0 a8 01 64";

const MacAddress kHostMac({0x00, 0x0c, 0x29, 0xaa, 0xbb, 0xcc});
const MacAddress kGatewayMac({0x00, 0x50, 0x56, 0xc0, 0x00, 0x08});

TEST(Arp, ParsesRequest) {
    auto bytes = hex(kRequest);
    auto p = ArpPacket::parse(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->operation, kArpRequest);
    EXPECT_EQ(p->sender_mac, kHostMac);
    EXPECT_EQ(p->sender_ip, Ipv4Address(192, 168, 1, 100));
    EXPECT_EQ(p->target_mac, MacAddress());
    EXPECT_EQ(p->target_ip, Ipv4Address(192, 168, 1, 1));
}

TEST(Arp, ParsesReplyIgnoringPadding) {
    auto bytes = hex(std::string(kReply) + " 00 00 00 00 00 00 00 00");
    auto p = ArpPacket::parse(bytes);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->operation, kArpReply);
    EXPECT_EQ(p->sender_mac, kGatewayMac);
    EXPECT_EQ(p->target_ip, Ipv4Address(192, 168, 1, 100));
}

TEST(Arp, Malformed) {
    struct Case {
        std::string bytes;
        std::string reason;
        std::size_t offset;
    };
    const Case cases[] = {
        {"00 01 08 00 06", "truncated header: need 8 bytes, have 5", 0},
        {"00 06 08 00 06 04 00 01", "unsupported hardware type 6: only Ethernet (1)", 0},
        {"00 01 86 dd 06 04 00 01", "unsupported protocol type 34525: only IPv4 (2048)", 2},
        {"00 01 08 00 08 04 00 01", "bad hardware address length 8: Ethernet needs 6", 4},
        {"00 01 08 00 06 10 00 01", "bad protocol address length 16: IPv4 needs 4", 5},
        {"00 01 08 00 06 04 00 01 00 0c 29 aa bb cc c0 a8 01 64 00 00",
         "truncated addresses: need 28 bytes, have 20", 8},
    };
    for (const auto& c : cases) {
        auto bytes = hex(c.bytes);
        auto p = ArpPacket::parse(bytes);
        ASSERT_FALSE(p) << c.bytes;
        EXPECT_STREQ(p.error().layer, "arp");
        EXPECT_EQ(p.error().reason, c.reason);
        EXPECT_EQ(p.error().offset, c.offset);
    }
}

TEST(Arp, BuildRequestAndReply) {
    auto request = ArpPacket::request(kHostMac, Ipv4Address(192, 168, 1, 100), Ipv4Address(192, 168, 1, 1));
    EXPECT_EQ(request.build(), hex(kRequest));
    auto reply = ArpPacket::reply_to(request, kGatewayMac);
    EXPECT_EQ(reply.build(), hex(kReply));
    auto back = ArpPacket::parse(reply.build());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->target_mac, kHostMac);
}

}  // namespace
}  // namespace weft::wire
