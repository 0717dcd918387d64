// UdpServer's datagram handlers see addresses and choose where to send (issue 8, section 2):
// the sender, the address asked and the interface; replies, sends elsewhere, several or none;
// coroutine handlers that wait before answering.

#include <array>
#include <chrono>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/udp_server.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

sockaddr_in loopback_to(std::uint32_t address, std::uint16_t port) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(address);
    return to;
}

std::string recv_text(int fd) {
    char buf[2048];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    return n < 0 ? "(nothing: errno " + std::to_string(errno) + ")" : std::string(buf, static_cast<std::size_t>(n));
}

std::uint16_t port_of(int fd) {
    sockaddr_in a{};
    socklen_t length = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
    return ntohs(a.sin_port);
}

// The handler learns where each datagram was sent and on which interface, and its reply
// names them: a server bound to 0.0.0.0 knows it was asked at 127.0.0.3 on lo.
TEST(DatagramHandler, SeesSenderDestinationAndInterface) {
    auto server = UdpServer::start({Ipv4Address::any(), 0}, [](const InboundDatagram& in, DatagramReplies& out) {
        const std::string text = in.from.to_string() + " -> " + in.local.to_string() + " on " +
                                 std::to_string(in.interface_index);
        out.reply(test::bytes(text));
    });
    ASSERT_TRUE(server) << server.error().message();
    const int u = test::udp_blocking();
    ASSERT_GE(u, 0);
    const auto to = loopback_to(0x7f000003, (*server)->local_endpoint().port());
    ASSERT_EQ(::sendto(u, "?", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 1);
    const std::string expected = "127.0.0.1:" + std::to_string(port_of(u)) + " -> 127.0.0.3 on " +
                                 std::to_string(::if_nametoindex("lo"));
    EXPECT_EQ(recv_text(u), expected);
    ::close(u);
}

// Bound to one address, the server asks the kernel for no packet info: the handler still
// learns the address asked (the bound one) and its interface.
TEST(DatagramHandler, BoundToOneAddressSeesItAndItsInterface) {
    auto server = UdpServer::start({Ipv4Address::loopback(), 0}, [](const InboundDatagram& in, DatagramReplies& out) {
        out.reply(test::bytes(in.local.to_string() + " on " + std::to_string(in.interface_index)));
    });
    ASSERT_TRUE(server) << server.error().message();
    const int u = test::udp_blocking();
    ASSERT_GE(u, 0);
    const auto to = loopback_to(INADDR_LOOPBACK, (*server)->local_endpoint().port());
    ASSERT_EQ(::sendto(u, "?", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 1);
    EXPECT_EQ(recv_text(u), "127.0.0.1 on " + std::to_string(::if_nametoindex("lo")));
    ::close(u);
}

// One request, three datagrams: two to other hosts (here other loopback sockets), one reply;
// and a datagram that gets nothing.
TEST(DatagramHandler, SendsSeveralDatagramsAnywhereOrNothing) {
    const int a = test::udp_blocking(), b = test::udp_blocking(), client = test::udp_blocking();
    ASSERT_TRUE(a >= 0 && b >= 0 && client >= 0);
    const Endpoint to_a{Ipv4Address::loopback(), port_of(a)}, to_b{Ipv4Address::loopback(), port_of(b)};
    auto server = UdpServer::start({Ipv4Address::loopback(), 0}, [&](const InboundDatagram& in, DatagramReplies& out) {
        if (test::text(in.payload) == "quiet") return;
        out.send_to(test::bytes("to a"), to_a);
        out.send_to(test::bytes("to b"), to_b);
        out.reply(test::bytes("done"));
    });
    ASSERT_TRUE(server);
    const auto to = loopback_to(INADDR_LOOPBACK, (*server)->local_endpoint().port());
    ASSERT_EQ(::sendto(client, "quiet", 5, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 5);
    ASSERT_EQ(::sendto(client, "go", 2, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 2);
    EXPECT_EQ(recv_text(a), "to a");
    EXPECT_EQ(recv_text(b), "to b");
    EXPECT_EQ(recv_text(client), "done");  // the first reply is this one: "quiet" got none
    (*server)->stop();
    (*server)->wait();
    EXPECT_EQ((*server)->stats().datagrams, 2u);
    EXPECT_EQ((*server)->stats().sent, 3u);
    ::close(a);
    ::close(b);
    ::close(client);
}

// A handler that sends more than a batch holds (kMaxBatch) for one datagram: the batch is
// flushed as it fills, and every datagram arrives.
TEST(DatagramHandler, MoreSendsThanABatchHoldAreFlushed) {
    constexpr int kCount = 150;  // more than two batches
    auto server = UdpServer::start({Ipv4Address::loopback(), 0}, [](const InboundDatagram&, DatagramReplies& out) {
        for (int i = 0; i < kCount; ++i) out.reply(test::bytes(std::to_string(i)));
    });
    ASSERT_TRUE(server);
    const int u = test::udp_blocking();
    const auto to = loopback_to(INADDR_LOOPBACK, (*server)->local_endpoint().port());
    ASSERT_EQ(::sendto(u, "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 1);
    for (int i = 0; i < kCount; ++i) ASSERT_EQ(recv_text(u), std::to_string(i));
    ::close(u);
}

// A coroutine handler waits (here 50 ms, as a forwarder waits for upstream) and then answers;
// datagrams are not held up behind it, and a stop lets a waiting handler finish.
TEST(DatagramHandler, CoroutineHandlerWaitsThenAnswersAndStopLetsItFinish) {
    auto server = UdpServer::start_async({Ipv4Address::loopback(), 0}, [](OwnedDatagram in, UdpSocket& socket) -> Task<> {
        const std::string text = test::text(in.payload);
        if (text == "slow") (void)co_await sleep_for(*socket.loop(), 300ms);
        const std::string reply = "re: " + text;
        (void)co_await socket.send_to(test::bytes(reply), in.from);
    });
    ASSERT_TRUE(server) << server.error().message();
    const int u = test::udp_blocking();
    const auto to = loopback_to(INADDR_LOOPBACK, (*server)->local_endpoint().port());
    ASSERT_EQ(::sendto(u, "slow", 4, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 4);
    ASSERT_EQ(::sendto(u, "fast", 4, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 4);
    EXPECT_EQ(recv_text(u), "re: fast");  // not behind the slow one
    (*server)->stop();                    // the slow handler is still waiting: it owes an answer
    EXPECT_EQ(recv_text(u), "re: slow");
    (*server)->wait();
    ::close(u);
}

}  // namespace
}  // namespace weft
