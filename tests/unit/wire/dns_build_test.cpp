// build_dns with a size limit: truncation that keeps header, question and OPT, drops whole
// records from the end and sets TC when part of the answer is gone.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "unit/wire/test_bytes.hpp"
#include "weft/wire/dns.hpp"

namespace weft::wire {
namespace {

using test_support::hex;

DnsName name(std::string_view text) { return DnsName::from_text(text).value(); }

DnsRecord a_record(std::string_view owner, std::uint8_t last) {
    DnsRecord r;
    r.name = name(owner);
    r.type = DnsType::A;
    r.ttl = 300;
    r.data = DnsA{Ipv4Address(198, 18, 0, last)};
    return r;
}

DnsRecord ns_record(std::string_view owner, std::string_view target) {
    DnsRecord r;
    r.name = name(owner);
    r.type = DnsType::NS;
    r.ttl = 3600;
    r.data = DnsNs{name(target)};
    return r;
}

// www.example.test A with `n` A answers. Sizes: header 12, question 18 + 4 = 22, each answer
// 2 (pointer to the question name) + 10 + 4 = 16, OPT 1 + 10 = 11.
DnsMessage many_a(std::size_t n, bool edns) {
    DnsMessage m;
    m.header.id = 0x5151;
    m.header.qr = m.header.aa = m.header.rd = true;
    m.questions.push_back({name("www.example.test"), DnsType::A, DnsClass::IN});
    for (std::size_t i = 0; i < n; ++i) m.answers.push_back(a_record("www.example.test", static_cast<std::uint8_t>(i)));
    if (edns) m.additional.push_back(make_opt_record(DnsEdns{}));
    return m;
}

struct LimitCase {
    std::size_t max_size;
    bool edns;
    std::size_t answers;  // kept
    std::size_t size;     // of the result
};

TEST(DnsBuildLimit, ManyARecordsAt512And1232) {
    const LimitCase cases[] = {
        {512, false, 29, 12 + 22 + 29 * 16},       // 498: a 30th answer would make 514
        {512, true, 29, 12 + 22 + 29 * 16 + 11},   // 509: room kept for OPT
        {1232, false, 74, 12 + 22 + 74 * 16},      // 1218
        {1232, true, 74, 12 + 22 + 74 * 16 + 11},  // 1229
    };
    for (const auto& c : cases) {
        const DnsMessage m = many_a(100, c.edns);
        const auto bytes = build_dns(m, c.max_size);
        EXPECT_EQ(bytes.size(), c.size) << c.max_size;
        ASSERT_LE(bytes.size(), c.max_size);
        auto p = parse_dns(bytes);
        ASSERT_TRUE(p) << p.error().to_string();
        EXPECT_TRUE(p->header.tc) << c.max_size;
        EXPECT_EQ(p->header.id, 0x5151);
        EXPECT_TRUE(p->header.aa);
        ASSERT_EQ(p->questions.size(), 1u);
        EXPECT_EQ(p->questions[0].name.to_text(), "www.example.test");
        ASSERT_EQ(p->answers.size(), c.answers);
        // The first answers are kept, in order, whole.
        for (std::size_t i = 0; i < c.answers; ++i)
            EXPECT_EQ(std::get<DnsA>(p->answers[i].data).address, Ipv4Address(198, 18, 0, static_cast<std::uint8_t>(i)));
        EXPECT_EQ(p->edns().has_value(), c.edns);
        if (c.edns) { EXPECT_EQ(p->edns()->udp_payload_size, 1232); }
    }
}

TEST(DnsBuildLimit, MessageThatFitsIsUnchanged) {
    const DnsMessage m = many_a(3, true);
    const auto full = build_dns(m);
    EXPECT_EQ(build_dns(m, full.size()), full);
    EXPECT_EQ(build_dns(m, 512), full);
    auto p = parse_dns(build_dns(m, 512));
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->header.tc);
}

// The Google response of dns_test.cpp (one A answer, OPT) at exactly header + question +
// OPT: the answer goes, TC is set (8180 -> 8380), OPT stays.
TEST(DnsBuildLimit, RawBytesOfATruncatedResponse) {
    auto m = parse_dns(hex("abcd 8180 0001 0001 0000 0001"
                           "03 777777 06 676f6f676c65 03 636f6d 00 0001 0001"
                           "c00c 0001 0001 0000012c 0004 8efab944"
                           "00 0029 04d0 00000000 0000"));
    ASSERT_TRUE(m) << m.error().to_string();
    const auto want = hex("abcd 8380 0001 0000 0000 0001"
                          "03 777777 06 676f6f676c65 03 636f6d 00 0001 0001"
                          "00 0029 04d0 00000000 0000");
    EXPECT_EQ(build_dns(*m, 43), want);
    EXPECT_EQ(build_dns(*m, 58), want);  // one byte short of the whole 59
    // Without room for OPT the question alone stays; TC set.
    EXPECT_EQ(build_dns(*m, 42), hex("abcd 8380 0001 0000 0000 0000"
                                     "03 777777 06 676f6f676c65 03 636f6d 00 0001 0001"));
    // Without room for the question: the header alone, TC set, every count 0.
    EXPECT_EQ(build_dns(*m, 12), hex("abcd 8380 0000 0000 0000 0000"));
    EXPECT_EQ(build_dns(*m, 31), hex("abcd 8380 0000 0000 0000 0000"));
    EXPECT_TRUE(build_dns(*m, 11).empty());
    EXPECT_TRUE(build_dns(*m, 0).empty());
}

// A referral-like response: 1 answer, 2 NS in authority, 3 glue addresses in additional.
DnsMessage with_glue() {
    DnsMessage m;
    m.header.qr = true;
    m.questions.push_back({name("www.example.test"), DnsType::A, DnsClass::IN});
    m.answers.push_back(a_record("www.example.test", 10));
    m.authority.push_back(ns_record("example.test", "ns1.example.test"));
    m.authority.push_back(ns_record("example.test", "ns2.example.test"));
    m.additional.push_back(a_record("ns1.example.test", 1));
    m.additional.push_back(make_opt_record(DnsEdns{}));  // not last: it moves to the end when cut
    m.additional.push_back(a_record("ns2.example.test", 2));
    m.additional.push_back(a_record("ns3.example.test", 3));
    return m;
}

TEST(DnsBuildLimit, AdditionalGoesFirstWithoutTc) {
    const DnsMessage m = with_glue();
    const auto full = build_dns(m);
    // One byte short: the last glue record goes; the answer is complete, so no TC.
    auto p = parse_dns(build_dns(m, full.size() - 1));
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_FALSE(p->header.tc);
    EXPECT_EQ(p->answers.size(), 1u);
    EXPECT_EQ(p->authority.size(), 2u);
    ASSERT_EQ(p->additional.size(), 3u);
    EXPECT_EQ(p->additional[0].name.to_text(), "ns1.example.test");
    EXPECT_EQ(p->additional[1].name.to_text(), "ns2.example.test");
    EXPECT_EQ(p->additional[2].type, DnsType::OPT);
}

TEST(DnsBuildLimit, EveryLimitGivesAWholeParsablePrefix) {
    const DnsMessage m = with_glue();
    const auto full = build_dns(m);
    for (std::size_t limit = kDnsHeaderSize; limit <= full.size() + 1; ++limit) {
        const auto bytes = build_dns(m, limit);
        ASSERT_LE(bytes.size(), limit);
        auto p = parse_dns(bytes);
        ASSERT_TRUE(p) << limit << ": " << p.error().to_string();
        // Whatever is kept is a prefix of answer, authority, additional (OPT aside), each
        // record whole and equal to the original.
        const std::vector<const DnsRecord*> original = {&m.answers[0], &m.authority[0], &m.authority[1],
                                                        &m.additional[0], &m.additional[2], &m.additional[3]};
        std::vector<const DnsRecord*> got;
        for (const auto* s : {&p->answers, &p->authority, &p->additional})
            for (const auto& r : *s)
                if (r.type != DnsType::OPT) got.push_back(&r);
        ASSERT_LE(got.size(), original.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i]->name, original[i]->name) << limit;
            EXPECT_EQ(dns_rdata_to_string(got[i]->data), dns_rdata_to_string(original[i]->data)) << limit;
        }
        // Sections are filled in order: nothing in authority while an answer is missing, etc.
        if (p->answers.empty()) { EXPECT_TRUE(p->authority.empty()) << limit; }
        if (p->authority.size() < 2) { EXPECT_EQ(p->additional.size(), p->edns() ? 1u : 0u) << limit; }
        const bool complete_answer = p->answers.size() == 1 && p->authority.size() == 2;
        EXPECT_EQ(p->header.tc, !complete_answer || !p->edns()) << limit;
        if (bytes.size() == full.size()) { EXPECT_EQ(got.size(), original.size()); }
    }
}

TEST(DnsBuildLimit, TcAlreadySetStaysSet) {
    DnsMessage m = with_glue();
    m.header.tc = true;
    auto p = parse_dns(build_dns(m, build_dns(m).size() - 1));
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->header.tc);
}

// Deterministic mutations of a real message: whatever parses, truncated at any limit, stays
// within it and parses again.
TEST(DnsBuildLimit, MutatedMessagesStayWithinEveryLimit) {
    std::mt19937 rng(2181);
    const auto base = build_dns(with_glue());
    for (int round = 0; round < 2000; ++round) {
        auto b = base;
        for (int e = 0; e < 3; ++e) b[rng() % b.size()] = static_cast<std::byte>(rng());
        auto m = parse_dns(b);
        if (!m) continue;
        const std::size_t limit = kDnsHeaderSize + rng() % (b.size() + 8);
        const auto cut = build_dns(*m, limit);
        ASSERT_LE(cut.size(), limit) << round;
        auto p = parse_dns(cut);
        ASSERT_TRUE(p) << round << ": " << p.error().to_string();
    }
}

}  // namespace
}  // namespace weft::wire
