// TcpListener / TcpStream / connect over loopback: echo, half-close, reset, timeouts,
// cancellation.

#include "weft/io/tcp_stream.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "weft/io/sleep.hpp"
#include "weft/io/io_error.hpp"
#include "weft/io/tcp_listener.hpp"
#include "weft/socket/socket.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

const Endpoint kLoopback{Ipv4Address::loopback(), 0};

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Bytes waiting in fd's receive queue (not read).
std::size_t queued_bytes(int fd) {
    int n = 0;
    return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

// Whether the peer's FIN has reached fd (not read).
bool peer_fin_arrived(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP) != 0;
}

// Lets the loop turn (each turn is an epoll_wait) until `arrived` holds, then one turn more:
// whatever had arrived by then has had its edge dispatched by the loop. False when it did
// not arrive within `limit`. A condition, not a guessed sleep: on a loaded machine a fixed
// short sleep can end before the bytes arrive, and the test would pass without its scenario.
template <class Condition>
Task<bool> until_dispatched(EventLoop& loop, Condition arrived, std::chrono::milliseconds limit = 5s) {
    const auto end = EventLoop::Clock::now() + limit;
    while (!arrived()) {
        if (EventLoop::Clock::now() > end) co_return false;
        (void)co_await sleep_for(loop, 1ms);
    }
    (void)co_await sleep_for(loop, 1ms);  // a timer not yet due: the loop must epoll_wait first
    co_return true;
}

// Echoes one connection until EOF, then closes.
Task<> echo_one(TcpStream conn) {
    std::array<std::byte, 4096> buf;
    for (;;) {
        auto n = co_await conn.read_some(buf);
        if (!n || *n == 0) break;
        if (!co_await conn.write_all(std::span(buf).first(*n))) break;
    }
}

Task<> echo_server(TcpListener& listener, EventLoop& loop, int connections) {
    for (int i = 0; i < connections; ++i) {
        auto conn = co_await listener.accept();
        if (!conn) co_return;
        loop.spawn(echo_one(std::move(*conn)));
    }
}

// Sends `message`, half-closes, reads everything back until EOF.
Task<std::string> send_and_collect(EventLoop& loop, Endpoint to, std::string message) {
    auto conn = co_await connect(loop, to, 2s);
    if (!conn) co_return "connect: " + conn.error().message();
    if (!co_await conn->write_all(bytes(message))) co_return "write failed";
    if (!conn->shutdown_write()) co_return "shutdown failed";
    std::string got;
    std::array<std::byte, 1000> buf;
    for (;;) {
        auto n = co_await with_timeout(2s, conn->read_some(buf));
        if (!n) co_return "read: " + n.error().message();
        if (*n == 0) break;
        got += text(std::span(buf).first(*n));
    }
    co_return got;
}

TEST(TcpStream, EchoRoundTrip) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener) << listener.error().message();
    const Endpoint at = *listener->local_endpoint();
    EXPECT_NE(at.port(), 0);
    loop.spawn(echo_server(*listener, loop, 1));
    EXPECT_EQ(loop.block_on(send_and_collect(loop, at, "hello, weft")), "hello, weft");
}

TEST(TcpStream, HalfClosedPeerStillReceivesTheWholeEcho) {
    // 4 MiB is far more than the socket buffers hold: the server is still echoing long after
    // the client shut its write side.
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    loop.spawn(echo_server(*listener, loop, 1));
    std::string big(4 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    // The client must read while writing, or both sides block on full buffers: use two tasks.
    auto client = [&]() -> Task<std::string> {
        auto conn = co_await connect(loop, *listener->local_endpoint(), 2s);
        if (!conn) co_return "connect failed";
        TcpStream& c = *conn;
        bool wrote = false;
        auto writer = [&]() -> Task<> {
            wrote = bool(co_await c.write_all(bytes(big))) && bool(c.shutdown_write());
        };
        loop.spawn(writer());
        std::string got;
        std::array<std::byte, 65536> buf;
        for (;;) {
            auto n = co_await with_timeout(5s, c.read_some(buf));
            if (!n || *n == 0) break;
            got += text(std::span(buf).first(*n));
        }
        EXPECT_TRUE(wrote);
        co_return got;
    };
    const std::string got = loop.block_on(client());
    EXPECT_EQ(got.size(), big.size());
    EXPECT_TRUE(got == big);
}

TEST(TcpStream, ResetMidWriteIsAnErrorAndTheServerServesTheNextClient) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    const Endpoint at = *listener->local_endpoint();
    std::error_code server_error;
    // Server: writes an endless stream to the first client, then echoes the second.
    auto server = [&]() -> Task<> {
        auto first = co_await listener->accept();
        if (!first) co_return;
        std::vector<std::byte> chunk(65536, std::byte{'x'});
        for (;;) {
            auto n = co_await with_timeout(5s, first->write_all(chunk));
            if (!n) {
                server_error = n.error();
                break;
            }
        }
        auto second = co_await listener->accept();
        if (second) co_await echo_one(std::move(*second));
    };
    loop.spawn(server());
    auto client = [&]() -> Task<std::string> {
        auto conn = co_await connect(loop, at, 2s);
        if (!conn) co_return "connect failed";
        std::array<std::byte, 1000> buf;
        (void)co_await conn->read_some(buf);
        // SO_LINGER 0: close sends RST instead of FIN.
        linger l{1, 0};
        ::setsockopt(conn->native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        conn->close();
        co_return co_await send_and_collect(loop, at, "next");
    };
    EXPECT_EQ(loop.block_on(client()), "next");
    EXPECT_TRUE(server_error == std::errc::connection_reset || server_error == std::errc::broken_pipe)
        << server_error.message();
}

TEST(TcpStream, ConnectRefusedIsReported) {
    EventLoop loop;
    // A port held bound but never listening: connecting is refused, and no other process can
    // take the port meanwhile (one bound and closed again could be, under ctest -j).
    Socket holder;
    holder.bind(kLoopback);
    const Endpoint at = holder.getsockname().endpoint();
    auto r = loop.block_on([&]() -> Task<std::error_code> {
        auto c = co_await connect(loop, at, 1s);
        co_return c ? std::error_code{} : c.error();
    }());
    EXPECT_EQ(r, std::errc::connection_refused);
}

TEST(TcpStream, ReadTimesOutAndCancelResumesWithAnError) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    auto run = [&]() -> Task<std::pair<std::error_code, std::error_code>> {
        auto c = co_await connect(loop, *listener->local_endpoint(), 1s);
        auto s = co_await listener->accept();
        std::array<std::byte, 10> buf;
        auto timed = co_await with_timeout(20ms, s->read_some(buf));
        // Now cancel from a timer while the read waits.
        loop.add_timer(10ms, [&] { s->cancel(); });
        auto cancelled = co_await s->read_some(buf);
        co_return std::pair{timed ? std::error_code{} : timed.error(),
                            cancelled ? std::error_code{} : cancelled.error()};
    };
    const auto [timed, cancelled] = loop.block_on(run());
    EXPECT_EQ(timed, std::errc::timed_out);
    EXPECT_EQ(cancelled, std::errc::operation_canceled);
}

TEST(TcpStream, SecondReaderOnTheSameStreamIsBusy) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    auto run = [&]() -> Task<std::error_code> {
        auto c = co_await connect(loop, *listener->local_endpoint(), 1s);
        auto s = co_await listener->accept();
        std::array<std::byte, 10> buf;
        auto first = [&]() -> Task<> { (void)co_await s->read_some(buf); };
        loop.spawn(first());
        auto second = co_await s->read_some(buf);
        s->close();  // resumes the first reader with operation_canceled
        co_return second ? std::error_code{} : second.error();
    };
    EXPECT_EQ(loop.block_on(run()), IoErrc::busy);
}

TEST(TcpStream, DestroyingAFrameThatWaitsUnregistersItsOperation) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    // Set up with block_on, then destroy the waiting reader between turns (destroying every
    // root from inside a running root would destroy the caller too).
    std::optional<Result<TcpStream>> client;
    std::optional<Result<TcpStream>> server_side;
    std::array<std::byte, 16> buf;
    auto setup = [&]() -> Task<> {
        client.emplace(co_await connect(loop, *listener->local_endpoint(), 1s));
        server_side.emplace(co_await listener->accept());
    };
    loop.block_on(setup());
    ASSERT_TRUE(*client && *server_side);
    auto reader = [&]() -> Task<> { (void)co_await (*server_side)->read_some(buf); };
    loop.spawn(reader());
    EXPECT_EQ(loop.task_count(), 1u);
    loop.destroy_tasks();  // the frame dies while its read waits
    // Data now arrives for the descriptor whose waiter is gone, and the loop dispatches its
    // edge: it must not touch the dead waiter.
    const int server_fd = (*server_side)->native_handle();
    auto writer = [&]() -> Task<bool> {
        (void)co_await (*client)->write_all(std::as_bytes(std::span("ping", 4)));
        co_return co_await until_dispatched(loop, [&] { return queued_bytes(server_fd) >= 4; });
    };
    ASSERT_TRUE(loop.block_on(writer())) << "the 4 bytes never reached the server's socket";
    auto again = [&]() -> Task<std::size_t> {
        auto n = co_await with_timeout(1s, (*server_side)->read_some(buf));
        co_return n.value_or(0);
    };
    EXPECT_EQ(loop.block_on(again()), 4u) << "a new reader gets the data the old one never took";
}

// The read-readiness hint must not hide an end of stream: data and FIN arrive, and their edge is
// dispatched while nobody reads; the next read takes the data (a short read), and the one after
// must see the EOF at once instead of waiting for an edge that will never come.
TEST(TcpStream, EofAfterShortReadIsSeenWithoutANewEdge) {
    EventLoop loop;
    auto listener = TcpListener::bind(loop, kLoopback);
    ASSERT_TRUE(listener);
    const Endpoint at = *listener->local_endpoint();
    auto server = [&]() -> Task<std::string> {
        auto conn = co_await listener->accept();
        if (!conn) co_return "accept failed";
        // The client has already sent and half-closed: once both are in the socket, one loop
        // turn dispatches that edge while this coroutine is not reading.
        const int fd = conn->native_handle();
        if (!co_await until_dispatched(loop, [&] { return queued_bytes(fd) >= 3 && peer_fin_arrived(fd); }))
            co_return "the data and the FIN never arrived";
        std::array<std::byte, 4096> buf;
        auto first = co_await with_timeout(2s, conn->read_some(buf));
        if (!first) co_return "first read: " + first.error().message();
        std::string got = text(std::span(buf).first(*first));
        auto second = co_await with_timeout(2s, conn->read_some(buf));
        if (!second) co_return "second read: " + second.error().message();
        co_return *second == 0 ? got + "|eof" : got + "|more";
    };
    Socket client;
    client.connect(at);
    client.sendall("abc");
    client.shutdown(Shutdown::write);
    EXPECT_EQ(loop.block_on(server()), "abc|eof");
}

}  // namespace
}  // namespace weft
