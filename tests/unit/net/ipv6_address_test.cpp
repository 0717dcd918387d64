#include "weft/net/ipv6_address.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include <arpa/inet.h>
#include <net/if.h>

namespace weft {
namespace {

Ipv6Address::Bytes bytes_of(std::initializer_list<std::uint16_t> groups) {
    Ipv6Address::Bytes bytes{};
    std::size_t i = 0;
    for (auto g : groups) {
        bytes[i++] = std::uint8_t(g >> 8);
        bytes[i++] = std::uint8_t(g & 0xff);
    }
    return bytes;
}

struct FormCase {
    const char* text;
    Ipv6Address::Bytes bytes;
    const char* canonical;  // RFC 5952
};

TEST(Ipv6AddressTest, ParsesEveryRfc4291TextForm) {
    const FormCase cases[] = {
        // Full form, with and without leading zeros.
        {"2001:0db8:0000:0000:0000:ff00:0042:8329", bytes_of({0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329}),
         "2001:db8::ff00:42:8329"},
        {"1080:0:0:0:8:800:200C:417A", bytes_of({0x1080, 0, 0, 0, 8, 0x800, 0x200c, 0x417a}), "1080::8:800:200c:417a"},
        // Compressed, leading and trailing "::".
        {"::", bytes_of({0, 0, 0, 0, 0, 0, 0, 0}), "::"},
        {"::1", bytes_of({0, 0, 0, 0, 0, 0, 0, 1}), "::1"},
        {"1::", bytes_of({1, 0, 0, 0, 0, 0, 0, 0}), "1::"},
        {"ff01::101", bytes_of({0xff01, 0, 0, 0, 0, 0, 0, 0x101}), "ff01::101"},
        {"fe80::", bytes_of({0xfe80, 0, 0, 0, 0, 0, 0, 0}), "fe80::"},
        {"1:2:3:4:5:6:7::", bytes_of({1, 2, 3, 4, 5, 6, 7, 0}), "1:2:3:4:5:6:7:0"},
        {"::2:3:4:5:6:7:8", bytes_of({0, 2, 3, 4, 5, 6, 7, 8}), "0:2:3:4:5:6:7:8"},
        {"1:2:3::6:7:8", bytes_of({1, 2, 3, 0, 0, 6, 7, 8}), "1:2:3::6:7:8"},
        // Embedded IPv4 in the last 32 bits.
        {"::ffff:1.2.3.4", bytes_of({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304}), "::ffff:1.2.3.4"},
        {"::FFFF:192.0.2.1", bytes_of({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201}), "::ffff:192.0.2.1"},
        {"0:0:0:0:0:ffff:10.0.0.1", bytes_of({0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001}), "::ffff:10.0.0.1"},
        {"64:ff9b::192.0.2.33", bytes_of({0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221}), "64:ff9b::c000:221"},
        {"::13.1.68.3", bytes_of({0, 0, 0, 0, 0, 0, 0x0d01, 0x4403}), "::d01:4403"},
        {"1:2:3:4:5:6:1.2.3.4", bytes_of({1, 2, 3, 4, 5, 6, 0x0102, 0x0304}), "1:2:3:4:5:6:102:304"},
        // Upper case hex.
        {"2001:DB8::ABCD", bytes_of({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xabcd}), "2001:db8::abcd"},
    };
    for (const auto& c : cases) {
        auto a = Ipv6Address::parse(c.text);
        ASSERT_TRUE(a) << c.text << ": " << a.error().message;
        EXPECT_EQ(a->to_bytes(), c.bytes) << c.text;
        EXPECT_EQ(a->scope_id(), 0u);
        EXPECT_EQ(a->to_string(), c.canonical) << c.text;
        // The canonical form parses back to the same address.
        auto again = Ipv6Address::parse(a->to_string());
        ASSERT_TRUE(again) << a->to_string();
        EXPECT_EQ(*again, *a);
    }
}

struct CanonicalCase {
    const char* text;
    const char* canonical;
};

TEST(Ipv6AddressTest, Rfc5952Section4Examples) {
    const CanonicalCase cases[] = {
        // 4.1: leading zeros are suppressed.
        {"2001:0db8::0001", "2001:db8::1"},
        // 4.2.1: "::" shortens as much as possible.
        {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
        // 4.2.2: a single 16-bit zero field is not compressed.
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        // 4.2.3: the longest run is compressed; on a tie, the first.
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        // 4.3: lower case.
        {"2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
        // Section 2.1 and 2.2: many texts, one canonical form.
        {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
        {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:01", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"},
        {"2001:db8:aaaa:bbbb:cccc:dddd::1", "2001:db8:aaaa:bbbb:cccc:dddd:0:1"},
        {"2001:db8:0:0:0::1", "2001:db8::1"},
        {"2001:db8:0::1", "2001:db8::1"},
        {"2001:db8::0:1", "2001:db8::1"},
        {"2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:db8:0:0:1::1", "2001:db8::1:0:0:1"},
        {"2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"},
        {"2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"},
        // Runs at the ends.
        {"0:0:1:0:0:0:0:0", "0:0:1::"},
        {"0:0:0:0:1:0:0:0", "::1:0:0:0"},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
    };
    for (const auto& c : cases) {
        auto a = Ipv6Address::parse(c.text);
        ASSERT_TRUE(a) << c.text << ": " << a.error().message;
        EXPECT_EQ(a->to_string(), c.canonical) << c.text;
    }
}

struct InvalidCase {
    const char* text;
    const char* mentions;
    std::size_t offset;
};

TEST(Ipv6AddressTest, RejectsInvalidTextNamingThePart) {
    const InvalidCase cases[] = {
        {"", "empty", 0},
        {"1::2::3", "more than one '::'", 4},
        {"::1::", "more than one '::'", 3},
        {"1:2:3:4:5:6:7:8:9", "group 9 '9' is extra", 16},
        {"1:2:3:4:5:6:7:8::", "at least one zero group", 15},
        {"1:2:3:4::5:6:7:8", "at least one zero group", 7},
        {"1:2:3:4:5:6:7", "has 7 groups, expected 8", 13},
        {"12345::", "group 1 '12345' has more than 4 hex digits", 0},
        {"1:00000::", "group 2 '00000' has more than 4 hex digits", 2},
        {"1:g::", "group 2 'g' contains 'g'", 2},
        {"::1.2.3.4:5", "embedded IPv4 '1.2.3.4' is not in the last 32 bits", 2},
        {"1.2.3.4::", "embedded IPv4 '1.2.3.4' is not in the last 32 bits", 0},
        {"::ffff:256.1.1.1", "embedded IPv4 part 1 '256' is greater than 255", 7},
        {"::ffff:1.2.3", "embedded IPv4 has 3 parts", 12},
        {"1:2:3:4:5:6:7:1.2.3.4", "more than 8 groups (embedded IPv4 '1.2.3.4' needs two)", 14},
        {":", "stray ':'", 0},
        {":1::", "stray ':'", 0},
        {"1::2:", "stray ':'", 5},
        {":::", "stray ':'", 2},
        {"1:::2", "stray ':'", 3},
        {"1:2:3:4:5:6:7:8:", "stray ':'", 16},
        {":1:2:3:4:5:6:7", "stray ':'", 0},
        {" ::1", "group 1 ' ' contains ' '", 0},
        {"::1 ", "group 1 '1 ' contains ' '", 2},
        {"fe80::1%", "zone after '%' is empty", 8},
        {"fe80::1%nosuchif0", "zone 'nosuchif0' is not a known interface", 8},
        {"fe80::1%99999999999", "zone '99999999999' is too large", 8},
        {"%lo", "no address before the zone", 0},
        {"[::1]", "group 1 '[' contains '['", 0},
    };
    for (const auto& c : cases) {
        auto a = Ipv6Address::parse(c.text);
        ASSERT_FALSE(a) << "accepted '" << c.text << "'";
        const std::string& message = a.error().message;
        EXPECT_NE(message.find(c.mentions), std::string::npos) << c.text << " -> " << message;
        EXPECT_EQ(message.rfind(std::string("invalid IPv6 address '") + c.text + "': ", 0), 0u) << message;
        EXPECT_EQ(a.error().offset, c.offset) << c.text << " -> " << message;
    }
}

TEST(Ipv6AddressTest, ZoneByName) {
    const unsigned lo = if_nametoindex("lo");
    ASSERT_NE(lo, 0u) << "every Linux network namespace has lo";
    auto a = Ipv6Address::parse("fe80::1%lo");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->scope_id(), lo);
    EXPECT_EQ(a->to_bytes(), bytes_of({0xfe80, 0, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(a->to_string(), "fe80::1%lo");

    // eth0 is usual but not universal; exercise it when it is there.
    if (const unsigned eth0 = if_nametoindex("eth0"); eth0 != 0) {
        auto b = Ipv6Address::parse("fe80::1%eth0");
        ASSERT_TRUE(b) << b.error().message;
        EXPECT_EQ(b->scope_id(), eth0);
        EXPECT_EQ(b->to_string(), "fe80::1%eth0");
    }
}

TEST(Ipv6AddressTest, ZoneByIndex) {
    auto a = Ipv6Address::parse("fe80::1%2");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->scope_id(), 2u);
    char name[IF_NAMESIZE];
    const std::string expected = if_indextoname(2, name) ? std::string("fe80::1%") + name : "fe80::1%2";
    EXPECT_EQ(a->to_string(), expected);

    // An index with no interface behind it prints as a number.
    auto b = Ipv6Address::parse("fe80::1%4000000000");
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->scope_id(), 4000000000u);
    EXPECT_EQ(b->to_string(), "fe80::1%4000000000");
}

TEST(Ipv6AddressTest, ZoneIsPartOfIdentity) {
    auto a = Ipv6Address::parse("fe80::1%lo");
    auto b = Ipv6Address::parse("fe80::1");
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_NE(*a, *b);
    EXPECT_EQ(a->to_bytes(), b->to_bytes());
}

TEST(Ipv6AddressTest, V4Mapped) {
    const Ipv6Address m = Ipv6Address::v4_mapped(Ipv4Address(192, 0, 2, 1));
    EXPECT_TRUE(m.is_v4_mapped());
    EXPECT_EQ(m.to_v4(), Ipv4Address(192, 0, 2, 1));
    EXPECT_EQ(m.to_string(), "::ffff:192.0.2.1");
    EXPECT_FALSE(Ipv6Address::loopback().is_v4_mapped());
    auto nat64 = Ipv6Address::parse("64:ff9b::192.0.2.33");
    ASSERT_TRUE(nat64);
    EXPECT_FALSE(nat64->is_v4_mapped());
}

TEST(Ipv6AddressTest, Classification) {
    EXPECT_TRUE(Ipv6Address::any().is_unspecified());
    EXPECT_FALSE(Ipv6Address::loopback().is_unspecified());
    EXPECT_TRUE(Ipv6Address::loopback().is_loopback());
    EXPECT_FALSE(Ipv6Address::any().is_loopback());
    EXPECT_TRUE(Ipv6Address::parse("ff02::1")->is_multicast());
    EXPECT_FALSE(Ipv6Address::parse("fe80::1")->is_multicast());
    EXPECT_TRUE(Ipv6Address::parse("fe80::1")->is_link_local());
    EXPECT_TRUE(Ipv6Address::parse("febf::1")->is_link_local());
    EXPECT_FALSE(Ipv6Address::parse("fec0::1")->is_link_local());
    EXPECT_FALSE(Ipv6Address::parse("2001:db8::1")->is_link_local());
}

// Differential check against glibc's inet_pton and inet_ntop, which implement the same RFCs:
// random short strings over the address alphabet must be accepted and rejected alike, give
// the same bytes, and format the same (inet_ntop follows RFC 5952 too, except that it prints
// IPv4-compatible ::a.b.c.d addresses in dotted form, which RFC 4291 deprecated).
TEST(Ipv6AddressTest, AgreesWithInetPton) {
    std::mt19937 random(20240601);  // fixed seed: a failure reproduces
    const std::string alphabet = "0123456789abcdefABCDEF::::....";
    std::size_t accepted = 0;
    for (int round = 0; round < 100000; ++round) {
        std::string text;
        const std::size_t length = 1 + random() % 24;
        for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
        in6_addr expected{};
        const bool theirs = inet_pton(AF_INET6, text.c_str(), &expected) == 1;
        auto ours = Ipv6Address::parse(text);
        ASSERT_EQ(ours.has_value(), theirs) << "'" << text << "': " << (ours ? "" : ours.error().message);
        if (!theirs) continue;
        ++accepted;
        ASSERT_EQ(std::memcmp(ours->to_bytes().data(), expected.s6_addr, 16), 0) << text;
        char formatted[INET6_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET6, &expected, formatted, sizeof formatted), nullptr);
        if (std::string(formatted).find('.') == std::string::npos || ours->is_v4_mapped()) {
            EXPECT_EQ(ours->to_string(), formatted) << text;
        }
    }
    EXPECT_GT(accepted, 100u) << "the generator should reach valid addresses too";
}

}  // namespace
}  // namespace weft
