// UdpSocket and UdpServer over loopback: single and batched datagrams.

#include "weft/io/udp_socket.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/udp_server.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

using test::eventually;

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

using test::bytes;
using test::text;

// Bytes (kernel accounting, truesize) queued unread in the UDP sockets bound to 127.0.0.1:port,
// from /proc/net/udp; -1 when none is listed.
long udp_queued_bytes(std::uint16_t port) {
    std::ifstream table("/proc/net/udp");
    std::string line;
    std::getline(table, line);  // header
    long total = -1;
    char want[16];
    std::snprintf(want, sizeof want, ":%04X", static_cast<unsigned>(port));
    while (std::getline(table, line)) {
        std::istringstream row(line);
        std::string slot, local, remote, state, queues;
        row >> slot >> local >> remote >> state >> queues;  // queues: tx_queue:rx_queue in hex
        if (local.size() < 5 || local.substr(local.size() - 5) != want) continue;
        total = std::max(total, 0L) + std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
    return total;
}

TEST(UdpSocket, SendToAndRecvFrom) {
    EventLoop loop;
    auto server = UdpSocket::bind(loop, kLoopback);
    auto client = UdpSocket::bind(loop, kLoopback);
    ASSERT_TRUE(server && client);
    const Endpoint server_at = *server->local_endpoint();
    auto run = [&]() -> Task<std::string> {
        auto sent = co_await client->send_to(bytes("datagram"), server_at);
        if (!sent) co_return "send failed";
        std::array<std::byte, 100> buf;
        auto d = co_await with_timeout(2s, server->recv_from(buf));
        if (!d) co_return "recv: " + d.error().message();
        EXPECT_EQ(d->from, *client->local_endpoint());
        co_return text(std::span(buf).first(d->size));
    };
    EXPECT_EQ(loop.block_on(run()), "datagram");
}

TEST(UdpSocket, RecvManyTakesEveryQueuedDatagramInOneCall) {
    EventLoop loop;
    auto server = UdpSocket::bind(loop, kLoopback);
    auto client = UdpSocket::bind(loop, kLoopback);
    ASSERT_TRUE(server && client);
    const auto name = [](int i) {  // all the same length, so the same truesize
        return (i < 10 ? "d0" : "d") + std::to_string(i);
    };
    // What one such datagram weighs in a receive queue: one sent to a probe socket.
    const int probe = test::udp_blocking();
    ASSERT_GE(probe, 0);
    sockaddr_in probe_at{};
    socklen_t probe_len = sizeof probe_at;
    ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&probe_at), &probe_len), 0);
    ASSERT_EQ(::sendto(probe, "d00", 3, 0, reinterpret_cast<const sockaddr*>(&probe_at), probe_len), 3);
    long one = 0;
    ASSERT_TRUE(eventually([&] { return (one = udp_queued_bytes(ntohs(probe_at.sin_port))) > 0; }));
    ::close(probe);
    const std::uint16_t server_port = server->local_endpoint()->port();
    auto run = [&]() -> Task<std::vector<std::string>> {
        // Queue 40 datagrams with one sendmmsg before the server reads any, and wait until
        // all of them are in its socket (a loaded machine may deliver them a little later).
        std::vector<std::string> payloads;
        for (int i = 0; i < 40; ++i) payloads.push_back(name(i));
        std::array<UdpMessage, 40> out;
        for (int i = 0; i < 40; ++i) {
            auto& p = payloads[static_cast<std::size_t>(i)];
            out[i].buffer = std::as_writable_bytes(std::span(p.data(), p.size()));
            out[i].size = p.size();
            out[i].set_peer(*server->local_endpoint());
        }
        auto sent = co_await client->send_many(out);
        EXPECT_TRUE(sent && *sent == 40);
        EXPECT_TRUE(eventually([&] { return udp_queued_bytes(server_port) >= 40 * one; }))
            << udp_queued_bytes(server_port) << " bytes queued, " << one << " per datagram";
        std::vector<std::array<std::byte, 64>> storage(64);
        std::array<UdpMessage, 64> in;
        for (std::size_t i = 0; i < in.size(); ++i) in[i].buffer = storage[i];
        auto got = co_await with_timeout(2s, server->recv_many(in));
        std::vector<std::string> result;
        if (!got) co_return result;
        for (std::size_t i = 0; i < *got; ++i) {
            result.push_back(text(in[i].data()));
            EXPECT_EQ(*in[i].peer(), *client->local_endpoint());
        }
        co_return result;
    };
    const auto got = loop.block_on(run());
    ASSERT_EQ(got.size(), 40u) << "all queued datagrams in one recvmmsg";
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], name(static_cast<int>(i)));
}

TEST(UdpServer, UppercasesInBatches) {
    // The batch is made deterministic instead of left to scheduling: the transform holds the
    // server's loop on the first datagram until the other 31 are queued in its socket (seen in
    // /proc/net/udp), so the next recvmmsg must find them all waiting. 32 small datagrams fit
    // the default receive buffer many times over: none may be lost, loaded machine or not.
    constexpr int kCount = 32;
    std::mutex mutex;
    std::condition_variable cv;
    bool release = false;
    std::atomic<bool> holding{false};
    auto held_upper = [&](const InboundDatagram& in, DatagramReplies& out) {
        if (!holding.exchange(true)) {
            std::unique_lock lock(mutex);
            cv.wait_for(lock, 20s, [&] { return release; });  // bounded: a broken test ends
        }
        std::string upper(reinterpret_cast<const char*>(in.payload.data()), in.payload.size());
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.reply(bytes(upper));
    };
    auto server = UdpServer::start(kLoopback, held_upper);
    ASSERT_TRUE(server) << server.error().message();
    struct Release {  // on every way out, before the server's destructor waits for its loop
        std::mutex& mutex;
        std::condition_variable& cv;
        bool& release;
        ~Release() {
            {
                std::lock_guard lock(mutex);
                release = true;
            }
            cv.notify_all();
        }
    } release_on_exit{mutex, cv, release};
    const std::uint16_t port = (*server)->local_endpoint().port();
    const int client = test::udp_blocking();
    ASSERT_GE(client, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto message = [](int i) {  // all the same length, so the same truesize
        return (i < 10 ? "hello 0" : "hello ") + std::to_string(i);
    };
    const auto send = [&](int i) {
        const std::string m = message(i);
        return ::sendto(client, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
               static_cast<ssize_t>(m.size());
    };
    ASSERT_TRUE(send(0));
    ASSERT_TRUE(eventually([&] { return holding.load(); })) << "the server never took the first datagram";
    ASSERT_TRUE(send(1));
    long one = 0;
    ASSERT_TRUE(eventually([&] { return (one = udp_queued_bytes(port)) > 0; })) << "datagram 1 never queued";
    for (int i = 2; i < kCount; ++i) ASSERT_TRUE(send(i));
    const bool queued = eventually([&] { return udp_queued_bytes(port) >= (kCount - 1) * one; });
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    cv.notify_all();
    ASSERT_TRUE(queued) << "only " << udp_queued_bytes(port) << " bytes queued, " << one << " per datagram";
    for (int i = 0; i < kCount; ++i) {
        char buf[64];
        const auto n = ::recv(client, buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << "reply " << i << " missing";
        std::string want = message(i);
        for (char& c : want) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), want);  // one peer: in order
    }
    ::close(client);
    (*server)->stop();
    (*server)->wait();
    const auto stats = (*server)->stats();
    EXPECT_EQ(stats.datagrams, static_cast<std::size_t>(kCount));
    EXPECT_EQ(stats.batches, 2u) << "the first datagram alone, then the 31 queued ones in one recvmmsg";
}

void echo(const InboundDatagram& in, DatagramReplies& out) { out.reply(in.payload); }

TEST(UdpServer, EmptyDatagramGetsAnEmptyReplyAndSilenceIsNoReply) {
    auto server = UdpServer::start(kLoopback, echo);
    ASSERT_TRUE(server) << server.error().message();
    // A handler that answers only datagrams starting with 'y'.
    auto picky = UdpServer::start(kLoopback, [](const InboundDatagram& in, DatagramReplies& out) {
        if (in.payload.empty() || in.payload[0] != std::byte{'y'}) return;
        out.reply(in.payload);
    });
    ASSERT_TRUE(picky);
    EventLoop loop;
    auto client = UdpSocket::bind(loop, kLoopback);
    ASSERT_TRUE(client);
    auto run = [&]() -> Task<std::string> {
        std::array<std::byte, 16> buf;
        if (!co_await client->send_to({}, (*server)->local_endpoint())) co_return "send failed";
        auto d = co_await with_timeout(2s, client->recv_from(buf));
        if (!d) co_return "no reply to the empty datagram";
        if (d->size != 0) co_return "reply not empty";
        if (!co_await client->send_to(bytes("no"), (*picky)->local_endpoint())) co_return "send failed";
        if (!co_await client->send_to(bytes("yes"), (*picky)->local_endpoint())) co_return "send failed";
        d = co_await with_timeout(2s, client->recv_from(buf));
        if (!d) co_return "no reply from the picky server";
        co_return text(std::span(buf).first(d->size));  // "no" got no reply, so this is "yes"
    };
    EXPECT_EQ(loop.block_on(run()), "yes");
}

TEST(UdpServer, SecondServerOnTheSamePortFails) {
    auto first = UdpServer::start(kLoopback, echo);
    ASSERT_TRUE(first);
    auto second = UdpServer::start((*first)->local_endpoint(), echo);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use);
}

}  // namespace
}  // namespace weft
