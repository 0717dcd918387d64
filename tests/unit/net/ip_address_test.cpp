#include "weft/net/ip_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft {
namespace {

TEST(IpAddressTest, PicksTheFamilyByColon) {
    auto v4 = IpAddress::parse("192.0.2.1");
    ASSERT_TRUE(v4) << v4.error().message;
    EXPECT_TRUE(v4->is_v4());
    EXPECT_FALSE(v4->is_v6());
    EXPECT_EQ(v4->v4(), Ipv4Address(192, 0, 2, 1));
    EXPECT_EQ(v4->to_string(), "192.0.2.1");

    auto v6 = IpAddress::parse("2001:db8::1");
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_TRUE(v6->is_v6());
    EXPECT_EQ(v6->to_string(), "2001:db8::1");

    auto mapped = IpAddress::parse("::ffff:192.0.2.1");
    ASSERT_TRUE(mapped);
    EXPECT_TRUE(mapped->is_v6()) << "a mapped address stays IPv6; converting is the caller's choice";
    EXPECT_EQ(mapped->to_string(), "::ffff:192.0.2.1");
}

struct InvalidCase {
    const char* text;
    const char* mentions;
};

TEST(IpAddressTest, PassesTheFamilyParserErrorThrough) {
    const InvalidCase cases[] = {
        {"", "invalid IPv4 address '': empty"},
        {"256.1.1.1", "part 1 '256' is greater than 255"},
        {"1.2.3", "has 3 parts"},
        {"localhost", "part 1 'localhost' contains 'l'"},
        {"1::2::3", "more than one '::'"},
        {"::ffff:1.2.3.999", "embedded IPv4 part 4 '999' is greater than 255"},
        {"[::1]", "invalid IPv6 address '[::1]'"},
    };
    for (const auto& c : cases) {
        auto a = IpAddress::parse(c.text);
        ASSERT_FALSE(a) << "accepted '" << c.text << "'";
        EXPECT_NE(a.error().message.find(c.mentions), std::string::npos) << c.text << " -> " << a.error().message;
    }
}

TEST(IpAddressTest, Classification) {
    EXPECT_TRUE(IpAddress(Ipv4Address::loopback()).is_loopback());
    EXPECT_TRUE(IpAddress(Ipv6Address::loopback()).is_loopback());
    EXPECT_TRUE(IpAddress(Ipv4Address::any()).is_unspecified());
    EXPECT_TRUE(IpAddress(Ipv6Address::any()).is_unspecified());
    EXPECT_FALSE(IpAddress(Ipv4Address(1, 2, 3, 4)).is_loopback());
    EXPECT_TRUE(IpAddress().is_v4()) << "default is 0.0.0.0";
    EXPECT_TRUE(IpAddress().is_unspecified());
}

TEST(IpAddressTest, OrderingPutsV4BeforeV6) {
    EXPECT_LT(IpAddress(Ipv4Address::broadcast()), IpAddress(Ipv6Address::any()));
    EXPECT_EQ(IpAddress(Ipv4Address(1, 2, 3, 4)), IpAddress(Ipv4Address(1, 2, 3, 4)));
    EXPECT_NE(IpAddress(Ipv4Address(1, 2, 3, 4)), IpAddress(Ipv6Address::v4_mapped(Ipv4Address(1, 2, 3, 4))));
}

}  // namespace
}  // namespace weft
