// UdpServer on several loops: SO_REUSEPORT sockets sharing one port, the busy-port rule, the
// per-datagram observer and the summed counters. (The single-loop cases are in
// udp_socket_test.cpp.)

#include "weft/io/udp_server.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace weft {
namespace {

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

sockaddr_in loopback_port(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

Endpoint local_of(int fd) {
    sockaddr_storage a{};
    socklen_t length = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
    return *Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&a), length);
}

// Sockets in this network namespace bound to UDP `port` on IPv4 (/proc/net/udp lists each
// one: "sl local_address rem_address ...", the address as hex "0100007F:1F90").
int udp_sockets_on(std::uint16_t port) {
    std::ifstream table("/proc/net/udp");
    if (!table) return -1;
    std::string line;
    std::getline(table, line);  // header
    char wanted[8];
    std::snprintf(wanted, sizeof wanted, ":%04X", port);
    int count = 0;
    while (std::getline(table, line)) {
        char local[64] = {};
        if (std::sscanf(line.c_str(), "%*s %63s", local) == 1 && std::string(local).ends_with(wanted)) ++count;
    }
    return count;
}

// What the observer saw, from whichever loop thread called it.
struct Seen {
    std::mutex mutex;
    std::set<std::thread::id> threads;
    std::set<Endpoint> senders;
    std::size_t datagrams = 0;
    std::size_t bytes = 0;
};

void echo(const InboundDatagram& in, DatagramReplies& out) { out.reply(in.payload); }

TEST(UdpServerThreads, TwoLoopsAnswerEveryDatagramFrom32SocketsAndShareTheWork) {
    Seen seen;
    UdpServerOptions options;
    options.threads = 2;
    auto upper = [&seen](const InboundDatagram& in, DatagramReplies& out) {
        {
            std::lock_guard lock(seen.mutex);
            seen.threads.insert(std::this_thread::get_id());
            seen.senders.insert(in.from);
            ++seen.datagrams;
            seen.bytes += in.payload.size();
        }
        auto space = out.buffer();
        for (std::size_t i = 0; i < in.payload.size(); ++i) {
            const auto c = std::to_integer<unsigned char>(in.payload[i]);
            space[i] = std::byte(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
        out.commit(in.payload.size());
    };
    auto server = UdpServer::start(kLoopback, upper, options);
    ASSERT_TRUE(server) << server.error().message();
    ASSERT_EQ((*server)->threads(), 2u);
    const sockaddr_in to = loopback_port((*server)->local_endpoint().port());

    // 32 sockets, so 32 source ports: the kernel's 4-tuple hash spreads them over both loops.
    constexpr int kClients = 32, kPerClient = 8;
    std::vector<int> clients;
    std::set<Endpoint> client_ends;
    for (int c = 0; c < kClients; ++c) {
        const int fd = test::udp_blocking();
        ASSERT_GE(fd, 0);
        clients.push_back(fd);
        client_ends.insert(local_of(fd));
    }
    std::size_t sent_bytes = 0;
    int answered = 0;
    for (int c = 0; c < kClients; ++c) {
        // A window of kPerClient per socket: far below what a socket's receive queue holds.
        for (int i = 0; i < kPerClient; ++i) {
            const std::string msg = "client " + std::to_string(c) + " datagram " + std::to_string(i);
            ASSERT_EQ(::sendto(clients[c], msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
                      static_cast<ssize_t>(msg.size()));
            sent_bytes += msg.size();
        }
        std::set<std::string> replies;
        for (int i = 0; i < kPerClient; ++i) {
            char buf[128];
            const auto n = ::recv(clients[c], buf, sizeof buf, 0);
            if (n < 0) break;  // the 5 s receive timeout: the reply never came
            replies.insert(std::string(buf, static_cast<std::size_t>(n)));
        }
        for (int i = 0; i < kPerClient; ++i) {
            const std::string want = "CLIENT " + std::to_string(c) + " DATAGRAM " + std::to_string(i);
            if (replies.count(want)) {
                ++answered;
            } else {
                ADD_FAILURE() << "no reply '" << want << "'";
            }
        }
    }
    for (int fd : clients) ::close(fd);
    (*server)->stop();
    (*server)->wait();

    EXPECT_EQ(answered, kClients * kPerClient);
    const UdpServerStats stats = (*server)->stats();
    EXPECT_EQ(stats.datagrams, static_cast<std::size_t>(kClients * kPerClient)) << "summed over both loops";
    EXPECT_GE(stats.batches, 2u);
    EXPECT_EQ(stats.send_errors, 0u);
    EXPECT_EQ(seen.datagrams, stats.datagrams);
    EXPECT_EQ(seen.bytes, sent_bytes);
    EXPECT_EQ(seen.senders, client_ends) << "the observer names each datagram's sender";
    // Both sockets received: all 32 landing on one of two would happen once in 2^31 runs.
    EXPECT_EQ(seen.threads.size(), 2u) << "the kernel sent every datagram to one loop";
}

TEST(UdpServerThreads, SecondServerFailsWhileTheFirstSpreadsOverTwoLoops) {
    auto first = UdpServer::start(kLoopback, echo, {.threads = 2});
    ASSERT_TRUE(first) << first.error().message();
    const Endpoint at = (*first)->local_endpoint();
    for (std::size_t threads : {1u, 2u}) {
        auto second = UdpServer::start(at, echo, {.threads = threads});
        ASSERT_FALSE(second) << "a second server with " << threads << " threads shares the port";
        EXPECT_EQ(second.error(), std::errc::address_in_use);
    }
    // A plain socket without SO_REUSEPORT is refused too.
    const int stranger = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_in a = loopback_port(at.port());
    EXPECT_LT(::bind(stranger, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(errno, EADDRINUSE);
    ::close(stranger);

    // The first server is unharmed by the failed attempts.
    const int client = test::udp_blocking();
    ASSERT_GE(client, 0);
    ASSERT_EQ(::sendto(client, "still", 5, 0, reinterpret_cast<const sockaddr*>(&a), sizeof a), 5);
    char buf[16];
    EXPECT_EQ(::recv(client, buf, sizeof buf, 0), 5);
    ::close(client);
}

TEST(UdpServerThreads, StartFailsOnAPortHeldWithReusePort) {
    // Someone already holds the port with SO_REUSEPORT (our own uid, so a server that set it
    // on every socket before binding would silently join them and take part of their traffic).
    const int holder = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ASSERT_EQ(::setsockopt(holder, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
    sockaddr_in a = loopback_port(0);
    ASSERT_EQ(::bind(holder, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    const Endpoint held = local_of(holder);

    auto server = UdpServer::start(held, echo, {.threads = 2});
    ::close(holder);
    ASSERT_FALSE(server) << "started on a port someone holds";
    EXPECT_EQ(server.error(), std::errc::address_in_use);
}

TEST(UdpServerThreads, PortZeroPutsEveryLoopsSocketOnTheOneRealPort) {
    auto server = UdpServer::start(kLoopback, echo, {.threads = 2});
    ASSERT_TRUE(server) << server.error().message();
    const std::uint16_t port = (*server)->local_endpoint().port();
    ASSERT_NE(port, 0);
    const int sockets = udp_sockets_on(port);
    if (sockets < 0) GTEST_SKIP() << "/proc/net/udp is not readable";
    EXPECT_EQ(sockets, 2) << "both loops' sockets on port " << port;
}

TEST(UdpServerThreads, ZeroThreadsMeansOnePerCore) {
    auto server = UdpServer::start(kLoopback, echo, {.threads = 0});
    ASSERT_TRUE(server) << server.error().message();
    EXPECT_EQ((*server)->threads(), std::max(1u, std::thread::hardware_concurrency()));
    (*server)->stop();
    (*server)->wait();
    EXPECT_EQ((*server)->stats().datagrams, 0u);
}

}  // namespace
}  // namespace weft
