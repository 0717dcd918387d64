// DnsServer over loopback: UDP and TCP on one port, several queries per TCP connection in
// order, garbage that never stops it, the graceful stop at a message boundary.

#include "weft/services/dns/dns_server.hpp"

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../io/test_support.hpp"
#include "dns_test_zones.hpp"

using namespace std::chrono_literals;

namespace weft::dns {
namespace {

using test::make_query;
using wire::DnsType;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::string as_string(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

wire::DnsMessage udp_ask(int fd, std::uint16_t port, const std::vector<std::byte>& query) {
    const auto to = loopback(port);
    EXPECT_EQ(::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(query.size()));
    std::vector<std::byte> buf(65535);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    EXPECT_GT(n, 0) << "no UDP answer";
    if (n <= 0) return {};
    buf.resize(static_cast<std::size_t>(n));
    return wire::parse_dns(buf).value();
}

std::string framed(const std::vector<std::byte>& query) {
    std::string out;
    out += static_cast<char>(query.size() >> 8);
    out += static_cast<char>(query.size() & 0xff);
    return out + as_string(query);
}

wire::DnsMessage tcp_read(int fd) {
    const std::string prefix = weft::test::recv_n(fd, 2);
    EXPECT_EQ(prefix.size(), 2u);
    if (prefix.size() != 2) return {};
    const std::size_t n = (static_cast<unsigned char>(prefix[0]) << 8) | static_cast<unsigned char>(prefix[1]);
    const std::string body = weft::test::recv_n(fd, n);
    EXPECT_EQ(body.size(), n);
    return wire::parse_dns(weft::test::bytes(body)).value();
}

class Server : public ::testing::Test {
protected:
    void SetUp() override {
        auto zones = test::zones_of({test::kExampleZone});
        ASSERT_TRUE(zones);
        auto started = DnsServer::start({Ipv4Address::loopback(), 0}, zones, {.threads = 2, .drain_timeout = 30s});
        ASSERT_TRUE(started) << started.error().message();
        server_ = std::move(*started);
        port_ = server_->local_endpoint().port();
    }
    std::unique_ptr<DnsServer> server_;
    std::uint16_t port_ = 0;
};

TEST_F(Server, AnswersOverUdpAndTcpOnOnePort) {
    const int u = weft::test::udp_blocking();
    ASSERT_GE(u, 0);
    auto r = udp_ask(u, port_, make_query({.name = "www.example.test", .id = 7}));
    EXPECT_EQ(r.header.id, 7);
    EXPECT_TRUE(r.header.aa);
    EXPECT_EQ(r.answers.size(), 1u);
    ::close(u);

    const int t = weft::test::connect_blocking(port_);
    ASSERT_GE(t, 0);
    ASSERT_TRUE(weft::test::send_all(t, framed(make_query({.name = "mail.example.test", .id = 8}))));
    auto tr = tcp_read(t);
    EXPECT_EQ(tr.header.id, 8);
    EXPECT_EQ(tr.answers.size(), 1u);
    ::close(t);
}

// RFC 7766: many queries on one connection, written in one go, answered in order.
TEST_F(Server, PipelinedTcpQueriesAreAnsweredInOrder) {
    const int t = weft::test::connect_blocking(port_);
    ASSERT_GE(t, 0);
    std::string batch;
    const char* names[] = {"www.example.test", "nothing.example.test", "chain.example.test", "www.other.test"};
    for (std::uint16_t i = 0; i < 40; ++i) batch += framed(make_query({.name = names[i % 4], .id = i}));
    ASSERT_TRUE(weft::test::send_all(t, batch));
    for (std::uint16_t i = 0; i < 40; ++i) {
        auto r = tcp_read(t);
        ASSERT_EQ(r.header.id, i);
        ASSERT_EQ(r.questions.at(0).name.to_text(), names[i % 4]);
    }
    ::close(t);
    EXPECT_TRUE(weft::test::eventually([&] { return server_->stats().tcp_queries == 40; }));
}

// Garbage of every size, and messages that are responses, never stop the server: it answers
// what deserves an answer and goes on.
TEST_F(Server, GarbageDatagramsDoNotStopIt) {
    const int u = weft::test::udp_blocking(500ms);
    ASSERT_GE(u, 0);
    std::mt19937 random(11);
    const auto to = loopback(port_);
    for (int i = 0; i < 500; ++i) {
        std::vector<std::byte> junk(random() % 600);
        for (auto& b : junk) b = std::byte(random());
        if (i % 3 == 0 && junk.size() > 20) {  // a plausible header on some of them
            auto q = make_query({.name = "www.example.test"});
            std::copy(q.begin(), q.begin() + 12, junk.begin());
        }
        ::sendto(u, junk.data(), junk.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    }
    // Drain whatever answers came (FORMERR and the like), then a real query is answered.
    std::vector<std::byte> buf(65535);
    while (::recv(u, buf.data(), buf.size(), 0) > 0) {
    }
    ::close(u);
    const int v = weft::test::udp_blocking();
    auto r = udp_ask(v, port_, make_query({.name = "www.example.test", .id = 99}));
    EXPECT_EQ(r.header.id, 99);
    EXPECT_EQ(r.answers.size(), 1u);
    ::close(v);
}

// A stop while a TCP query is half sent: the query is still answered, then the connection
// closes cleanly. (Whether the server has read the first bytes yet or not, the connection is
// not idle: it is mid-message or has unread input.)
TEST_F(Server, AStopAnswersTheQueryInProgressThenCloses) {
    const int t = weft::test::connect_blocking(port_, 20s);
    ASSERT_GE(t, 0);
    const std::string message = framed(make_query({.name = "www.example.test", .id = 5}));
    ASSERT_TRUE(weft::test::send_all(t, message.substr(0, 9)));
    server_->stop();
    ASSERT_TRUE(weft::test::send_all(t, message.substr(9)));
    auto r = tcp_read(t);
    EXPECT_EQ(r.header.id, 5);
    EXPECT_EQ(r.answers.size(), 1u);
    bool eof = false;
    EXPECT_EQ(weft::test::recv_until_eof(t, eof), "");
    EXPECT_TRUE(eof);
    ::close(t);
    server_->wait();
}

TEST(DnsServerStart, APortInUseIsAnError) {
    auto zones = test::zones_of({test::kExampleZone});
    auto first = DnsServer::start({Ipv4Address::loopback(), 0}, zones, {.threads = 1});
    ASSERT_TRUE(first);
    auto second = DnsServer::start((*first)->local_endpoint(), zones, {.threads = 1});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use);
}

TEST(DnsServerStart, AnIdleTcpConnectionIsClosed) {
    auto zones = test::zones_of({test::kExampleZone});
    auto server = DnsServer::start({Ipv4Address::loopback(), 0}, zones, {.threads = 1, .tcp_idle_timeout = 200ms});
    ASSERT_TRUE(server);
    const int t = weft::test::connect_blocking((*server)->local_endpoint().port(), 20s);
    ASSERT_GE(t, 0);
    bool eof = false;
    EXPECT_EQ(weft::test::recv_until_eof(t, eof), "");  // bounded by the 20 s receive timeout
    EXPECT_TRUE(eof) << "the server should close an idle connection";
    ::close(t);
}

}  // namespace
}  // namespace weft::dns
