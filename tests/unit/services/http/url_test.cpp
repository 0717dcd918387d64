// services/http/url: parsing what a user types, and RFC 3986 reference resolution with the
// examples of its section 5.4 (those that apply to http).
#include "weft/services/http/url.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>

namespace weft::http {
namespace {

Url parsed(std::string_view text) {
    auto url = parse_url(text);
    EXPECT_TRUE(url) << text << ": " << url.error();
    return url ? *url : Url{};
}

TEST(ParseUrl, TakesEveryPartAndDropsTheFragment) {
    const Url u = parsed("http://Example.COM:8080/a/b;p?x=1&y=%20#frag");
    EXPECT_EQ(u.scheme, "http");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.target, "/a/b;p?x=1&y=%20");
    EXPECT_EQ(u.authority(), "example.com:8080");
    EXPECT_EQ(u.host_port(), "example.com:8080");
    EXPECT_EQ(u.to_string(), "http://example.com:8080/a/b;p?x=1&y=%20");
}

TEST(ParseUrl, DefaultsThePortToEightyAndTheTargetToSlash) {
    const Url u = parsed("http://example.com");
    EXPECT_EQ(u.port, 80);
    EXPECT_EQ(u.target, "/");
    EXPECT_EQ(u.authority(), "example.com");  // no ":80" in the Host header
    EXPECT_EQ(u.host_port(), "example.com:80");
    EXPECT_EQ(parsed("http://h?q=1").target, "/?q=1");
    EXPECT_EQ(parsed("http://h#top").target, "/");
    EXPECT_EQ(parsed("http://h:/x").port, 80);  // an empty port is the default (RFC 3986 3.2.3)
    EXPECT_EQ(parsed("HTTP://H/").host, "h");
}

TEST(ParseUrl, WithoutASchemeIsHttpLikeCurl) {
    const Url u = parsed("localhost:8080/x?y");
    EXPECT_EQ(u.host, "localhost");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.target, "/x?y");
    EXPECT_EQ(parsed("127.0.0.1").to_string(), "http://127.0.0.1/");
}

TEST(ParseUrl, Ipv6LiteralsInBrackets) {
    const Url u = parsed("http://[::1]:8080/p");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.authority(), "[::1]:8080");
    EXPECT_EQ(u.host_port(), "[::1]:8080");
    EXPECT_EQ(u.to_string(), "http://[::1]:8080/p");
    const Url v = parsed("http://[2001:DB8::1]");
    EXPECT_EQ(v.host, "2001:db8::1");
    EXPECT_EQ(v.port, 80);
    EXPECT_EQ(v.authority(), "[2001:db8::1]");
    EXPECT_EQ(parsed("[::1]:81").port, 81);
}

TEST(ParseUrl, KeepsDotSegmentsAndEncodesSpacesAndHighBytes) {
    // Sent as given, so that a server's defence against "/../" can be tested with weft.
    EXPECT_EQ(parsed("http://h/a/../../etc/passwd").target, "/a/../../etc/passwd");
    EXPECT_EQ(parsed("http://h/a b/caf\xc3\xa9?q=a b").target, "/a%20b/caf%C3%A9?q=a%20b");
}

struct BadUrl {
    const char* text;
    const char* reason;
};

TEST(ParseUrl, RefusesWithAReasonNamingTheProblem) {
    const BadUrl cases[] = {
        {"", "empty"},
        {"ftp://x", "only http:// is supported"},
        {"https://example.com/", "https is not supported"},
        {"HTTPS://example.com/", "https is not supported"},
        {"http://user:pw@h/", "user info ('user@') is not supported"},
        {"http://@h/", "user info"},
        {"http://", "no host"},
        {"http:///path", "no host"},
        {"http://:8080/", "no host"},
        {"http://h:99999/", "invalid port '99999': must be 0-65535"},
        {"http://h:0/", "invalid port '0': must be 1-65535"},
        {"http://h:8x/", "invalid port '8x'"},
        {"http://[::1/", "'[' without ']'"},
        {"http://[::g]/", "invalid IPv6 address"},
        {"http://[1.2.3.4]/", "invalid IPv6 address"},
        {"http://[::1]x/", "expected ':PORT' after ']'"},
        {"http://[fe80::1%25lo]/", "zone identifiers are not supported"},
        {"http://::1/", "must be in brackets"},
        {"http://h o/", "invalid character ' ' in host"},
        {"http://h\x01/", "invalid character in host"},
        {"http://h/a\r\nX: y", "control character 0x0d in the path"},
        {"http://h/\x7f", "control character 0x7f"},
    };
    for (const BadUrl& c : cases) {
        auto url = parse_url(c.text);
        ASSERT_FALSE(url) << "accepted: " << c.text;
        EXPECT_EQ(url.error().rfind("invalid URL '" + std::string(c.text) + "': ", 0), 0u) << url.error();
        EXPECT_NE(url.error().find(c.reason), std::string::npos) << c.text << " -> " << url.error();
    }
}

TEST(RemoveDotSegments, FollowsSection524) {
    EXPECT_EQ(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
    EXPECT_EQ(remove_dot_segments("mid/content=5/../6"), "mid/6");
    EXPECT_EQ(remove_dot_segments("/.."), "/");
    EXPECT_EQ(remove_dot_segments("/../../x/."), "/x/");
    EXPECT_EQ(remove_dot_segments("/a/.b/..c/c.."), "/a/.b/..c/c..");
    EXPECT_EQ(remove_dot_segments(""), "");
}

struct Reference {
    const char* reference;
    const char* expected;
};

// RFC 3986 section 5.4, base "http://a/b/c/d;p?q". Targets with a fragment expect it dropped
// (it is never sent); "g:h" (another scheme) is tested among the errors below.
void expect_resolved(std::span<const Reference> cases) {
    const Url base = parsed("http://a/b/c/d;p?q");
    for (const Reference& c : cases) {
        auto url = resolve_reference(base, c.reference);
        ASSERT_TRUE(url) << c.reference << ": " << url.error();
        EXPECT_EQ(url->to_string(), c.expected) << "reference '" << c.reference << "'";
    }
}

TEST(ResolveReference, Rfc3986NormalExamples) {
    const Reference cases[] = {
        {"g", "http://a/b/c/g"},           {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},         {"/g", "http://a/g"},
        {"//g", "http://g/"},              {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},       {"#s", "http://a/b/c/d;p?q"},
        {"g#s", "http://a/b/c/g"},         {"g?y#s", "http://a/b/c/g?y"},
        {";x", "http://a/b/c/;x"},         {"g;x", "http://a/b/c/g;x"},
        {"g;x?y#s", "http://a/b/c/g;x?y"}, {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},            {"./", "http://a/b/c/"},
        {"..", "http://a/b/"},             {"../", "http://a/b/"},
        {"../g", "http://a/b/g"},          {"../..", "http://a/"},
        {"../../", "http://a/"},           {"../../g", "http://a/g"},
    };
    expect_resolved(cases);
}

TEST(ResolveReference, Rfc3986AbnormalExamples) {
    const Reference cases[] = {
        {"../../../g", "http://a/g"},
        {"../../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {".g", "http://a/b/c/.g"},
        {"g..", "http://a/b/c/g.."},
        {"..g", "http://a/b/c/..g"},
        {"./../g", "http://a/b/g"},
        {"./g/.", "http://a/b/c/g/"},
        {"g/./h", "http://a/b/c/g/h"},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
        {"g;x=1/../y", "http://a/b/c/y"},
        {"g?y/./x", "http://a/b/c/g?y/./x"},
        {"g?y/../x", "http://a/b/c/g?y/../x"},
        {"g#s/./x", "http://a/b/c/g"},
        {"g#s/../x", "http://a/b/c/g"},
        {"http:g", "http://a/b/c/g"},  // the backward-compatible reading 5.2.2 allows
    };
    expect_resolved(cases);
}

TEST(ResolveReference, AbsoluteLocationsKeepTheirOwnHostAndPort) {
    const Url base = parsed("http://127.0.0.1:8000/a/b");
    EXPECT_EQ(resolve_reference(base, "http://[::1]:81/x/../y?z")->to_string(), "http://[::1]:81/y?z");
    EXPECT_EQ(resolve_reference(base, "HTTP://Other/")->to_string(), "http://other/");
    EXPECT_EQ(resolve_reference(base, "//other:9/p")->to_string(), "http://other:9/p");
    EXPECT_EQ(resolve_reference(base, "c d")->to_string(), "http://127.0.0.1:8000/a/c%20d");
}

TEST(ResolveReference, RefusesOtherSchemesAndBadAuthorities) {
    const Url base = parsed("http://a/b/c/d;p?q");
    const BadUrl cases[] = {
        {"https://a/", "https is not supported"},
        {"g:h", "only http:// is supported"},
        {"ftp://a/", "only http:// is supported"},
        {"http://u@a/", "user info"},
        {"http://a:0/", "must be 1-65535"},
        {"//", "no host"},
        {"/a\x01", "control character 0x01"},
    };
    for (const BadUrl& c : cases) {
        auto url = resolve_reference(base, c.text);
        ASSERT_FALSE(url) << "accepted: " << c.text;
        EXPECT_EQ(url.error().rfind("invalid Location '" + std::string(c.text) + "': ", 0), 0u) << url.error();
        EXPECT_NE(url.error().find(c.reason), std::string::npos) << c.text << " -> " << url.error();
    }
}

}  // namespace
}  // namespace weft::http
