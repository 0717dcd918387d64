// The answer engine as a pure function: query bytes in, response bytes out.

#include "weft/services/dns/answer.hpp"

#include <random>

#include "dns_test_zones.hpp"

namespace weft::dns {
namespace {

using test::kExampleZone;
using test::make_query;
using test::QuerySpec;
using test::summary;
using wire::DnsType;
using Strings = std::vector<std::string>;

class Answer : public ::testing::Test {
protected:
    void SetUp() override { zones_ = test::zones_of({kExampleZone}); ASSERT_TRUE(zones_); }

    wire::DnsMessage ask(const QuerySpec& spec, QueryTransport transport = QueryTransport::udp) {
        return ask_bytes(make_query(spec), transport);
    }
    wire::DnsMessage ask_bytes(std::span<const std::byte> query, QueryTransport transport = QueryTransport::udp) {
        std::vector<std::byte> out;
        EXPECT_TRUE(answer_query(*zones_, query, {.transport = transport}, out));
        last_size_ = out.size();
        auto parsed = wire::parse_dns(out);
        EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().to_string());
        return parsed ? *parsed : wire::DnsMessage{};
    }

    std::shared_ptr<const ZoneSet> zones_;
    std::size_t last_size_ = 0;
};

TEST_F(Answer, DataAtTheNameIsAuthoritative) {
    auto r = ask({.name = "www.example.test"});
    EXPECT_TRUE(r.header.qr);
    EXPECT_TRUE(r.header.aa);
    EXPECT_TRUE(r.header.rd);  // echoed
    EXPECT_EQ(r.header.id, 0x4242);
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError);
    ASSERT_EQ(r.answers.size(), 1u);
    EXPECT_EQ(r.answers[0].ttl, 300u);
    EXPECT_EQ(wire::dns_rdata_to_string(r.answers[0].data), "198.18.0.10");
    EXPECT_TRUE(r.authority.empty());
}

TEST_F(Answer, KeepsTheCaseOfTheQuery) {
    auto r = ask({.name = "WwW.ExAmPle.TEST"});
    ASSERT_EQ(r.answers.size(), 1u);
    EXPECT_EQ(r.questions.at(0).name.to_text(), "WwW.ExAmPle.TEST");
    EXPECT_EQ(r.answers[0].name.to_text(), "WwW.ExAmPle.TEST");
}

TEST_F(Answer, NxdomainCarriesTheSoaWithTheNegativeTtl) {
    auto r = ask({.name = "nothing.example.test"});
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNxDomain);
    EXPECT_TRUE(r.header.aa);
    EXPECT_TRUE(r.answers.empty());
    ASSERT_EQ(r.authority.size(), 1u);
    EXPECT_EQ(r.authority[0].type, DnsType::SOA);
    EXPECT_EQ(r.authority[0].name.to_text(), "example.test");
    EXPECT_EQ(r.authority[0].ttl, 60u);  // min(SOA TTL 300, minimum 60), RFC 2308
}

TEST_F(Answer, NodataIsNoerrorWithTheSoa) {
    auto r = ask({.name = "www.example.test", .type = DnsType::MX});
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError);
    EXPECT_TRUE(r.header.aa);
    EXPECT_TRUE(r.answers.empty());
    EXPECT_EQ(summary(r.authority), (Strings{"example.test SOA"}));
}

TEST_F(Answer, AnEmptyNonTerminalExists) {
    for (const char* name : {"b.deep.example.test", "deep.example.test"}) {
        auto r = ask({.name = name});
        EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError) << name;
        EXPECT_EQ(summary(r.authority), (Strings{"example.test SOA"})) << name;
    }
    EXPECT_EQ(ask({.name = "a.b.deep.example.test"}).answers.size(), 1u);
    EXPECT_EQ(ask({.name = "c.b.deep.example.test"}).header.rcode, wire::kDnsRcodeNxDomain);
}

TEST_F(Answer, CnamesAreFollowedInsideTheZone) {
    auto r = ask({.name = "chain.example.test"});
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError);
    EXPECT_TRUE(r.header.aa);
    EXPECT_EQ(summary(r.answers),
              (Strings{"chain.example.test CNAME", "alias.example.test CNAME", "www.example.test A"}));
}

TEST_F(Answer, ACnameLeavingTheZoneIsReturnedAlone) {
    auto r = ask({.name = "outside.example.test"});
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError);
    EXPECT_EQ(summary(r.answers), (Strings{"outside.example.test CNAME"}));
}

TEST_F(Answer, ACnameLoopEnds) {
    auto r = ask({.name = "loop1.example.test"});
    EXPECT_EQ(summary(r.answers), (Strings{"loop1.example.test CNAME", "loop2.example.test CNAME"}));
}

TEST_F(Answer, ADanglingCnameIsNxdomainOfTheTarget) {
    auto r = ask({.name = "dangling.example.test"});
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNxDomain);  // RFC 6604: the last name's rcode
    EXPECT_EQ(summary(r.answers), (Strings{"dangling.example.test CNAME"}));
    EXPECT_EQ(summary(r.authority), (Strings{"example.test SOA"}));
}

TEST_F(Answer, AskingForTheCnameItselfDoesNotFollowIt) {
    auto r = ask({.name = "alias.example.test", .type = DnsType::CNAME});
    EXPECT_EQ(summary(r.answers), (Strings{"alias.example.test CNAME"}));
}

TEST_F(Answer, BelowADelegationIsAReferralWithGlue) {
    for (const char* name : {"host.sub.example.test", "sub.example.test"}) {
        auto r = ask({.name = name});
        EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError) << name;
        EXPECT_FALSE(r.header.aa) << name;
        EXPECT_TRUE(r.answers.empty()) << name;
        EXPECT_EQ(summary(r.authority), (Strings{"sub.example.test NS", "sub.example.test NS"})) << name;
        EXPECT_EQ(summary(r.additional), (Strings{"ns.sub.example.test A"})) << name;  // ns.other.test: not ours
        EXPECT_FALSE(r.header.tc);
    }
    // NS at the cut is the child's to answer too.
    EXPECT_FALSE(ask({.name = "sub.example.test", .type = DnsType::NS}).header.aa);
    // DS at the cut is the parent's (RFC 4035 3.1.4.1): this zone holds none, so NODATA, AA.
    auto ds = ask({.name = "sub.example.test", .type = DnsType::DS});
    EXPECT_TRUE(ds.header.aa);
    EXPECT_EQ(ds.header.rcode, wire::kDnsRcodeNoError);
    EXPECT_EQ(summary(ds.authority), (Strings{"example.test SOA"}));
    // Below the cut, DS is the child's business again: a referral.
    EXPECT_FALSE(ask({.name = "x.sub.example.test", .type = DnsType::DS}).header.aa);
}

TEST_F(Answer, AdditionalAddressesForNsMxAndSrv) {
    auto ns = ask({.name = "example.test", .type = DnsType::NS});
    EXPECT_EQ(summary(ns.answers), (Strings{"example.test NS", "example.test NS"}));
    EXPECT_EQ(summary(ns.additional),
              (Strings{"ns1.example.test A", "ns2.example.test A", "ns2.example.test AAAA"}));
    auto mx = ask({.name = "example.test", .type = DnsType::MX});
    EXPECT_EQ(summary(mx.additional), (Strings{"mail.example.test A"}));
    auto srv = ask({.name = "_http._tcp.example.test", .type = DnsType::SRV});
    EXPECT_EQ(wire::dns_rdata_to_string(srv.answers.at(0).data), "0 5 80 www.example.test");
    EXPECT_EQ(summary(srv.additional), (Strings{"www.example.test A", "www.example.test AAAA"}));
}

TEST_F(Answer, EveryTypeOfTheZone) {
    EXPECT_EQ(wire::dns_rdata_to_string(ask({.name = "www.example.test", .type = DnsType::AAAA}).answers.at(0).data),
              "2001:db8::10");
    EXPECT_EQ(wire::dns_rdata_to_string(ask({.name = "txt.example.test", .type = DnsType::TXT}).answers.at(0).data),
              "\"hello world\" \"second\"");
    EXPECT_EQ(wire::dns_rdata_to_string(ask({.name = "ptr.example.test", .type = DnsType::PTR}).answers.at(0).data),
              "www.example.test");
    EXPECT_EQ(wire::dns_rdata_to_string(ask({.name = "example.test", .type = DnsType::SOA}).answers.at(0).data),
              "ns1.example.test hostmaster.example.test 2026120601 3600 600 86400 60");
    auto any = ask({.name = "www.example.test", .type = DnsType::ANY});
    EXPECT_EQ(summary(any.answers), (Strings{"www.example.test A", "www.example.test AAAA"}));
}

TEST_F(Answer, OutsideEveryZoneIsRefused) {
    auto r = ask({.name = "www.other.test"});
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeRefused);
    EXPECT_FALSE(r.header.aa);
    EXPECT_TRUE(r.answers.empty() && r.authority.empty());
    EXPECT_EQ(ask({.name = "test"}).header.rcode, wire::kDnsRcodeRefused);  // the parent
    EXPECT_EQ(ask({.name = "www.example.test", .qclass = wire::DnsClass::CH}).header.rcode, wire::kDnsRcodeRefused);
    EXPECT_EQ(ask({.name = "example.test", .type = DnsType::AXFR}).header.rcode, wire::kDnsRcodeRefused);
}

TEST_F(Answer, MalformedQueriesGetFormerrOrNothing) {
    std::vector<std::byte> out;
    auto q = make_query({.name = "www.example.test"});
    // Cut inside the question: the header parses, so FORMERR with the ID.
    auto cut = std::vector<std::byte>(q.begin(), q.begin() + 20);
    auto r = ask_bytes(cut);
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeFormErr);
    EXPECT_EQ(r.header.id, 0x4242);
    EXPECT_TRUE(r.questions.empty());
    // Two questions.
    wire::DnsMessage two = wire::parse_dns(q).value();
    two.questions.push_back(two.questions.front());
    EXPECT_EQ(ask_bytes(wire::build_dns(two)).header.rcode, wire::kDnsRcodeFormErr);
    // No question.
    two.questions.clear();
    EXPECT_EQ(ask_bytes(wire::build_dns(two)).header.rcode, wire::kDnsRcodeFormErr);
    // Less than a header, or a response: silence.
    EXPECT_FALSE(answer_query(*zones_, std::span(q).first(11), {}, out));
    EXPECT_TRUE(out.empty());
    auto response = q;
    response[2] |= std::byte{0x80};
    EXPECT_FALSE(answer_query(*zones_, response, {}, out));
}

TEST_F(Answer, OtherOpcodesAreNotImplemented) {
    auto q = make_query({.name = "www.example.test"});
    q[2] = std::byte((std::to_integer<unsigned>(q[2]) & 0x87) | (2u << 3));  // STATUS
    auto r = ask_bytes(q);
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNotImp);
    EXPECT_EQ(r.header.opcode, 2);
}

TEST_F(Answer, EdnsIsAnsweredWithTheServersSizeAndDoEchoed) {
    auto r = ask({.name = "www.example.test", .edns = true, .payload = 4096, .dnssec_ok = true});
    auto edns = r.edns();
    ASSERT_TRUE(edns);
    EXPECT_EQ(edns->udp_payload_size, 1232);
    EXPECT_TRUE(edns->dnssec_ok);
    EXPECT_FALSE(ask({.name = "www.example.test"}).edns()) << "no OPT when the query had none";
}

TEST_F(Answer, AnUnknownEdnsVersionIsBadvers) {
    wire::DnsMessage q = wire::parse_dns(make_query({.name = "www.example.test"})).value();
    wire::DnsEdns e;
    e.version = 1;
    q.additional.push_back(wire::make_opt_record(e));
    auto r = ask_bytes(wire::build_dns(q));
    EXPECT_EQ(r.full_rcode(), 16);
    EXPECT_EQ(wire::dns_rcode_to_string(r.full_rcode()), "BADVERS");
    EXPECT_TRUE(r.answers.empty());
}

// A name with 40 TXT records of 60 bytes: about 2.8 KB of answer.
constexpr std::string_view kBigZone = R"($ORIGIN big.test.
$TTL 60
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
ns A 198.18.1.1
)";

std::string big_zone() {
    std::string text(kBigZone);
    // (Appended piece by piece: g++ 12 warns falsely (-Wrestrict) on long chains of +.)
    for (int i = 0; i < 40; ++i) {
        text += "many TXT \"";
        text.append(58, static_cast<char>('a' + i % 26));
        text += std::to_string(i % 10);
        text += "\"\n";
    }
    // A delegation whose required glue alone cannot fit in 512 bytes.
    for (int i = 0; i < 12; ++i) {
        std::string ns = "name-server-number-";
        ns += std::to_string(i);
        ns += ".fat";
        const std::string n = std::to_string(i + 1);
        text += "fat NS ";
        text += ns;
        text += "\n";
        text += ns;
        text += " A 198.18.2.";
        text += n;
        text += "\n";
        text += ns;
        text += " AAAA 2001:db8::";
        text += n;
        text += "\n";
    }
    return text;
}

TEST(AnswerSize, UdpAnswersAreTruncatedWithTcAndCompleteOverTcp) {
    const std::string text = big_zone();
    auto zones = test::zones_of({text});
    ASSERT_TRUE(zones);
    std::vector<std::byte> out;
    auto check = [&](QuerySpec spec, QueryTransport transport, std::size_t limit, bool tc, std::size_t answers) {
        EXPECT_TRUE(answer_query(*zones, make_query(spec), {.transport = transport}, out));
        EXPECT_LE(out.size(), limit);
        auto r = wire::parse_dns(out).value();
        EXPECT_EQ(r.header.tc, tc) << out.size();
        if (answers != 0) {
            EXPECT_EQ(r.answers.size(), answers);
        }
        return r;
    };
    check({.name = "many.big.test", .type = DnsType::TXT}, QueryTransport::udp, 512, true, 0);
    check({.name = "many.big.test", .type = DnsType::TXT, .edns = true, .payload = 4096}, QueryTransport::udp, 1232,
          true, 0);
    check({.name = "many.big.test", .type = DnsType::TXT, .edns = true, .payload = 100}, QueryTransport::udp, 512, true,
          0);  // below 512 counts as 512
    check({.name = "many.big.test", .type = DnsType::TXT}, QueryTransport::tcp, 65535, false, 40);
    // The referral's required glue does not fit in 512 bytes: TC, so the resolver asks again
    // over TCP (RFC 9471), where all of it comes.
    check({.name = "www.fat.big.test"}, QueryTransport::udp, 512, true, 0);
    auto full = check({.name = "www.fat.big.test"}, QueryTransport::tcp, 65535, false, 0);
    EXPECT_EQ(full.authority.size(), 12u);
    EXPECT_EQ(full.additional.size(), 24u);
}

TEST(AnswerZones, TheLongestZoneAnswers) {
    constexpr std::string_view child = R"($ORIGIN sub.example.test.
@ 300 SOA ns.sub hostmaster 7 3600 600 86400 30
@ 300 NS ns
ns 300 A 198.18.0.77
host 300 A 198.18.0.78
)";
    auto zones = test::zones_of({test::kExampleZone, child});
    ASSERT_TRUE(zones);
    std::vector<std::byte> out;
    ASSERT_TRUE(answer_query(*zones, make_query({.name = "host.sub.example.test"}), {}, out));
    auto r = wire::parse_dns(out).value();
    EXPECT_TRUE(r.header.aa);
    EXPECT_EQ(summary(r.answers), (Strings{"host.sub.example.test A"}));
    EXPECT_EQ(ZoneSet::build({test::parse_or_fail(child), test::parse_or_fail(child)}).error(),
              "zone sub.example.test. is given twice");
    // DS at the child's apex is the parent's to answer (RFC 4035 3.1.4.1): NODATA, AA, the
    // parent's SOA.
    ASSERT_TRUE(answer_query(*zones, make_query({.name = "sub.example.test", .type = DnsType::DS}), {}, out));
    auto ds = wire::parse_dns(out).value();
    EXPECT_TRUE(ds.header.aa);
    EXPECT_EQ(summary(ds.authority), (Strings{"example.test SOA"}));
}

// A CNAME whose target lies in another zone held here is not chased with this zone's data
// (that would say NXDOMAIN for a name the other zone has): the resolver asks again.
TEST(AnswerZones, ACnameIntoAnotherHeldZoneStops) {
    constexpr std::string_view parent = R"($ORIGIN example.test.
@ 300 SOA ns hostmaster 1 3600 600 86400 30
@ 300 NS ns
ns 300 A 198.18.0.1
www 300 CNAME host.sub.example.test.
)";
    constexpr std::string_view child = R"($ORIGIN sub.example.test.
@ 300 SOA ns hostmaster 1 3600 600 86400 30
@ 300 NS ns
ns 300 A 198.18.0.2
host 300 A 198.18.0.3
)";
    auto zones = test::zones_of({parent, child});
    ASSERT_TRUE(zones);
    std::vector<std::byte> out;
    ASSERT_TRUE(answer_query(*zones, make_query({.name = "www.example.test"}), {}, out));
    auto r = wire::parse_dns(out).value();
    EXPECT_EQ(r.header.rcode, wire::kDnsRcodeNoError);
    EXPECT_EQ(summary(r.answers), (Strings{"www.example.test CNAME"}));
    EXPECT_TRUE(r.authority.empty());
}

// Zones built in code get the checks parse_zone makes, so the engine never meets a CNAME it
// cannot read or a name that does not fit the wire.
TEST(AnswerZones, BuildRefusesWhatTheEngineCannotServe) {
    Zone zone = test::parse_or_fail(test::kExampleZone);
    Zone raw_cname = zone;
    raw_cname.records.push_back({wire::DnsName::from_text("odd.example.test").value(), DnsType::CNAME,
                                 wire::DnsClass::IN, 300, wire::DnsRaw{}});
    EXPECT_EQ(ZoneSet::build({raw_cname}).error(), "zone example.test.: odd.example.test CNAME: its data is not in the typed form");
    Zone outside = zone;
    outside.records.push_back({wire::DnsName::from_text("www.other.test").value(), DnsType::A, wire::DnsClass::IN, 300,
                               wire::DnsA{Ipv4Address::loopback()}});
    EXPECT_EQ(ZoneSet::build({outside}).error(), "zone example.test.: www.other.test is outside it");
    Zone long_name = zone;
    wire::DnsName huge = wire::DnsName::from_text("x.example.test").value();
    for (int i = 0; i < 5; ++i) huge.labels.insert(huge.labels.begin(), std::string(60, 'a'));
    long_name.records.push_back({huge, DnsType::A, wire::DnsClass::IN, 300, wire::DnsA{Ipv4Address::loopback()}});
    EXPECT_NE(ZoneSet::build({long_name}).error().find("over 255 bytes"), std::string::npos);
}

// The memo must give exactly answer_query's bytes, whatever the ID and the case.
TEST_F(Answer, TheCacheAnswersByteForByteLikeTheEngine) {
    AnswerCache cache(64);
    AnswerCache tiny(3);  // emptied again and again
    std::mt19937 random(7);
    const std::vector<QuerySpec> specs = {
        {.name = "www.example.test"}, {.name = "nothing.example.test"},
        {.name = "chain.example.test"}, {.name = "host.sub.example.test"},
        {.name = "www.example.test", .type = DnsType::AAAA, .edns = true},
        {.name = "www.example.test", .edns = true, .dnssec_ok = true},
        {.name = "www.other.test"}, {.name = "example.test", .type = DnsType::MX, .edns = true, .payload = 600},
    };
    std::vector<std::byte> expected;
    std::vector<std::byte> got(65535);
    for (int round = 0; round < 200; ++round) {
        QuerySpec spec = specs[random() % specs.size()];
        spec.id = static_cast<std::uint16_t>(random());
        for (auto& c : spec.name) {
            if (random() % 2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        const auto query = make_query(spec);
        for (auto transport : {QueryTransport::udp, QueryTransport::tcp}) {
            ASSERT_TRUE(answer_query(*zones_, query, {.transport = transport}, expected));
            const std::size_t n = cache.answer(*zones_, query, {.transport = transport}, got);
            ASSERT_EQ(std::vector<std::byte>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n)), expected)
                << spec.name;
            const std::size_t m = tiny.answer(*zones_, query, {.transport = transport}, got);
            ASSERT_EQ(std::vector<std::byte>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(m)), expected)
                << spec.name;
        }
    }
    EXPECT_GT(cache.hits(), 300u);
    // Two servers' settings through one memo: the OPT carries each one's own size.
    const auto sized = make_query({.name = "www.example.test", .edns = true, .payload = 1232});
    for (std::uint16_t server : {4096, 1232}) {
        ASSERT_TRUE(answer_query(*zones_, sized, {.edns_payload = server}, expected));
        const std::size_t n = cache.answer(*zones_, sized, {.edns_payload = server}, got);
        ASSERT_EQ(std::vector<std::byte>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n)), expected)
            << "server EDNS size " << server;
    }
    // An OPT whose option runs past its rdata is FORMERR, also right after the same question
    // with a sound OPT was memoised.
    auto bad_option = make_query({.name = "www.example.test", .edns = true});
    ASSERT_EQ(bad_option.size() >= 2 && bad_option[bad_option.size() - 1] == std::byte{0}, true);
    bad_option[bad_option.size() - 1] = std::byte{4};  // rdlength 4: one option header
    for (auto b : {0x00, 0x0a, 0x00, 0x08}) bad_option.push_back(std::byte(b));  // claims 8 bytes
    ASSERT_TRUE(answer_query(*zones_, bad_option, {}, expected));
    EXPECT_EQ(wire::parse_dns(expected).value().header.rcode, wire::kDnsRcodeFormErr);
    const std::size_t formerr = cache.answer(*zones_, bad_option, {}, got);
    EXPECT_EQ(std::vector<std::byte>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(formerr)), expected);
    // Not memoised, still answered: a query with an unusual shape (a trailing byte).
    auto odd = make_query({.name = "www.example.test"});
    odd.push_back(std::byte{0});
    ASSERT_TRUE(answer_query(*zones_, odd, {}, expected));
    EXPECT_EQ(cache.answer(*zones_, odd, {}, got), expected.size());
}

}  // namespace
}  // namespace weft::dns
