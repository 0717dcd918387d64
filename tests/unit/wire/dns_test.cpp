#include "weft/wire/dns.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <random>
#include <string>
#include <vector>

namespace weft::wire {
namespace {

// Hex digits to bytes; spaces and anything else that is not a hex digit are skipped, and
// 'x' in quotes is not supported: keep vectors readable with spaces only.
using test_support::hex;

DnsName name(std::string_view text) { return DnsName::from_text(text).value(); }

// dig www.google.com A (with an EDNS cookie), as sent.
const char* kGoogleQuery =
    "abcd 0120 0001 0000 0000 0001"
    "03 777777 06 676f6f676c65 03 636f6d 00 0001 0001"
    "00 0029 04d0 00000000 000c 000a 0008 0102030405060708";
// ... and the answer: the owner name is a pointer to the question (c00c).
const char* kGoogleResponse =
    "abcd 8180 0001 0001 0000 0001"
    "03 777777 06 676f6f676c65 03 636f6d 00 0001 0001"
    "c00c 0001 0001 0000012c 0004 8efab944"
    "00 0029 04d0 00000000 0000";

// example.com MX: answer, SOA in authority, glue A for mail.example.com in additional,
// every name after the question compressed.
const char* kExampleMxResponse =
    "1234 8580 0001 0001 0001 0001"
    "07 6578616d706c65 03 636f6d 00 000f 0001"                    // 12: example.com MX IN
    "c00c 000f 0001 00000e10 0009 000a 04 6d61696c c00c"          // 29: MX 10 mail.example.com
    "c00c 0006 0001 00000e10 0026"                                // 50: SOA
    "02 6e73 c00c 0a 686f73746d6173746572 c00c"                   //     ns, hostmaster
    "78a1c2d3 00001c20 00000e10 00093a80 00000e10"
    "c02b 0001 0001 00000e10 0004 5db8d822";                      // mail (offset 43) A

TEST(DnsParse, GoogleQuery) {
    auto bytes = hex(kGoogleQuery);
    auto m = parse_dns(bytes);
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_EQ(m->header.id, 0xabcd);
    EXPECT_FALSE(m->header.qr);
    EXPECT_TRUE(m->header.rd);
    EXPECT_TRUE(m->header.ad);
    EXPECT_FALSE(m->header.ra);
    EXPECT_EQ(m->header.opcode, 0);
    ASSERT_EQ(m->questions.size(), 1u);
    EXPECT_EQ(m->questions[0].name.to_text(), "www.google.com");
    EXPECT_EQ(m->questions[0].type, DnsType::A);
    EXPECT_EQ(m->questions[0].qclass, DnsClass::IN);
    ASSERT_EQ(m->additional.size(), 1u);
    auto edns = m->edns();
    ASSERT_TRUE(edns);
    EXPECT_EQ(edns->udp_payload_size, 1232);
    EXPECT_EQ(edns->version, 0);
    EXPECT_FALSE(edns->dnssec_ok);
    ASSERT_EQ(edns->options.size(), 1u);
    EXPECT_EQ(edns->options[0].code, 10);
    EXPECT_EQ(dns_hex(edns->options[0].data), "0102030405060708");
    EXPECT_EQ(m->additional[0].name.to_text(), ".");
    EXPECT_EQ(dns_type_to_string(m->additional[0].type), "OPT");
    // Nothing here is compressed, so the builder reproduces the bytes.
    EXPECT_EQ(build_dns(*m), bytes);
}

TEST(DnsParse, GoogleResponse) {
    auto bytes = hex(kGoogleResponse);
    auto m = parse_dns(bytes);
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_TRUE(m->header.qr);
    EXPECT_TRUE(m->header.ra);
    EXPECT_EQ(m->header.rcode, kDnsRcodeNoError);
    ASSERT_EQ(m->answers.size(), 1u);
    const auto& a = m->answers[0];
    EXPECT_EQ(a.name.to_text(), "www.google.com");
    EXPECT_EQ(a.ttl, 300u);
    ASSERT_TRUE(std::holds_alternative<DnsA>(a.data));
    EXPECT_EQ(std::get<DnsA>(a.data).address, Ipv4Address(142, 250, 185, 68));
    EXPECT_EQ(dns_rdata_to_string(a.data), "142.250.185.68");
    EXPECT_EQ(build_dns(*m), bytes);  // the builder compresses the same way
}

TEST(DnsParse, ExampleMxWithCompression) {
    auto bytes = hex(kExampleMxResponse);
    auto m = parse_dns(bytes);
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_TRUE(m->header.aa);
    ASSERT_EQ(m->answers.size(), 1u);
    ASSERT_EQ(m->authority.size(), 1u);
    ASSERT_EQ(m->additional.size(), 1u);
    EXPECT_EQ(dns_type_to_string(m->answers[0].type), "MX");
    EXPECT_EQ(dns_rdata_to_string(m->answers[0].data), "10 mail.example.com");
    EXPECT_EQ(dns_rdata_to_string(m->authority[0].data),
              "ns.example.com hostmaster.example.com 2023867091 7200 3600 604800 3600");
    EXPECT_EQ(m->additional[0].name.to_text(), "mail.example.com");
    EXPECT_EQ(dns_rdata_to_string(m->additional[0].data), "93.184.216.34");
    EXPECT_FALSE(m->edns());
    // Our compressor makes the same choices as the server did.
    EXPECT_EQ(build_dns(*m), bytes);
}

DnsRecord rr(std::string_view owner, DnsType type, DnsRdata data) {
    DnsRecord r;
    r.name = name(owner);
    r.type = type;
    r.ttl = 3600;
    r.data = std::move(data);
    return r;
}

TEST(DnsBuild, EveryTypeRoundTrips) {
    DnsMessage m;
    m.header.id = 0x4242;
    m.header.qr = true;
    m.header.opcode = 2;
    m.header.aa = m.header.tc = m.header.rd = m.header.ra = m.header.z = m.header.ad = m.header.cd = true;
    m.header.rcode = kDnsRcodeNxDomain;
    m.questions.push_back({name("example.com"), DnsType::ANY, DnsClass::IN});
    m.answers.push_back(rr("example.com", DnsType::A, DnsA{Ipv4Address(192, 0, 2, 1)}));
    m.answers.push_back(rr("example.com", DnsType::AAAA,
                           DnsAaaa{Ipv6Address(Ipv6Address::Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                                  0, 0, 0, 0, 0, 0, 0, 1})}));
    m.answers.push_back(rr("example.com", DnsType::NS, DnsNs{name("ns1.example.com")}));
    m.answers.push_back(rr("www.example.com", DnsType::CNAME, DnsCname{name("example.com")}));
    m.answers.push_back(rr("example.com", DnsType::SOA,
                           DnsSoa{name("ns1.example.com"), name("admin.example.com"), 1, 2, 3, 4, 5}));
    m.answers.push_back(rr("1.2.0.192.in-addr.arpa", DnsType::PTR, DnsPtr{name("example.com")}));
    m.answers.push_back(rr("example.com", DnsType::MX, DnsMx{10, name("mail.example.com")}));
    m.answers.push_back(rr("example.com", DnsType::TXT, DnsTxt{{"v=spf1 -all", "", "say \"hi\""}}));
    m.authority.push_back(rr("_sip._tcp.example.com", DnsType::SRV, DnsSrv{1, 2, 5060, name("sip.example.com")}));
    m.authority.push_back(rr("example.com", static_cast<DnsType>(99), DnsRaw{hex("deadbeef")}));
    DnsEdns edns;
    edns.udp_payload_size = 4096;
    edns.extended_rcode = 1;
    edns.version = 0;
    edns.dnssec_ok = true;
    edns.options.push_back({8, hex("00012000")});
    m.additional.push_back(make_opt_record(edns));

    auto bytes = build_dns(m);
    auto p = parse_dns(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->header.id, 0x4242);
    EXPECT_EQ(p->header.opcode, 2);
    EXPECT_TRUE(p->header.aa && p->header.tc && p->header.rd && p->header.ra && p->header.z &&
                p->header.ad && p->header.cd && p->header.qr);
    EXPECT_EQ(p->header.rcode, kDnsRcodeNxDomain);
    EXPECT_EQ(p->header.ancount, 8);
    EXPECT_EQ(p->header.nscount, 2);
    EXPECT_EQ(p->header.arcount, 1);
    EXPECT_EQ(p->full_rcode(), (1 << 4) | kDnsRcodeNxDomain);

    const std::vector<std::pair<std::string, std::string>> want = {
        {"A", "192.0.2.1"},
        {"AAAA", "2001:db8::1"},
        {"NS", "ns1.example.com"},
        {"CNAME", "example.com"},
        {"SOA", "ns1.example.com admin.example.com 1 2 3 4 5"},
        {"PTR", "example.com"},
        {"MX", "10 mail.example.com"},
        {"TXT", "\"v=spf1 -all\" \"\" \"say \\\"hi\\\"\""},
    };
    ASSERT_EQ(p->answers.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(dns_type_to_string(p->answers[i].type), want[i].first);
        EXPECT_EQ(dns_rdata_to_string(p->answers[i].data), want[i].second) << want[i].first;
        EXPECT_EQ(p->answers[i].name, m.answers[i].name);
        EXPECT_EQ(p->answers[i].ttl, 3600u);
    }
    EXPECT_EQ(std::get<DnsTxt>(p->answers[7].data).strings.size(), 3u);
    EXPECT_EQ(dns_rdata_to_string(p->authority[0].data), "1 2 5060 sip.example.com");
    EXPECT_EQ(dns_type_to_string(p->authority[1].type), "TYPE99");
    EXPECT_EQ(dns_rdata_to_string(p->authority[1].data), "deadbeef");
    auto e = p->edns();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->udp_payload_size, 4096);
    EXPECT_EQ(e->extended_rcode, 1);
    EXPECT_TRUE(e->dnssec_ok);
    ASSERT_EQ(e->options.size(), 1u);
    EXPECT_EQ(e->options[0].code, 8);
    EXPECT_EQ(dns_rdata_to_string(p->additional[0].data), "0008000400012000");
    // Parse then build is the identity.
    EXPECT_EQ(build_dns(*p), bytes);
}

TEST(DnsBuild, SrvTargetNotCompressed) {
    DnsMessage m;
    m.questions.push_back({name("sip.example.com"), DnsType::SRV, DnsClass::IN});
    m.answers.push_back(rr("sip.example.com", DnsType::SRV, DnsSrv{0, 0, 5060, name("sip.example.com")}));
    auto bytes = build_dns(m);
    // The target's 17 bytes appear in full at the end, not as a pointer.
    auto tail = hex("03 736970 07 6578616d706c65 03 636f6d 00");
    ASSERT_GE(bytes.size(), tail.size());
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), bytes.end() - static_cast<std::ptrdiff_t>(tail.size())));
}

TEST(DnsText, Mnemonics) {
    EXPECT_EQ(dns_type_to_string(DnsType::AAAA), "AAAA");
    EXPECT_EQ(dns_type_to_string(DnsType::ANY), "ANY");
    EXPECT_EQ(dns_type_to_string(static_cast<DnsType>(123)), "TYPE123");
    EXPECT_EQ(dns_class_to_string(DnsClass::IN), "IN");
    EXPECT_EQ(dns_class_to_string(DnsClass::CH), "CH");
    EXPECT_EQ(dns_class_to_string(DnsClass::HS), "HS");
    EXPECT_EQ(dns_class_to_string(DnsClass::ANY), "ANY");
    EXPECT_EQ(dns_class_to_string(static_cast<DnsClass>(2)), "CLASS2");
    EXPECT_EQ(dns_rdata_to_string(DnsNs{DnsName{}}), ".");
}

TEST(DnsText, RcodeNames) {
    const std::pair<std::uint16_t, const char*> cases[] = {
        {0, "NOERROR"},  {1, "FORMERR"},  {2, "SERVFAIL"}, {3, "NXDOMAIN"}, {4, "NOTIMP"},
        {5, "REFUSED"},  {6, "YXDOMAIN"}, {7, "YXRRSET"},  {8, "NXRRSET"},  {9, "NOTAUTH"},
        {10, "NOTZONE"}, {11, "RCODE11"}, {15, "RCODE15"}, {16, "BADVERS"}, {17, "RCODE17"},
        {123, "RCODE123"}, {4095, "RCODE4095"}, {65535, "RCODE65535"},
    };
    for (const auto& [code, text] : cases) EXPECT_EQ(dns_rcode_to_string(code), text) << code;
}

TEST(DnsText, RcodeNameOfExtendedRcodeFromWire) {
    // A response with header rcode 0 and OPT extended rcode 1: full rcode 16, BADVERS
    // (RFC 6891 section 7: the server does not implement the requested EDNS version).
    auto bytes = hex("abcd 8180 0000 0000 0000 0001 00 0029 04d0 01000000 0000");
    auto m = parse_dns(bytes);
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_EQ(m->header.rcode, 0);
    EXPECT_EQ(dns_rcode_to_string(m->header.rcode), "NOERROR");
    EXPECT_EQ(dns_rcode_to_string(m->full_rcode()), "BADVERS");
    // NXDOMAIN straight from the header (rcode 3 in the low nibble of byte 3).
    auto nx = parse_dns(hex("abcd 8183 0000 0000 0000 0000"));
    ASSERT_TRUE(nx);
    EXPECT_EQ(dns_rcode_to_string(nx->full_rcode()), "NXDOMAIN");
}

struct BadMessage {
    const char* what;
    const char* hex;
    std::size_t offset;
    const char* reason_part;
};

TEST(DnsParse, MalformedMessages) {
    // Header prefixes: one question, then one answer.
    const BadMessage cases[] = {
        {"short header", "1234 0100 0001", 0, "truncated header: need 12 bytes, have 6"},
        {"huge qdcount, no bytes", "1234 0100 ffff 0000 0000 0000", 12, "truncated name"},
        {"question type cut", "1234 0100 0001 0000 0000 0000 00 0001", 13, "truncated question"},
        {"record fixed part cut", "1234 8100 0000 0001 0000 0000 00 0001 0001 00", 13, "truncated record"},
        {"rdlength past end", "1234 8100 0000 0001 0000 0000 00 0001 0001 00000000 0004 0102", 21,
         "rdlength 4 runs past the end"},
        {"A of 5 bytes", "1234 8100 0000 0001 0000 0000 00 0001 0001 00000000 0005 0102030405", 23,
         "A rdata must be 4 bytes, have 5"},
        {"AAAA of 4 bytes", "1234 8100 0000 0001 0000 0000 00 001c 0001 00000000 0004 01020304", 23,
         "AAAA rdata must be 16 bytes, have 4"},
        {"CNAME with trailing bytes", "1234 8100 0000 0001 0000 0000 00 0005 0001 00000000 0003 00 ffff",
         24, "2 unexpected bytes after CNAME rdata"},
        {"MX name past rdata", "1234 8100 0000 0001 0000 0000 00 000f 0001 00000000 0004 000a 03 61 62 63 00",
         25, "MX exchange name runs past the end of the rdata"},
        {"TXT string past rdata", "1234 8100 0000 0001 0000 0000 00 0010 0001 00000000 0003 05 6162", 23,
         "TXT string of 5 bytes runs past"},
        {"OPT option past rdata", "1234 8100 0000 0000 0000 0001 00 0029 1000 00000000 0006 000a 0008 0102",
         25, "EDNS option 10 length 8 runs past"},
        {"SOA numbers cut", "1234 8100 0000 0001 0000 0000 00 0006 0001 00000000 0006 00 00 00000001", 29,
         "truncated SOA rdata"},
        {"SRV cut", "1234 8100 0000 0001 0000 0000 00 0021 0001 00000000 0002 0001", 25, "truncated SRV rdata"},
        {"forward pointer in owner", "1234 8100 0000 0001 0000 0000 c00e 00", 12, "forward compression pointer"},
        {"self pointer in rdata", "1234 8100 0000 0001 0000 0000 00 0005 0001 00000000 0002 c017", 23,
         "forward compression pointer to offset 23"},
        {"extended label type", "1234 0100 0001 0000 0000 0000 41 61 00 0001 0001", 12, "label type 01"},
        {"second answer missing", "1234 8100 0000 0002 0000 0000 00 0001 0001 00000000 0004 01020304", 27,
         "truncated name"},
        // Each section stops the parse at its first bad record, with that record's offset.
        {"authority record cut", "1234 8100 0000 0001 0001 0000 00 0001 0001 00000000 0004 01020304 00 0006 00", 28,
         "truncated record"},
        {"additional A of 5 bytes",
         "1234 8100 0000 0001 0000 0001 00 0001 0001 00000000 0004 01020304 00 0001 0001 00000000 0005 0102030405",
         38, "A rdata must be 4 bytes, have 5"},
    };
    for (const auto& c : cases) {
        auto r = parse_dns(hex(c.hex));
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.error().offset, c.offset) << c.what << ": " << r.error().to_string();
        EXPECT_NE(r.error().reason.find(c.reason_part), std::string::npos) << c.what << ": " << r.error().to_string();
        EXPECT_STREQ(r.error().layer, "dns");
    }
}

TEST(DnsParse, EveryTruncationOfRealResponsesFailsCleanly) {
    for (const char* text : {kGoogleResponse, kExampleMxResponse, kGoogleQuery}) {
        auto full = hex(text);
        for (std::size_t n = 0; n < full.size(); ++n) {
            std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
            auto r = parse_dns(cut);
            ASSERT_FALSE(r) << n;
            EXPECT_LE(r.error().offset, n);
        }
    }
}

TEST(DnsParse, TrailingBytesIgnored) {
    auto bytes = hex(kGoogleResponse);
    bytes.push_back(std::byte{0});
    EXPECT_TRUE(parse_dns(bytes));
}

// Deterministic mutations of real messages: every result is a value or an error, never a
// crash or a read past the span (run under ASan).
TEST(DnsParse, RandomMutationsNeverCrash) {
    std::mt19937 rng(12345);
    for (const char* text : {kGoogleResponse, kExampleMxResponse}) {
        const auto base = hex(text);
        for (int round = 0; round < 3000; ++round) {
            auto b = base;
            int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) b[rng() % b.size()] = static_cast<std::byte>(rng());
            b.resize(rng() % (b.size() + 1));
            auto r = parse_dns(b);
            if (r) {
                (void)build_dns(*r);
            } else {
                EXPECT_LE(r.error().offset, b.size());
            }
        }
    }
}

}  // namespace
}  // namespace weft::wire
