// UdpSocket and UdpServer over loopback: single and batched datagrams.

#include "weft/io/udp_socket.hpp"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/udp_server.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

using test::bytes;
using test::text;

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
    auto run = [&]() -> Task<std::vector<std::string>> {
        // Queue 40 datagrams with one sendmmsg before the server reads any.
        std::vector<std::string> payloads;
        for (int i = 0; i < 40; ++i) payloads.push_back("d" + std::to_string(i));
        std::array<UdpMessage, 40> out;
        for (int i = 0; i < 40; ++i) {
            auto& p = payloads[static_cast<std::size_t>(i)];
            out[i].buffer = std::as_writable_bytes(std::span(p.data(), p.size()));
            out[i].size = p.size();
            out[i].set_peer(*server->local_endpoint());
        }
        auto sent = co_await client->send_many(out);
        EXPECT_TRUE(sent && *sent == 40);
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
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], "d" + std::to_string(i));
}

TEST(UdpServer, UppercasesInBatches) {
    auto server = UdpServer::start(kLoopback, upper_datagram);
    ASSERT_TRUE(server) << server.error().message();
    EventLoop loop;
    auto client = UdpSocket::bind(loop, kLoopback);
    ASSERT_TRUE(client);
    auto run = [&]() -> Task<int> {
        int answered = 0;
        for (int i = 0; i < 200; ++i) {
            auto s = co_await client->send_to(bytes("hello " + std::to_string(i)), (*server)->local_endpoint());
            if (!s) co_return -1;
        }
        std::array<std::byte, 100> buf;
        while (answered < 200) {
            auto d = co_await with_timeout(2s, client->recv_from(buf));
            if (!d) break;
            if (text(std::span(buf).first(d->size)).rfind("HELLO ", 0) == 0) ++answered;
        }
        co_return answered;
    };
    // Loopback may drop a datagram when the receive queue overflows; 200 small ones fit.
    EXPECT_EQ(loop.block_on(run()), 200);
    (*server)->stop();
    (*server)->wait();
    const auto stats = (*server)->stats();
    EXPECT_EQ(stats.datagrams, 200u);
    EXPECT_LT(stats.batches, stats.datagrams) << "recvmmsg never took more than one datagram";
}

TEST(UdpServer, EmptyDatagramGetsAnEmptyReplyAndNulloptNone) {
    auto server = UdpServer::start(kLoopback, echo_datagram);
    ASSERT_TRUE(server) << server.error().message();
    // A transform that answers only datagrams starting with 'y'.
    auto picky = UdpServer::start(kLoopback, [](std::span<const std::byte> in, std::span<std::byte> out)
                                                 -> std::optional<std::size_t> {
        if (in.empty() || in[0] != std::byte{'y'}) return std::nullopt;
        return echo_datagram(in, out);
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
    auto first = UdpServer::start(kLoopback, echo_datagram);
    ASSERT_TRUE(first);
    auto second = UdpServer::start((*first)->local_endpoint(), echo_datagram);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use);
}

}  // namespace
}  // namespace weft
