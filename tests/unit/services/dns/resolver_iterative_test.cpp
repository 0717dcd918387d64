// services/dns: the iterative walk through a lab of scripted servers on one port of
// 127.0.0.2 (root), .3 (the test. zone), .4 (example.test. and other.test.) and .5 (a
// server of test. that gives bad referrals).

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>

#include "resolver_fake_server.hpp"
#include "weft/services/dns/resolver.hpp"

using namespace std::chrono_literals;

namespace weft::dns {
namespace {

using test::FakeDnsServer;
using test::Incoming;
using test::Send;
using wire::DnsMessage;
using wire::DnsName;

bool under(const DnsName& n, std::string_view zone) {
    const std::string t = n.to_text(), z(zone);
    return t.size() >= z.size() && t.compare(t.size() - z.size(), z.size(), z) == 0 &&
           (t.size() == z.size() || t[t.size() - z.size() - 1] == '.');
}
bool is(const DnsName& n, std::string_view text) { return n == test::name(text); }

std::vector<Send> one(const DnsMessage& m) { return {test::send(m)}; }

DnsMessage referral(const DnsMessage& q, std::string_view zone, std::vector<std::pair<std::string, std::string>> servers) {
    auto r = test::reply_to(q);
    for (const auto& [ns, glue] : servers) {
        r.authority.push_back(test::ns_record(zone, ns));
        if (!glue.empty()) r.additional.push_back(test::a_record(ns, glue, 86400));
    }
    return r;
}
DnsMessage nxdomain(const DnsMessage& q, std::string_view zone) {
    auto r = test::reply_to(q, wire::kDnsRcodeNxDomain);
    r.header.aa = true;
    r.authority.push_back(test::soa_record(zone));
    return r;
}

std::vector<Send> root(const Incoming& in) {
    const auto& q = in.query.questions.at(0);
    if (under(q.name, "detour.test"))  // the bad server of test. is listed first
        return one(referral(in.query, "test", {{"bad.test", "127.0.0.5"}, {"ns.test", "127.0.0.3"}}));
    if (under(q.name, "test")) return one(referral(in.query, "test", {{"ns.test", "127.0.0.3"}}));
    return one(nxdomain(in.query, "."));
}

// The labels of a name too deep to walk: l1.l2. ... .l40.deep.test.
std::string deep_name() {
    std::string n;
    for (int i = 1; i <= 40; ++i) n.append("l").append(std::to_string(i)).append(".");
    return n + "deep.test";
}
// The zone `levels` labels below deep.test on the way to deep_name().
std::string deep_zone(int levels) {
    std::string z = "deep.test";
    for (int i = 40; i > 40 - levels; --i) z = std::string("l").append(std::to_string(i)).append(".").append(z);
    return z;
}

std::vector<Send> tld(const Incoming& in, std::atomic<int>& deep_count) {
    const auto& q = in.query.questions.at(0);
    if (under(q.name, "example.test")) return one(referral(in.query, "example.test", {{"ns1.example.test", "127.0.0.4"}}));
    // A name server in another zone: no glue can be given.
    if (under(q.name, "other.test")) return one(referral(in.query, "other.test", {{"ns.example.test", ""}}));
    // Two zones whose servers live in each other: glue-less both ways.
    if (under(q.name, "a.test")) return one(referral(in.query, "a.test", {{"ns.b.test", ""}}));
    if (under(q.name, "b.test")) return one(referral(in.query, "b.test", {{"ns.a.test", ""}}));
    if (under(q.name, "deep.test")) {
        // Each time one label deeper, always back to this same server: without a cap the
        // walk would go on for as many labels as the name has.
        const std::string zone = deep_zone(++deep_count);
        return one(referral(in.query, zone, {{"ns." + zone, "127.0.0.3"}}));
    }
    if (under(q.name, "detour.test")) {
        auto r = test::reply_to(in.query);
        r.header.aa = true;
        r.answers.push_back(test::a_record(q.name.to_text(), "198.18.0.30"));
        return one(r);
    }
    return one(nxdomain(in.query, "test"));
}

std::vector<Send> bad_tld(const Incoming& in) {
    const auto& q = in.query.questions.at(0);
    if (under(q.name, "up.detour.test")) return one(referral(in.query, ".", {{"a.root-servers.net", "127.0.0.2"}}));
    return one(referral(in.query, "example.test", {{"ns1.example.test", "127.0.0.4"}}));  // sideways
}

std::vector<Send> auth(const Incoming& in) {
    const auto& q = in.query.questions.at(0);
    auto r = test::reply_to(in.query);
    r.header.aa = true;
    const bool a = q.type == wire::DnsType::A;
    if (is(q.name, "www.example.test") && a) {
        r.answers.push_back(test::a_record("www.example.test", "198.18.0.10"));
    } else if ((is(q.name, "ns1.example.test") || is(q.name, "ns.example.test")) && a) {
        r.answers.push_back(test::a_record(q.name.to_text(), "127.0.0.4"));
    } else if (is(q.name, "alias.example.test")) {
        r.answers.push_back(test::cname_record("alias.example.test", "www.other.test"));
    } else if (is(q.name, "inzone.example.test")) {
        r.answers.push_back(test::cname_record("inzone.example.test", "www.example.test"));
        r.answers.push_back(test::a_record("www.example.test", "198.18.0.10"));
    } else if (is(q.name, "loop1.example.test")) {
        r.answers.push_back(test::cname_record("loop1.example.test", "loop2.example.test"));
    } else if (is(q.name, "loop2.example.test")) {
        r.answers.push_back(test::cname_record("loop2.example.test", "loop1.example.test"));
    } else if (is(q.name, "www.other.test") && a) {
        r.answers.push_back(test::a_record("www.other.test", "198.18.0.20"));
    } else if (is(q.name, "www.example.test") || is(q.name, "www.other.test")) {
        r.authority.push_back(test::soa_record(under(q.name, "other.test") ? "other.test" : "example.test"));  // NODATA
    } else {
        return one(nxdomain(in.query, under(q.name, "other.test") ? "other.test" : "example.test"));
    }
    return one(r);
}

// The four servers, bound to one port number on four loopback addresses.
struct Lab {
    std::atomic<int> deep_count{0};
    std::unique_ptr<FakeDnsServer> root_server, tld_server, auth_server, bad_server;

    Lab() {
        for (int attempt = 0; attempt < 20 && !bad_server; ++attempt) {
            try {
                root_server = std::make_unique<FakeDnsServer>("127.0.0.2", 0, root);
                const std::uint16_t port = root_server->port();
                tld_server = std::make_unique<FakeDnsServer>("127.0.0.3", port, [this](const Incoming& in) {
                    return tld(in, deep_count);
                });
                auth_server = std::make_unique<FakeDnsServer>("127.0.0.4", port, auth);
                bad_server = std::make_unique<FakeDnsServer>("127.0.0.5", port, bad_tld);
            } catch (const std::runtime_error&) {
                // That port is taken on one of the addresses: all four try another.
                bad_server.reset();
                auth_server.reset();
                tld_server.reset();
                root_server.reset();
            }
        }
        if (!bad_server) throw std::runtime_error("no port free on 127.0.0.2-5");
    }

    IterativeOptions options() const {
        IterativeOptions o;
        o.roots = {*IpAddress::parse("127.0.0.2")};
        o.port = root_server->port();
        o.query.timeout = 2s;
        o.query.retries = 0;
        return o;
    }

    IterativeOutcome resolve(std::string_view name, wire::DnsType type = wire::DnsType::A,
                             std::vector<ResolutionStep>* seen = nullptr) {
        IterativeOptions o = options();
        if (seen) o.on_step = [seen](const ResolutionStep& s) { seen->push_back(s); };
        return resolve_iterative_blocking(test::name(name), type, o);
    }
};

std::string address_of(const wire::DnsRecord& r) {
    const auto* a = std::get_if<wire::DnsA>(&r.data);
    return a ? a->address.to_string() : "(not A)";
}
std::string server_of(const ResolutionStep& s) { return s.server.address().to_string(); }

TEST(IterativeResolver, WalksFromTheRootThroughTheTldToTheAuthoritativeAnswer) {
    Lab lab;
    std::vector<ResolutionStep> seen;
    auto r = lab.resolve("www.example.test", wire::DnsType::A, &seen);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->outcome, StepOutcome::answer);
    ASSERT_EQ(r->answers.size(), 1u);
    EXPECT_EQ(address_of(r->answers[0]), "198.18.0.10");
    EXPECT_TRUE(r->final.response.header.aa);

    ASSERT_EQ(r->steps.size(), 3u);
    EXPECT_EQ(server_of(r->steps[0]), "127.0.0.2");
    EXPECT_EQ(r->steps[0].zone.to_text(), ".");
    EXPECT_EQ(r->steps[0].outcome, StepOutcome::referral);
    EXPECT_EQ(r->steps[0].referral_zone.to_text(), "test");
    ASSERT_EQ(r->steps[0].referral_servers.size(), 1u);
    EXPECT_EQ(r->steps[0].referral_servers[0].to_text(), "ns.test");
    EXPECT_EQ(server_of(r->steps[1]), "127.0.0.3");
    EXPECT_EQ(r->steps[1].zone.to_text(), "test");
    EXPECT_EQ(r->steps[1].outcome, StepOutcome::referral);
    EXPECT_EQ(r->steps[1].referral_zone.to_text(), "example.test");
    EXPECT_EQ(server_of(r->steps[2]), "127.0.0.4");
    EXPECT_EQ(r->steps[2].zone.to_text(), "example.test");
    EXPECT_EQ(r->steps[2].outcome, StepOutcome::answer);
    for (const auto& s : r->steps) {
        EXPECT_EQ(s.server.port(), lab.root_server->port());
        EXPECT_EQ(s.depth, 0u);
        ASSERT_TRUE(s.result);
    }
    // The callback saw the same steps, in the same order, as they happened.
    ASSERT_EQ(seen.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(seen[i].server, r->steps[i].server);
    // An iterative resolver does the recursion itself: RD clear on every query.
    for (const auto* server : {lab.root_server.get(), lab.tld_server.get(), lab.auth_server.get()})
        for (const Incoming& in : server->queries()) EXPECT_FALSE(in.query.header.rd);
}

TEST(IterativeResolver, NxdomainAndNodataEndTheWalk) {
    Lab lab;
    auto nx = lab.resolve("nosuch.example.test");
    ASSERT_TRUE(nx) << nx.error().message;
    EXPECT_EQ(nx->outcome, StepOutcome::nxdomain);
    EXPECT_TRUE(nx->answers.empty());
    EXPECT_EQ(nx->steps.size(), 3u);
    EXPECT_EQ(nx->final.response.header.rcode, wire::kDnsRcodeNxDomain);

    auto nodata = lab.resolve("www.example.test", wire::DnsType::TXT);
    ASSERT_TRUE(nodata) << nodata.error().message;
    EXPECT_EQ(nodata->outcome, StepOutcome::nodata);
    EXPECT_TRUE(nodata->answers.empty());
    EXPECT_EQ(nodata->steps.back().outcome, StepOutcome::nodata);

    // NXDOMAIN straight from the root: one step.
    auto top = lab.resolve("www.example.invalid");
    ASSERT_TRUE(top) << top.error().message;
    EXPECT_EQ(top->outcome, StepOutcome::nxdomain);
    EXPECT_EQ(top->steps.size(), 1u);
}

TEST(IterativeResolver, AGluelessReferralIsResolvedByANestedWalk) {
    Lab lab;
    auto r = lab.resolve("www.other.test");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->answers.size(), 1u);
    EXPECT_EQ(address_of(r->answers[0]), "198.18.0.20");
    // root, test. (glue-less referral), then ns.example.test from the root (depth 1), then
    // the answer from the address found.
    ASSERT_EQ(r->steps.size(), 6u);
    const std::size_t depths[] = {0, 0, 1, 1, 1, 0};
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(r->steps[i].depth, depths[i]) << "step " << i;
    EXPECT_EQ(r->steps[1].referral_zone.to_text(), "other.test");
    ASSERT_EQ(r->steps[1].referral_servers.size(), 1u);
    EXPECT_EQ(r->steps[1].referral_servers[0].to_text(), "ns.example.test");
    EXPECT_EQ(r->steps[2].qname.to_text(), "ns.example.test");
    EXPECT_EQ(r->steps[2].zone.to_text(), ".");
    EXPECT_EQ(r->steps[4].outcome, StepOutcome::answer);
    EXPECT_EQ(server_of(r->steps[5]), "127.0.0.4");
    EXPECT_EQ(r->steps[5].zone.to_text(), "other.test");
    EXPECT_EQ(r->steps[5].qname.to_text(), "www.other.test");
}

TEST(IterativeResolver, ACnameIntoAnotherZoneRestartsTheWalkAtTheRoot) {
    Lab lab;
    auto r = lab.resolve("alias.example.test");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->answers.size(), 2u);
    EXPECT_EQ(r->answers[0].type, wire::DnsType::CNAME);
    EXPECT_EQ(r->answers[0].name.to_text(), "alias.example.test");
    EXPECT_EQ(address_of(r->answers[1]), "198.18.0.20");
    ASSERT_GE(r->steps.size(), 4u);
    EXPECT_EQ(r->steps[2].outcome, StepOutcome::cname);
    EXPECT_NE(r->steps[2].detail.find("www.other.test."), std::string::npos) << r->steps[2].detail;
    EXPECT_EQ(r->steps[3].zone.to_text(), ".");
    EXPECT_EQ(r->steps[3].qname.to_text(), "www.other.test");
    EXPECT_EQ(r->steps.back().outcome, StepOutcome::answer);
}

TEST(IterativeResolver, AnInZoneCnameChainIsTakenFromTheSameResponse) {
    Lab lab;
    auto r = lab.resolve("inzone.example.test");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->answers.size(), 2u);
    EXPECT_EQ(r->answers[0].type, wire::DnsType::CNAME);
    EXPECT_EQ(address_of(r->answers[1]), "198.18.0.10");
    ASSERT_EQ(r->steps.size(), 3u);  // no second walk
    EXPECT_EQ(r->steps[2].outcome, StepOutcome::answer);
    EXPECT_NE(r->steps[2].detail.find("CNAME to www.example.test."), std::string::npos) << r->steps[2].detail;
}

TEST(IterativeResolver, ACnameLoopIsAnError) {
    Lab lab;
    auto r = lab.resolve("loop1.example.test");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("CNAME loop"), std::string::npos) << r.error().message;
    EXPECT_LT(r.error().steps.size(), 10u);
}

TEST(IterativeResolver, SidewaysAndUpwardReferralsArePassedOver) {
    Lab lab;
    for (const char* name : {"side.detour.test", "up.detour.test"}) {
        SCOPED_TRACE(name);
        auto r = lab.resolve(name);
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(r->answers.size(), 1u);
        EXPECT_EQ(address_of(r->answers[0]), "198.18.0.30");
        ASSERT_EQ(r->steps.size(), 3u);
        EXPECT_EQ(server_of(r->steps[1]), "127.0.0.5");
        EXPECT_EQ(r->steps[1].outcome, StepOutcome::rejected);
        EXPECT_NE(r->steps[1].detail.find("not closer"), std::string::npos) << r->steps[1].detail;
        EXPECT_EQ(server_of(r->steps[2]), "127.0.0.3");
    }
}

TEST(IterativeResolver, GluelessServersThatNeedEachOtherFailCleanly) {
    Lab lab;
    auto r = lab.resolve("www.a.test");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("a.test."), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("no address found for name server"), std::string::npos) << r.error().message;
    EXPECT_LT(r.error().steps.size(), 20u);
}

TEST(IterativeResolver, AReferralLoopIsStoppedByTheReferralCap) {
    Lab lab;
    auto r = lab.resolve(deep_name());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("more than 30 referrals"), std::string::npos) << r.error().message;
    // The root's referral and then 30 from test.'s server; nothing asked after the cap.
    EXPECT_EQ(r.error().steps.size(), 31u);
    EXPECT_EQ(lab.tld_server->udp_queries(), 30);
    for (const auto& s : r.error().steps) EXPECT_EQ(s.outcome, StepOutcome::referral);
}

TEST(IterativeResolver, ANameThatNoServerOfItsZoneAnswersIsAnErrorNamingTheZone) {
    // A root that answers nothing: the walk must give up within its per-server timeout.
    FakeDnsServer silent("127.0.0.2", 0, [](const Incoming&) { return std::vector<Send>{}; });
    IterativeOptions o;
    o.roots = {*IpAddress::parse("127.0.0.2")};
    o.port = silent.port();
    o.query.timeout = 200ms;
    o.query.retries = 1;
    const auto start = std::chrono::steady_clock::now();
    auto r = resolve_iterative_blocking(test::name("www.example.test"), wire::DnsType::A, o);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("zone ."), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(silent.endpoint().to_string()), std::string::npos) << r.error().message;
    ASSERT_EQ(r.error().steps.size(), 1u);
    EXPECT_EQ(r.error().steps[0].outcome, StepOutcome::no_response);
    EXPECT_GE(took, 400ms);
    EXPECT_LT(took, 5000ms);
}

TEST(IterativeResolver, DefaultRootsAreTheThirteenRootServers) {
    auto roots = default_root_servers();
    ASSERT_EQ(roots.size(), 13u);
    EXPECT_EQ(roots.front().to_string(), "198.41.0.4");  // a.root-servers.net
    EXPECT_EQ(roots.back().to_string(), "202.12.27.33");  // m.root-servers.net
}

}  // namespace
}  // namespace weft::dns
