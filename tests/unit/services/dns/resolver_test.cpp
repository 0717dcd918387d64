// services/dns: the stub resolver against misbehaving servers on loopback, and the
// resolv.conf reader. Time bounds below are correctness limits (an answer that is there must
// not wait for a retry; a silent server must not hold the caller past its deadline), set
// loosely enough for a loaded 2-core machine.

#include "weft/services/dns/resolver.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>

#include "../../io/test_support.hpp"
#include "resolver_fake_server.hpp"

using namespace std::chrono_literals;

namespace weft::dns {
namespace {

using test::FakeDnsServer;
using test::Incoming;
using test::Send;
using Clock = std::chrono::steady_clock;

const wire::DnsQuestion kWww{test::name("www.example.test"), wire::DnsType::A, wire::DnsClass::IN};

// The right answer: 198.18.0.10. Decoys carry 10.6.6.6, so taking one shows in the result.
wire::DnsMessage good_answer(const wire::DnsMessage& q) {
    auto r = test::reply_to(q);
    r.header.aa = true;
    r.answers.push_back(test::a_record("www.example.test", "198.18.0.10"));
    return r;
}
wire::DnsMessage decoy(const wire::DnsMessage& q) {
    auto r = test::reply_to(q);
    r.answers.push_back(test::a_record("www.example.test", "10.6.6.6"));
    return r;
}

std::string first_address(const QueryResult& r) {
    for (const auto& rr : r.response.answers)
        if (const auto* a = std::get_if<wire::DnsA>(&rr.data)) return a->address.to_string();
    return "(none)";
}

// Tries long enough that a fake server thread on a loaded machine under ASan always answers
// within one: a test that counts queries or bounds the time must not see a retry it did not ask for.
QueryOptions fast(std::chrono::milliseconds timeout = 5000ms, unsigned retries = 2) {
    QueryOptions o;
    o.timeout = timeout;
    o.retries = retries;
    return o;
}

struct Timed {
    QueryOutcome outcome;
    Clock::duration took;
};
Timed timed_query(const Endpoint& server, const wire::DnsQuestion& q, const QueryOptions& o) {
    const auto start = Clock::now();
    auto r = query_blocking(server, q, o);
    return {std::move(r), Clock::now() - start};
}

TEST(StubResolver, AnswersAndReportsServerTransportAndRtt) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) { return std::vector<Send>{test::send(good_answer(in.query))}; });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    EXPECT_EQ(t.outcome->server, server.endpoint());
    EXPECT_EQ(t.outcome->transport, Transport::udp);
    EXPECT_GT(t.outcome->rtt.count(), 0);
    EXPECT_LE(t.outcome->rtt, t.took);
    // The query itself: RD set for a stub, EDNS0 with our payload size, one question.
    auto seen = server.queries();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_TRUE(seen[0].query.header.rd);
    ASSERT_TRUE(seen[0].query.edns());
    EXPECT_EQ(seen[0].query.edns()->udp_payload_size, kEdnsPayloadSize);
    ASSERT_EQ(seen[0].query.questions.size(), 1u);
    EXPECT_EQ(seen[0].query.questions[0].name, kWww.name);
}

TEST(StubResolver, IgnoresAWrongIdAndTakesTheRightOne) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        auto wrong = decoy(in.query);
        wrong.header.id ^= 0x5a5a;
        return std::vector<Send>{test::send(wrong), test::send(good_answer(in.query))};
    });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    // The right answer was already queued: taking it must not wait for the try to time out.
    EXPECT_LT(t.took, 4000ms);
    EXPECT_EQ(server.udp_queries(), 1);
}

TEST(StubResolver, IgnoresAWrongQuestionButMatchesNamesCaseInsensitively) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        auto other_name = decoy(in.query);
        other_name.questions[0].name = test::name("www.example.tesu");
        auto other_type = decoy(in.query);
        other_type.questions[0].type = wire::DnsType::AAAA;
        auto other_class = decoy(in.query);
        other_class.questions[0].qclass = wire::DnsClass::CH;
        auto echoed = in.query;  // the query itself, QR clear: not a response
        auto right = good_answer(in.query);
        right.questions[0].name = test::name("WWW.Example.TEST");  // RFC 4343: same name
        return std::vector<Send>{test::send(other_name), test::send(other_type), test::send(other_class),
                                 test::send(echoed), test::send(right)};
    });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    EXPECT_LT(t.took, 4000ms);
    EXPECT_EQ(server.udp_queries(), 1);
}

TEST(StubResolver, IgnoresAResponseFromAnotherSourcePort) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        // Same ID, same question, right address, wrong port: an off-path forgery's shape.
        return std::vector<Send>{Send{test::to_bytes(decoy(in.query)), true}, test::send(good_answer(in.query))};
    });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    EXPECT_LT(t.took, 4000ms);
}

TEST(StubResolver, IgnoresGarbageThenTakesTheAnswer) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        const std::string junk = "\x12\x34 not a DNS message at all";
        test::Bytes garbage(reinterpret_cast<const std::byte*>(junk.data()),
                            reinterpret_cast<const std::byte*>(junk.data()) + junk.size());
        // The right ID in the first two bytes and then nonsense: it must still not parse.
        test::Bytes same_id = garbage;
        same_id[0] = std::byte(in.query.header.id >> 8);
        same_id[1] = std::byte(in.query.header.id & 0xff);
        return std::vector<Send>{Send{garbage}, Send{same_id}, Send{{}}, test::send(good_answer(in.query))};
    });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    EXPECT_LT(t.took, 4000ms);
}

TEST(StubResolver, TruncatedOverUdpIsAskedAgainOverTcp) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        auto r = test::reply_to(in.query);
        if (!in.tcp) {
            r.header.tc = true;  // nothing fits: empty answer, TC
            return std::vector<Send>{test::send(r)};
        }
        for (int i = 0; i < 40; ++i)
            r.answers.push_back(test::a_record("www.example.test", "198.18.1." + std::to_string(i)));
        return std::vector<Send>{test::send(r)};
    });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(t.outcome->transport, Transport::tcp);
    EXPECT_FALSE(t.outcome->response.header.tc);
    EXPECT_EQ(t.outcome->response.answers.size(), 40u);
    EXPECT_EQ(server.udp_queries(), 1);
    EXPECT_EQ(server.tcp_queries(), 1);
    ASSERT_EQ(t.outcome->notes.size(), 1u);
    EXPECT_NE(t.outcome->notes[0].find("TCP"), std::string::npos);
    EXPECT_LT(t.took, 4000ms);  // no try may have timed out on the way
}

TEST(StubResolver, ATcpFallbackThatFailsKeepsTheTruncatedAnswer) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        if (in.tcp) return std::vector<Send>{Send{{}, false, true}};  // closes without a word
        auto r = good_answer(in.query);
        r.header.tc = true;
        return std::vector<Send>{test::send(r)};
    });
    auto t = timed_query(server.endpoint(), kWww, fast());
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(t.outcome->transport, Transport::udp);
    EXPECT_TRUE(t.outcome->response.header.tc);
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    ASSERT_EQ(t.outcome->notes.size(), 2u);
    EXPECT_NE(t.outcome->notes[1].find("closed the connection without answering"), std::string::npos)
        << t.outcome->notes[1];
    EXPECT_EQ(server.tcp_queries(), 1);  // a closed connection is an answer of sorts: no retry
    EXPECT_LT(t.took, 4000ms);

    QueryOptions tcp_only = fast();
    tcp_only.tcp_only = true;
    auto bad = timed_query(server.endpoint(), kWww, tcp_only);
    ASSERT_FALSE(bad.outcome);
    EXPECT_EQ(bad.outcome.error().code, QueryErrc::bad_response);
    EXPECT_NE(bad.outcome.error().message.find(server.endpoint().to_string()), std::string::npos);
}

TEST(StubResolver, TcpSkipsAFrameWithAWrongIdAndTcpOnlyNeverUsesUdp) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        auto wrong = decoy(in.query);
        wrong.header.id ^= 1;
        return std::vector<Send>{test::send(wrong), test::send(good_answer(in.query))};
    });
    QueryOptions o = fast();
    o.tcp_only = true;
    auto t = timed_query(server.endpoint(), kWww, o);
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(t.outcome->transport, Transport::tcp);
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    EXPECT_EQ(server.udp_queries(), 0);
    EXPECT_EQ(server.tcp_queries(), 1);
}

TEST(StubResolver, FormerrToEdnsIsAskedAgainWithoutOpt) {
    for (bool echo_question : {true, false}) {
        SCOPED_TRACE(echo_question ? "FORMERR with the question" : "FORMERR with the header alone");
        FakeDnsServer server("127.0.0.1", 0, [echo_question](const Incoming& in) {
            if (in.query.edns()) {
                auto r = test::reply_to(in.query, wire::kDnsRcodeFormErr);
                if (!echo_question) r.questions.clear();
                return std::vector<Send>{test::send(r)};
            }
            return std::vector<Send>{test::send(good_answer(in.query))};
        });
        auto t = timed_query(server.endpoint(), kWww, fast());
        ASSERT_TRUE(t.outcome) << t.outcome.error().message;
        EXPECT_EQ(t.outcome->response.header.rcode, wire::kDnsRcodeNoError);
        EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
        auto seen = server.queries();
        ASSERT_EQ(seen.size(), 2u);
        EXPECT_TRUE(seen[0].query.edns());
        EXPECT_FALSE(seen[1].query.edns());
        EXPECT_LT(t.took, 4000ms);
    }
}

TEST(StubResolver, NoEdnsSendsNoOptAndFormerrWithoutOptIsAnAnswer) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        return std::vector<Send>{test::send(test::reply_to(in.query, wire::kDnsRcodeFormErr))};
    });
    QueryOptions o = fast();
    o.edns = false;
    auto t = timed_query(server.endpoint(), kWww, o);
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(t.outcome->response.header.rcode, wire::kDnsRcodeFormErr);
    EXPECT_EQ(server.udp_queries(), 1);
    EXPECT_FALSE(server.queries()[0].query.edns());
}

TEST(StubResolver, SilenceFailsAfterEveryTryWithTheServerInTheMessage) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming&) { return std::vector<Send>{}; });
    auto t = timed_query(server.endpoint(), kWww, fast(200ms, 2));
    ASSERT_FALSE(t.outcome);
    EXPECT_EQ(t.outcome.error().code, QueryErrc::timed_out);
    EXPECT_EQ(t.outcome.error().message,
              "no response from " + server.endpoint().to_string() + " after 3 tries (0.2 s each)");
    EXPECT_GE(t.took, 600ms);   // three full tries
    EXPECT_LT(t.took, 5000ms);  // and nothing after them
    EXPECT_TRUE(weft::test::eventually([&] { return server.udp_queries() == 3; }));
    // One socket, one ID for the whole phase: a late answer to the first try still counts.
    auto seen = server.queries();
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].query.header.id, seen[2].query.header.id);
}

TEST(StubResolver, TheTotalDeadlineCutsTheTriesShort) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming&) { return std::vector<Send>{}; });
    QueryOptions o = fast(5000ms, 5);
    o.total = 300ms;
    auto t = timed_query(server.endpoint(), kWww, o);
    ASSERT_FALSE(t.outcome);
    EXPECT_NE(t.outcome.error().message.find(server.endpoint().to_string()), std::string::npos);
    EXPECT_NE(t.outcome.error().message.find("within the total of 0.3 s"), std::string::npos)
        << t.outcome.error().message;
    EXPECT_GE(t.took, 300ms);
    EXPECT_LT(t.took, 4000ms);  // well before even the first try's own timeout
}

TEST(StubResolver, SilenceOnTheFirstTryThenAnAnswerToTheRetry) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) {
        if (in.number == 0) return std::vector<Send>{};
        return std::vector<Send>{test::send(good_answer(in.query))};
    });
    auto t = timed_query(server.endpoint(), kWww, fast(1000ms, 2));
    ASSERT_TRUE(t.outcome) << t.outcome.error().message;
    EXPECT_EQ(first_address(*t.outcome), "198.18.0.10");
    EXPECT_EQ(server.udp_queries(), 2);
    EXPECT_GE(t.took, 1000ms);  // the retry went out only after the first try's timeout
    EXPECT_LT(t.took, 2000ms);  // and was answered within its own
    // The RTT is the retry's, not the whole wait.
    EXPECT_LT(t.outcome->rtt, 1000ms);
}

TEST(StubResolver, ConnectionRefusedIsReportedAtOnce) {
    // A UDP port held by a socket connected to itself: nobody else's datagram matches it, so
    // the kernel answers ours with ICMP port unreachable, and no parallel test can take it.
    const int holder = weft::test::udp_blocking();
    ASSERT_GE(holder, 0);
    sockaddr_in self{};
    socklen_t len = sizeof self;
    ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&self), &len), 0);
    ASSERT_EQ(::connect(holder, reinterpret_cast<sockaddr*>(&self), len), 0);
    const Endpoint server(Ipv4Address::loopback(), ntohs(self.sin_port));
    auto t = timed_query(server, kWww, fast(5000ms, 2));
    ::close(holder);
    ASSERT_FALSE(t.outcome);
    EXPECT_EQ(t.outcome.error().code, QueryErrc::refused);
    EXPECT_EQ(t.outcome.error().server, server);
    EXPECT_NE(t.outcome.error().message.find("refused"), std::string::npos);
    EXPECT_NE(t.outcome.error().message.find(server.to_string()), std::string::npos);
    EXPECT_LT(t.took, 4000ms);  // long before the first 5 s try would have ended
}

TEST(StubResolver, TcpRefusedIsReportedAtOnce) {
    // Bound, never listening: the kernel answers a SYN with RST.
    const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    QueryOptions o = fast(5000ms, 2);
    o.tcp_only = true;
    auto t = timed_query(Endpoint(Ipv4Address::loopback(), ntohs(sa.sin_port)), kWww, o);
    ::close(holder);
    ASSERT_FALSE(t.outcome);
    EXPECT_EQ(t.outcome.error().code, QueryErrc::refused);
    EXPECT_NE(t.outcome.error().message.find("over tcp"), std::string::npos) << t.outcome.error().message;
    EXPECT_LT(t.took, 4000ms);
}

TEST(StubResolver, EachQueryGetsItsOwnRandomIdAndSourcePort) {
    FakeDnsServer server("127.0.0.1", 0, [](const Incoming& in) { return std::vector<Send>{test::send(good_answer(in.query))}; });
    EventLoop loop;
    for (int i = 0; i < 8; ++i) {
        auto r = loop.block_on(query(loop, server.endpoint(), kWww, fast()));
        ASSERT_TRUE(r) << r.error().message;
    }
    std::set<std::uint16_t> ids, ports;
    for (const Incoming& in : server.queries()) {
        ids.insert(in.query.header.id);
        ports.insert(in.from_port);
    }
    // Eight 16-bit draws all equal would be a 2^-112 event: a fixed or reused ID is a bug,
    // and so is one socket (one port) kept for every query.
    EXPECT_GT(ids.size(), 1u);
    EXPECT_GT(ports.size(), 1u);
}

TEST(StubResolver, MakeQuestionRejectsBadNamesWithTheParserMessage) {
    auto q = make_question("a..b", wire::DnsType::A);
    ASSERT_FALSE(q);
    EXPECT_NE(q.error().message.find("'a..b'"), std::string::npos) << q.error().message;
    auto ok = make_question("WWW.example.test.", wire::DnsType::MX);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->name, kWww.name);
    EXPECT_EQ(ok->type, wire::DnsType::MX);
    EXPECT_EQ(ok->qclass, wire::DnsClass::IN);
}

// ---- resolv.conf ---------------------------------------------------------------------------

class ResolvConf : public ::testing::Test {
protected:
    std::string write(const std::string& text) {
        path_ = ::testing::TempDir() + "resolv_conf_test_" + std::to_string(::getpid()) + ".conf";
        std::ofstream(path_) << text;
        return path_;
    }
    void TearDown() override {
        if (!path_.empty()) std::remove(path_.c_str());
    }
    std::string path_;
};

TEST_F(ResolvConf, TakesTheFirstNameserverAfterCommentsAndOtherKeywords) {
    auto r = nameserver_from_resolv_conf(write("# generated\n; also a comment\nsearch example.test\n"
                                               "options ndots:2\n  nameserver   192.0.2.53  # primary\n"
                                               "nameserver 192.0.2.54\n"));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->to_string(), "192.0.2.53:53");
}

TEST_F(ResolvConf, ReadsIpv6Nameservers) {
    auto r = nameserver_from_resolv_conf(write("nameserver ::1\n"));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->to_string(), "[::1]:53");
}

TEST_F(ResolvConf, ErrorsNameTheFileAndLine) {
    auto bad = nameserver_from_resolv_conf(write("search x\nnameserver 300.1.2.3\n"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().rfind(path_ + ":2: ", 0), 0u) << bad.error();
    EXPECT_NE(bad.error().find("300.1.2.3"), std::string::npos) << bad.error();

    auto none = nameserver_from_resolv_conf(write("search x\n#nameserver 192.0.2.1\n"));
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().find("no nameserver line in " + path_), std::string::npos) << none.error();

    auto empty = nameserver_from_resolv_conf(write("nameserver\n"));
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().find(":1: nameserver line without an address"), std::string::npos) << empty.error();

    auto missing = nameserver_from_resolv_conf("/nonexistent/resolv.conf");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("cannot read /nonexistent/resolv.conf"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace weft::dns
