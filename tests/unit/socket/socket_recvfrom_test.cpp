// recvfrom's two overloads have one shape, Python's tuples: (data, address) from
// recvfrom(max_bytes), (count, address) from recvfrom(buffer), as recvfrom_into.
#include "weft/socket/socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include <sys/socket.h>

using weft::Socket;
using weft::SocketAddress;

namespace {

using TextResult = decltype(std::declval<Socket&>().recvfrom(std::size_t{1}));
using BufferResult = decltype(std::declval<Socket&>().recvfrom(std::declval<std::span<std::byte>>()));
static_assert(std::is_same_v<TextResult, std::pair<std::string, SocketAddress>>);
static_assert(std::is_same_v<BufferResult, std::pair<std::size_t, SocketAddress>>);

struct UdpPair {
    Socket server{weft::Family::inet, weft::Type::datagram};
    Socket client{weft::Family::inet, weft::Type::datagram};
    UdpPair() {
        server.bind({"127.0.0.1", 0});
        client.bind({"127.0.0.1", 0});  // so that its name is the address the server sees
    }
};

TEST(SocketRecvfrom, BothOverloadsGiveDataAndSender) {
    UdpPair p;
    p.client.sendto("first", p.server.getsockname());
    p.client.sendto("second", p.server.getsockname());

    auto [text, from_text] = p.server.recvfrom(64);
    EXPECT_EQ(text, "first");
    EXPECT_EQ(from_text, p.client.getsockname());

    std::array<std::byte, 64> buffer{};
    auto [n, from_buffer] = p.server.recvfrom(buffer);
    ASSERT_EQ(n, 6u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), n), "second");
    EXPECT_EQ(from_buffer, from_text);
}

TEST(SocketRecvfrom, ShortBufferKeepsTheHeadAndDropsTheRest) {
    UdpPair p;
    p.client.sendto("0123456789", p.server.getsockname());
    p.client.sendto("abcdefghij", p.server.getsockname());
    std::array<std::byte, 4> buffer{};
    auto [n, sender] = p.server.recvfrom(buffer);
    EXPECT_EQ(n, 4u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), n), "0123");
    // The rest of the first datagram is gone: the next call reads the second one.
    EXPECT_EQ(p.server.recvfrom(3).first, "abc");
}

TEST(SocketRecvfrom, MsgTruncReportsTheWholeLength) {
    UdpPair p;
    p.client.sendto("0123456789", p.server.getsockname());
    p.client.sendto("abcdefghij", p.server.getsockname());
    std::array<std::byte, 4> buffer{};
    auto [n, sender] = p.server.recvfrom(buffer, MSG_TRUNC);
    EXPECT_EQ(n, 10u);  // more than the buffer holds: only what fits was written
    EXPECT_EQ(sender, p.client.getsockname());
    // The text form never claims more than it holds.
    auto [text, from] = p.server.recvfrom(4, MSG_TRUNC);
    EXPECT_EQ(text, "abcd");
}

}  // namespace
