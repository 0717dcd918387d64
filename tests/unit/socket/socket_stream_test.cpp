// makefile(): a buffered iostream over a socket.
#include "weft/socket/socket.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft::Socket;

TEST(SocketStream, GetlineAcrossSplitAndMergedSends) {
    auto [a, b] = Socket::pair();
    std::jthread writer([&a] {
        // One line split over three sends, then two lines in one send, then an unterminated tail.
        a.sendall("hel");
        a.sendall("lo wo");
        a.sendall("rld\nsecond\nthird\n");
        a.sendall("tail");
        a.shutdown(weft::Shutdown::write);
    });
    auto f = b.makefile();
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(f, line)) lines.push_back(line);
    EXPECT_EQ(lines, (std::vector<std::string>{"hello world", "second", "third", "tail"}));
    EXPECT_TRUE(f.eof());
}

TEST(SocketStream, WritesReachPeerOnFlushAndBeforeReading) {
    auto [a, b] = Socket::pair();
    auto fa = a.makefile();
    auto fb = b.makefile();
    fa << "ping " << 42 << '\n';
    // Reading from fa flushes what fa wrote, so a request/response exchange cannot deadlock.
    std::jthread echo([&fb] {
        std::string line;
        std::getline(fb, line);
        fb << line << " pong" << std::endl;
    });
    std::string reply;
    ASSERT_TRUE(std::getline(fa, reply));
    EXPECT_EQ(reply, "ping 42 pong");
}

TEST(SocketStream, LargeWriteArrivesWhole) {
    auto [a, b] = Socket::pair();
    std::string big(1 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 97) big[i] = char('a' + i % 26);
    std::jthread writer([&] {
        auto f = a.makefile();
        f << big;
        f.flush();
        a.shutdown(weft::Shutdown::write);
    });
    auto f = b.makefile();
    std::string got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, big);
}

// A timeout or socket error is one behaviour however the stream is read: no exception unless
// the exceptions() mask asks for one, badbit set, and the reason kept in last_error().

TEST(SocketStream, TimeoutWithGetlineSetsBadbitAndKeepsTheReason) {
    auto [a, b] = Socket::pair();
    b.settimeout(30ms);
    auto f = b.makefile();
    std::string line;
    EXPECT_FALSE(std::getline(f, line));
    EXPECT_TRUE(f.bad());
    EXPECT_EQ(f.last_error(), std::errc::timed_out);
    EXPECT_NE(f.last_error_message().find("recv"), std::string::npos) << f.last_error_message();
    EXPECT_NE(f.last_error_message().find("timed out"), std::string::npos) << f.last_error_message();
}

TEST(SocketStream, TimeoutWithIstreambufIteratorEndsTheRangeWithoutThrowing) {
    auto [a, b] = Socket::pair();
    b.settimeout(30ms);
    a.sendall("partial");  // and then silence, the peer still connected
    auto f = b.makefile();
    std::string got;
    EXPECT_NO_THROW(got.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()));
    EXPECT_EQ(got, "partial");
    EXPECT_TRUE(f.bad());
    EXPECT_EQ(f.last_error(), std::errc::timed_out);
    EXPECT_NE(f.last_error_message().find("timed out"), std::string::npos) << f.last_error_message();
}

TEST(SocketStream, OrderlyCloseIsEndOfInputWithNoError) {
    auto [a, b] = Socket::pair();
    b.settimeout(5s);
    a.sendall("last line\n");
    a.shutdown(weft::Shutdown::write);
    auto f = b.makefile();
    std::string line;
    ASSERT_TRUE(std::getline(f, line));
    EXPECT_EQ(line, "last line");
    EXPECT_FALSE(std::getline(f, line));
    EXPECT_TRUE(f.eof());
    EXPECT_FALSE(f.bad());
    EXPECT_FALSE(f.last_error());
    EXPECT_EQ(f.last_error_message(), "");
}

TEST(SocketStream, ReadingAgainAfterATimeoutWorksAndClearsTheError) {
    auto [a, b] = Socket::pair();
    b.settimeout(30ms);
    auto f = b.makefile();
    std::string line;
    EXPECT_FALSE(std::getline(f, line));
    EXPECT_EQ(f.last_error(), std::errc::timed_out);
    a.sendall("late\n");
    f.clear();
    ASSERT_TRUE(std::getline(f, line));
    EXPECT_EQ(line, "late");
    EXPECT_FALSE(f.last_error());
}

TEST(SocketStream, ExceptionsMaskMakesBothWaysThrowIosFailure) {
    {
        auto [a, b] = Socket::pair();
        b.settimeout(30ms);
        auto f = b.makefile();
        f.exceptions(std::ios::badbit);
        std::string line;
        EXPECT_THROW(std::getline(f, line), std::ios_base::failure);
        EXPECT_TRUE(f.bad());
        EXPECT_EQ(f.last_error(), std::errc::timed_out);
    }
    {
        auto [a, b] = Socket::pair();
        b.settimeout(30ms);
        auto f = b.makefile();
        f.exceptions(std::ios::badbit);
        std::string got;
        EXPECT_THROW(got.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()),
                     std::ios_base::failure);
        EXPECT_TRUE(f.bad());
        EXPECT_EQ(f.last_error(), std::errc::timed_out);
    }
}

TEST(SocketStream, WriteToAClosedPeerSetsBadbitAndKeepsTheErrno) {
    auto [a, b] = Socket::pair();
    b.close();
    auto f = a.makefile();
    EXPECT_NO_THROW(f << "into the void" << std::flush);
    EXPECT_TRUE(f.bad());
    EXPECT_EQ(f.last_error(), std::errc::broken_pipe);
    EXPECT_NE(f.last_error_message().find("sendall"), std::string::npos) << f.last_error_message();
    // A large write (it bypasses the buffer) fails the same way.
    f.clear();
    EXPECT_NO_THROW(f << std::string(1 << 16, 'x'));
    EXPECT_TRUE(f.bad());
    EXPECT_EQ(f.last_error(), std::errc::broken_pipe);
}
