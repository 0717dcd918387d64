// services/echo: the seed's uppercase rule, and the TCP and UDP echo services over loopback.

#include "weft/services/echo.hpp"

#include <array>
#include <chrono>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../io/test_support.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

std::string apply(EchoMode mode, std::string text) {
    apply_echo_mode(mode, std::as_writable_bytes(std::span(text.data(), text.size())));
    return text;
}

TEST(EchoMode, UpperChangesOnlyAsciiLowercaseLetters) {
    EXPECT_EQ(apply(EchoMode::upper, "hello, World! z{a`"), "HELLO, WORLD! Z{A`");
    // Bytes above ASCII pass unchanged (Python's bytes.upper() leaves them too).
    EXPECT_EQ(apply(EchoMode::upper, "caf\xc3\xa9"), "CAF\xc3\xa9");
    EXPECT_EQ(apply(EchoMode::echo, "hello"), "hello");
}

TEST(EchoMode, CopyFormStopsAtTheShorterSpan) {
    const std::string in = "abcdef";
    std::array<std::byte, 3> out{};
    EXPECT_EQ(apply_echo_mode(EchoMode::upper, test::bytes(in), out), 3u);
    EXPECT_EQ(test::text(out), "ABC");
}

TEST(TcpEcho, UppercasesAndAnswersASlowReaderInFull) {
    auto server = start_tcp_echo(kLoopback, {.mode = EchoMode::upper, .server = {.threads = 1}, .log = {}});
    ASSERT_TRUE(server) << server.error().message();
    const int c = test::connect_blocking((*server)->local_endpoint().port(), 30s);
    ASSERT_GE(c, 0);
    ASSERT_TRUE(test::send_all(c, "hello"));
    EXPECT_EQ(test::recv_n(c, 5), "HELLO");
    // 8 MiB sent before reading a byte: the service's try_write fills the kernel's buffers,
    // the rest waits in write_all; every byte must come back in order.
    std::string big(8 << 20, 'a');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = 'b';
    std::thread writer([&] {
        test::send_all(c, big);
        ::shutdown(c, SHUT_WR);
    });
    bool eof = false;
    const std::string back = test::recv_until_eof(c, eof);
    writer.join();
    EXPECT_TRUE(eof);
    ASSERT_EQ(back.size(), big.size());
    for (char& ch : big) ch = static_cast<char>(ch - 'a' + 'A');
    EXPECT_TRUE(back == big) << "the echo differs";
    ::close(c);
}

TEST(UdpEcho, AnswersFromTheAddressItWasAskedAtAndLogsTheSender) {
    std::mutex mutex;
    std::vector<std::string> lines;
    auto server = start_udp_echo({Ipv4Address::any(), 0}, {.mode = EchoMode::upper, .threads = 1, .log = [&](std::string_view l) {
                                     std::lock_guard lock(mutex);
                                     lines.emplace_back(l);
                                 }});
    ASSERT_TRUE(server) << server.error().message();
    const int u = test::udp_blocking();
    ASSERT_GE(u, 0);
    // Bound to 0.0.0.0, asked at 127.0.0.2: the reply must come from 127.0.0.2 (IP_PKTINFO),
    // or a client that checks the source (every resolver does) would drop it.
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons((*server)->local_endpoint().port());
    to.sin_addr.s_addr = htonl(0x7f000002);
    ASSERT_EQ(::sendto(u, "hi", 2, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 2);
    char buf[16];
    sockaddr_in from{};
    socklen_t from_length = sizeof from;
    const auto n = ::recvfrom(u, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_length);
    ASSERT_EQ(n, 2);
    EXPECT_EQ(std::string(buf, 2), "HI");
    EXPECT_EQ(ntohl(from.sin_addr.s_addr), 0x7f000002u) << "the reply came from another address";
    // An empty datagram gets an empty reply, as the seed's Python server gives.
    ASSERT_EQ(::sendto(u, "", 0, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
    EXPECT_EQ(::recv(u, buf, sizeof buf, 0), 0);
    (*server)->stop();
    (*server)->wait();
    std::lock_guard lock(mutex);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("127.0.0.1:"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(": 2 bytes"), std::string::npos) << lines[0];
    ::close(u);
}

}  // namespace
}  // namespace weft
