#include "weft/net/ipv4_address.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include <arpa/inet.h>

namespace weft {
namespace {

struct ValidCase {
    const char* text;
    std::uint32_t value;
};

TEST(Ipv4AddressTest, ParsesValidDottedDecimal) {
    const ValidCase cases[] = {
        {"0.0.0.0", 0x00000000u},         {"255.255.255.255", 0xffffffffu}, {"127.0.0.1", 0x7f000001u},
        {"172.16.10.1", 0xac100a01u},     {"192.168.1.100", 0xc0a80164u},   {"100.4.5.6", 0x64040506u},
        {"10.0.0.255", 0x0a0000ffu},      {"1.2.3.4", 0x01020304u},         {"0.10.100.200", 0x000a64c8u},
    };
    for (const auto& c : cases) {
        auto a = Ipv4Address::parse(c.text);
        ASSERT_TRUE(a) << c.text << ": " << a.error().message;
        EXPECT_EQ(a->to_uint(), c.value) << c.text;
        EXPECT_EQ(a->to_string(), c.text);
    }
}

struct InvalidCase {
    const char* text;
    const char* mentions;  // the bad part the message must name
    std::size_t offset;
};

TEST(Ipv4AddressTest, RejectsInvalidTextNamingThePart) {
    const InvalidCase cases[] = {
        {"256.1.1.1", "part 1 '256' is greater than 255", 0},
        {"1.2.3.256", "part 4 '256' is greater than 255", 6},
        {"1.2.3.1000", "part 4 '1000' is greater than 255", 6},
        {"1.2.3.99999999999999999999", "part 4 '99999999999999999999' is greater than 255", 6},
        {"1.2.3", "has 3 parts, expected 4", 5},
        {"1", "has 1 part, expected 4", 1},
        {"1.2.3.4.5", "part 5 '5' is extra", 8},
        {" 1.2.3.4", "part 1 ' 1' contains ' '", 0},
        {"1.2.3.4 ", "part 4 '4 ' contains ' '", 6},
        {"01.2.3.4", "part 1 '01' has a leading zero", 0},
        {"1.2.3.00", "part 4 '00' has a leading zero", 6},
        {"1..2.3", "part 2 is empty", 2},
        {"1.2.3.", "part 4 is empty", 6},
        {".1.2.3", "part 1 is empty", 0},
        {"", "empty", 0},
        {"a.b.c.d", "part 1 'a' contains 'a'", 0},
        {"1.2.-3.4", "part 3 '-3' contains '-'", 4},
        {"1.2.+3.4", "part 3 '+3' contains '+'", 4},
        {"0x7f.0.0.1", "part 1 '0x7f' contains 'x'", 0},
        {"1.2.3.4/24", "part 4 '4/24' contains '/'", 6},
    };
    for (const auto& c : cases) {
        auto a = Ipv4Address::parse(c.text);
        ASSERT_FALSE(a) << "accepted '" << c.text << "'";
        const std::string& message = a.error().message;
        EXPECT_NE(message.find(c.mentions), std::string::npos) << c.text << " -> " << message;
        EXPECT_NE(message.find(std::string("'") + c.text + "'"), std::string::npos)
            << "message should quote the input: " << message;
        EXPECT_EQ(a.error().offset, c.offset) << c.text << " -> " << message;
    }
}

TEST(Ipv4AddressTest, ErrorMessageWording) {
    auto a = Ipv4Address::parse("256.1.1.1");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().message, "invalid IPv4 address '256.1.1.1': part 1 '256' is greater than 255");
}

TEST(Ipv4AddressTest, ToBinary) {
    EXPECT_EQ(Ipv4Address(100, 4, 5, 6).to_binary(), "01100100.00000100.00000101.00000110");
    EXPECT_EQ(Ipv4Address(0u).to_binary(), "00000000.00000000.00000000.00000000");
    EXPECT_EQ(Ipv4Address::broadcast().to_binary(), "11111111.11111111.11111111.11111111");
    // The seed's worked example.
    EXPECT_EQ(Ipv4Address(172, 16, 10, 1).to_binary(), "10101100.00010000.00001010.00000001");
    EXPECT_EQ(Ipv4Address(255, 255, 255, 0).to_binary(), "11111111.11111111.11111111.00000000");
}

TEST(Ipv4AddressTest, BytesAreNetworkOrder) {
    const Ipv4Address a(192, 168, 1, 100);
    const std::array<std::uint8_t, 4> expected{192, 168, 1, 100};
    EXPECT_EQ(a.to_bytes(), expected);
    EXPECT_EQ(Ipv4Address::from_bytes(expected), a);
    EXPECT_EQ(a.to_uint(), 0xc0a80164u);
}

TEST(Ipv4AddressTest, Classification) {
    EXPECT_TRUE(Ipv4Address::any().is_unspecified());
    EXPECT_TRUE(Ipv4Address(127, 1, 2, 3).is_loopback());
    EXPECT_FALSE(Ipv4Address(128, 0, 0, 1).is_loopback());
    EXPECT_TRUE(Ipv4Address(224, 0, 0, 251).is_multicast());
    EXPECT_TRUE(Ipv4Address(239, 255, 255, 255).is_multicast());
    EXPECT_FALSE(Ipv4Address(240, 0, 0, 1).is_multicast());
    EXPECT_TRUE(Ipv4Address::broadcast().is_broadcast());
    EXPECT_TRUE(Ipv4Address(10, 1, 2, 3).is_private());
    EXPECT_TRUE(Ipv4Address(172, 16, 0, 1).is_private());
    EXPECT_TRUE(Ipv4Address(172, 31, 255, 255).is_private());
    EXPECT_FALSE(Ipv4Address(172, 32, 0, 1).is_private());
    EXPECT_FALSE(Ipv4Address(172, 15, 255, 255).is_private());
    EXPECT_TRUE(Ipv4Address(192, 168, 0, 1).is_private());
    EXPECT_FALSE(Ipv4Address(192, 169, 0, 1).is_private());
    EXPECT_TRUE(Ipv4Address(169, 254, 1, 1).is_link_local());
    EXPECT_FALSE(Ipv4Address(169, 253, 1, 1).is_link_local());
}

TEST(Ipv4AddressTest, Ordering) {
    EXPECT_LT(Ipv4Address(1, 2, 3, 4), Ipv4Address(1, 2, 3, 5));
    EXPECT_LT(Ipv4Address(9, 255, 255, 255), Ipv4Address(10, 0, 0, 0));
    EXPECT_EQ(Ipv4Address::loopback(), Ipv4Address(127, 0, 0, 1));
}

// glibc's inet_pton (unlike inet_aton) is strict in the same way: four parts, no leading
// zeros, each at most 255. Random near-miss strings must be judged alike.
TEST(Ipv4AddressTest, AgreesWithInetPton) {
    std::mt19937 random(20240601);  // fixed seed: a failure reproduces
    const std::string digits = "0123456789";
    const std::string noise = "x -+.";
    std::size_t accepted = 0;
    for (int round = 0; round < 100000; ++round) {
        // Mostly four parts of up to four digits, now and then a stray character: near misses.
        std::string text;
        const std::size_t parts = 3 + random() % 3;
        for (std::size_t p = 0; p < parts; ++p) {
            if (p != 0) text += '.';
            const std::size_t length = random() % 5;
            for (std::size_t i = 0; i < length; ++i) {
                text += random() % 20 == 0 ? noise[random() % noise.size()] : digits[random() % digits.size()];
            }
        }
        in_addr expected{};
        const bool theirs = inet_pton(AF_INET, text.c_str(), &expected) == 1;
        auto ours = Ipv4Address::parse(text);
        ASSERT_EQ(ours.has_value(), theirs) << "'" << text << "': " << (ours ? "" : ours.error().message);
        if (!theirs) continue;
        ++accepted;
        EXPECT_EQ(ours->to_uint(), ntohl(expected.s_addr)) << text;
    }
    EXPECT_GT(accepted, 100u) << "the generator should reach valid addresses too";
}

static_assert(Ipv4Address(127, 0, 0, 1) == Ipv4Address::loopback(), "usable in constant expressions");

}  // namespace
}  // namespace weft
