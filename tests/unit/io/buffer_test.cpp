// Buffer: regions, growth and compaction, prepend, find, readv with the stack extra area.

#include "weft/io/buffer.hpp"

#include <string>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft {
namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

TEST(Buffer, AppendConsumeAndRegions) {
    Buffer b(16);
    EXPECT_EQ(b.prependable_bytes(), Buffer::kPrependable);
    EXPECT_EQ(b.writable_bytes(), 16u);
    b.append("hello world");
    EXPECT_EQ(b.readable_text(), "hello world");
    b.consume(6);
    EXPECT_EQ(b.readable_text(), "world");
    EXPECT_EQ(b.prependable_bytes(), Buffer::kPrependable + 6);
    b.consume(100);  // more than readable: everything, indices reset
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.prependable_bytes(), Buffer::kPrependable);
}

TEST(Buffer, CompactsBeforeGrowing) {
    Buffer b(16);
    b.append("0123456789abcd");  // 14 of 16
    b.consume(10);                 // 4 left, 10 reclaimable at the front
    b.append("efghijkl");          // needs 8, only 2 free at the back: compacts
    EXPECT_EQ(b.readable_text(), "abcdefghijkl");
    EXPECT_EQ(b.capacity(), Buffer::kPrependable + 16) << "grew although compaction sufficed";
    b.append(std::string(100, 'x'));
    EXPECT_EQ(b.readable_bytes(), 112u);
}

TEST(Buffer, PrependPutsAHeaderBeforeTheData) {
    Buffer b;
    b.append("payload");
    const std::byte header[4] = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{7}};
    b.prepend(header);
    ASSERT_EQ(b.readable_bytes(), 11u);
    EXPECT_EQ(b.readable()[3], std::byte{7});
    EXPECT_EQ(b.readable_text().substr(4), "payload");
}

TEST(Buffer, FindsADelimiter) {
    Buffer b;
    b.append("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(b.find(bytes("\r\n")), 14u);
    EXPECT_EQ(b.find(bytes("\r\n"), 15), 23u);
    EXPECT_EQ(b.find(bytes("\r\n\r\n")), 23u);
    EXPECT_FALSE(b.find(bytes("absent")));
}

TEST(Buffer, ReadFromTakesMoreThanTheFreeSpaceInOneCall) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const std::string data(30000, 'q');
    ASSERT_EQ(::write(fds[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
    Buffer b(1024);
    auto n = b.read_from(fds[0]);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 30000u);  // 1024 in the buffer, the rest through the stack area
    EXPECT_EQ(b.readable_text(), data);
    ::close(fds[1]);
    auto eof = b.read_from(fds[0]);
    ASSERT_TRUE(eof);
    EXPECT_EQ(*eof, 0u);
    ::close(fds[0]);
}

TEST(Buffer, ShrinksBackWhenEmpty) {
    Buffer b;
    b.append(std::string(100000, 'x'));
    b.consume_all();
    b.shrink_if_empty();
    EXPECT_EQ(b.capacity(), Buffer::kPrependable + Buffer::kInitialSize);
}

}  // namespace
}  // namespace weft
