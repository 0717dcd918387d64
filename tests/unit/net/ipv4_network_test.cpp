#include "weft/net/ipv4_network.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft {
namespace {

Ipv4Address ip(const char* text) { return Ipv4Address::parse(text).value(); }

// The seed's worked example: 172.16.10.1 and 172.16.10.2 with mask 255.255.255.0.
TEST(Ipv4NetworkTest, SeedSubnetExample) {
    const Ipv4Address a = ip("172.16.10.1");
    const Ipv4Address b = ip("172.16.10.2");
    const Ipv4Address mask = ip("255.255.255.0");
    EXPECT_EQ(a.to_binary(), "10101100.00010000.00001010.00000001");
    EXPECT_EQ(b.to_binary(), "10101100.00010000.00001010.00000010");
    EXPECT_EQ(mask.to_binary(), "11111111.11111111.11111111.00000000");
    const Ipv4Address and_a(a.to_uint() & mask.to_uint());
    const Ipv4Address and_b(b.to_uint() & mask.to_uint());
    EXPECT_EQ(and_a.to_binary(), "10101100.00010000.00001010.00000000");
    EXPECT_EQ(and_b.to_binary(), "10101100.00010000.00001010.00000000");
    EXPECT_TRUE(same_subnet(a, b, mask));

    auto net = Ipv4Network::parse("172.16.10.1/255.255.255.0");
    ASSERT_TRUE(net) << net.error().message;
    EXPECT_EQ(net->network(), ip("172.16.10.0"));
    EXPECT_EQ(net->network().to_binary(), "10101100.00010000.00001010.00000000");
    EXPECT_TRUE(net->contains(b));
    EXPECT_EQ(Ipv4Network(b, 24).network(), net->network());
    EXPECT_FALSE(same_subnet(a, ip("172.16.11.1"), mask));
}

TEST(Ipv4NetworkTest, ParsesPrefixMaskAndBareForms) {
    struct Case {
        const char* text;
        const char* address;
        unsigned prefix;
    };
    const Case cases[] = {
        {"172.16.10.1/24", "172.16.10.1", 24},
        {"172.16.10.0/255.255.255.0", "172.16.10.0", 24},
        {"172.16.10.1", "172.16.10.1", 32},
        {"10.0.0.0/8", "10.0.0.0", 8},
        {"0.0.0.0/0", "0.0.0.0", 0},
        {"0.0.0.0/0.0.0.0", "0.0.0.0", 0},
        {"192.168.1.7/255.255.255.255", "192.168.1.7", 32},
        {"192.168.1.7/255.255.255.254", "192.168.1.7", 31},
        {"192.168.1.7/255.255.240.0", "192.168.1.7", 20},
        {"192.168.1.7/128.0.0.0", "192.168.1.7", 1},
        {"192.168.1.7/08", "192.168.1.7", 8},
    };
    for (const auto& c : cases) {
        auto n = Ipv4Network::parse(c.text);
        ASSERT_TRUE(n) << c.text << ": " << n.error().message;
        EXPECT_EQ(n->address(), ip(c.address)) << c.text << " keeps host bits";
        EXPECT_EQ(n->prefix(), c.prefix) << c.text;
    }
}

TEST(Ipv4NetworkTest, RejectsInvalidTextNamingThePart) {
    struct Case {
        const char* text;
        const char* mentions;
        std::size_t offset;
    };
    const Case cases[] = {
        {"", "invalid IPv4 address '': empty", 0},
        {"172.16.10.1/", "prefix after '/' is empty", 12},
        {"172.16.10.1/33", "prefix '33' is greater than 32", 12},
        {"172.16.10.1/999999999999", "prefix '999999999999' is greater than 32", 12},
        {"172.16.10.1/-1", "prefix '-1' contains '-'", 12},
        {"172.16.10.1/ 24", "prefix ' 24' contains ' '", 12},
        {"172.16.10.1/24/8", "prefix '24/8' contains '/'", 14},
        {"172.16.10.1/2x", "prefix '2x' contains 'x'", 13},
        {"172.16.10.1/255.0.255.0",
         "invalid netmask '255.0.255.0': its one bits are not contiguous from the left "
         "(11111111.00000000.11111111.00000000)",
         12},
        {"172.16.10.1/0.255.255.255", "not contiguous", 12},
        {"172.16.10.1/255.255.256.0", "invalid netmask '255.255.256.0': part 3 '256' is greater than 255", 20},
        {"172.16.10.1/255.255.255", "invalid netmask '255.255.255': has 3 parts", 23},
        {"172.16.10/24", "invalid IPv4 address '172.16.10': has 3 parts", 9},
        {"172.16.300.1/24", "part 3 '300' is greater than 255", 7},
    };
    for (const auto& c : cases) {
        auto n = Ipv4Network::parse(c.text);
        ASSERT_FALSE(n) << "accepted '" << c.text << "'";
        const std::string& message = n.error().message;
        EXPECT_NE(message.find(c.mentions), std::string::npos) << c.text << " -> " << message;
        EXPECT_EQ(message.rfind(std::string("invalid network '") + c.text + "': ", 0), 0u) << message;
        EXPECT_EQ(n.error().offset, c.offset) << c.text << " -> " << message;
    }
}

TEST(Ipv4NetworkTest, SlashTwentyFour) {
    const Ipv4Network n(ip("172.16.10.1"), 24);
    EXPECT_EQ(n.address(), ip("172.16.10.1"));
    EXPECT_EQ(n.netmask(), ip("255.255.255.0"));
    EXPECT_EQ(n.hostmask(), ip("0.0.0.255"));
    EXPECT_EQ(n.network(), ip("172.16.10.0"));
    ASSERT_TRUE(n.broadcast().has_value());
    EXPECT_EQ(*n.broadcast(), ip("172.16.10.255"));
    EXPECT_EQ(n.first_host(), ip("172.16.10.1"));
    EXPECT_EQ(n.last_host(), ip("172.16.10.254"));
    EXPECT_EQ(n.host_count(), 254u);
    EXPECT_EQ(n.to_string(), "172.16.10.0/24");
    EXPECT_EQ(n.to_string_with_address(), "172.16.10.1/24");
}

TEST(Ipv4NetworkTest, HostCounts) {
    struct Case {
        unsigned prefix;
        std::uint64_t hosts;
    };
    const Case cases[] = {{0, 4294967294u}, {1, 2147483646u}, {8, 16777214u}, {16, 65534u}, {24, 254u},
                          {29, 6u},         {30, 2u},          {31, 2u},        {32, 1u}};
    for (const auto& c : cases) {
        EXPECT_EQ(Ipv4Network(ip("10.1.2.3"), c.prefix).host_count(), c.hosts) << "/" << c.prefix;
    }
}

TEST(Ipv4NetworkTest, SlashThirtyOneIsPointToPoint) {
    // RFC 3021: both addresses are hosts, no broadcast.
    const Ipv4Network n = Ipv4Network::parse("192.0.2.7/31").value();
    EXPECT_EQ(n.network(), ip("192.0.2.6"));
    EXPECT_FALSE(n.broadcast().has_value());
    EXPECT_EQ(n.first_host(), ip("192.0.2.6"));
    EXPECT_EQ(n.last_host(), ip("192.0.2.7"));
    EXPECT_EQ(n.host_count(), 2u);
    EXPECT_EQ(n.to_string(), "192.0.2.6/31");
}

TEST(Ipv4NetworkTest, SlashThirtyTwoIsOneHost) {
    const Ipv4Network n = Ipv4Network::parse("192.0.2.7").value();
    EXPECT_EQ(n.prefix(), 32u);
    EXPECT_EQ(n.netmask(), ip("255.255.255.255"));
    EXPECT_EQ(n.network(), ip("192.0.2.7"));
    EXPECT_FALSE(n.broadcast().has_value());
    EXPECT_EQ(n.first_host(), ip("192.0.2.7"));
    EXPECT_EQ(n.last_host(), ip("192.0.2.7"));
    EXPECT_EQ(n.host_count(), 1u);
    EXPECT_EQ(n.to_string(), "192.0.2.7/32");
}

TEST(Ipv4NetworkTest, SlashZeroIsEverything) {
    const Ipv4Network n(ip("203.0.113.9"), 0);
    EXPECT_EQ(n.netmask(), ip("0.0.0.0"));
    EXPECT_EQ(n.network(), ip("0.0.0.0"));
    EXPECT_EQ(*n.broadcast(), ip("255.255.255.255"));
    EXPECT_EQ(n.first_host(), ip("0.0.0.1"));
    EXPECT_EQ(n.last_host(), ip("255.255.255.254"));
    EXPECT_TRUE(n.contains(ip("1.2.3.4")));
    EXPECT_EQ(n.to_string(), "0.0.0.0/0");
}

TEST(Ipv4NetworkTest, ConstructorClampsPrefix) {
    EXPECT_EQ(Ipv4Network(ip("1.2.3.4"), 40).prefix(), 32u);
}

TEST(Ipv4NetworkTest, ContainsAddressesAndNetworks) {
    const Ipv4Network n = Ipv4Network::parse("10.20.0.0/16").value();
    EXPECT_TRUE(n.contains(ip("10.20.0.0")));
    EXPECT_TRUE(n.contains(ip("10.20.255.255")));
    EXPECT_FALSE(n.contains(ip("10.21.0.0")));
    EXPECT_FALSE(n.contains(ip("10.19.255.255")));
    EXPECT_TRUE(n.contains(Ipv4Network::parse("10.20.30.0/24").value()));
    EXPECT_TRUE(n.contains(n));
    EXPECT_TRUE(n.contains(Ipv4Network::parse("10.20.1.1").value()));
    EXPECT_FALSE(n.contains(Ipv4Network::parse("10.0.0.0/8").value()));
    EXPECT_FALSE(n.contains(Ipv4Network::parse("10.21.0.0/24").value()));
}

TEST(Ipv4NetworkTest, NetmaskPrefixConversions) {
    for (unsigned p = 0; p <= 32; ++p) {
        const Ipv4Address mask = netmask_from_prefix(p);
        auto back = prefix_from_netmask(mask);
        ASSERT_TRUE(back) << p << ": " << back.error().message;
        EXPECT_EQ(*back, p);
    }
    EXPECT_EQ(netmask_from_prefix(24), ip("255.255.255.0"));
    EXPECT_EQ(netmask_from_prefix(20), ip("255.255.240.0"));
    EXPECT_EQ(netmask_from_prefix(33), ip("255.255.255.255"));

    const char* bad[] = {"255.0.255.0", "0.0.0.1", "255.255.255.253", "127.255.255.255", "255.255.0.255"};
    for (const char* text : bad) {
        auto p = prefix_from_netmask(ip(text));
        ASSERT_FALSE(p) << text;
        EXPECT_NE(p.error().message.find(std::string("invalid netmask '") + text + "'"), std::string::npos)
            << p.error().message;
        EXPECT_NE(p.error().message.find(ip(text).to_binary()), std::string::npos) << p.error().message;
    }
}

TEST(Ipv4NetworkTest, SameSubnetUsesTheMaskAsGiven) {
    EXPECT_TRUE(same_subnet(ip("192.168.1.10"), ip("192.168.1.200"), ip("255.255.255.0")));
    EXPECT_FALSE(same_subnet(ip("192.168.1.10"), ip("192.168.2.10"), ip("255.255.255.0")));
    EXPECT_TRUE(same_subnet(ip("192.168.1.10"), ip("192.168.2.10"), ip("255.255.0.0")));
    EXPECT_TRUE(same_subnet(ip("1.2.3.4"), ip("9.9.9.9"), ip("0.0.0.0")));
    EXPECT_FALSE(same_subnet(ip("10.0.0.1"), ip("10.0.0.2"), ip("255.255.255.255")));
}

}  // namespace
}  // namespace weft
