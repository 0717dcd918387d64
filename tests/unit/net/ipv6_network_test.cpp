#include "weft/net/ipv6_network.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft {
namespace {

Ipv6Address ip6(const char* text) { return Ipv6Address::parse(text).value(); }

TEST(Ipv6NetworkTest, ParsesAndKeepsTheAddress) {
    struct Case {
        const char* text;
        const char* network;
        unsigned prefix;
        const char* canonical;
    };
    const Case cases[] = {
        {"2001:db8::1/64", "2001:db8::", 64, "2001:db8::/64"},
        {"2001:db8:abcd:12ff::1/56", "2001:db8:abcd:1200::", 56, "2001:db8:abcd:1200::/56"},
        {"2001:db8::1", "2001:db8::1", 128, "2001:db8::1/128"},
        {"::/0", "::", 0, "::/0"},
        {"fe80::1:2:3:4/10", "fe80::", 10, "fe80::/10"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 127,
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
        {"::ffff:192.0.2.1/120", "::ffff:192.0.2.0", 120, "::ffff:192.0.2.0/120"},
        {"2001:db8::1/3", "2000::", 3, "2000::/3"},
    };
    for (const auto& c : cases) {
        auto n = Ipv6Network::parse(c.text);
        ASSERT_TRUE(n) << c.text << ": " << n.error().message;
        EXPECT_EQ(n->prefix(), c.prefix) << c.text;
        EXPECT_EQ(n->network(), ip6(c.network)) << c.text;
        EXPECT_EQ(n->to_string(), c.canonical) << c.text;
    }
    const Ipv6Network n = Ipv6Network::parse("2001:db8::1/64").value();
    EXPECT_EQ(n.address(), ip6("2001:db8::1"));
    EXPECT_EQ(n.to_string_with_address(), "2001:db8::1/64");
    EXPECT_EQ(n.netmask(), ip6("ffff:ffff:ffff:ffff::"));
    EXPECT_EQ(Ipv6Network(ip6("::"), 200).prefix(), 128u);
}

TEST(Ipv6NetworkTest, RejectsInvalidTextNamingThePart) {
    struct Case {
        const char* text;
        const char* mentions;
        std::size_t offset;
    };
    const Case cases[] = {
        {"2001:db8::1/", "prefix after '/' is empty", 12},
        {"2001:db8::1/129", "prefix '129' is greater than 128", 12},
        {"2001:db8::1/6a", "prefix '6a' contains 'a'", 13},
        {"2001:db8::1/64/1", "prefix '64/1' contains '/'", 14},
        {"2001:db8::g/64", "group 3 'g' contains 'g'", 10},
        {"2001:db8::1::/64", "more than one '::'", 11},
        {"fe80::1%lo/64", "a network has no zone ('%lo')", 7},
        {"/64", "invalid IPv6 address '': empty", 0},
    };
    for (const auto& c : cases) {
        auto n = Ipv6Network::parse(c.text);
        ASSERT_FALSE(n) << "accepted '" << c.text << "'";
        const std::string& message = n.error().message;
        EXPECT_NE(message.find(c.mentions), std::string::npos) << c.text << " -> " << message;
        EXPECT_EQ(message.rfind(std::string("invalid network '") + c.text + "': ", 0), 0u) << message;
        EXPECT_EQ(n.error().offset, c.offset) << c.text << " -> " << message;
    }
}

TEST(Ipv6NetworkTest, Contains) {
    const Ipv6Network n = Ipv6Network::parse("2001:db8:abcd:1200::/56").value();
    EXPECT_TRUE(n.contains(ip6("2001:db8:abcd:1200::")));
    EXPECT_TRUE(n.contains(ip6("2001:db8:abcd:12ff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(n.contains(ip6("2001:db8:abcd:1300::")));
    EXPECT_FALSE(n.contains(ip6("2001:db8:abcd:11ff:ffff:ffff:ffff:ffff")));
    EXPECT_TRUE(n.contains(Ipv6Network::parse("2001:db8:abcd:1234::/64").value()));
    EXPECT_FALSE(n.contains(Ipv6Network::parse("2001:db8:abcd::/48").value()));
    EXPECT_TRUE(n.contains(n));

    // The zone is not part of what a prefix matches.
    const Ipv6Network link_local = Ipv6Network::parse("fe80::/10").value();
    EXPECT_TRUE(link_local.contains(ip6("fe80::1%lo")));
    EXPECT_TRUE(link_local.contains(ip6("febf::1")));
    EXPECT_FALSE(link_local.contains(ip6("fec0::1")));

    const Ipv6Network all = Ipv6Network::parse("::/0").value();
    EXPECT_TRUE(all.contains(ip6("ffff::1")));
    const Ipv6Network one = Ipv6Network::parse("::1").value();
    EXPECT_TRUE(one.contains(Ipv6Address::loopback()));
    EXPECT_FALSE(one.contains(ip6("::2")));
}

}  // namespace
}  // namespace weft
