#include "weft/services/http/request_path.hpp"

#include <gtest/gtest.h>

#include "weft/services/http/content_type.hpp"
#include "weft/services/http/http_date.hpp"

namespace weft::http {
namespace {

std::string path_of(std::string_view target) {
    auto p = decode_request_path(target);
    EXPECT_TRUE(p.has_value()) << target << ": " << (p ? "" : p.error());
    return p ? p->path : "<error>";
}

std::string error_of(std::string_view target) {
    auto p = decode_request_path(target);
    EXPECT_FALSE(p.has_value()) << target << " decoded to '" << (p ? p->path : "") << "'";
    return p ? "" : p.error();
}

TEST(RequestPath, DecodesAndNormalises) {
    EXPECT_EQ(path_of("/"), "");
    EXPECT_EQ(path_of("/index.html"), "index.html");
    EXPECT_EQ(path_of("/a%20b.txt"), "a b.txt");
    EXPECT_EQ(path_of("//a///b/./c"), "a/b/c");
    EXPECT_EQ(path_of("/a/b/../c"), "a/c");
    EXPECT_EQ(path_of("/a/%2e%2e/c"), "c");   // decoded first, so %2e%2e is ".."
    EXPECT_EQ(path_of("/a%2fb"), "a/b");      // an encoded '/' separates like '/'
    EXPECT_EQ(path_of("/%252e%252e/x"), "%2e%2e/x");  // decoded once only: a plain file name
    EXPECT_EQ(path_of("/..%5cx"), "..\\x");   // a backslash is a file-name byte on Linux
    EXPECT_EQ(path_of("/q?x=/../../etc"), "q");
    EXPECT_EQ(path_of("http://example.test/a/b?c"), "a/b");
    EXPECT_EQ(path_of("http://example.test"), "");
}

TEST(RequestPath, DirectoryFormAndRawPath) {
    auto p = decode_request_path("/docs/?sort=name");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->directory_form);
    EXPECT_EQ(p->raw_path, "/docs/");
    EXPECT_EQ(p->query, "sort=name");
    EXPECT_TRUE(decode_request_path("/docs/.")->directory_form);
    EXPECT_TRUE(decode_request_path("/docs/x/..")->directory_form);
    EXPECT_FALSE(decode_request_path("/docs")->directory_form);
    EXPECT_TRUE(decode_request_path("/")->directory_form);
}

TEST(RequestPath, RefusesEverythingThatClimbsOut) {
    for (const char* target : {"/..", "/../secret", "/../../etc/passwd", "/%2e%2e/secret", "/%2E%2E%2Fsecret",
                               "/..%2fsecret", "/a/../../secret", "/.%2e/secret", "/a/%2e%2e/%2e%2e/x"})
        EXPECT_NE(error_of(target).find("above the document root"), std::string::npos) << target;
}

TEST(RequestPath, RefusesBadEncodingsNamingTheByte) {
    EXPECT_EQ(error_of("/a%00b"), "an encoded NUL byte at byte 2 of the target");
    EXPECT_EQ(error_of("/a%zz"), "'%' is not followed by two hex digits at byte 2 of the target");
    EXPECT_EQ(error_of("/a%4"), "'%' is not followed by two hex digits at byte 2 of the target");
    EXPECT_NE(error_of("*").find("not a path"), std::string::npos);
    EXPECT_NE(error_of("ftp://x/y").find("not a path"), std::string::npos);
}

TEST(RequestPath, EncodesForLinks) {
    EXPECT_EQ(encode_path("a b/c?d#e%"), "a%20b/c%3Fd%23e%25");
    EXPECT_EQ(encode_path("\xc3\xa9.txt"), "%C3%A9.txt");
}

TEST(ContentType, ByExtensionIgnoringCase) {
    EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("dir.d/IMG.PNG"), "image/png");
    EXPECT_EQ(content_type_for("a/app.wasm"), "application/wasm");
    EXPECT_EQ(content_type_for("x.svg"), "image/svg+xml");
    EXPECT_EQ(content_type_for("photo.jpeg"), "image/jpeg");
    EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
    EXPECT_EQ(content_type_for("a.d/noext"), "application/octet-stream");
    EXPECT_EQ(content_type_for("trailing."), "application/octet-stream");
}

TEST(HttpDate, FormatsImfFixdate) {
    EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
    EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, ParsesTheThreeForms) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
    EXPECT_EQ(parse_http_date(format_http_date(1'800'000'000)), 1'800'000'000);
}

TEST(HttpDate, RefusesWhatIsNotADate) {
    for (const char* text : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                             "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun Nov 06 08:49:37"})
        EXPECT_FALSE(parse_http_date(text).has_value()) << text;
}

}  // namespace
}  // namespace weft::http
