#include "weft/net/endpoint.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string_view>
#include <string>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

namespace weft {
namespace {

TEST(EndpointTest, ParsesV4AndBracketedV6) {
    struct Case {
        const char* text;
        const char* address;
        std::uint16_t port;
        const char* canonical;
    };
    const Case cases[] = {
        {"1.2.3.4:80", "1.2.3.4", 80, "1.2.3.4:80"},
        {"127.0.0.1:0", "127.0.0.1", 0, "127.0.0.1:0"},
        {"0.0.0.0:65535", "0.0.0.0", 65535, "0.0.0.0:65535"},
        {"[::1]:80", "::1", 80, "[::1]:80"},
        {"[2001:DB8:0::1]:8080", "2001:db8::1", 8080, "[2001:db8::1]:8080"},
        {"[::ffff:1.2.3.4]:53", "::ffff:1.2.3.4", 53, "[::ffff:1.2.3.4]:53"},
        {"[fe80::1%lo]:80", "fe80::1%lo", 80, "[fe80::1%lo]:80"},
        {"1.2.3.4:00080", "1.2.3.4", 80, "1.2.3.4:80"},
    };
    for (const auto& c : cases) {
        auto e = Endpoint::parse(c.text);
        ASSERT_TRUE(e) << c.text << ": " << e.error().message;
        EXPECT_EQ(e->address(), IpAddress::parse(c.address).value()) << c.text;
        EXPECT_EQ(e->port(), c.port) << c.text;
        EXPECT_EQ(e->to_string(), c.canonical) << c.text;
    }
    auto scoped = Endpoint::parse("[fe80::1%lo]:80");
    ASSERT_TRUE(scoped);
    EXPECT_EQ(scoped->address().v6().scope_id(), if_nametoindex("lo"));
}

TEST(EndpointTest, RejectsInvalidTextNamingThePart) {
    struct Case {
        const char* text;
        const char* mentions;
        std::size_t offset;
    };
    const Case cases[] = {
        {"", "empty", 0},
        {"1.2.3.4", "missing ':port'", 7},
        {"1.2.3.4:", "invalid port '': empty", 8},
        {"1.2.3.4:99999", "invalid port '99999': must be 0-65535", 8},
        {"1.2.3.4:65536", "invalid port '65536': must be 0-65535", 8},
        {"1.2.3.4:http", "invalid port 'http': 'h' is not a decimal digit", 8},
        {"1.2.3.4:-1", "invalid port '-1': '-' is not a decimal digit", 8},
        {"1.2.3.4:+80", "invalid port '+80': '+' is not a decimal digit", 8},
        {"1.2.3.4: 80", "invalid port ' 80': ' ' is not a decimal digit", 8},
        {"1.2.3.4:80 ", "invalid port '80 ': ' ' is not a decimal digit", 10},
        {"256.2.3.4:80", "invalid IPv4 address '256.2.3.4': part 1 '256' is greater than 255", 0},
        {"::1:80", "an IPv6 address needs brackets", 0},
        {"[::1]", "missing ':port' after ']'", 5},
        {"[::1]80", "expected ':' after ']', found '8'", 5},
        {"[::1:80", "'[' without a closing ']'", 0},
        {"[1::2::3]:80", "invalid IPv6 address '1::2::3': more than one '::'", 5},
        {"[fe80::1%nosuchif0]:80", "zone 'nosuchif0' is not a known interface", 9},
        {"[::1]:99999", "invalid port '99999': must be 0-65535", 6},
        {"localhost:80", "invalid IPv4 address 'localhost'", 0},
    };
    for (const auto& c : cases) {
        auto e = Endpoint::parse(c.text);
        ASSERT_FALSE(e) << "accepted '" << c.text << "'";
        const std::string& message = e.error().message;
        EXPECT_NE(message.find(c.mentions), std::string::npos) << c.text << " -> " << message;
        EXPECT_EQ(message.rfind(std::string("invalid endpoint '") + c.text + "': ", 0), 0u) << message;
        EXPECT_EQ(e.error().offset, c.offset) << c.text << " -> " << message;
    }
}

// What a function that takes an Endpoint (serve_tcp, TcpListener::bind) sees of a braced pair.
Endpoint take(const Endpoint& at) { return at; }

TEST(EndpointTest, ConstructsFromIpLiteralAndPortLikeSocketAddress) {
    EXPECT_EQ(take({"127.0.0.1", 9000}), Endpoint(Ipv4Address::loopback(), 9000));
    EXPECT_EQ(take({"::1", 80}).to_string(), "[::1]:80");
    const std::string text = "192.0.2.7";
    EXPECT_EQ(Endpoint(std::string_view(text), 53).to_string(), "192.0.2.7:53");
    const Endpoint scoped("fe80::1%lo", 22);
    EXPECT_EQ(scoped.address().v6().scope_id(), if_nametoindex("lo"));
}

TEST(EndpointTest, BadIpLiteralThrowsInvalidArgumentWithTheParsersMessage) {
    struct Case {
        const char* text;
        const char* message;
    };
    // The exact message of IpAddress::parse: the constructor adds nothing and loses nothing.
    const Case cases[] = {
        {"256.0.0.1", "invalid IPv4 address '256.0.0.1': part 1 '256' is greater than 255"},
        {"1::2::3", "invalid IPv6 address '1::2::3': more than one '::' (a second at offset 4)"},
        // Not an endpoint's text: the port is the second argument, names are not resolved.
        {"127.0.0.1:80", nullptr},
        {"[::1]", nullptr},
        {"localhost", nullptr},
        {"", nullptr},
    };
    for (const auto& c : cases) {
        try {
            Endpoint e(c.text, 80);
            ADD_FAILURE() << "accepted '" << c.text << "' as " << e.to_string();
        } catch (const std::invalid_argument& err) {
            const auto parsed = IpAddress::parse(c.text);
            ASSERT_FALSE(parsed) << c.text;
            EXPECT_EQ(std::string(err.what()), parsed.error().message) << c.text;
            if (c.message) {
                EXPECT_EQ(std::string(err.what()), c.message);
            }
        }
    }
}

TEST(EndpointTest, ParsePortExactWording) {
    auto too_big = parse_port("99999");
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error().message, "invalid port '99999': must be 0-65535");
    auto huge = parse_port("123456789012345678901234567890");
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().message, "invalid port '123456789012345678901234567890': must be 0-65535");
    auto letters = parse_port("x");
    ASSERT_FALSE(letters);
    EXPECT_EQ(letters.error().message.rfind("invalid port 'x': ", 0), 0u) << letters.error().message;
    auto hex = parse_port("0x50");
    ASSERT_FALSE(hex);
    EXPECT_EQ(hex.error().offset, 1u);

    EXPECT_EQ(parse_port("0").value(), 0);
    EXPECT_EQ(parse_port("8898").value(), 8898);
    EXPECT_EQ(parse_port("65535").value(), 65535);
}

TEST(EndpointTest, SockaddrRoundTripV4) {
    const Endpoint e = Endpoint::parse("192.0.2.1:8080").value();
    sockaddr_storage storage;
    const socklen_t len = e.to_sockaddr(storage);
    ASSERT_EQ(len, sizeof(sockaddr_in));
    sockaddr_in sin;
    std::memcpy(&sin, &storage, sizeof sin);
    EXPECT_EQ(sin.sin_family, AF_INET);
    EXPECT_EQ(ntohs(sin.sin_port), 8080);
    char text[INET_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text), nullptr);
    EXPECT_STREQ(text, "192.0.2.1");

    auto back = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), len);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, e);
}

TEST(EndpointTest, SockaddrRoundTripV6WithScope) {
    const Endpoint e = Endpoint::parse("[fe80::1%lo]:443").value();
    sockaddr_storage storage;
    const socklen_t len = e.to_sockaddr(storage);
    ASSERT_EQ(len, sizeof(sockaddr_in6));
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &storage, sizeof sin6);
    EXPECT_EQ(sin6.sin6_family, AF_INET6);
    EXPECT_EQ(ntohs(sin6.sin6_port), 443);
    EXPECT_EQ(sin6.sin6_scope_id, if_nametoindex("lo"));
    EXPECT_EQ(sin6.sin6_flowinfo, 0u);
    char text[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text), nullptr);
    EXPECT_STREQ(text, "fe80::1");

    auto back = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), len);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, e);
    EXPECT_EQ(back->to_string(), "[fe80::1%lo]:443");
}

TEST(EndpointTest, FromSockaddrMatchesTheKernelLayout) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(53);
    ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::53", &sin6.sin6_addr), 1);
    auto e = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->to_string(), "[2001:db8::53]:53");
}

TEST(EndpointTest, FromSockaddrRejectsOtherFamiliesAndShortLengths) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    auto unix_family = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
    ASSERT_FALSE(unix_family);
    EXPECT_NE(unix_family.error().message.find("family 1"), std::string::npos) << unix_family.error().message;

    sockaddr_storage storage;
    const socklen_t len = Endpoint::parse("[::1]:80").value().to_sockaddr(storage);
    auto short_v6 = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), len - 1);
    ASSERT_FALSE(short_v6);
    EXPECT_NE(short_v6.error().message.find("sockaddr_in6: length 27"), std::string::npos)
        << short_v6.error().message;

    Endpoint::parse("1.2.3.4:80").value().to_sockaddr(storage);
    EXPECT_FALSE(Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), 8));
    EXPECT_FALSE(Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), 1));
    EXPECT_FALSE(Endpoint::from_sockaddr(nullptr, sizeof storage));
}

TEST(EndpointTest, Ordering) {
    const Endpoint a(IpAddress(Ipv4Address(1, 2, 3, 4)), 80);
    const Endpoint b(IpAddress(Ipv4Address(1, 2, 3, 4)), 81);
    EXPECT_LT(a, b);
    EXPECT_EQ(a, Endpoint::parse("1.2.3.4:80").value());
}

}  // namespace
}  // namespace weft
