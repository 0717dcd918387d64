#include "weft/socket/socket_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <sys/un.h>

using weft::SocketAddress;
using weft::UnixAddress;

TEST(SocketAddress, TextForms) {
    EXPECT_EQ(SocketAddress(weft::Endpoint{weft::Ipv4Address(127, 0, 0, 1), 8898}).to_string(), "127.0.0.1:8898");
    EXPECT_EQ(SocketAddress(weft::Endpoint{weft::Ipv6Address::loopback(), 80}).to_string(), "[::1]:80");
    EXPECT_EQ(SocketAddress(UnixAddress::path("/tmp/x.sock")).to_string(), "/tmp/x.sock");
    EXPECT_EQ(SocketAddress(UnixAddress::abstract("name")).to_string(), "@name");
}

// Python's ('127.0.0.1', 8898): the same door as Endpoint's, with the same errors.
TEST(SocketAddress, FromIpLiteralAndPortAsEndpoint) {
    const SocketAddress a = {"127.0.0.1", 8898};
    ASSERT_TRUE(a.is_ip());
    EXPECT_EQ(a.endpoint(), weft::Endpoint("127.0.0.1", 8898));
    EXPECT_EQ(SocketAddress("::1", 80).to_string(), "[::1]:80");
    for (const char* bad : {"127.0.0.1:80", "1.2.3.256", "localhost"}) {
        std::string from_socket, from_endpoint;
        try {
            SocketAddress(bad, 1);
        } catch (const std::invalid_argument& e) {
            from_socket = e.what();
        }
        try {
            weft::Endpoint(bad, 1);
        } catch (const std::invalid_argument& e) {
            from_endpoint = e.what();
        }
        EXPECT_FALSE(from_socket.empty()) << bad;
        EXPECT_EQ(from_socket, from_endpoint) << bad;
    }
}

TEST(SocketAddress, UnixRoundTrip) {
    for (UnixAddress ua : {UnixAddress::path("/tmp/a"), UnixAddress::abstract("abs\x01name"), UnixAddress()}) {
        sockaddr_storage ss;
        auto len = SocketAddress(ua).to_sockaddr(ss);
        ASSERT_TRUE(len);
        auto back = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), *len);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, SocketAddress(ua)) << ua.to_string();
    }
}

TEST(SocketAddress, UnixNameLimits) {
    sockaddr_storage ss;
    EXPECT_TRUE(SocketAddress(UnixAddress::path(std::string(107, 'p'))).to_sockaddr(ss));
    auto too_long = SocketAddress(UnixAddress::path(std::string(108, 'p'))).to_sockaddr(ss);
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("longer than 107 bytes"), std::string::npos);
    EXPECT_FALSE(SocketAddress(UnixAddress::path(std::string("a\0b", 3))).to_sockaddr(ss));
}
