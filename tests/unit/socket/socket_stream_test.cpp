// makefile(): a buffered iostream over a socket.
#include "weft/socket/socket.hpp"

#include <gtest/gtest.h>

#include <thread>

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

TEST(SocketStream, TimeoutSetsBadbit) {
    auto [a, b] = Socket::pair();
    b.settimeout(std::chrono::milliseconds(30));
    auto f = b.makefile();
    std::string line;
    EXPECT_FALSE(std::getline(f, line));
    EXPECT_TRUE(f.bad());
}
