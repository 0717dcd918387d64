// TcpStream's writes without suspension, gather and file writes, the lent read buffer, and
// with_timeout over whole tasks (issue 8, section 2).

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/tcp_listener.hpp"
#include "weft/io/tcp_stream.hpp"
#include "weft/socket/socket_option.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

// A connected pair on one loop: the accepted end and the connecting end.
struct Pair {
    TcpStream server;
    TcpStream client;
};

Task<Pair> connected(EventLoop& loop) {
    auto listener = TcpListener::bind(loop, kLoopback);
    if (!listener) throw std::runtime_error(listener.error().message());
    auto at = listener->local_endpoint();
    auto client = co_await connect(loop, *at, 5s);
    if (!client) throw std::runtime_error(client.error().message());
    auto server = co_await listener->accept();
    if (!server) throw std::runtime_error(server.error().message());
    co_return Pair{std::move(*server), std::move(*client)};
}

Task<std::string> read_n(TcpStream& s, std::size_t n) {
    std::string out;
    std::array<std::byte, 65536> buf;
    while (out.size() < n) {
        auto got = co_await with_timeout(5s, s.read_some(std::span(buf).first(std::min(buf.size(), n - out.size()))));
        if (!got || *got == 0) break;
        out.append(reinterpret_cast<const char*>(buf.data()), *got);
    }
    co_return out;
}

TEST(StreamWrites, TryWriteTakesWhatFitsAndNeverWaits) {
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        Pair p = co_await connected(loop);
        (void)p.server.set_option(SendBufferSize{4096});  // small, so it fills
        const std::string big(8 << 20, 'x');
        auto first = p.server.try_write(test::bytes(big));
        if (!first) co_return "try_write failed: " + first.error().message();
        if (*first == 0 || *first >= big.size()) co_return "expected a partial write, got " + std::to_string(*first);
        // Full now: a second try takes nothing and returns at once.
        auto second = p.server.try_write(test::bytes("more"));
        if (!second || *second != 0) co_return "the full buffer took more bytes";
        const std::string got = co_await read_n(p.client, *first);
        co_return got == big.substr(0, *first) ? "" : "the bytes taken differ";
    };
    EXPECT_EQ(loop.block_on(run()), "");
}

TEST(StreamWrites, GatherWriteSendsEveryPartInOrderAcrossPartialWrites) {
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        Pair p = co_await connected(loop);
        // A send buffer far below 3 MiB, so the gather write is cut short many times; not
        // so small that each refill waits for the client's delayed ACK.
        (void)p.server.set_option(SendBufferSize{128 * 1024});
        // 100 parts (more than one sendmsg takes), some empty, 3 MiB in all.
        std::vector<std::string> texts;
        std::string expected;
        for (int i = 0; i < 100; ++i) {
            texts.push_back(i % 7 == 0 ? std::string() : std::string(i * 600, static_cast<char>('a' + i % 26)));
            expected += texts.back();
        }
        std::vector<std::span<const std::byte>> parts;
        for (auto& t : texts) parts.push_back(test::bytes(t));
        Result<std::size_t> n = Unexpected(std::make_error_code(std::errc::operation_in_progress));
        auto writer = [&]() -> Task<> { n = co_await p.server.write_all(std::span<const std::span<const std::byte>>(parts)); };
        loop.spawn(writer());
        const std::string got = co_await read_n(p.client, expected.size());
        if (!n) co_return "gather write failed: " + n.error().message();
        if (*n != expected.size()) co_return "wrote " + std::to_string(*n);
        co_return got == expected ? "" : "the stream differs from the parts in order";
    };
    EXPECT_EQ(loop.block_on(run()), "");
}

TEST(StreamWrites, SendFileSendsARangeAndReportsAShortFile) {
    char path[] = "/tmp/weft-sendfile-XXXXXX";
    const int file = ::mkstemp(path);
    ASSERT_GE(file, 0);
    ::unlink(path);
    std::string content;
    for (int i = 0; i < 200000; ++i) content += static_cast<char>('A' + i % 23);
    ASSERT_EQ(::write(file, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        Pair p = co_await connected(loop);
        auto n = co_await p.server.send_file(file, 1000, 150000);
        if (!n || *n != 150000) co_return "send_file of a range failed";
        if (co_await read_n(p.client, 150000) != content.substr(1000, 150000)) co_return "the range differs";
        // Past the end: the short count, not an error.
        auto tail = co_await p.server.send_file(file, static_cast<off_t>(content.size() - 10), 100);
        if (!tail || *tail != 10) co_return "a short file should give the short count";
        co_return co_await read_n(p.client, 10) == content.substr(content.size() - 10) ? "" : "the tail differs";
    };
    EXPECT_EQ(loop.block_on(run()), "");
    ::close(file);
}

TEST(StreamWrites, SendFileAfterAHeadSendsBothInOrder) {
    char path[] = "/tmp/weft-sendfile-XXXXXX";
    const int file = ::mkstemp(path);
    ASSERT_GE(file, 0);
    ::unlink(path);
    std::string content;
    for (int i = 0; i < 300000; ++i) content += static_cast<char>('a' + i % 19);
    ASSERT_EQ(::write(file, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    // A head far larger than a socket buffer: the send of the head itself has to wait and
    // resume before the file's turn comes.
    std::string head(3'000'000, 'h');
    for (std::size_t i = 0; i < head.size(); i += 1000) head[i] = static_cast<char>('0' + i / 1000 % 10);
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        Pair p = co_await connected(loop);
        Result<std::size_t> n = 0;
        auto writer = [&]() -> Task<> {
            n = co_await p.server.send_file(std::as_bytes(std::span(head.data(), head.size())), file, 7, 250000);
        };
        loop.spawn(writer());
        const std::string got = co_await read_n(p.client, head.size() + 250000);
        if (!n) co_return "send_file after a head failed: " + n.error().message();
        if (*n != 250000) co_return "file bytes sent: " + std::to_string(*n);
        co_return got == head + content.substr(7, 250000) ? "" : "the stream is not the head, then the range";
    };
    EXPECT_EQ(loop.block_on(run()), "");
    ::close(file);
}

TEST(StreamWrites, ReadLentLendsTheLoopBufferAndSaysEof) {
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        Pair p = co_await connected(loop);
        if (!co_await p.client.write_all("hello")) co_return "write failed";
        auto got = co_await p.server.read_lent();
        if (!got) co_return got.error().message();
        const std::string first = test::text(*got);
        (void)p.client.shutdown_write();
        auto eof = co_await with_timeout(5s, p.server.read_lent());
        if (!eof || !eof->empty()) co_return "no EOF";
        co_return first;
    };
    EXPECT_EQ(loop.block_on(run()), "hello");
}

// with_timeout over a Task: the task's frame is destroyed where it waits (its socket's read
// unregisters), and the awaiter gets timed_out; a task that finishes in time gives its value.
TEST(WithTimeout, BoundsAWholeTask) {
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        Pair p = co_await connected(loop);
        auto wait_forever = [](TcpStream& s) -> Task<int> {
            std::array<std::byte, 16> buf;
            auto n = co_await s.read_some(buf);  // nobody writes
            co_return n ? static_cast<int>(*n) : -1;
        };
        const auto t0 = std::chrono::steady_clock::now();
        Result<int> r = co_await with_timeout(100ms, wait_forever(p.server));
        if (r || r.error() != std::errc::timed_out) co_return "expected timed_out";
        if (std::chrono::steady_clock::now() - t0 < 100ms) co_return "timed out early";
        // The destroyed task's read is gone: a new read on the same stream may wait.
        if (!co_await p.client.write_all("x")) co_return "write failed";
        Result<int> again = co_await with_timeout(5s, wait_forever(p.server));
        if (!again || *again != 1) co_return "a task finishing in time should give its value";
        // A Task<Result<T>> is not wrapped twice.
        auto inner = [&]() -> Task<Result<std::size_t>> { co_return co_await p.client.write_all("y"); };
        Result<std::size_t> flat = co_await with_timeout(5s, inner());
        co_return flat && *flat == 1 ? "" : "Task<Result<T>> should give Result<T>";
    };
    EXPECT_EQ(loop.block_on(run()), "");
}

// A listener with a full accept queue drops SYNs, so a connect to it waits: the timeout (through
// with_timeout) must end it. All on loopback.
TEST(Connect, TimesOutThroughWithTimeout) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    socklen_t length = sizeof a;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &length), 0);
    const std::uint16_t port = ntohs(a.sin_port);
    // Fill the accept queue (backlog 0 holds one, never accepted).
    std::vector<int> fillers{test::connect_blocking(port, 5s)};
    ASSERT_GE(fillers[0], 0);
    EventLoop loop;
    auto run = [&]() -> Task<std::string> {
        const auto t0 = std::chrono::steady_clock::now();
        auto s = co_await connect(loop, Endpoint(Ipv4Address::loopback(), port), 300ms);
        const auto took = std::chrono::steady_clock::now() - t0;
        if (s) co_return "connected past a full accept queue";
        if (s.error() != std::errc::timed_out) co_return "expected timed_out, got " + s.error().message();
        if (took < 300ms) co_return "timed out early";
        co_return "";
    };
    EXPECT_EQ(loop.block_on(run()), "");
    for (int fd : fillers)
        if (fd >= 0) ::close(fd);
    ::close(listener);
}

TEST(SocketHandle, OptionsDeviceAndRelease) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    auto reuse = listener->get_option<ReuseAddress>();
    ASSERT_TRUE(reuse);
    EXPECT_TRUE(reuse->value) << "listeners set SO_REUSEADDR";
    EXPECT_TRUE(listener->set_option(ReceiveBufferSize{65536}));
    auto bad = listener->bind_to_device("no-such-if0");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), std::errc::no_such_device);
    const int fd = listener->release();
    EXPECT_GE(fd, 0);
    EXPECT_FALSE(listener->is_open());
    EXPECT_EQ(::close(fd), 0) << "release hands over an open descriptor";
}

}  // namespace
}  // namespace weft
