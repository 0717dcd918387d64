// TcpServer's graceful stop and connection ending, judged by state (issue 8, §1): idle
// connections end at once, mid-exchange ones are served until their peer finishes, a handler
// with messages closes at a boundary, and a connection the server ends never gets an RST.

#include "weft/io/tcp_server.hpp"

#include <array>
#include <cstdio>
#include <sstream>
#include <fstream>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>

#include "test_support.hpp"
#include "weft/io/loop_pool.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/udp_server.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

using test::eventually;

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

Task<> echo(TcpStream conn) {
    std::array<std::byte, 4096> buf;
    while (std::size_t n = (co_await conn.read_some(buf)).value_or(0))
        if (!co_await conn.write_all(std::span(buf).first(n))) break;
}

// Bytes queued in fd's send buffer that the peer has not taken yet.
int unsent(int fd) {
    int n = 0;
    ::ioctl(fd, TIOCOUTQ, &n);
    return n;
}

// The send and receive queues of the 127.0.0.1 TCP socket with local port `local` and remote
// port `remote`, from /proc/net/tcp (the kernel's view of a socket this test does not own).
struct Queues {
    long tx = -1, rx = -1;
};
Queues queues_of(std::uint16_t local, std::uint16_t remote) {
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // the header
    char want_local[16], want_remote[16];
    std::snprintf(want_local, sizeof want_local, "0100007F:%04X", local);
    std::snprintf(want_remote, sizeof want_remote, "0100007F:%04X", remote);
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, l, r, state, queues;
        fields >> slot >> l >> r >> state >> queues;
        if (l != want_local || r != want_remote) continue;
        const auto colon = queues.find(':');
        return {std::stol(queues.substr(0, colon), nullptr, 16), std::stol(queues.substr(colon + 1), nullptr, 16)};
    }
    return {};
}

std::uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

// Idle clients do not hold the stop up: each sees a clean EOF (a FIN, not an RST), and the
// server is done long before its drain timeout.
TEST(GracefulStop, IdleConnectionsEndAtOnceWithAFin) {
    auto server = TcpServer::start(kLoopback, {.threads = 2, .drain_timeout = 60s}, echo);
    ASSERT_TRUE(server) << server.error().message();
    const auto port = (*server)->local_endpoint().port();
    std::vector<int> idle;
    for (int i = 0; i < 3; ++i) {
        idle.push_back(test::connect_blocking(port, 20s));
        ASSERT_GE(idle.back(), 0);
        // One exchange each, so every handler is known to be running and waiting to read.
        ASSERT_TRUE(test::send_all(idle.back(), "ping"));
        ASSERT_EQ(test::recv_n(idle.back(), 4), "ping");
    }
    const auto start = std::chrono::steady_clock::now();
    (*server)->stop();
    for (int fd : idle) {
        bool eof = false;
        EXPECT_EQ(test::recv_until_eof(fd, eof), "");
        EXPECT_TRUE(eof) << "an idle client should read a clean EOF (errno " << errno << ")";
        ::close(fd);  // the server's linger ends on our FIN
    }
    (*server)->wait();
    // The drain timeout is 60 s: anything near it means idle connections were waited for.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// A client whose echo is blocked (it does not read) when the stop comes is mid-exchange: it
// keeps being served — also for what it sends after the stop — until it half-closes, then
// gets every byte back and a clean EOF.
TEST(GracefulStop, MidExchangeConnectionIsServedUntilThePeerHalfCloses) {
    auto server = TcpServer::start(kLoopback, {.threads = 1, .drain_timeout = 60s}, echo);
    ASSERT_TRUE(server);
    const int c = test::connect_blocking((*server)->local_endpoint().port(), 30s);
    ASSERT_GE(c, 0);
    const std::string chunk(64 * 1024, 'x');
    std::size_t sent = 0;
    // Send without reading until the server is stuck in write_all: its socket holds input
    // it cannot get to (rx) and output we do not take (tx), our own queue is full, and that
    // state holds while we watch. Our unsent bytes alone would not prove it: the server's send
    // buffer grows to megabytes on loopback, and a handler whose echo fits there has answered
    // everything and is rightly idle. The queues come from /proc/net/tcp.
    const auto port = (*server)->local_endpoint().port();
    const auto ours = local_port(c);
    Queues last{};
    int steady = 0;
    while (steady < 20) {
        const ssize_t n = ::send(c, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            steady = 0;
            ASSERT_LT(sent, 256u << 20) << "the server never stopped taking bytes";
            continue;
        }
        ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << "send: errno " << errno;
        pollfd p{c, POLLOUT, 0};
        ::poll(&p, 1, 5);  // a bounded wait for room; none means the server is not reading
        const Queues q = queues_of(port, ours);
        const bool stuck = q.rx > 0 && q.tx > 0 && q.rx == last.rx && q.tx == last.tx;
        steady = stuck ? steady + 1 : 0;
        last = q;
    }
    (*server)->stop();
    // After the stop has begun: more bytes, then the half-close. All must come back.
    std::string echoed;
    bool eof = false;
    std::thread reader([&] { echoed = test::recv_until_eof(c, eof); });
    const std::string tail = "after the stop";
    ASSERT_TRUE(test::send_all(c, tail));
    ::shutdown(c, SHUT_WR);
    reader.join();
    EXPECT_TRUE(eof) << "ended without a clean EOF after " << echoed.size() << " bytes";
    EXPECT_EQ(echoed.size(), sent + tail.size());
    EXPECT_EQ(echoed.substr(echoed.size() - tail.size()), tail);
    (*server)->wait();
    ::close(c);
}

// A handler with messages marks itself mid-message while a line is incomplete and closes at
// the boundary once the server stops: a line begun before the stop is still answered.
Task<> line_echo(TcpStream conn) {
    std::string line;
    std::array<std::byte, 256> buf;
    for (;;) {
        auto n = co_await conn.read_some(buf);
        if (!n || *n == 0) co_return;
        for (std::size_t i = 0; i < *n; ++i) {
            line.push_back(static_cast<char>(buf[i]));
            if (line.back() != '\n') continue;
            if (!co_await conn.write_all(std::string_view(line))) co_return;
            line.clear();
        }
        conn.set_mid_message(!line.empty());
        if (line.empty() && conn.stop_requested()) co_return;  // the boundary: close here
    }
}

TEST(GracefulStop, HandlerClosesAtAMessageBoundary) {
    auto server = TcpServer::start(kLoopback, {.threads = 1, .drain_timeout = 60s}, line_echo);
    ASSERT_TRUE(server);
    const int c = test::connect_blocking((*server)->local_endpoint().port(), 30s);
    ASSERT_GE(c, 0);
    ASSERT_TRUE(test::send_all(c, "one\n"));
    ASSERT_EQ(test::recv_n(c, 4), "one\n");
    ASSERT_TRUE(test::send_all(c, "hel"));  // half a line: the handler marks mid-message
    ASSERT_TRUE(eventually([&] { return unsent(c) == 0; }));  // the server's kernel has it
    // The handler may not have read "hel" yet; either way the connection is not idle: the
    // bytes are unread in its buffer, or it is marked mid-message.
    const auto start = std::chrono::steady_clock::now();
    (*server)->stop();
    ASSERT_TRUE(test::send_all(c, "lo\n"));
    EXPECT_EQ(test::recv_n(c, 6), "hello\n");
    bool eof = false;
    EXPECT_EQ(test::recv_until_eof(c, eof), "");
    EXPECT_TRUE(eof) << "the handler should close at the boundary";
    ::close(c);
    (*server)->wait();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// A handler that returns while the peer's bytes sit unread would, with a plain close(), make
// the kernel answer them with an RST, and the peer would lose the reply it had not read yet.
// The server lingers instead: the peer reads the whole reply, then EOF.
TEST(GracefulStop, ServerEndedConnectionSendsFinNotRst) {
    auto short_answer = [](TcpStream conn) -> Task<> {
        std::array<std::byte, 1> first;
        if (!co_await conn.read_exact(first)) co_return;
        const std::string reply(256 * 1024, 'r');  // larger than what the kernel sends at once
        (void)co_await conn.write_all(std::string_view(reply));
        // Returns with the rest of the request unread.
    };
    auto server = TcpServer::start(kLoopback, {.threads = 1}, short_answer);
    ASSERT_TRUE(server);
    const int c = test::connect_blocking((*server)->local_endpoint().port(), 30s);
    ASSERT_GE(c, 0);
    ASSERT_TRUE(test::send_all(c, std::string(32 * 1024, 'q')));  // 1 byte read, the rest not
    // Let the reply sit in our receive queue for a moment while the handler ends; then send
    // more (the kernel would answer these with an RST had the socket been closed plainly).
    ASSERT_TRUE(eventually([&] { return (*server)->stats().active == 0; }));
    ASSERT_TRUE(test::send_all(c, "more"));
    bool eof = false;
    const std::string got = test::recv_until_eof(c, eof);
    EXPECT_TRUE(eof) << "reset after " << got.size() << " bytes (errno " << errno << ")";
    EXPECT_EQ(got.size(), 256u * 1024);
    ::close(c);
}

// One pool, a UDP and a TCP server on the same loops, one stop for both.
TEST(LoopPool, UdpAndTcpShareLoopsAndOneStop) {
    auto pool = LoopPool::create(2);
    ASSERT_TRUE(pool);
    auto tcp = TcpServer::start(**pool, kLoopback, {}, echo);
    ASSERT_TRUE(tcp) << tcp.error().message();
    auto udp = UdpServer::start(**pool, kLoopback,
                                [](const InboundDatagram& in, DatagramReplies& out) { out.reply(in.payload); });
    ASSERT_TRUE(udp) << udp.error().message();
    EXPECT_EQ((*tcp)->threads(), 2u);
    EXPECT_EQ((*udp)->threads(), 2u);
    (*pool)->start();

    const int t = test::connect_blocking((*tcp)->local_endpoint().port());
    ASSERT_GE(t, 0);
    ASSERT_TRUE(test::send_all(t, "tcp"));
    EXPECT_EQ(test::recv_n(t, 3), "tcp");
    const int u = test::udp_blocking();
    ASSERT_GE(u, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons((*udp)->local_endpoint().port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::sendto(u, "udp", 3, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 3);
    char buf[8];
    EXPECT_EQ(::recv(u, buf, sizeof buf, 0), 3);

    (*pool)->stop();  // both servers drain (the TCP client is idle: it ends at once)
    bool eof = false;
    test::recv_until_eof(t, eof);
    EXPECT_TRUE(eof);
    ::close(t);
    (*pool)->wait();
    (*tcp)->wait();
    (*udp)->wait();
    EXPECT_EQ((*udp)->stats().datagrams, 1u);
    ::close(u);
}

// Servers set up on a pool that never starts can still be stopped and destroyed (nothing
// runs, so nothing drains: the stop must not wait for loops that never turn).
TEST(LoopPool, ServersOnAPoolThatNeverStartsStopAtOnce) {
    auto pool = LoopPool::create(2);
    ASSERT_TRUE(pool);
    {
        auto tcp = TcpServer::start(**pool, kLoopback, {}, echo);
        auto udp = UdpServer::start(**pool, kLoopback, [](const InboundDatagram&, DatagramReplies&) {});
        ASSERT_TRUE(tcp && udp);
        const auto port = (*tcp)->local_endpoint().port();
        (*tcp)->stop();
        (*tcp)->wait();
        EXPECT_FALSE(test::listening_on(port)) << "the listener should be closed";
    }  // the UDP server's destructor stops and waits too
    (*pool)->start();  // the pool is still usable afterwards
    auto later = TcpServer::start(**pool, kLoopback, {}, echo);
    ASSERT_TRUE(later);
    const int c = test::connect_blocking((*later)->local_endpoint().port());
    ASSERT_GE(c, 0);
    ASSERT_TRUE(test::send_all(c, "hi"));
    EXPECT_EQ(test::recv_n(c, 2), "hi");
    ::close(c);
}

// A server that cannot bind on a running pool leaves nothing behind on it.
TEST(LoopPool, AFailedStartOnARunningPoolLeavesNothing) {
    auto pool = LoopPool::create(2);
    ASSERT_TRUE(pool);
    (*pool)->start();
    auto first = TcpServer::start(**pool, kLoopback, {}, echo);
    ASSERT_TRUE(first);
    auto clash = TcpServer::start(**pool, (*first)->local_endpoint(), {}, echo);
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error(), std::errc::address_in_use);
    auto udp = UdpServer::start(**pool, kLoopback, [](const InboundDatagram&, DatagramReplies&) {});
    ASSERT_TRUE(udp);
    auto udp_clash = UdpServer::start(**pool, (*udp)->local_endpoint(), [](const InboundDatagram&, DatagramReplies&) {});
    ASSERT_FALSE(udp_clash);
    (*pool)->stop();  // the two servers that started drain; the failed ones are not waited for
    (*pool)->wait();
}

// A server stopped alone leaves the pool's other members running.
TEST(LoopPool, OneServerStopsWhileTheOtherServes) {
    auto pool = LoopPool::create(1);
    ASSERT_TRUE(pool);
    (*pool)->start();
    auto first = TcpServer::start(**pool, kLoopback, {}, echo);
    auto second = TcpServer::start(**pool, kLoopback, {}, echo);
    ASSERT_TRUE(first && second);
    (*first)->stop();
    (*first)->wait();
    const int c = test::connect_blocking((*second)->local_endpoint().port());
    ASSERT_GE(c, 0);
    ASSERT_TRUE(test::send_all(c, "still here"));
    EXPECT_EQ(test::recv_n(c, 10), "still here");
    ::close(c);
}

}  // namespace
}  // namespace weft
