#include "weft/wire/tcp.hpp"

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
// A Linux-style SYN 192.0.2.1:51775 -> 192.0.2.2:80, seq 1, window 64240, options MSS 1460,
// SACK permitted, timestamps 123456/0, NOP, window scale 7; checksum 1c39 (Python).
const std::string kSyn =
    "ca 3f 00 50 00 00 00 01 00 00 00 00 a0 02 fa f0 1c 39 00 00"
    " 02 04 05 b4 04 02 08 0a 00 01 e2 40 00 00 00 00 01 03 03 07";
// 192.0.2.1:80 -> 192.0.2.2:51775 PSH|ACK seq 1000 ack 2 window 502, "GET"; checksum c010.
const std::string kData = "00 50 ca 3f 00 00 03 e8 00 00 00 02 50 18 01 f6 c0 10 00 00 47 45 54";

TEST(Tcp, ParsesSynWithOptions) {
    auto bytes = hex(kSyn);
    auto s = TcpSegment::parse(bytes);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->src_port, 51775);
    EXPECT_EQ(s->dst_port, 80);
    EXPECT_EQ(s->seq, 1u);
    EXPECT_EQ(s->ack, 0u);
    EXPECT_EQ(s->header_length, 40u);
    EXPECT_EQ(s->flags, kTcpSyn);
    EXPECT_TRUE(s->has(kTcpSyn));
    EXPECT_FALSE(s->has(kTcpAck));
    EXPECT_EQ(s->window, 64240);
    EXPECT_EQ(s->checksum, 0x1c39);
    EXPECT_TRUE(s->checksum_ok(kSrc, kDst));
    EXPECT_FALSE(s->checksum_ok(kDst, Ipv4Address(192, 0, 2, 9)));
    EXPECT_TRUE(s->payload.empty());
    ASSERT_EQ(s->options.size(), 5u);
    EXPECT_EQ(s->options[0].kind, kTcpOptionMss);
    EXPECT_EQ(s->options[0].length, 4);
    EXPECT_EQ(s->options[0].mss, 1460);
    EXPECT_EQ(s->options[1].kind, kTcpOptionSackPermitted);
    EXPECT_EQ(s->options[2].kind, kTcpOptionTimestamps);
    EXPECT_EQ(s->options[2].ts_value, 123456u);
    EXPECT_EQ(s->options[2].ts_echo, 0u);
    EXPECT_EQ(s->options[3].kind, kTcpOptionNop);
    EXPECT_EQ(s->options[3].length, 1);
    EXPECT_EQ(s->options[4].kind, kTcpOptionWindowScale);
    EXPECT_EQ(s->options[4].window_scale, 7);
}

TEST(Tcp, ParsesDataSegment) {
    auto bytes = hex(kData);
    auto s = TcpSegment::parse(bytes);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->flags, kTcpPsh | kTcpAck);
    EXPECT_EQ(s->header_length, 20u);
    EXPECT_TRUE(s->options.empty());
    EXPECT_EQ(s->payload.size(), 3u);
    EXPECT_EQ(s->payload.data(), bytes.data() + 20);
    EXPECT_TRUE(s->checksum_ok(kSrc, kDst));
    bytes.back() = std::byte{'X'};
    s = TcpSegment::parse(bytes);
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->checksum_ok(kSrc, kDst));  // a bad checksum is only a flag
}

TEST(Tcp, SackEolAndUnknownOptions) {
    // Data offset 12: NOP NOP, SACK with 2 blocks (18 bytes), kind 30 (unknown, 2 value
    // bytes), EOL and 3 bytes of padding: 28 bytes of options.
    auto bytes = hex("00 50 ca 3f 00 00 03 e8 00 00 00 02 c0 10 01 f6 00 00 00 00"
                     " 01 01 05 12 00 00 00 0a 00 00 00 14 00 00 00 1e 00 00 00 28"
                     " 1e 04 ab cd 00 00 00 00");
    auto s = TcpSegment::parse(bytes);
    ASSERT_TRUE(s) << s.error().to_string();
    ASSERT_EQ(s->options.size(), 5u);
    EXPECT_EQ(s->options[2].kind, kTcpOptionSack);
    EXPECT_EQ(s->options[2].sack, (SackBlocks{{10, 20}, {30, 40}}));
    EXPECT_EQ(s->options[3].kind, 30);
    EXPECT_EQ(s->options[3].length, 4);
    EXPECT_EQ(s->options[3].data.size(), 2u);
    EXPECT_EQ(s->options[4].kind, kTcpOptionEnd);  // EOL listed, the padding after it not
    // Round trip: known kinds from fields, the unknown from its raw bytes.
    TcpSegment copy = *s;
    copy.checksum = 0;
    EXPECT_EQ(copy.build(kSrc, kDst, ChecksumMode::keep), bytes);
}

TEST(Tcp, FlagNamesInOrder) {
    const std::uint16_t all = 0x1ff;
    auto names = tcp_flag_names(all);
    std::vector<std::string> got(names.begin(), names.end());
    EXPECT_EQ(got, (std::vector<std::string>{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"}));
    EXPECT_TRUE(tcp_flag_names(0).empty());
    // NS sits in byte 12; it and ECE/CWR survive a parse.
    auto bytes = hex(kData);
    bytes[12] = std::byte{0x51};
    bytes[13] = std::byte{0xc2};
    auto s = TcpSegment::parse(bytes);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->flags, kTcpNs | kTcpCwr | kTcpEce | kTcpSyn);
}

TEST(Tcp, Malformed) {
    struct Case {
        std::string name;
        std::string bytes;
        std::string reason;
        std::size_t offset;
    };
    const std::string head = "ca 3f 00 50 00 00 00 01 00 00 00 00";
    const std::string tail = " 02 fa f0 1c 39 00 00";  // flags .. urgent
    const Case cases[] = {
        {"short", "ca 3f 00 50 00 00 00 01", "truncated header: need 20 bytes, have 8", 0},
        {"offset 4", head + " 40" + tail, "bad data offset 4 (16 bytes), minimum 5", 12},
        {"offset past end", head + " 80" + tail + " 01 01 01 01", "truncated header: need 32 bytes (data offset 8), have 24", 12},
        {"no length byte", head + " 60" + tail + " 01 01 01 02", "option 2 truncated: no length byte", 23},
        {"length 1", head + " 60" + tail + " 02 01 05 b4", "option 2 has length 1, less than 2", 21},
        {"length 0", head + " 60" + tail + " 1e 00 00 00", "option 30 has length 0, less than 2", 21},
        {"past header", head + " 60" + tail + " 01 02 08 00", "option 2 length 8 runs past the header (3 bytes left)", 22},
        {"mss length", head + " 60" + tail + " 02 03 05 01", "MSS option has length 3, expected 4", 21},
        {"wscale length", head + " 60" + tail + " 03 04 07 00", "window scale option has length 4, expected 3", 21},
        {"sackok length", head + " 60" + tail + " 04 03 00 01", "SACK permitted option has length 3, expected 2", 21},
        {"ts length", head + " 70" + tail + " 08 08 00 00 00 00 00 00", "timestamps option has length 8, expected 10", 21},
        {"sack length", head + " 80" + tail + " 05 0b 00 00 00 00 00 00 00 00 00 00", "SACK option length 11 is not 2 + 8n", 21},
        {"sack empty", head + " 60" + tail + " 05 02 00 00", "SACK option length 2 is not 2 + 8n", 21},
    };
    for (const auto& c : cases) {
        auto bytes = hex(c.bytes);
        auto s = TcpSegment::parse(bytes);
        ASSERT_FALSE(s) << c.name;
        EXPECT_STREQ(s.error().layer, "tcp") << c.name;
        EXPECT_EQ(s.error().reason, c.reason) << c.name;
        EXPECT_EQ(s.error().offset, c.offset) << c.name;
    }
}

TEST(Tcp, BuildSynMatchesCapture) {
    TcpSegment s;
    s.src_port = 51775;
    s.dst_port = 80;
    s.seq = 1;
    s.flags = kTcpSyn;
    s.window = 64240;
    s.options = {tcp_mss_option(1460), tcp_sack_permitted_option(), tcp_timestamps_option(123456, 0),
                 tcp_nop_option(), tcp_window_scale_option(7)};
    EXPECT_EQ(s.built_header_length(), 40u);
    EXPECT_EQ(s.build(kSrc, kDst), hex(kSyn));
}

TEST(Tcp, BuildPadsOptionsAndRoundTrips) {
    auto payload = hex("47 45 54");
    TcpSegment s;
    s.src_port = 80;
    s.dst_port = 51775;
    s.seq = 1000;
    s.ack = 2;
    s.flags = kTcpPsh | kTcpAck;
    s.window = 502;
    s.payload = payload;
    EXPECT_EQ(s.build(kSrc, kDst), hex(kData));

    const std::byte raw[] = {std::byte{0xaa}};
    s.options = {tcp_window_scale_option(3), tcp_raw_option(99, raw), tcp_sack_option({{1, 2}})};
    // 3 + 3 + 10 = 16 bytes: already aligned; add one NOP and it pads to 20.
    EXPECT_EQ(s.built_header_length(), 36u);
    s.options.push_back(tcp_nop_option());
    EXPECT_EQ(s.built_header_length(), 40u);
    auto bytes = s.build(kSrc, kDst);
    auto back = TcpSegment::parse(bytes);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_TRUE(back->checksum_ok(kSrc, kDst));
    EXPECT_EQ(back->header_length, 40u);
    ASSERT_EQ(back->options.size(), 5u);  // ws, raw, sack, nop, EOL (padding)
    EXPECT_EQ(back->options[0].window_scale, 3);
    EXPECT_EQ(back->options[1].kind, 99);
    EXPECT_EQ(back->options[1].data[0], std::byte{0xaa});
    EXPECT_EQ(back->options[2].sack, (SackBlocks{{1, 2}}));
    EXPECT_EQ(back->options[4].kind, kTcpOptionEnd);
    EXPECT_EQ(back->payload.size(), 3u);
}

TEST(Tcp, MutatedBytesNeverReadPastTheSpan) {
    // Cheap in-tree fuzzing: random byte flips and truncations of a real segment; under ASan
    // any read past the span fails the run. Every parse either succeeds or names an offset
    // inside the input.
    const auto original = hex(kSyn);
    std::uint32_t state = 12345;
    auto next = [&state] { return state = state * 1103515245u + 12345u; };
    for (int i = 0; i < 20000; ++i) {
        auto bytes = original;
        for (int k = 0; k < 3; ++k) bytes[next() % bytes.size()] = std::byte(next() >> 16);
        bytes.resize(next() % (bytes.size() + 1));
        std::vector<std::byte> exact(bytes);  // a fresh allocation sized exactly
        auto s = TcpSegment::parse(exact);
        if (!s) {
            EXPECT_LE(s.error().offset, exact.size());
        }
    }
}

TEST(Tcp, BuildRejectsTooManyOptions) {
    TcpSegment s;
    s.options.assign(11, tcp_mss_option(1));  // 44 bytes
    EXPECT_THROW((void)s.build(kSrc, kDst), std::length_error);
}

}  // namespace
}  // namespace weft::wire
