#include "weft/wire/dhcp.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <random>
#include <string>
#include <vector>

namespace weft::wire {
namespace {

using namespace std::chrono_literals;

// Hex digits to bytes; anything that is not a hex digit is skipped.
using test_support::hex;

std::vector<std::byte> operator+(std::vector<std::byte> a, const std::vector<std::byte>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::byte> zeros(std::size_t n) { return std::vector<std::byte>(n); }

// The fixed part of the DISCOVER in Wireshark's dhcp.pcap sample (xid 0x3903f326, client
// 00:0b:82:01:fc:42, broadcast bit set), then the cookie.
std::vector<std::byte> discover_fixed() {
    return hex("01 01 06 00 3903f326 0000 8000 00000000 00000000 00000000 00000000") +
           hex("000b8201fc42") + zeros(10) + zeros(64) + zeros(128) + hex("63825363");
}

std::vector<std::byte> discover() {
    auto b = discover_fixed() +
             hex("35 01 01"                     // message type DISCOVER
                 "3d 07 01 000b8201fc42"        // client id: htype 1 + MAC
                 "32 04 00000000"               // requested IP 0.0.0.0
                 "37 04 01 03 06 2a"            // PRL: mask, router, DNS, NTP
                 "ff");
    return b + zeros(300 - b.size());
}

TEST(DhcpParse, Discover) {
    auto bytes = discover();
    ASSERT_EQ(bytes.size(), 300u);
    auto p = parse_dhcp(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->op, kBootRequest);
    EXPECT_EQ(p->htype, 1);
    EXPECT_EQ(p->hlen, 6);
    EXPECT_EQ(p->xid, 0x3903f326u);
    EXPECT_TRUE(p->broadcast());
    EXPECT_EQ(p->ciaddr, Ipv4Address::any());
    EXPECT_EQ(p->client_mac(), MacAddress(MacAddress::Bytes{0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42}));
    EXPECT_EQ(p->sname, "");
    EXPECT_EQ(p->file, "");
    EXPECT_TRUE(p->end_seen);
    ASSERT_EQ(p->options.size(), 4u);  // no pad, no end
    EXPECT_EQ(p->options[0].code, 53);
    EXPECT_EQ(p->options[0].offset, 240u);
    EXPECT_EQ(p->options[1].code, 61);
    EXPECT_EQ(p->options[3].code, 55);
    EXPECT_EQ(p->message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(p->requested_ip(), Ipv4Address::any());
    EXPECT_EQ(p->parameter_request_list(), (std::vector<std::uint8_t>{1, 3, 6, 42}));
    ASSERT_TRUE(p->client_id());
    EXPECT_EQ(p->client_id()->size(), 7u);
    EXPECT_FALSE(p->server_id());
    EXPECT_FALSE(p->lease_time());
    EXPECT_TRUE(p->routers().empty());
    // The builder reproduces the capture byte for byte.
    EXPECT_EQ(build_dhcp(DhcpMessage::from_packet(*p)), bytes);
}

DhcpMessage server_reply(DhcpMessageType type) {
    DhcpMessage m;
    m.op = kBootReply;
    m.xid = 0x3903f326;
    m.set_client_mac(MacAddress(MacAddress::Bytes{0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42}));
    m.yiaddr = Ipv4Address(192, 168, 0, 10);
    m.siaddr = Ipv4Address(192, 168, 0, 1);
    m.add_message_type(type)
        .add_address(dhcp_option::kSubnetMask, Ipv4Address(255, 255, 255, 0))
        .add_seconds(dhcp_option::kRenewalTime, 1800s)
        .add_seconds(dhcp_option::kRebindingTime, 3150s)
        .add_seconds(dhcp_option::kLeaseTime, 3600s)
        .add_address(dhcp_option::kServerId, Ipv4Address(192, 168, 0, 1));
    const Ipv4Address routers[] = {Ipv4Address(192, 168, 0, 1), Ipv4Address(192, 168, 0, 2)};
    m.add_addresses(dhcp_option::kRouter, routers);
    const Ipv4Address dns[] = {Ipv4Address(9, 9, 9, 9)};
    m.add_addresses(dhcp_option::kDnsServer, dns);
    m.add_text(dhcp_option::kDomainName, "lan")
        .add_address(dhcp_option::kBroadcastAddress, Ipv4Address(192, 168, 0, 255));
    return m;
}

TEST(DhcpBuild, OfferAndAck) {
    for (auto type : {DhcpMessageType::Offer, DhcpMessageType::Ack}) {
        auto bytes = build_dhcp(server_reply(type));
        ASSERT_EQ(bytes.size(), 301u);  // 61 bytes of options: past the 300-byte minimum, no pad
        EXPECT_EQ(bytes[0], std::byte{2});
        EXPECT_EQ(hex("63825363"), std::vector<std::byte>(bytes.begin() + 236, bytes.begin() + 240));
        EXPECT_EQ(hex("35 01"), std::vector<std::byte>(bytes.begin() + 240, bytes.begin() + 242));
        auto p = parse_dhcp(bytes);
        ASSERT_TRUE(p) << p.error().to_string();
        EXPECT_EQ(p->message_type(), type);
        EXPECT_EQ(dhcp_message_type_to_string(static_cast<std::uint8_t>(*p->message_type())),
                  type == DhcpMessageType::Offer ? "OFFER" : "ACK");
        EXPECT_EQ(p->yiaddr, Ipv4Address(192, 168, 0, 10));
        EXPECT_EQ(p->siaddr, Ipv4Address(192, 168, 0, 1));
        EXPECT_FALSE(p->broadcast());
        EXPECT_EQ(p->subnet_mask(), Ipv4Address(255, 255, 255, 0));
        EXPECT_EQ(p->renewal_time(), 1800s);
        EXPECT_EQ(p->rebinding_time(), 3150s);
        EXPECT_EQ(p->lease_time(), 3600s);
        EXPECT_EQ(p->server_id(), Ipv4Address(192, 168, 0, 1));
        EXPECT_EQ(p->routers(), (std::vector<Ipv4Address>{Ipv4Address(192, 168, 0, 1), Ipv4Address(192, 168, 0, 2)}));
        EXPECT_EQ(p->dns_servers(), (std::vector<Ipv4Address>{Ipv4Address(9, 9, 9, 9)}));
        EXPECT_EQ(p->domain_name(), "lan");
        EXPECT_EQ(p->broadcast_address(), Ipv4Address(192, 168, 0, 255));
        EXPECT_FALSE(p->host_name());
        // Options come back in the order they were added.
        std::vector<std::uint8_t> codes;
        for (const auto& o : p->options) codes.push_back(o.code);
        EXPECT_EQ(codes, (std::vector<std::uint8_t>{53, 1, 58, 59, 51, 54, 3, 6, 15, 28}));
        EXPECT_EQ(build_dhcp(DhcpMessage::from_packet(*p)), bytes);
    }
}

TEST(DhcpBuild, RequestWithEverythingElse) {
    DhcpMessage m;
    m.xid = 0xdeadbeef;
    m.secs = 3;
    m.flags = kDhcpFlagBroadcast;
    m.hops = 1;
    m.giaddr = Ipv4Address(10, 0, 0, 1);
    m.set_client_mac(MacAddress(MacAddress::Bytes{2, 0, 0, 0, 0, 1}));
    m.sname = "server";
    m.file = "pxelinux.0";
    m.add_message_type(DhcpMessageType::Request)
        .add_address(dhcp_option::kRequestedIp, Ipv4Address(192, 168, 0, 10))
        .add_address(dhcp_option::kServerId, Ipv4Address(192, 168, 0, 1))
        .add_text(dhcp_option::kHostName, "laptop")
        .add_bytes(dhcp_option::kClientId, {1, 2, 0, 0, 0, 0, 1})
        .add_bytes(dhcp_option::kVendorSpecific, {1, 2, 3})
        .add_bytes(dhcp_option::kRelayAgentInfo, {1, 4, 'e', 't', 'h', '0'})
        .add_u16(dhcp_option::kMaxMessageSize, 1500)
        .add_bytes(224, {9, 9});  // site-specific: kept raw
    auto bytes = build_dhcp(m);
    auto p = parse_dhcp(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->xid, 0xdeadbeefu);
    EXPECT_EQ(p->secs, 3);
    EXPECT_EQ(p->hops, 1);
    EXPECT_TRUE(p->broadcast());
    EXPECT_EQ(p->giaddr, Ipv4Address(10, 0, 0, 1));
    EXPECT_EQ(p->sname, "server");
    EXPECT_EQ(p->file, "pxelinux.0");
    EXPECT_EQ(p->message_type(), DhcpMessageType::Request);
    EXPECT_EQ(p->requested_ip(), Ipv4Address(192, 168, 0, 10));
    EXPECT_EQ(p->host_name(), "laptop");
    EXPECT_EQ(p->vendor_specific()->size(), 3u);
    EXPECT_EQ(p->relay_agent_info()->size(), 6u);
    ASSERT_TRUE(p->find(224));
    EXPECT_EQ(p->find(224)->data.size(), 2u);
    EXPECT_EQ(build_dhcp(DhcpMessage::from_packet(*p)), bytes);
}

TEST(DhcpBuild, LongOptionSplitAndJoined) {
    DhcpMessage m;
    std::vector<Ipv4Address> many;
    for (std::uint8_t i = 0; i < 70; ++i) many.push_back(Ipv4Address(10, 0, 0, i));  // 280 bytes
    m.add_addresses(dhcp_option::kDnsServer, many);
    auto bytes = build_dhcp(m);
    EXPECT_GT(bytes.size(), 300u);
    auto p = parse_dhcp(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    // Split at 255 (not a multiple of 4): the list's length is checked once joined.
    EXPECT_EQ(p->options.size(), 2u);
    EXPECT_EQ(p->dns_servers(), many);
}

TEST(DhcpParse, OverloadedFileAndSname) {
    auto b = hex("02 01 06 00 00000001 0000 0000 00000000 c0a8000a 00000000 00000000") + zeros(16);
    // sname (64 bytes): domain name option, end.
    auto sname = hex("0f 03 6c616e ff");
    // file (128 bytes): server id, end.
    auto file = hex("36 04 c0a80001 ff");
    b = b + sname + zeros(64 - sname.size()) + file + zeros(128 - file.size()) + hex("63825363") +
        hex("35 01 02  34 01 03  ff");
    auto p = parse_dhcp(b);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->overload, 3);
    EXPECT_EQ(p->sname, "");
    EXPECT_EQ(p->file, "");
    EXPECT_EQ(p->server_id(), Ipv4Address(192, 168, 0, 1));
    EXPECT_EQ(p->domain_name(), "lan");
    // Wire order: options field, then file, then sname.
    ASSERT_EQ(p->options.size(), 4u);
    EXPECT_EQ(p->options[2].code, 54);
    EXPECT_EQ(p->options[2].offset, 108u);
    EXPECT_EQ(p->options[3].code, 15);
    EXPECT_EQ(p->options[3].offset, 44u);
}

TEST(DhcpParse, TrailerAfterEndAndMissingEnd) {
    auto b = discover_fixed() + hex("35 01 01 ff 01 02 03 ff ff");  // junk after end: ignored
    auto p = parse_dhcp(b);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->options.size(), 1u);
    EXPECT_TRUE(p->end_seen);
    // The packet views its bytes, so they must outlive it.
    const auto no_end = discover_fixed() + hex("00 00 35 01 01");  // pads, no end
    auto q = parse_dhcp(no_end);
    ASSERT_TRUE(q) << q.error().to_string();
    EXPECT_FALSE(q->end_seen);
    EXPECT_EQ(q->message_type(), DhcpMessageType::Discover);
    const auto bare = discover_fixed();  // a bare BOOTP message with the cookie
    auto r = parse_dhcp(bare);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->message_type());
}

struct BadDhcp {
    const char* what;
    std::vector<std::byte> bytes;
    std::size_t offset;
    const char* reason_part;
};

TEST(DhcpParse, Malformed) {
    auto bad_cookie = discover_fixed();
    bad_cookie[239] = std::byte{0x64};
    auto big_hlen = discover();
    big_hlen[2] = std::byte{17};
    auto overload_file_bad = discover_fixed();
    overload_file_bad[108] = std::byte{0x0c};  // host name, length 200 in a 128-byte field
    overload_file_bad[109] = std::byte{200};
    const BadDhcp cases[] = {
        {"short", zeros(239), 0, "truncated message: need 240 bytes"},
        {"hlen over 16", big_hlen, 2, "hlen 17 exceeds"},
        {"magic cookie", bad_cookie, 236, "bad magic cookie 0x63825364"},
        {"length past end", discover_fixed() + hex("0c 05 61 62"), 241, "option 12 length 5 runs past the end of the options field"},
        {"length byte missing", discover_fixed() + hex("35"), 240, "option 53 cut before its length byte"},
        {"mask of 3 bytes", discover_fixed() + hex("01 03 ffffff ff"), 240, "option 1 (subnet mask) must be 4 bytes, have 3"},
        {"router of 5 bytes", discover_fixed() + hex("03 05 0102030405 ff"), 240, "option 3 (routers) must be a non-zero multiple of 4"},
        {"empty DNS list", discover_fixed() + hex("06 00 ff"), 240, "option 6 (DNS servers)"},
        {"split list of 6", discover_fixed() + hex("06 04 01020304 06 02 0506 ff"), 240, "have 6"},
        {"message type of 2", discover_fixed() + hex("35 02 0101 ff"), 240, "option 53 (message type) must be 1 bytes, have 2"},
        {"lease time of 2", discover_fixed() + hex("33 02 0101 ff"), 240, "option 51 (lease time) must be 4 bytes"},
        {"empty host name", discover_fixed() + hex("0c 00 ff"), 240, "option 12 (host name) must be at least 1"},
        {"client id of 1", discover_fixed() + hex("3d 01 01 ff"), 240, "option 61 (client id) must be at least 2"},
        {"overload value", discover_fixed() + hex("34 01 04 ff"), 242, "option 52 (overload) value 4"},
        {"overloaded file runs over", overload_file_bad + hex("34 01 01 ff"), 109, "runs past the end of the file field"},
    };
    for (const auto& c : cases) {
        auto r = parse_dhcp(c.bytes);
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.error().offset, c.offset) << c.what << ": " << r.error().to_string();
        EXPECT_NE(r.error().reason.find(c.reason_part), std::string::npos) << c.what << ": " << r.error().to_string();
        EXPECT_STREQ(r.error().layer, "dhcp");
    }
}

TEST(DhcpParse, EveryTruncationFailsOrStopsCleanly) {
    auto full = build_dhcp(server_reply(DhcpMessageType::Ack));
    for (std::size_t n = 0; n < full.size(); ++n) {
        std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        auto r = parse_dhcp(cut);
        if (r) {
            EXPECT_GE(n, 240u);  // a cut between options leaves a shorter valid message
        } else {
            EXPECT_LE(r.error().offset, n);
        }
    }
}

TEST(DhcpText, MessageTypeNames) {
    EXPECT_EQ(dhcp_message_type_to_string(1), "DISCOVER");
    EXPECT_EQ(dhcp_message_type_to_string(3), "REQUEST");
    EXPECT_EQ(dhcp_message_type_to_string(4), "DECLINE");
    EXPECT_EQ(dhcp_message_type_to_string(6), "NAK");
    EXPECT_EQ(dhcp_message_type_to_string(7), "RELEASE");
    EXPECT_EQ(dhcp_message_type_to_string(8), "INFORM");
    EXPECT_EQ(dhcp_message_type_to_string(9), "TYPE9");
}

TEST(DhcpParse, RandomMutationsNeverCrash) {
    std::mt19937 rng(6789);
    const auto base = build_dhcp(server_reply(DhcpMessageType::Offer));
    for (int round = 0; round < 3000; ++round) {
        auto b = base;
        int edits = 1 + static_cast<int>(rng() % 6);
        // Mostly the options area and the overload-able fields, where the structure is.
        for (int e = 0; e < edits; ++e) b[44 + rng() % (b.size() - 44)] = static_cast<std::byte>(rng());
        if (rng() % 2) b[240 + rng() % 20] = std::byte{52};
        auto r = parse_dhcp(b);
        if (r) {
            (void)r->routers();
            (void)r->lease_time();
            (void)build_dhcp(DhcpMessage::from_packet(*r));
        } else {
            EXPECT_LT(r.error().offset, b.size());
        }
    }
}

}  // namespace
}  // namespace weft::wire
