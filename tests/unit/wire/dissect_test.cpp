#include "weft/wire/dissect.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "weft/wire/arp.hpp"
#include "weft/wire/dhcp.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/icmp.hpp"
#include "weft/wire/ipv4.hpp"
#include "weft/wire/ipv4_fragment.hpp"
#include "weft/wire/tcp.hpp"
#include "weft/wire/udp.hpp"

namespace weft::wire {
namespace {

const Ipv4Address kSrc(192, 0, 2, 1);
const Ipv4Address kDst(192, 0, 2, 2);
const MacAddress kSrcMac(MacAddress::Bytes{0x02, 0, 0, 0, 0, 1});

std::span<const std::byte> text_bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::vector<std::byte> ether(std::uint16_t type, std::span<const std::byte> payload, bool pad = true) {
    EthernetFrame e;
    e.dst = MacAddress::broadcast();
    e.src = kSrcMac;
    e.type = type;
    e.payload = payload;
    return e.build(pad);
}

std::vector<std::byte> ipv4_frame(std::uint8_t protocol, std::span<const std::byte> payload, bool df = true) {
    Ipv4Packet ip;
    ip.src = kSrc;
    ip.dst = kDst;
    ip.protocol = protocol;
    ip.identification = 1;
    ip.dont_fragment = df;
    ip.payload = payload;
    return ether(kEtherTypeIpv4, ip.build());
}

std::vector<std::byte> tcp_frame(TcpSegment s) { return ipv4_frame(kIpProtocolTcp, s.build(kSrc, kDst)); }

std::vector<std::byte> udp_frame(std::uint16_t sport, std::uint16_t dport, std::span<const std::byte> data) {
    UdpDatagram u;
    u.src_port = sport;
    u.dst_port = dport;
    u.payload = data;
    return ipv4_frame(kIpProtocolUdp, u.build(kSrc, kDst));
}

std::vector<std::string> names(const DissectedFrame& f) {
    std::vector<std::string> out;
    for (const auto& l : f.layers) out.push_back(l.name);
    return out;
}

std::string field(const DissectedFrame& f, std::string_view layer, std::string_view key) {
    const DissectLayer* l = f.find(layer);
    if (!l) return "<no layer>";
    const DissectValue* v = l->find(key);
    return v ? to_json(*v) : "<no field>";
}

TEST(Dissect, DesignExampleSynMatchesTheSchema) {
    TcpSegment s;
    s.src_port = 51775;
    s.dst_port = 80;
    s.seq = 1;
    s.flags = kTcpSyn;
    s.window = 64240;
    const auto bytes = tcp_frame(s);
    const DissectedFrame f = dissect_frame(std::span(bytes).first(54), 54);
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "tcp"}));
    std::string json = to_json(frame_value(f, 1));
    // Checksums vary with the bytes; everything else is the DESIGN.md example.
    const std::string ip_sum = field(f, "ipv4", "checksum"), tcp_sum = field(f, "tcp", "checksum");
    EXPECT_EQ(json,
              "{\"frame\":1,\"length\":54,\"original_length\":54,\"layers\":["
              "{\"layer\":\"ethernet\",\"dst\":\"ff:ff:ff:ff:ff:ff\",\"src\":\"02:00:00:00:00:01\",\"type\":2048},"
              "{\"layer\":\"ipv4\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\",\"header_length\":20,\"total_length\":40,"
              "\"id\":1,\"df\":true,\"mf\":false,\"fragment_offset\":0,\"ttl\":64,\"protocol\":6,"
              "\"checksum\":" + ip_sum + ",\"checksum_ok\":true,\"options\":[]},"
              "{\"layer\":\"tcp\",\"src_port\":51775,\"dst_port\":80,\"seq\":1,\"ack\":0,\"header_length\":20,"
              "\"flags\":[\"SYN\"],\"window\":64240,\"checksum\":" + tcp_sum + ",\"checksum_ok\":true,\"options\":[]}]}");
}

TEST(Dissect, EthernetPaddingIsNotPayload) {
    TcpSegment s;
    s.flags = kTcpAck;
    const auto bytes = tcp_frame(s);  // 54 bytes padded to 60
    ASSERT_EQ(bytes.size(), 60u);
    EXPECT_EQ(names(dissect_frame(bytes)), (std::vector<std::string>{"ethernet", "ipv4", "tcp"}));
}

TEST(Dissect, VlanTagGivesInnerTypeAndId) {
    EthernetFrame e;
    e.dst = MacAddress::broadcast();
    e.src = kSrcMac;
    e.type = kEtherTypeArp;
    e.vlan = VlanTag{42, 0, false};
    const auto arp = ArpPacket::request(kSrcMac, kSrc, kDst).build();
    e.payload = arp;
    const auto bytes = e.build();
    const DissectedFrame f = dissect_frame(bytes);
    EXPECT_EQ(names(f), (std::vector<std::string>{"ethernet", "arp"}));
    EXPECT_EQ(field(f, "ethernet", "type"), "2054");
    EXPECT_EQ(field(f, "ethernet", "vlan"), "42");
    EXPECT_EQ(field(f, "arp", "op"), "1");
    EXPECT_EQ(field(f, "arp", "target_ip"), "\"192.0.2.2\"");
    EXPECT_EQ(field(f, "arp", "target_mac"), "\"00:00:00:00:00:00\"");
    EXPECT_EQ(f.find("arp")->offset, 18u);
}

TEST(Dissect, Ipv4OptionsAreListed) {
    Ipv4Packet ip;
    ip.src = kSrc;
    ip.dst = kDst;
    ip.protocol = 253;  // experimental: payload
    const std::byte rr[] = {std::byte{4}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
                            std::byte{0}, std::byte{0}, std::byte{0}};  // pointer + two slots
    ip.options.push_back(Ipv4Option{kIpv4OptionNop, 1, {}});
    ip.options.push_back(Ipv4Option{7, 11, rr});
    ip.options.push_back(Ipv4Option{kIpv4OptionEnd, 1, {}});
    const std::byte data[3] = {};
    ip.payload = data;
    const auto bytes = ether(kEtherTypeIpv4, ip.build());
    const DissectedFrame f = dissect_frame(bytes);
    EXPECT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "payload"}));
    EXPECT_EQ(field(f, "ipv4", "options"),
              "[{\"type\":1,\"length\":1},{\"type\":7,\"length\":11},{\"type\":0,\"length\":1}]");
    EXPECT_EQ(field(f, "ipv4", "header_length"), "36");
    EXPECT_EQ(field(f, "payload", "length"), "3");
}

TEST(Dissect, IcmpEchoHasIdSeqAndPayload) {
    const std::byte data[5] = {};
    const auto icmp = IcmpMessage::echo_request(0x1234, 7, data).build();
    const DissectedFrame f = dissect_frame(ipv4_frame(kIpProtocolIcmp, icmp));
    EXPECT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "icmp", "payload"}));
    EXPECT_EQ(field(f, "icmp", "id"), "4660");
    EXPECT_EQ(field(f, "icmp", "seq"), "7");
    EXPECT_EQ(field(f, "icmp", "checksum_ok"), "true");
    EXPECT_EQ(field(f, "payload", "length"), "5");
}

TEST(Dissect, IcmpUnreachableHasNoIdSeq) {
    const std::byte quote[28] = {};
    const auto icmp = IcmpMessage::destination_unreachable(kIcmpPortUnreachable, quote).build();
    const DissectedFrame f = dissect_frame(ipv4_frame(kIpProtocolIcmp, icmp));
    EXPECT_EQ(field(f, "icmp", "type"), "3");
    EXPECT_EQ(field(f, "icmp", "id"), "<no field>");
}

TEST(Dissect, UdpChecksumZeroIsOkAndABadOneIsFalseNotAnError) {
    const std::byte data[4] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    auto bytes = udp_frame(1000, 2000, data);
    // Zero the checksum (bytes 40-41 of the frame): "not computed".
    bytes[40] = bytes[41] = std::byte{0};
    DissectedFrame f = dissect_frame(bytes);
    EXPECT_EQ(field(f, "udp", "checksum_ok"), "true");
    EXPECT_EQ(field(f, "payload", "length"), "4");
    bytes[40] = std::byte{0x12};
    f = dissect_frame(bytes);
    EXPECT_EQ(field(f, "udp", "checksum_ok"), "false");
    EXPECT_EQ(f.error(), nullptr);
}

TEST(Dissect, TcpOptionsCarryTheirValuesAndEolButNotPadding) {
    TcpSegment s;
    s.src_port = 1;
    s.dst_port = 2;
    s.flags = kTcpSyn | kTcpEce | kTcpCwr;
    s.options = {tcp_mss_option(1460), tcp_nop_option(), tcp_window_scale_option(7), tcp_sack_permitted_option(),
                 tcp_timestamps_option(123456, 0), tcp_end_option()};
    const DissectedFrame f = dissect_frame(tcp_frame(s));
    EXPECT_EQ(field(f, "tcp", "flags"), "[\"SYN\",\"ECE\",\"CWR\"]");
    EXPECT_EQ(field(f, "tcp", "options"),
              "[{\"kind\":2,\"length\":4,\"mss\":1460},{\"kind\":1,\"length\":1},{\"kind\":3,\"length\":3,\"wscale\":7},"
              "{\"kind\":4,\"length\":2},{\"kind\":8,\"length\":10,\"tsval\":123456,\"tsecr\":0},"
              "{\"kind\":0,\"length\":1}]");
    EXPECT_EQ(field(f, "tcp", "header_length"), "44");
}

TEST(Dissect, FirstFragmentCarriesTransportWithNullChecksumLaterOnesPayload) {
    const std::string request = "GET /x HTTP/1.1\r\nHost: a\r\n" + std::string(3000, 'h');
    TcpSegment s;
    s.src_port = 40000;
    s.dst_port = 8080;
    s.flags = kTcpPsh | kTcpAck;
    s.payload = text_bytes(request);
    const auto segment = s.build(kSrc, kDst);
    Ipv4Packet ip;
    ip.src = kSrc;
    ip.dst = kDst;
    ip.protocol = kIpProtocolTcp;
    ip.payload = segment;
    auto pieces = fragment(ip, 1500);
    ASSERT_TRUE(pieces);
    ASSERT_EQ(pieces->size(), 3u);
    const DissectedFrame first = dissect_frame(ether(kEtherTypeIpv4, (*pieces)[0]));
    EXPECT_EQ(names(first), (std::vector<std::string>{"ethernet", "ipv4", "tcp", "http"}));
    EXPECT_EQ(field(first, "tcp", "checksum_ok"), "null");
    EXPECT_EQ(field(first, "ipv4", "mf"), "true");
    EXPECT_EQ(field(first, "http", "headers"), "[[\"Host\",\"a\"]]");
    const DissectedFrame second = dissect_frame(ether(kEtherTypeIpv4, (*pieces)[1]));
    EXPECT_EQ(names(second), (std::vector<std::string>{"ethernet", "ipv4", "payload"}));
    EXPECT_EQ(field(second, "ipv4", "fragment_offset"), "1480");
    EXPECT_EQ(field(second, "payload", "length"), "1480");
}

TEST(Dissect, FirstUdpFragmentWithChecksumZeroIsTrue) {
    std::vector<std::byte> data(2000);
    UdpDatagram u;
    u.src_port = 1;
    u.dst_port = 2;
    u.payload = data;
    auto segment = u.build(kSrc, kDst);
    segment[6] = segment[7] = std::byte{0};
    Ipv4Packet ip;
    ip.src = kSrc;
    ip.dst = kDst;
    ip.protocol = kIpProtocolUdp;
    ip.payload = segment;
    auto pieces = fragment(ip, 1500);
    ASSERT_TRUE(pieces);
    const DissectedFrame f = dissect_frame(ether(kEtherTypeIpv4, (*pieces)[0]));
    EXPECT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "udp", "payload"}));
    EXPECT_EQ(field(f, "udp", "length"), "2008");
    EXPECT_EQ(field(f, "udp", "checksum_ok"), "true");
}

TEST(Dissect, TruncatedIpv4EndsWithAnErrorLayerAndKeepsEthernet) {
    const std::byte short_ip[12] = {std::byte{0x45}};
    const auto bytes = ether(kEtherTypeIpv4, short_ip, false);
    const DissectedFrame f = dissect_frame(bytes);
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "error"}));
    EXPECT_EQ(field(f, "error", "at"), "\"ipv4\"");
    EXPECT_EQ(field(f, "error", "offset"), "14");
}

TEST(Dissect, BadVersionIsAnError) {
    TcpSegment s;
    auto bytes = tcp_frame(s);
    bytes[14] = std::byte{0x65};
    const DissectedFrame f = dissect_frame(bytes);
    ASSERT_NE(f.error(), nullptr);
    EXPECT_EQ(field(f, "error", "at"), "\"ipv4\"");
}

TEST(Dissect, TruncatedEthernetAndOtherLinktypes) {
    const std::byte tiny[5] = {};
    DissectedFrame f = dissect_frame(tiny);
    EXPECT_EQ(names(f), (std::vector<std::string>{"error"}));
    EXPECT_EQ(field(f, "error", "at"), "\"ethernet\"");
    f = dissect_frame(tiny, 0, 113);
    EXPECT_EQ(names(f), (std::vector<std::string>{"error"}));
    EXPECT_NE(field(f, "error", "reason").find("113"), std::string::npos);
}

TEST(Dissect, UnknownEtherTypeIsPayload) {
    const std::byte data[50] = {};
    const DissectedFrame f = dissect_frame(ether(0x88b5, data));
    EXPECT_EQ(names(f), (std::vector<std::string>{"ethernet", "payload"}));
    EXPECT_EQ(field(f, "payload", "length"), "50");
}

DnsMessage sample_dns() {
    DnsMessage m;
    m.header.id = 0xbeef;
    m.header.qr = m.header.rd = m.header.ra = true;
    const DnsName name = *DnsName::from_text("www.example.com");
    m.questions.push_back({name, DnsType::A, DnsClass::IN});
    m.answers.push_back({name, DnsType::CNAME, DnsClass::IN, 60, DnsCname{*DnsName::from_text("web.example.com")}});
    m.answers.push_back({*DnsName::from_text("web.example.com"), DnsType::A, DnsClass::IN, 60,
                         DnsA{Ipv4Address(198, 51, 100, 7)}});
    m.additional.push_back({name, DnsType::TXT, DnsClass::IN, 5, DnsTxt{{"a b", "c"}}});
    return m;
}

TEST(Dissect, DnsOverUdp) {
    const auto msg = build_dns(sample_dns());
    const DissectedFrame f = dissect_frame(udp_frame(53, 40000, msg));
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "udp", "dns"}));
    EXPECT_EQ(field(f, "dns", "id"), "48879");
    EXPECT_EQ(field(f, "dns", "qr"), "true");
    EXPECT_EQ(field(f, "dns", "aa"), "false");
    EXPECT_EQ(field(f, "dns", "questions"), "[{\"name\":\"www.example.com\",\"type\":\"A\",\"class\":\"IN\"}]");
    EXPECT_EQ(field(f, "dns", "answers"),
              "[{\"name\":\"www.example.com\",\"type\":\"CNAME\",\"class\":\"IN\",\"ttl\":60,\"data\":\"web.example.com\"},"
              "{\"name\":\"web.example.com\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":60,\"data\":\"198.51.100.7\"}]");
    EXPECT_EQ(field(f, "dns", "additional"),
              "[{\"name\":\"www.example.com\",\"type\":\"TXT\",\"class\":\"IN\",\"ttl\":5,\"data\":[\"a b\",\"c\"]}]");
    EXPECT_EQ(field(f, "dns", "authority"), "[]");
}

TEST(Dissect, DnsOverTcpHasALengthPrefix) {
    const auto msg = build_dns(sample_dns());
    std::vector<std::byte> stream = {std::byte(msg.size() >> 8), std::byte(msg.size() & 0xff)};
    stream.insert(stream.end(), msg.begin(), msg.end());
    TcpSegment s;
    s.src_port = 53;
    s.dst_port = 40000;
    s.flags = kTcpPsh | kTcpAck;
    s.payload = stream;
    const DissectedFrame f = dissect_frame(tcp_frame(s));
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "tcp", "dns"}));
    EXPECT_EQ(field(f, "dns", "id"), "48879");
    // Cut the message: the length prefix now runs past the segment.
    s.payload = std::span(stream).first(stream.size() - 3);
    const DissectedFrame cut = dissect_frame(tcp_frame(s));
    EXPECT_EQ(field(cut, "error", "at"), "\"dns\"");
}

TEST(Dissect, DnsPointerLoopIsAnErrorAtItsOffset) {
    // Header with one question whose name is a pointer to itself (offset 12).
    std::vector<std::byte> msg(12);
    msg[5] = std::byte{1};
    msg.push_back(std::byte{0xc0});
    msg.push_back(std::byte{12});
    msg.insert(msg.end(), 4, std::byte{0});
    const auto bytes = udp_frame(40000, 53, msg);
    const DissectedFrame f = dissect_frame(bytes);
    ASSERT_NE(f.error(), nullptr);
    EXPECT_EQ(field(f, "error", "at"), "\"dns\"");
    EXPECT_EQ(field(f, "error", "offset"), std::to_string(14 + 20 + 8 + 12));
    EXPECT_NE(f.find("udp"), nullptr);
}

TEST(Dissect, DhcpOptionsFollowTheSchema) {
    DhcpMessage m;
    m.op = kBootReply;
    m.xid = 0x11223344;
    m.yiaddr = Ipv4Address(192, 168, 1, 100);
    m.set_client_mac(kSrcMac);
    const Ipv4Address routers[] = {Ipv4Address(192, 168, 1, 1)};
    const Ipv4Address dns[] = {Ipv4Address(8, 8, 8, 8), Ipv4Address(1, 1, 1, 1)};
    m.add_message_type(DhcpMessageType::Offer)
        .add_address(dhcp_option::kServerId, Ipv4Address(192, 168, 1, 1))
        .add_seconds(dhcp_option::kLeaseTime, std::chrono::seconds(3600))
        .add_address(dhcp_option::kSubnetMask, Ipv4Address(255, 255, 255, 0))
        .add_addresses(dhcp_option::kRouter, routers)
        .add_addresses(dhcp_option::kDnsServer, dns)
        .add_text(dhcp_option::kDomainName, "lan")
        .add_u16(dhcp_option::kMaxMessageSize, 1500);
    const auto msg = build_dhcp(m);
    const DissectedFrame f = dissect_frame(udp_frame(67, 68, msg));
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "udp", "dhcp"}));
    EXPECT_EQ(field(f, "dhcp", "op"), "2");
    EXPECT_EQ(field(f, "dhcp", "xid"), "287454020");
    EXPECT_EQ(field(f, "dhcp", "yiaddr"), "\"192.168.1.100\"");
    EXPECT_EQ(field(f, "dhcp", "chaddr"), "\"02:00:00:00:00:01\"");
    EXPECT_EQ(field(f, "dhcp", "message_type"), "\"OFFER\"");
    EXPECT_EQ(field(f, "dhcp", "options"),
              "{\"53\":2,\"54\":\"192.168.1.1\",\"51\":3600,\"1\":\"255.255.255.0\",\"3\":[\"192.168.1.1\"],"
              "\"6\":[\"8.8.8.8\",\"1.1.1.1\"],\"15\":\"6c616e\",\"57\":1500}");
}

TEST(Dissect, DhcpWithoutOption53HasNullMessageType) {
    DhcpMessage m;
    m.add_address(dhcp_option::kRequestedIp, Ipv4Address(10, 0, 0, 5));
    const DissectedFrame f = dissect_frame(udp_frame(68, 67, build_dhcp(m)));
    EXPECT_EQ(field(f, "dhcp", "message_type"), "null");
    EXPECT_EQ(field(f, "dhcp", "options"), "{\"50\":\"10.0.0.5\"}");
}

TEST(Dissect, HttpHeadKeepsOnlyCompleteLinesOfThisFrame) {
    TcpSegment s;
    s.src_port = 51775;
    s.dst_port = 80;
    s.flags = kTcpPsh | kTcpAck;
    const std::string cut = "GET /index.html HTTP/1.1\r\nHost: www.google.com\r\nUser-Agent: weft/0.";
    s.payload = text_bytes(cut);
    DissectedFrame f = dissect_frame(tcp_frame(s));
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "tcp", "http"}));
    EXPECT_EQ(field(f, "http", "kind"), "\"request\"");
    EXPECT_EQ(field(f, "http", "method"), "\"GET\"");
    EXPECT_EQ(field(f, "http", "target"), "\"/index.html\"");
    EXPECT_EQ(field(f, "http", "version"), "\"HTTP/1.1\"");
    EXPECT_EQ(field(f, "http", "headers"), "[[\"Host\",\"www.google.com\"]]");

    const std::string response = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
    s.src_port = 80;
    s.dst_port = 51775;
    s.payload = text_bytes(response);
    f = dissect_frame(tcp_frame(s));
    ASSERT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "tcp", "http", "payload"}));
    EXPECT_EQ(field(f, "http", "kind"), "\"response\"");
    EXPECT_EQ(field(f, "http", "status"), "404");
    EXPECT_EQ(field(f, "http", "method"), "<no field>");
    EXPECT_EQ(field(f, "payload", "length"), "3");
}

TEST(Dissect, TcpDataThatIsNotHttpIsPayload) {
    TcpSegment s;
    s.src_port = 5000;
    s.dst_port = 6000;
    s.flags = kTcpAck;
    s.payload = text_bytes("GETX nothing");
    const DissectedFrame f = dissect_frame(tcp_frame(s));
    EXPECT_EQ(names(f), (std::vector<std::string>{"ethernet", "ipv4", "tcp", "payload"}));
}

TEST(Dissect, CapturedShorterThanOriginalIsReported) {
    TcpSegment s;
    const auto bytes = tcp_frame(s);
    const DissectedFrame f = dissect_frame(bytes, 1514);
    EXPECT_EQ(f.length, 60u);
    EXPECT_EQ(f.original_length, 1514u);
}

TEST(DissectJson, EscapesStringsAndKeepsKeyOrder) {
    DissectValue v = DissectValue::Object{{"z", "a\"b\\c\n\x01\xff"}, {"a", nullptr}, {"m", DissectValue::List{true, -3}}};
    EXPECT_EQ(to_json(v), "{\"z\":\"a\\\"b\\\\c\\n\\u0001\\u00ff\",\"a\":null,\"m\":[true,-3]}");
    EXPECT_EQ(to_text(v), "{z=a\"b\\c\n\x01\xff a=- m=[yes, -3]}");
}

// The JSON writer formats numbers and escapes text itself (no to_string, no snprintf, for
// speed): both against the obvious reference, at every boundary of its fast paths.
TEST(DissectJson, NumbersAreWhatToStringGives) {
    std::vector<std::int64_t> values = {0, 1, 9, 10, 11, 99, 100, 101, 255, 65535, 4294967295,
                                        std::numeric_limits<std::int64_t>::max(),
                                        std::numeric_limits<std::int64_t>::min(), -1, -9, -10, -99, -100};
    for (std::int64_t p = 1; p <= std::numeric_limits<std::int64_t>::max() / 10; p *= 10)
        for (std::int64_t v : {p - 1, p, p + 1, 2 * p, 10 * p - 1}) values.insert(values.end(), {v, -v});
    for (std::int64_t v : values) ASSERT_EQ(to_json(DissectValue(v)), std::to_string(v)) << v;
}

TEST(DissectJson, EveryByteIsEscapedAsRfc8259AndThisWriterSay) {
    for (int c = 0; c < 256; ++c) {
        for (std::size_t at : {0, 3, 7, 8, 9, 15, 16, 40}) {  // before, inside and after a word
            std::string text(41, 'a');
            text[at] = static_cast<char>(c);
            std::string expected = "\"";
            for (char ch : text) {
                const auto u = static_cast<unsigned char>(ch);
                if (ch == '"') expected += "\\\"";
                else if (ch == '\\') expected += "\\\\";
                else if (ch == '\n') expected += "\\n";
                else if (ch == '\r') expected += "\\r";
                else if (ch == '\t') expected += "\\t";
                else if (u < 0x20 || u >= 0x7f) {
                    static constexpr char kHex[] = "0123456789abcdef";
                    expected += "\\u00";
                    expected += kHex[u >> 4];
                    expected += kHex[u & 0xf];
                } else {
                    expected += ch;
                }
            }
            expected += '"';
            ASSERT_EQ(to_json(DissectValue(text)), expected) << "byte " << c << " at " << at;
        }
    }
}

// Every prefix of a frame rich in layers decodes without reading past it (ASan watches), and
// the JSON and the table written as it decodes (append_frame_json and append_frame_table, what
// weft decode prints) are those of the tree, byte for byte, whatever layer the cut ends in.
TEST(Dissect, EveryPrefixOfEveryLayerIsSafeAndStreamedTextEqualsTheTree) {
    const auto msg = build_dns(sample_dns());
    std::vector<std::vector<std::byte>> frames = {udp_frame(53, 40000, msg)};
    TcpSegment s;
    s.options = {tcp_mss_option(1460), tcp_timestamps_option(1, 2), tcp_window_scale_option(7)};
    s.payload = text_bytes("HTTP/1.1 200 OK\r\nA: b\r\nX-Odd: \"q\\\x7f\xc3\xa9\r\n\r\nbody");
    frames.push_back(tcp_frame(s));
    s.payload = text_bytes("GET /a%20b?c=\"d\" HTTP/1.1\r\nHost: h\r\n\r\n");
    frames.push_back(tcp_frame(s));
    std::vector<std::byte> stream = {std::byte(msg.size() >> 8), std::byte(msg.size() & 0xff)};
    stream.insert(stream.end(), msg.begin(), msg.end());
    s.src_port = 53;
    s.payload = stream;
    frames.push_back(tcp_frame(s));
    DhcpMessage m;
    m.add_message_type(DhcpMessageType::Discover);
    const Ipv4Address routers[] = {Ipv4Address(192, 168, 1, 1), Ipv4Address(192, 168, 1, 2)};
    m.add_addresses(dhcp_option::kRouter, routers).add_text(dhcp_option::kDomainName, "lan");
    frames.push_back(udp_frame(68, 67, build_dhcp(m)));
    IcmpMessage icmp = IcmpMessage::echo_request(7, 9, text_bytes("ping"));
    frames.push_back(ipv4_frame(kIpProtocolIcmp, icmp.build()));
    ArpPacket arp;
    arp.operation = kArpRequest;
    arp.sender_mac = kSrcMac;
    arp.sender_ip = kSrc;
    arp.target_ip = kDst;
    frames.push_back(ether(kEtherTypeArp, arp.build()));
    Ipv4Packet big;
    big.src = kSrc;
    big.dst = kDst;
    big.protocol = kIpProtocolUdp;
    UdpDatagram u;
    u.src_port = 5000;
    u.dst_port = 53;
    const std::vector<std::byte> data(600, std::byte{'a'});
    u.payload = data;
    const auto udp_bytes = u.build(kSrc, kDst);
    big.payload = udp_bytes;
    auto pieces = fragment(big, 300);
    ASSERT_TRUE(pieces);
    for (const auto& piece : *pieces) frames.push_back(ether(kEtherTypeIpv4, piece));
    for (const auto& frame : frames) {
        for (std::size_t n = 0; n <= frame.size(); ++n) {
            const auto cut = std::span(frame).first(n);
            const DissectedFrame f = dissect_frame(cut, frame.size());
            EXPECT_FALSE(f.layers.empty());
            std::string streamed;
            append_frame_json(streamed, n + 1, cut, frame.size());
            ASSERT_EQ(streamed, to_json(frame_value(f, n + 1))) << "cut at " << n << " of " << frame.size();
            std::string table, tree_table;
            append_frame_table(table, n + 1, cut, frame.size());
            append_frame_table(tree_table, n + 1, f);
            ASSERT_EQ(table, tree_table) << "cut at " << n << " of " << frame.size();
        }
    }
    // Other link types end in the error layer the same way.
    std::string streamed;
    append_frame_json(streamed, 1, frames[0], 0, 113);
    EXPECT_EQ(streamed, to_json(frame_value(dissect_frame(frames[0], 0, 113), 1)));
}

// The tables of weft decode and weft explain print fields through to_text(layer, field):
// the Ethernet type in hex, everything else as to_text(value); JSON keeps the number.
TEST(Dissect, FieldTextShowsEtherTypeInHexOnlyInEthernet) {
    const std::byte payload[4]{};
    const DissectedFrame f = dissect_frame(ether(kEtherTypeIpv6, payload));
    const DissectLayer* eth = f.find("ethernet");
    ASSERT_NE(eth, nullptr);
    std::vector<std::string> items;
    for (const DissectField& field : eth->fields) items.push_back(field.name + "=" + to_text(*eth, field));
    EXPECT_EQ(items, (std::vector<std::string>{"dst=ff:ff:ff:ff:ff:ff", "src=02:00:00:00:00:01", "type=0x86dd"}));
    EXPECT_EQ(to_text(*eth->find("type")), "34525");

    // A field called "type" elsewhere (ICMP's) is a plain number.
    DissectLayer icmp{"icmp", {{"type", 8}}, 0, 8};
    EXPECT_EQ(to_text(icmp, icmp.fields[0]), "8");
    // A type that is not a number is printed as it is, never thrown on.
    DissectLayer odd{"ethernet", {{"type", "vlan"}}, 0, 14};
    EXPECT_EQ(to_text(odd, odd.fields[0]), "vlan");
}

}  // namespace
}  // namespace weft::wire
