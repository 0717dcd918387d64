#include "weft/wire/http.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace weft::wire {
namespace {

using Kind = HttpHeadParser::Kind;

struct Outcome {
    HttpParseStatus status;
    std::size_t consumed;
    std::size_t offset;
    std::string reason;
};

Outcome run_whole(Kind kind, std::string_view input, std::string_view method = {}) {
    HttpHeadParser p(kind);
    p.set_request_method(method);
    auto r = p.parse(input);
    return {r.status, r.consumed, r.error.offset, r.error.reason};
}

// Feeds one byte more each time into a growing (and so moving) buffer, as a reader would.
Outcome run_bytewise(Kind kind, std::string_view input, std::string_view method = {}) {
    HttpHeadParser p(kind);
    p.set_request_method(method);
    std::string buffer;
    HttpParseResult r;
    for (char c : input) {
        buffer.push_back(c);
        buffer.shrink_to_fit();
        r = p.parse(buffer);
        if (r.status != HttpParseStatus::incomplete) break;
    }
    return {r.status, r.consumed, r.error.offset, r.error.reason};
}

struct HeadCase {
    const char* name;
    Kind kind;
    std::string input;
    HttpParseStatus status;
    std::size_t consumed_or_offset;  // complete: head length; error: offset
    const char* reason_part = "";
};

std::vector<HeadCase> head_cases() {
    using S = HttpParseStatus;
    const auto R = Kind::request;
    const auto P = Kind::response;
    std::string many_headers = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 101; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";  // line 101 at?
    std::size_t line101 = many_headers.rfind("X-H100");
    many_headers += "\r\n";
    std::string big_head = "GET / HTTP/1.1\r\n";
    while (big_head.size() < 70000) big_head += "X-Big: " + std::string(990, 'a') + "\r\n";
    std::string long_line = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n";
    std::string nul_value = std::string("GET / HTTP/1.1\r\nA: b") + '\0' + "c\r\n\r\n";
    return {
        // complete heads
        {"simple GET", R, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", S::complete, 27},
        {"POST with body after", R, "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", S::complete, 39},
        {"leading empty lines", R, "\r\n\r\nGET / HTTP/1.0\r\n\r\n", S::complete, 22},
        {"identical Content-Lengths", R, "PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", S::complete, 56},
        {"Content-Length list", R, "PUT / HTTP/1.1\r\nContent-Length: 5 , 5\r\n\r\n", S::complete, 41},
        {"chunked last", R, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", S::complete, 53},
        {"obs-text in value", R, "GET / HTTP/1.1\r\nA: caf\xc3\xa9\r\n\r\n", S::complete, 28},
        {"response", P, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", S::complete, 38},
        {"response no reason, no SP", P, "HTTP/1.1 204\r\n\r\n", S::complete, 16},
        {"response no reason, SP", P, "HTTP/1.1 204 \r\n\r\n", S::complete, 17},
        // incomplete
        {"cut in headers", R, "GET / HTTP/1.1\r\nHost: a\r\n", S::incomplete, 0},
        {"cut after CR", R, "GET / HTTP/1.1\r\nHost: a\r\n\r", S::incomplete, 0},
        {"empty", R, "", S::incomplete, 0},
        // rejections, with the offset of the offending byte
        {"bare CR in value", R, "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", S::error, 23, "bare CR"},
        {"bare CR in request line", R, "GET /\r HTTP/1.1\r\n\r\n", S::error, 5, "bare CR"},
        {"LF without CR", R, "GET / HTTP/1.1\nHost: a\r\n\r\n", S::error, 14, "LF without CR"},
        {"obs-fold", R, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", S::error, 22, "obs-fold"},
        {"obs-fold with tab", R, "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", S::error, 22, "obs-fold"},
        {"space before colon", R, "GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", S::error, 30,
         "whitespace between header field name and colon"},
        {"bad method char", R, "G(T / HTTP/1.1\r\n\r\n", S::error, 1, "invalid character in method"},
        {"empty method", R, " / HTTP/1.1\r\n\r\n", S::error, 0, "empty method"},
        {"bad header name char", R, "GET / HTTP/1.1\r\nA@b: c\r\n\r\n", S::error, 17, "invalid character in header field name"},
        {"empty header name", R, "GET / HTTP/1.1\r\n: c\r\n\r\n", S::error, 16, "empty header field name"},
        {"no colon", R, "GET / HTTP/1.1\r\nfoo\r\n\r\n", S::error, 19, "without colon"},
        {"NUL in value", R, nul_value, S::error, 20, "invalid character in header field value"},
        {"CL and TE", R, "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", S::error, 55,
         "both Transfer-Encoding and Content-Length"},
        {"CL and TE in response", P, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", S::error, 36,
         "both Transfer-Encoding and Content-Length"},
        {"conflicting CL", R, "PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", S::error, 51,
         "conflicting Content-Length values 5 and 6"},
        {"conflicting CL list", R, "PUT / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", S::error, 35, "conflicting"},
        {"CL not digits", R, "PUT / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", S::error, 32, "invalid Content-Length value"},
        {"CL negative", R, "PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", S::error, 32, "invalid Content-Length value"},
        {"CL empty", R, "PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n", S::error, 31, "invalid Content-Length value"},
        {"CL with inner space", R, "PUT / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", S::error, 32, "invalid Content-Length value"},
        {"CL huge", R, "PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", S::error, 32, "too large"},
        {"TE gzip only (request)", R, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", S::error, 36, "not chunked"},
        {"TE chunked then gzip", R, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", S::error, 36, "not chunked"},
        {"TE chunked twice", R, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", S::error, 64,
         "more than once"},
        {"TE empty", R, "POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n", S::error, 36, "empty Transfer-Encoding"},
        {"TE in HTTP/1.0", R, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", S::error, 36, "HTTP/1.0"},
        {"two Hosts", R, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", S::error, 25, "more than one Host"},
        {"HTTP/2.0", R, "GET / HTTP/2.0\r\n\r\n", S::error, 6, "unsupported HTTP version"},
        {"lowercase version", R, "GET / http/1.1\r\n\r\n", S::error, 6, "malformed HTTP version"},
        {"version with junk", R, "GET / HTTP/1.1x\r\n\r\n", S::error, 6, "malformed HTTP version"},
        {"no target", R, "GET  HTTP/1.1\r\n\r\n", S::error, 4, "empty request target"},
        {"missing version", R, "GET /\r\n\r\n", S::error, 5, "missing SP after request target"},
        {"control in target", R, "GET /\x01 HTTP/1.1\r\n\r\n", S::error, 5, "invalid character in request target"},
        {"too many headers", R, many_headers, S::error, line101, "more than 100 header fields"},
        {"head too large", R, big_head, S::error, kHttpMaxHeadSize, "head larger than 65536 bytes"},
        {"line too long", R, long_line, S::error, kHttpMaxLineLength, "line longer than 8192 bytes"},
        {"status of 2 digits", P, "HTTP/1.1 20 OK\r\n\r\n", S::error, 9, "malformed status code"},
        {"status glued to reason", P, "HTTP/1.1 200OK\r\n\r\n", S::error, 9, "malformed status code"},
        {"status below 100", P, "HTTP/1.1 099 Odd\r\n\r\n", S::error, 9, "below 100"},
        {"no status", P, "HTTP/1.1\r\n\r\n", S::error, 8, "missing status code"},
        {"response empty first line", P, "\r\nHTTP/1.1 200 OK\r\n\r\n", S::error, 0, "malformed HTTP version"},
    };
}

TEST(HttpHead, TableWholeAndBytewiseAgree) {
    for (const auto& c : head_cases()) {
        Outcome whole = run_whole(c.kind, c.input);
        EXPECT_EQ(whole.status, c.status) << c.name << ": " << whole.reason;
        if (c.status == HttpParseStatus::complete) {
            EXPECT_EQ(whole.consumed, c.consumed_or_offset) << c.name;
        }
        if (c.status == HttpParseStatus::error) {
            EXPECT_EQ(whole.offset, c.consumed_or_offset) << c.name << ": " << whole.reason;
            EXPECT_NE(whole.reason.find(c.reason_part), std::string::npos) << c.name << ": " << whole.reason;
        }
        Outcome bytewise = run_bytewise(c.kind, c.input);
        EXPECT_EQ(bytewise.status, whole.status) << c.name;
        EXPECT_EQ(bytewise.consumed, whole.consumed) << c.name;
        EXPECT_EQ(bytewise.offset, whole.offset) << c.name;
        EXPECT_EQ(bytewise.reason, whole.reason) << c.name;
    }
}

TEST(HttpHead, RequestFieldsAreViews) {
    std::string buf = "POST /submit?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\nContent-Length:  11 \r\n\r\nhello world";
    HttpRequestHead head;
    auto r = parse_http_request_head(buf, head);
    ASSERT_EQ(r.status, HttpParseStatus::complete) << r.error.to_string();
    EXPECT_EQ(head.method, "POST");
    EXPECT_EQ(head.target, "/submit?x=1");
    EXPECT_EQ(head.version, "HTTP/1.1");
    EXPECT_EQ(head.version_minor, 1);
    ASSERT_EQ(head.headers.size(), 3u);
    EXPECT_EQ(head.headers[1].name, "X-Empty");
    EXPECT_EQ(head.headers[1].value, "");
    EXPECT_EQ(head.find("content-length")->value, "11");
    EXPECT_EQ(head.find("HOST")->value, "example.com");
    EXPECT_EQ(head.find("missing"), nullptr);
    EXPECT_EQ(head.body.kind, HttpBodyKind::content_length);
    EXPECT_EQ(head.body.length, 11u);
    EXPECT_EQ(buf.substr(r.consumed), "hello world");
    EXPECT_GE(head.method.data(), buf.data());  // a view, not a copy
    EXPECT_LT(head.method.data(), buf.data() + buf.size());
}

TEST(HttpHead, RequestFraming) {
    HttpRequestHead head;
    ASSERT_EQ(parse_http_request_head("GET / HTTP/1.1\r\n\r\n", head).status, HttpParseStatus::complete);
    EXPECT_EQ(head.body.kind, HttpBodyKind::none);
    ASSERT_EQ(parse_http_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", head).status,
              HttpParseStatus::complete);
    EXPECT_EQ(head.body.kind, HttpBodyKind::chunked);
}

TEST(HttpHead, ResponseFraming) {
    struct Case {
        std::string input;
        std::string_view method;
        HttpBodyKind kind;
        std::uint64_t length;
    };
    const Case cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "GET", HttpBodyKind::content_length, 3},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "HEAD", HttpBodyKind::none, 0},
        {"HTTP/1.1 200 OK\r\n\r\n", "GET", HttpBodyKind::until_close, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", HttpBodyKind::chunked, 0},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET", HttpBodyKind::until_close, 0},
        {"HTTP/1.1 204 No Content\r\n\r\n", "GET", HttpBodyKind::none, 0},
        {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", "GET", HttpBodyKind::none, 0},
        {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "GET", HttpBodyKind::none, 0},
        {"HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT", HttpBodyKind::none, 0},
        {"HTTP/1.0 200 OK\r\n\r\n", "", HttpBodyKind::until_close, 0},
    };
    for (const auto& c : cases) {
        HttpResponseHead head;
        auto r = parse_http_response_head(c.input, head, c.method);
        ASSERT_EQ(r.status, HttpParseStatus::complete) << c.input << r.error.to_string();
        EXPECT_EQ(head.body.kind, c.kind) << c.input;
        EXPECT_EQ(head.body.length, c.length) << c.input;
    }
    HttpResponseHead head;
    ASSERT_EQ(parse_http_response_head("HTTP/1.1 404 Not Found\r\nServer: weft\r\n\r\n", head).status,
              HttpParseStatus::complete);
    EXPECT_EQ(head.status, 404);
    EXPECT_EQ(head.reason, "Not Found");
    EXPECT_EQ(head.version, "HTTP/1.1");
    EXPECT_EQ(head.find("server")->value, "weft");
}

TEST(HttpHead, ErrorIsStickyAndResetStartsOver) {
    HttpHeadParser p(Kind::request);
    auto r = p.parse("G@T / HTTP/1.1\r\n");
    ASSERT_EQ(r.status, HttpParseStatus::error);
    EXPECT_EQ(p.parse("GET / HTTP/1.1\r\n\r\n").status, HttpParseStatus::error);
    p.reset();
    EXPECT_EQ(p.parse("GET / HTTP/1.1\r\n\r\n").status, HttpParseStatus::complete);
    EXPECT_EQ(p.request().method, "GET");
}

TEST(HttpHead, ShrunkBufferIsAnErrorNotACrash) {
    HttpHeadParser p(Kind::request);
    ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").status, HttpParseStatus::complete);
    EXPECT_EQ(p.parse("GET").status, HttpParseStatus::error);
    HttpHeadParser q(Kind::request);
    ASSERT_EQ(q.parse("GET / HTTP/1.1\r\nHo").status, HttpParseStatus::incomplete);
    EXPECT_EQ(q.parse("GET").status, HttpParseStatus::error);
}

TEST(HttpHead, SpanOverloadAndPipelining) {
    std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    HttpHeadParser p(Kind::request);
    auto r = p.parse(std::as_bytes(std::span(two.data(), two.size())));
    ASSERT_EQ(r.status, HttpParseStatus::complete);
    EXPECT_EQ(p.request().target, "/a");
    p.reset();
    auto r2 = p.parse(std::string_view(two).substr(r.consumed));
    ASSERT_EQ(r2.status, HttpParseStatus::complete);
    EXPECT_EQ(p.request().target, "/b");
}

// ---- chunked ----

struct ChunkedOutcome {
    HttpChunkedStatus status;
    std::size_t consumed;
    std::string body;
    WireError error;
};

ChunkedOutcome chunked(std::string_view input, std::size_t step) {
    HttpChunkedDecoder d;
    ChunkedOutcome o{HttpChunkedStatus::need_more, 0, {}, {}};
    for (std::size_t i = 0; i < input.size(); i += step) {
        auto r = d.decode(input.substr(i, step), o.body);
        o.consumed += r.consumed;
        o.status = r.status;
        o.error = r.error;
        if (r.status != HttpChunkedStatus::need_more) break;
    }
    return o;
}

TEST(HttpChunked, DecodesWithExtensionsAndTrailers) {
    std::string in = "5\r\nhello\r\n6;name=\"v\" ; x\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes \r\n\r\nNEXT";
    for (std::size_t step : {in.size(), std::size_t{1}, std::size_t{2}, std::size_t{7}}) {
        HttpChunkedDecoder d;
        std::string body;
        std::size_t consumed = 0;
        HttpChunkedDecoder::Result r;
        for (std::size_t i = 0; i < in.size(); i += step) {
            r = d.decode(std::string_view(in).substr(i, step), body);
            consumed += r.consumed;
            if (r.status != HttpChunkedStatus::need_more) break;
        }
        ASSERT_EQ(r.status, HttpChunkedStatus::done) << step << r.error.to_string();
        EXPECT_EQ(body, "hello world0123456789") << step;
        EXPECT_EQ(consumed, in.size() - 4) << step;
        EXPECT_TRUE(d.done());
        ASSERT_EQ(d.trailers().size(), 1u);
        EXPECT_EQ(d.trailers()[0].first, "X-Trailer");
        EXPECT_EQ(d.trailers()[0].second, "yes");
        EXPECT_EQ(d.decode("more", body).status, HttpChunkedStatus::done);
    }
}

TEST(HttpChunked, EmptyBody) {
    auto o = chunked("0\r\n\r\n", 100);
    EXPECT_EQ(o.status, HttpChunkedStatus::done);
    EXPECT_EQ(o.consumed, 5u);
    EXPECT_EQ(o.body, "");
    EXPECT_EQ(chunked("0\r\n\r", 1).status, HttpChunkedStatus::need_more);
}

TEST(HttpChunked, Malformed) {
    struct Bad {
        const char* name;
        std::string input;
        std::size_t offset;
        const char* reason_part;
    };
    const Bad cases[] = {
        {"no size", "\r\n", 0, "missing chunk size"},
        {"not hex", "g\r\n", 0, "missing chunk size"},
        {"17 digits", "00000000000000001\r\n", 16, "more than 16 hex digits"},
        {"junk after size", "5 x\r\n", 2, "invalid character after chunk size"},
        {"control in extension", "5;a\x01\r\n", 3, "invalid character in chunk extension"},
        {"LF only", "5\nhello\r\n0\r\n\r\n", 1, "LF without CR"},
        {"bare CR in size line", "5\r;\r\n", 1, "bare CR"},
        {"data longer than size", "5\r\nhelloX\r\n", 8, "missing CRLF after chunk data"},
        {"data then LF only", "5\r\nhello\n", 8, "missing CRLF after chunk data"},
        {"trailer obs-fold", "0\r\n a: b\r\n\r\n", 3, "obs-fold"},
        {"trailer no colon", "0\r\nabc\r\n\r\n", 6, "without colon"},
        {"trailer space before colon", "0\r\nab : c\r\n\r\n", 5, "whitespace between trailer field name"},
        {"size line too long", "5;" + std::string(9000, 'x') + "\r\n", kHttpMaxLineLength, "line longer than 8192"},
    };
    for (const auto& c : cases) {
        for (std::size_t step : {c.input.size(), std::size_t{1}, std::size_t{3}}) {
            auto o = chunked(c.input, step);
            ASSERT_EQ(o.status, HttpChunkedStatus::error) << c.name << " step " << step;
            EXPECT_EQ(o.error.offset, c.offset) << c.name << " step " << step << ": " << o.error.to_string();
            EXPECT_NE(o.error.reason.find(c.reason_part), std::string::npos) << c.name << ": " << o.error.to_string();
        }
    }
}

TEST(HttpChunked, HugeSizeDoesNotAllocate) {
    HttpChunkedDecoder d;
    std::string body;
    auto r = d.decode("ffffffffffffffff\r\nabc", body);
    EXPECT_EQ(r.status, HttpChunkedStatus::need_more);
    EXPECT_EQ(body, "abc");
}

// ---- serialising ----

TEST(HttpWrite, RequestAndResponseHeadsRoundTrip) {
    const HttpHeader headers[] = {{"Host", "example.com"}, {"Content-Length", "0"}};
    auto req = serialize_http_request_head("GET", "/index.html", headers);
    ASSERT_TRUE(req);
    EXPECT_EQ(*req, "GET /index.html HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n");
    HttpRequestHead head;
    ASSERT_EQ(parse_http_request_head(*req, head).status, HttpParseStatus::complete);
    EXPECT_EQ(head.target, "/index.html");
    auto resp = serialize_http_response_head(404, http_reason_phrase(404), headers);
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->substr(0, 24), "HTTP/1.1 404 Not Found\r\n");
    HttpResponseHead rh;
    ASSERT_EQ(parse_http_response_head(*resp, rh).status, HttpParseStatus::complete);
    EXPECT_EQ(rh.status, 404);
}

TEST(HttpWrite, InjectionRejected) {
    const HttpHeader crlf[] = {{"X", "a\r\nInjected: 1"}};
    EXPECT_FALSE(serialize_http_request_head("GET", "/", crlf));
    const HttpHeader bad_name[] = {{"X Y", "a"}};
    EXPECT_FALSE(serialize_http_response_head(200, "OK", bad_name));
    EXPECT_FALSE(serialize_http_request_head("GET", "/a b", {}));
    EXPECT_FALSE(serialize_http_request_head("G T", "/", {}));
    EXPECT_FALSE(serialize_http_response_head(200, "OK\r\n", {}));
    EXPECT_FALSE(serialize_http_response_head(42, "OK", {}));
}

TEST(HttpWrite, ChunksDecodeBack) {
    std::string body;
    append_http_chunk(body, "hello ");
    append_http_chunk(body, "");
    append_http_chunk(body, std::string(300, 'z'));
    append_http_last_chunk(body);
    EXPECT_EQ(body.substr(0, 11), "6\r\nhello \r\n");
    EXPECT_NE(body.find("12c\r\n"), std::string::npos);
    auto o = chunked(body, 5);
    EXPECT_EQ(o.status, HttpChunkedStatus::done);
    EXPECT_EQ(o.body, "hello " + std::string(300, 'z'));
    EXPECT_EQ(http_reason_phrase(200), "OK");
    EXPECT_EQ(http_reason_phrase(416), "Range Not Satisfiable");  // what a static server sends
    for (const int status : {206, 301, 304, 400, 403, 404, 405, 408, 413, 414, 431, 500, 505})
        EXPECT_FALSE(http_reason_phrase(status).empty()) << status;
    EXPECT_EQ(http_reason_phrase(299), "");
}

// ---- lenient prefix ----

TEST(HttpPrefix, CutHeadersLeftOut) {
    auto p = http_head_prefix(std::string_view("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Ag"));
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->is_request);
    EXPECT_EQ(p->method, "GET");
    EXPECT_EQ(p->target, "/index.html");
    EXPECT_EQ(p->version, "HTTP/1.1");
    EXPECT_TRUE(p->start_line_complete);
    ASSERT_EQ(p->headers.size(), 1u);
    EXPECT_EQ(p->headers[0].name, "Host");
    EXPECT_EQ(p->headers[0].value, "www.example.com");
    EXPECT_FALSE(p->head_complete);
}

TEST(HttpPrefix, CutStartLineAndResponses) {
    auto p = http_head_prefix(std::string_view("POST /lo"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->method, "POST");
    EXPECT_FALSE(p->start_line_complete);
    EXPECT_EQ(p->target, "");
    auto r = http_head_prefix(std::string_view("HTTP/1.1 200 OK\nContent-Type: text/html\n\n<html>"));
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->is_request);
    EXPECT_EQ(r->version, "HTTP/1.1");
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->reason, "OK");
    ASSERT_EQ(r->headers.size(), 1u);
    EXPECT_TRUE(r->head_complete);
    std::string bytes = "HTTP/1.0 404 Not Found\r\n\r\n";
    auto s = http_head_prefix(std::as_bytes(std::span(bytes.data(), bytes.size())));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, 404);
    EXPECT_EQ(s->reason, "Not Found");
}

TEST(HttpPrefix, NotHttp) {
    EXPECT_FALSE(http_head_prefix(std::string_view("")));
    EXPECT_FALSE(http_head_prefix(std::string_view("GET")));
    EXPECT_FALSE(http_head_prefix(std::string_view("GETX / HTTP/1.1\r\n")));
    EXPECT_FALSE(http_head_prefix(std::string_view("SSH-2.0-OpenSSH_9.2\r\n")));
    EXPECT_FALSE(http_head_prefix(std::string_view("HTTP/x")));
    auto p = http_head_prefix(std::string_view("GET / HTTP/1.1\r\nHost: a\r\nnot a header\r\nX: y\r\n"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->headers.size(), 1u);  // reading stops at the line that is not a field
}

TEST(HttpHead, RandomMutationsAgreeWholeAndBytewise) {
    std::mt19937 rng(4242);
    const std::string base =
        "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    static constexpr char kAlphabet[] = "\r\n :;,\t0aZ\x01\x80";
    for (int round = 0; round < 1500; ++round) {
        std::string s = base;
        int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) s[rng() % s.size()] = kAlphabet[rng() % (sizeof kAlphabet - 1)];
        Outcome whole = run_whole(Kind::request, s);
        Outcome bytewise = run_bytewise(Kind::request, s);
        ASSERT_EQ(whole.status, bytewise.status) << s;
        EXPECT_EQ(whole.offset, bytewise.offset) << s;
        EXPECT_EQ(whole.consumed, bytewise.consumed) << s;
        if (whole.status == HttpParseStatus::complete) {
            auto a = chunked(std::string_view(s).substr(whole.consumed), 1000);
            auto b = chunked(std::string_view(s).substr(whole.consumed), 1);
            EXPECT_EQ(a.status, b.status) << s;
            EXPECT_EQ(a.body, b.body) << s;
            EXPECT_EQ(a.error.offset, b.error.offset) << s;
        }
        (void)http_head_prefix(s);
    }
}

}  // namespace
}  // namespace weft::wire
