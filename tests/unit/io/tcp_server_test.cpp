// TcpServer over loopback: the behaviours a production server must survive (issue 3, §2).

#include "weft/io/tcp_server.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "test_support.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/stop_signals.hpp"

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

TEST(TcpServer, EchoesOnEveryThreadOfThePool) {
    for (AcceptMode mode : {AcceptMode::reuse_port, AcceptMode::single_acceptor}) {
        auto server = TcpServer::start(kLoopback, {.threads = 2, .accept_mode = mode}, echo);
        ASSERT_TRUE(server) << server.error().message();
        const auto port = (*server)->local_endpoint().port();
        std::vector<int> clients;
        for (int i = 0; i < 20; ++i) clients.push_back(test::connect_blocking(port));
        for (int i = 0; i < 20; ++i) {
            const std::string msg = "message " + std::to_string(i);
            ASSERT_TRUE(test::send_all(clients[i], msg));
            EXPECT_EQ(test::recv_n(clients[i], msg.size()), msg);
        }
        for (int fd : clients) ::close(fd);
        EXPECT_TRUE(eventually([&] { return (*server)->stats().active == 0; }));
        EXPECT_EQ((*server)->stats().accepted, 20u);
    }
}

TEST(TcpServer, SecondServerOnABusyPortFailsWithInUse) {
    auto first = TcpServer::start(kLoopback, {.threads = 2}, echo);
    ASSERT_TRUE(first);
    auto second = TcpServer::start((*first)->local_endpoint(), {.threads = 2}, echo);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use);
    EXPECT_NE(second.error().message().find("in use"), std::string::npos);
}

TEST(TcpServer, IdleTimeoutClosesASilentConnection) {
    // 2 s: a client pausing 50 ms between messages has 1.95 s of margin on a loaded machine.
    constexpr auto kIdle = 2s;
    auto server = TcpServer::start(kLoopback, {.threads = 1, .idle_timeout = kIdle}, echo);
    ASSERT_TRUE(server);
    const int busy = test::connect_blocking((*server)->local_endpoint().port());
    ASSERT_GE(busy, 0);
    ASSERT_TRUE(test::send_all(busy, "ping"));
    ASSERT_EQ(test::recv_n(busy, 4), "ping");  // the server's loop is past its first turns
    // Taken before the silent connection exists, so however slow this thread is, the server
    // cannot rightly close it before start + kIdle - kTurn: its idle clock starts at the loop
    // turn that accepts it, and a turn's time is sampled when the turn begins, which may be a
    // little before the connection arrived (kTurn allows for a turn preempted on a busy machine).
    constexpr auto kTurn = 100ms;
    const auto start = std::chrono::steady_clock::now();
    const int silent = test::connect_blocking((*server)->local_endpoint().port());
    ASSERT_GE(silent, 0);
    std::atomic<bool> silent_closed{false};
    bool eof = false;
    std::chrono::steady_clock::time_point closed_at{};
    std::thread watcher([&] {
        test::recv_until_eof(silent, eof);  // blocks until the server closes it (5 s receive timeout)
        closed_at = std::chrono::steady_clock::now();
        silent_closed = true;
    });
    // The busy one keeps talking until the silent one is closed, and past the idle time itself.
    const auto busy_since = std::chrono::steady_clock::now();
    bool busy_ok = true;
    while (busy_ok && (!silent_closed || std::chrono::steady_clock::now() - busy_since < kIdle + 200ms) &&
           std::chrono::steady_clock::now() - start < 20s) {
        busy_ok = test::send_all(busy, "ping") && test::recv_n(busy, 4) == "ping";
        std::this_thread::sleep_for(50ms);  // the pacing of a live client, not a synchronisation
    }
    watcher.join();
    EXPECT_TRUE(busy_ok) << "the talking connection was cut";
    EXPECT_TRUE(eof) << "the silent connection was not closed (in order) within the receive timeout";
    EXPECT_GE(closed_at - start, kIdle - kTurn) << "closed before its idle timeout";
    EXPECT_TRUE(test::send_all(busy, "still here"));
    EXPECT_EQ(test::recv_n(busy, 10), "still here");
    ::close(busy);
    ::close(silent);
}

TEST(TcpServer, NonReadingPeerCannotMakeTheServerQueueWithoutBound) {
    std::atomic<std::size_t> written{0};
    std::atomic<bool> handler_done{false};
    auto flood = [&](TcpStream conn) -> Task<> {
        std::vector<std::byte> chunk(65536, std::byte{'z'});
        for (;;) {
            auto n = co_await conn.write_all(chunk);
            if (!n) break;
            written += *n;
        }
        handler_done = true;
    };
    auto server = TcpServer::start(kLoopback, {.threads = 1, .high_water_mark = 64 * 1024}, flood);
    ASSERT_TRUE(server);
    const std::size_t rss_before = test::rss_bytes();
    const int client = test::connect_blocking((*server)->local_endpoint().port());
    // Wait until the writer is stuck: the count stops moving between two samples.
    std::size_t last = SIZE_MAX;
    ASSERT_TRUE(eventually([&] {
        const std::size_t now = written.load();
        const bool stuck = now == last && now > 0;
        last = now;
        std::this_thread::sleep_for(50ms);
        return stuck;
    }));
    const std::size_t rss_after = test::rss_bytes();
    std::printf("[ io.backpressure ] writer suspended after %zu bytes; RSS %+.1f MiB\n", written.load(),
                (double(rss_after) - double(rss_before)) / (1 << 20));
    // The kernel holds the client's receive buffer (up to a few MiB with autotuning) plus the
    // server's capped send buffer; the server itself queues nothing.
    EXPECT_LT(written.load(), 16u << 20) << "bytes accepted by the kernel before the writer suspended";
    EXPECT_LT(rss_after, rss_before + (8u << 20)) << "RSS grew while the peer did not read";
    ::close(client);
    EXPECT_TRUE(eventually([&] { return handler_done.load(); }));
}

TEST(TcpServer, GracefulStopDeliversInFlightRepliesAndClosesIdleConnections) {
    std::atomic<int> requests{0};
    // Answers each 5-byte request after 200 ms of "work" with a 1 MiB reply; a request is a
    // message, so once the server stops the handler closes after the reply (the boundary).
    auto slow = [&](TcpStream conn) -> Task<> {
        std::array<std::byte, 5> request;
        while (co_await conn.read_exact(request)) {
            ++requests;
            (void)co_await sleep_for(*conn.loop(), 200ms);
            std::vector<std::byte> reply(1 << 20, std::byte{'r'});
            if (!co_await conn.write_all(reply)) break;
            if (conn.stop_requested()) break;
        }
    };
    // A drain timeout far beyond what the drain needs: ending before it shows the stop did not wait for it.
    auto server = TcpServer::start(kLoopback, {.threads = 2, .drain_timeout = 30s}, slow);
    ASSERT_TRUE(server);
    const auto port = (*server)->local_endpoint().port();
    const int idle = test::connect_blocking(port);
    const int busy = test::connect_blocking(port);
    ASSERT_TRUE(test::send_all(busy, "hello"));
    ASSERT_TRUE(eventually([&] { return requests.load() == 1; }));
    const auto start = std::chrono::steady_clock::now();
    std::thread stopper([&] { (*server)->stop(); });
    // Each client closes once it has read EOF, as clients do: the server lingers on a
    // connection it ended until the peer's FIN (or ServerOptions::linger_timeout).
    bool idle_eof = false;
    test::recv_until_eof(idle, idle_eof);
    EXPECT_TRUE(idle_eof);
    ::close(idle);
    bool busy_eof = false;
    const std::string reply = test::recv_until_eof(busy, busy_eof);
    EXPECT_TRUE(busy_eof);
    ::close(busy);
    EXPECT_EQ(reply.size(), 1u << 20) << "the in-flight reply was cut";
    (*server)->wait();
    stopper.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s) << "stop waited for the drain timeout";
    EXPECT_FALSE(test::listening_on(port)) << "still listening after stop";
    }

TEST(TcpServer, DrainTimeoutEndsHandlersThatNeverFinish) {
    auto stubborn = [](TcpStream conn) -> Task<> {
        (void)co_await sleep_for(*conn.loop(), 1h);  // ignores every request to finish
    };
    auto server = TcpServer::start(kLoopback, {.threads = 1, .drain_timeout = 100ms}, stubborn);
    ASSERT_TRUE(server);
    const int c = test::connect_blocking((*server)->local_endpoint().port());
    ASSERT_TRUE(eventually([&] { return (*server)->stats().active == 1; }));
    const auto start = std::chrono::steady_clock::now();
    (*server)->stop();
    (*server)->wait();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ((*server)->stats().active, 0u);
    ::close(c);
}

TEST(TcpServer, OverMaxConnectionsIsClosedAtOnce) {
    auto server = TcpServer::start(kLoopback, {.threads = 1, .max_connections = 2}, echo);
    ASSERT_TRUE(server);
    const auto port = (*server)->local_endpoint().port();
    const int a = test::connect_blocking(port);
    const int b = test::connect_blocking(port);
    ASSERT_TRUE(eventually([&] { return (*server)->stats().active == 2; }));
    const int c = test::connect_blocking(port);
    bool eof = false;
    test::recv_until_eof(c, eof);
    EXPECT_TRUE(eof);
    EXPECT_EQ((*server)->stats().refused, 1u);
    ::close(a);
    ::close(b);
    ::close(c);
}

// The server runs in a child with 32 descriptors; the parent opens 60 connections.
TEST(TcpServer, DescriptorExhaustionNeitherCrashesNorSpinsAndRecovers) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(ready[0]);
        rlimit low{32, 32};
        ::setrlimit(RLIMIT_NOFILE, &low);
        // serve_tcp blocks SIGTERM itself; the server is only known once bound, so start it
        // here and report the port, then wait for the signal the parent sends.
        auto signals = StopSignals::open();
        auto server = TcpServer::start(kLoopback, {.threads = 1}, echo);
        if (!server || !signals) ::_exit(3);
        const std::uint16_t port = (*server)->local_endpoint().port();
        if (::write(ready[1], &port, sizeof port) != sizeof port) ::_exit(4);
        (void)signals->wait(20s);
        (*server)->stop();
        (*server)->wait();
        ::_exit((*server)->stats().accept_pauses > 0 ? 0 : 5);
    }
    ::close(ready[1]);
    std::uint16_t port = 0;
    ASSERT_EQ(::read(ready[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
    ::close(ready[0]);
    std::vector<int> clients;
    for (int i = 0; i < 60; ++i) {
        const int fd = test::connect_blocking(port);
        ASSERT_GE(fd, 0);  // the kernel completes handshakes into the backlog
        clients.push_back(fd);
    }
    // The first connections are served; the last one waits in the backlog.
    ASSERT_TRUE(test::send_all(clients.front(), "first"));
    EXPECT_EQ(test::recv_n(clients.front(), 5), "first");
    const auto cpu_before = test::cpu_time_of(child);
    std::this_thread::sleep_for(1s);  // a measurement window, not a synchronisation
    const auto cpu_used = test::cpu_time_of(child) - cpu_before;
    EXPECT_LT(cpu_used, 200ms) << "the server spins while out of descriptors";
    // Free descriptors: close most of the early clients; the server accepts the rest.
    for (int i = 0; i < 40; ++i) ::close(clients[i]);
    ASSERT_TRUE(test::send_all(clients.back(), "last"));
    EXPECT_EQ(test::recv_n(clients.back(), 4), "last") << "accepting did not resume";
    for (int i = 40; i < 60; ++i) ::close(clients[i]);
    ::kill(child, SIGTERM);
    int status = 0;
    ASSERT_TRUE(eventually([&] { return ::waitpid(child, &status, WNOHANG) == child; }, 10s));
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child status (5: no accept pause was recorded)";
}

}  // namespace
}  // namespace weft
