#include "weft/net/resolve.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include <netdb.h>

namespace weft {
namespace {

bool has(const std::vector<Endpoint>& endpoints, const char* text) {
    const Endpoint wanted = Endpoint::parse(text).value();
    return std::find(endpoints.begin(), endpoints.end(), wanted) != endpoints.end();
}

void expect_no_duplicates(const std::vector<Endpoint>& endpoints) {
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        for (std::size_t j = i + 1; j < endpoints.size(); ++j) {
            EXPECT_NE(endpoints[i], endpoints[j]) << "duplicate " << endpoints[i].to_string();
        }
    }
}

TEST(ResolveTest, NumericV4) {
    auto r = resolve("127.0.0.1", "80");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 1u) << "one endpoint, though getaddrinfo returns one per socket type";
    EXPECT_EQ((*r)[0].to_string(), "127.0.0.1:80");
}

TEST(ResolveTest, NumericV6WorksWithoutAddrconfig) {
    // AI_ADDRCONFIG would drop this on a host whose only IPv6 address is ::1.
    auto r = resolve("::1", "8080");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].to_string(), "[::1]:8080");
}

TEST(ResolveTest, ServiceName) {
    auto r = resolve("127.0.0.1", "http");
    if (!r && r.error().code == EAI_SERVICE) GTEST_SKIP() << "no /etc/services here: " << r.error().message;
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)[0].port(), 80);
}

TEST(ResolveTest, LocalhostIsLoopbackOnly) {
    auto r = resolve("localhost", "7");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->empty());
    expect_no_duplicates(*r);
    for (const Endpoint& e : *r) {
        EXPECT_TRUE(e.address().is_loopback()) << e.to_string();
        EXPECT_EQ(e.port(), 7);
    }
}

TEST(ResolveTest, FamilyFilter) {
    auto v4 = resolve("localhost", "80", AddressFamily::v4);
    ASSERT_TRUE(v4) << v4.error().message;
    EXPECT_TRUE(has(*v4, "127.0.0.1:80"));
    for (const Endpoint& e : *v4) EXPECT_TRUE(e.address().is_v4()) << e.to_string();

    // Asking for IPv6 of an IPv4 literal cannot succeed.
    auto mismatch = resolve("127.0.0.1", "80", AddressFamily::v6);
    ASSERT_FALSE(mismatch);
    EXPECT_NE(mismatch.error().message.find("resolve 127.0.0.1:80: "), std::string::npos)
        << mismatch.error().message;

    auto v6 = resolve("::1", "80", AddressFamily::v6);
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_TRUE(has(*v6, "[::1]:80"));
}

TEST(ResolveTest, InvalidNameFailsFastAndNamesTheHost) {
    const auto start = std::chrono::steady_clock::now();
    auto r = resolve("nosuch.invalid", "80");
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r) << "nosuch.invalid resolved to " << (*r)[0].to_string();
    // Tolerant of how a resolver says no; what matters is failure naming host and service.
    EXPECT_TRUE(r.error().code == EAI_NONAME || r.error().code == EAI_AGAIN || r.error().code == EAI_FAIL)
        << r.error().code;
    EXPECT_EQ(r.error().message.rfind("resolve nosuch.invalid:80: ", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message, std::string("resolve nosuch.invalid:80: ") + gai_strerror(r.error().code));
    EXPECT_LT(elapsed, std::chrono::seconds(1)) << "RFC 6761 names must not wait on DNS";

    // Case and a trailing dot do not change the answer.
    EXPECT_FALSE(resolve("NoSuch.INVALID.", "80"));
    EXPECT_FALSE(resolve("invalid", "80"));
}

TEST(ResolveTest, BadServiceNamesTheService) {
    auto r = resolve("127.0.0.1", "no-such-service-xyz");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("resolve 127.0.0.1:no-such-service-xyz: ", 0), 0u) << r.error().message;
}

TEST(ResolveTest, BadNumericScopeIsAnError) {
    auto r = resolve("fe80::1%nosuchif0", "80");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("resolve [fe80::1%nosuchif0]:80: ", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace weft
