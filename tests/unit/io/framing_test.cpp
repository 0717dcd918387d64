// Framing: frames split and merged arbitrarily come out whole; oversize frames are refused
// with a reason, over a Buffer and over a real connection.

#include "weft/io/framing.hpp"

#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"
#include "weft/io/tcp_server.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Feeds `wire` to the codec in random slices; returns every frame decoded.
template <class Codec>
std::vector<std::string> decode_in_slices(const Codec& codec, const std::string& wire, unsigned seed) {
    std::mt19937 rng(seed);
    Buffer in(16);
    std::vector<std::string> frames;
    std::size_t pos = 0;
    while (pos < wire.size()) {
        const std::size_t take = std::min<std::size_t>(wire.size() - pos, 1 + rng() % 7);
        in.append(std::string_view(wire).substr(pos, take));
        pos += take;
        for (;;) {
            auto frame = codec.decode(in);
            EXPECT_TRUE(frame) << frame.error().message;
            if (!frame || !*frame) break;
            frames.push_back(text(**frame));
        }
    }
    return frames;
}

TEST(LengthPrefixCodec, SplitAndMergedFramesComeOutWhole) {
    for (PrefixSize prefix : {PrefixSize::u16, PrefixSize::u32}) {
        LengthPrefixCodec codec(prefix, 1000);
        const std::vector<std::string> sent = {"a", "", "hello", std::string(300, 'x'), "end"};
        Buffer wire;
        for (const auto& s : sent) ASSERT_TRUE(codec.encode(bytes(s), wire));
        for (unsigned seed = 0; seed < 20; ++seed)
            EXPECT_EQ(decode_in_slices(codec, std::string(wire.readable_text()), seed), sent);
    }
}

TEST(LengthPrefixCodec, PrefixIsBigEndian) {
    LengthPrefixCodec codec(PrefixSize::u16);
    Buffer wire;
    ASSERT_TRUE(codec.encode(bytes(std::string(258, 'x')), wire));
    EXPECT_EQ(wire.readable()[0], std::byte{1});
    EXPECT_EQ(wire.readable()[1], std::byte{2});
}

TEST(LengthPrefixCodec, OversizeFrameIsRefusedAtThePrefix) {
    LengthPrefixCodec codec(PrefixSize::u32, 65536);
    Buffer in;
    const std::byte prefix[4] = {std::byte{0}, std::byte{1}, std::byte{0x11}, std::byte{0x70}};  // 70000
    in.append(prefix);
    auto frame = codec.decode(in);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, IoErrc::frame_too_large);
    EXPECT_EQ(frame.error().message, "frame of 70000 bytes exceeds the 65536-byte limit");
    Buffer out;
    EXPECT_FALSE(codec.encode(std::vector<std::byte>(70000), out));
    EXPECT_FALSE(LengthPrefixCodec(PrefixSize::u16, 1 << 20).encode(std::vector<std::byte>(70000), out))
        << "a u16 prefix cannot carry 70000";
}

TEST(LineCodec, SplitAndMergedLinesComeOutWhole) {
    LineCodec codec("\r\n", 100);
    const std::string wire = "first\r\nsecond\r\n\r\nlast one\r\n";
    for (unsigned seed = 0; seed < 20; ++seed)
        EXPECT_EQ(decode_in_slices(codec, wire, seed), (std::vector<std::string>{"first", "second", "", "last one"}));
}

TEST(LineCodec, TooLongLineIsAnErrorEvenBeforeTheDelimiterArrives) {
    LineCodec codec("\n", 10);
    Buffer in;
    in.append("0123456789");  // exactly the limit, no delimiter yet: need more
    auto pending = codec.decode(in);
    ASSERT_TRUE(pending);
    EXPECT_FALSE(*pending);
    in.append("X");  // 11 bytes and still no delimiter
    auto refused = codec.decode(in);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, IoErrc::line_too_long);
    EXPECT_EQ(refused.error().message, "line of more than 10 bytes without a delimiter");
}

// Over a connection: the client writes frames in odd slices, the server answers each frame
// with its length; an oversize frame makes the server close with the reason.
TEST(Framing, ReadFrameOverAConnectionAndCloseOnOversize) {
    std::string reason;
    std::mutex reason_mutex;
    auto handler = [&](TcpStream conn) -> Task<> {
        LengthPrefixCodec codec(PrefixSize::u32, 65536);
        Buffer in;
        Buffer out;
        for (;;) {
            auto frame = co_await read_frame(conn, in, codec);
            if (!frame) {
                std::lock_guard lock(reason_mutex);
                reason = frame.error().message;
                co_return;  // closing the stream is the answer to a bad frame
            }
            if (!*frame) co_return;
            const std::string reply = std::to_string((*frame)->size());
            if (!co_await write_frame(conn, out, codec, bytes(reply))) co_return;
        }
    };
    auto server = TcpServer::start({Ipv4Address::loopback(), 0}, {.threads = 1}, handler);
    ASSERT_TRUE(server);
    const int fd = test::connect_blocking((*server)->local_endpoint().port());
    LengthPrefixCodec codec(PrefixSize::u32, 1 << 20);
    Buffer wire;
    ASSERT_TRUE(codec.encode(bytes(std::string(5000, 'a')), wire));
    ASSERT_TRUE(codec.encode(bytes("hi"), wire));
    ASSERT_TRUE(codec.encode(bytes(std::string(70000, 'b')), wire));
    const std::string all(wire.readable_text());
    // First two frames, in slices of 3 bytes (the third frame follows in one write).
    const std::size_t two = 4 + 5000 + 4 + 2;
    for (std::size_t i = 0; i < two; i += 3) ASSERT_TRUE(test::send_all(fd, all.substr(i, std::min<std::size_t>(3, two - i))));
    EXPECT_EQ(test::recv_n(fd, 8), std::string("\0\0\0\x04" "5000", 8));
    EXPECT_EQ(test::recv_n(fd, 5), std::string("\0\0\0\x01" "2", 5));
    test::send_all(fd, all.substr(two));
    bool eof = false;
    test::recv_until_eof(fd, eof);  // a reset is also acceptable: the server did not read it all
    ::close(fd);
    (*server)->stop();
    (*server)->wait();
    EXPECT_EQ(reason, "frame of 70000 bytes exceeds the 65536-byte limit");
}

TEST(LineCodec, AsTextViewsAFrameWithoutACopy) {
    LineCodec codec("\n");
    Buffer in;
    in.append("hello\n");
    auto frame = codec.decode(in);
    ASSERT_TRUE(frame && *frame);
    const std::string_view line = as_text(**frame);
    EXPECT_EQ(line, "hello");
    EXPECT_EQ(static_cast<const void*>(line.data()), static_cast<const void*>((*frame)->data()));
}

// read_line over one end of a socketpair: the test writes the other end between loop turns,
// so each write is exactly one read of the line reader.
class ReadLine : public ::testing::Test {
protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
        auto adopted = TcpStream::adopt(loop_, fds[0]);
        ASSERT_TRUE(adopted) << adopted.error().message();
        stream_ = std::move(*adopted);
        peer_ = fds[1];
    }
    void TearDown() override {
        stream_.close();
        if (peer_ >= 0) ::close(peer_);
    }

    void write_peer(std::string_view data) { ASSERT_TRUE(test::send_all(peer_, data)); }
    void end_peer() { ASSERT_EQ(::shutdown(peer_, SHUT_WR), 0); }
    // One loop turn: the reader takes what was written and waits again (or finishes).
    void turn() {
        loop_.post([this] { loop_.stop(); });
        loop_.run();
    }
    // Starts a reader of `count` lines (stopping at the first error) that records them here.
    void start_reader(std::size_t count, std::size_t max_line = LineCodec::kDefaultMaxLine) {
        loop_.spawn([](ReadLine& t, std::size_t n, std::size_t max) -> Task<> {
            for (std::size_t i = 0; i < n; ++i) {
                auto line = co_await read_line(t.stream_, t.in_, max);
                if (!line) {
                    t.error_ = line.error();
                    break;
                }
                t.lines_.emplace_back(*line);
            }
            t.finished_ = true;
        }(*this, count, max_line));
    }

    EventLoop loop_;
    TcpStream stream_;
    int peer_ = -1;
    Buffer in_{16};
    std::vector<std::string> lines_;
    std::error_code error_;
    bool finished_ = false;
};

TEST_F(ReadLine, StripsCrLfAndLfKeepsALoneCrAndEndsWithEof) {
    write_peer("alpha\r\nbeta\n\r\ngamma\rdelta\n\n");
    end_peer();
    start_reader(6);
    turn();
    ASSERT_TRUE(finished_);
    EXPECT_EQ(lines_, (std::vector<std::string>{"alpha", "beta", "", "gamma\rdelta", ""}));
    EXPECT_EQ(error_, IoErrc::eof);
    EXPECT_TRUE(in_.empty()) << "a clean end: no unterminated line left";
}

TEST_F(ReadLine, LineSplitAcrossReadsComesOutWhole) {
    start_reader(2);
    // Each piece arrives in its own read, the CR and the LF of a terminator included.
    for (std::string_view piece : {"hel", "lo, wor", "ld\r", "\n", "sec", "ond\n"}) {
        EXPECT_FALSE(finished_);
        write_peer(piece);
        turn();
    }
    ASSERT_TRUE(finished_);
    EXPECT_EQ(lines_, (std::vector<std::string>{"hello, world", "second"}));
    EXPECT_FALSE(error_) << error_.message();
}

TEST_F(ReadLine, LineOfExactlyTheLimitPassesOneMoreIsTooLong) {
    write_peer("12345678\r\n");  // 8 bytes of line: at the limit, terminator not counted
    write_peer("123456789\n");    // 9
    start_reader(3, 8);
    turn();
    ASSERT_TRUE(finished_);
    EXPECT_EQ(lines_, (std::vector<std::string>{"12345678"}));
    EXPECT_EQ(error_, IoErrc::line_too_long);
}

TEST_F(ReadLine, TooLongIsAnErrorBeforeAnyTerminatorArrives) {
    start_reader(1, 8);
    write_peer("12345678\r");  // the limit and a CR: may still be a line
    turn();
    EXPECT_FALSE(finished_);
    write_peer("x");  // no: 10 bytes without a LF
    turn();
    ASSERT_TRUE(finished_);
    EXPECT_TRUE(lines_.empty());
    EXPECT_EQ(error_, IoErrc::line_too_long);
    EXPECT_LE(in_.readable_bytes(), 10u) << "the cap bounds what is buffered";
}

TEST_F(ReadLine, EofMidLineLeavesTheUnterminatedBytesInTheBuffer) {
    write_peer("whole\npart");
    end_peer();
    start_reader(2);
    turn();
    ASSERT_TRUE(finished_);
    EXPECT_EQ(lines_, (std::vector<std::string>{"whole"}));
    EXPECT_EQ(error_, IoErrc::eof);
    EXPECT_EQ(in_.readable_text(), "part");
}

}  // namespace
}  // namespace weft
