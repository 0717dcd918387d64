#include "weft/wire/icmp.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "weft/wire/ipv4.hpp"

namespace weft::wire {
namespace {

using test_support::hex;

// Windows ping: id 1, seq 1, data "abcdefghijklmnopqrstuvwabcdefghi", checksum 4d5a.
const std::string kEcho =
    "08 00 4d 5a 00 01 00 01 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77"
    " 61 62 63 64 65 66 67 68 69";

TEST(Icmp, ParsesEchoRequest) {
    auto bytes = hex(kEcho);
    auto m = IcmpMessage::parse(bytes);
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_EQ(m->type, kIcmpEchoRequest);
    EXPECT_EQ(m->code, 0);
    EXPECT_EQ(m->checksum, 0x4d5a);
    EXPECT_TRUE(m->checksum_ok);
    EXPECT_TRUE(m->is_echo());
    EXPECT_EQ(m->id(), 1);
    EXPECT_EQ(m->seq(), 1);
    EXPECT_EQ(m->payload.size(), 32u);
    EXPECT_EQ(m->payload.data(), bytes.data() + 8);
}

TEST(Icmp, BadChecksumIsNotAnError) {
    auto bytes = hex(kEcho);
    bytes.back() = std::byte{'z'};
    auto m = IcmpMessage::parse(bytes);
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->checksum_ok);
}

TEST(Icmp, Malformed) {
    for (std::string_view s : {"", "08", "08 00 4d 5a 00 01 00"}) {
        auto bytes = hex(s);
        auto m = IcmpMessage::parse(bytes);
        ASSERT_FALSE(m) << s;
        EXPECT_STREQ(m.error().layer, "icmp");
        EXPECT_EQ(m.error().reason, "truncated header: need 8 bytes, have " + std::to_string(bytes.size()));
        EXPECT_EQ(m.error().offset, 0u);
    }
}

TEST(Icmp, EchoRoundTripAndReply) {
    auto expected = hex(kEcho);
    auto data = std::span(expected).subspan(8);
    auto request = IcmpMessage::echo_request(1, 1, data);
    EXPECT_EQ(request.build(), expected);
    auto reply = IcmpMessage::echo_reply_to(request).build();
    auto back = IcmpMessage::parse(reply);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->type, kIcmpEchoReply);
    EXPECT_TRUE(back->checksum_ok);
    EXPECT_EQ(back->id(), 1);
    EXPECT_EQ(back->seq(), 1);
    // Only the type changed: 8 -> 0 raises the checksum by 0x0800.
    EXPECT_EQ(back->checksum, 0x4d5a + 0x0800);
    request.checksum = 0xbeef;
    auto kept = IcmpMessage::parse(request.build(ChecksumMode::keep));
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->checksum, 0xbeef);
    EXPECT_FALSE(kept->checksum_ok);
}

TEST(Icmp, FragmentationNeededCarriesMtuAndQuote) {
    std::vector<std::byte> data(100, std::byte{7});
    Ipv4Packet offending;
    offending.dont_fragment = true;
    offending.protocol = kIpProtocolUdp;
    offending.src = Ipv4Address(198, 18, 0, 1);
    offending.dst = Ipv4Address(198, 18, 0, 2);
    offending.payload = data;
    auto datagram = offending.build();
    auto quote = icmp_quote(datagram);
    EXPECT_EQ(quote.size(), 28u);  // header + 8 bytes
    auto built = IcmpMessage::destination_unreachable(kIcmpFragmentationNeeded, quote, 1400).build();
    auto m = IcmpMessage::parse(built);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, kIcmpDestinationUnreachable);
    EXPECT_EQ(m->code, kIcmpFragmentationNeeded);
    EXPECT_EQ(m->next_hop_mtu(), 1400);
    EXPECT_TRUE(m->checksum_ok);
    auto inner = Ipv4Packet::parse(m->payload.first(20));
    // The quoted header's total length (128) exceeds the quote: it is a header, not a datagram.
    EXPECT_FALSE(inner);
    EXPECT_EQ(m->payload.size(), 28u);

    auto port = IcmpMessage::parse(IcmpMessage::destination_unreachable(kIcmpPortUnreachable, quote, 999).build());
    ASSERT_TRUE(port);
    EXPECT_EQ(port->rest, 0u);  // the MTU field is only for code 4
}

TEST(Icmp, TimeExceededAndShortQuotes) {
    auto m = IcmpMessage::parse(IcmpMessage::time_exceeded(kIcmpTtlExceeded, {}).build());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, kIcmpTimeExceeded);
    EXPECT_TRUE(m->payload.empty());
    EXPECT_TRUE(m->checksum_ok);
    auto garbled = hex("4f 00 00");  // IHL 15 claimed, 3 bytes present
    EXPECT_EQ(icmp_quote(garbled).size(), 3u);
    EXPECT_EQ(icmp_quote({}).size(), 0u);
    std::vector<std::byte> long_header(100);
    long_header[0] = std::byte{0x46};  // 24-byte header
    EXPECT_EQ(icmp_quote(long_header).size(), 32u);
}

}  // namespace
}  // namespace weft::wire
