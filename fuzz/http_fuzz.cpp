// HTTP/1.1. The first byte picks what the rest is: a request head, a response head (to a
// GET, HEAD or CONNECT), a chunked body, or a head prefix for packet decoding. Heads and
// chunked bodies are parsed whole and byte at a time, and both must agree exactly (status,
// consumed, error offset and reason, every parsed field). A complete head is serialised
// again and must parse back to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/wire/http.hpp"

using namespace weft::wire;
using weft::fuzz::check;

namespace {

using Kind = HttpHeadParser::Kind;

bool same_headers(const std::vector<HttpHeader>& a, const std::vector<HttpHeader>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
    return true;
}

bool same_body(const HttpBodyFraming& a, const HttpBodyFraming& b) { return a.kind == b.kind && a.length == b.length; }

bool same_request(const HttpRequestHead& a, const HttpRequestHead& b) {
    return a.method == b.method && a.target == b.target && a.version == b.version &&
           a.version_minor == b.version_minor && same_headers(a.headers, b.headers) && same_body(a.body, b.body);
}

bool same_response(const HttpResponseHead& a, const HttpResponseHead& b) {
    return a.version == b.version && a.version_minor == b.version_minor && a.status == b.status &&
           a.reason == b.reason && same_headers(a.headers, b.headers) && same_body(a.body, b.body);
}

void same_result(const HttpParseResult& a, const HttpParseResult& b, const char* what) {
    check(a.status == b.status, what);
    if (a.status == HttpParseStatus::complete) check(a.consumed == b.consumed, what);
    if (a.status == HttpParseStatus::error)
        check(a.error.offset == b.error.offset && a.error.reason == b.error.reason, what);
}

void head(Kind kind, std::string_view method, std::string_view text) {
    HttpHeadParser whole(kind);
    whole.set_request_method(method);
    const HttpParseResult w = whole.parse(text);
    if (w.status == HttpParseStatus::complete) check(w.consumed <= text.size(), "consumed within input");
    if (w.status == HttpParseStatus::error) check(w.error.offset <= text.size(), "error offset within input");

    HttpHeadParser bytewise(kind);
    bytewise.set_request_method(method);
    HttpParseResult b;
    for (std::size_t i = 1; i <= text.size(); ++i) {
        b = bytewise.parse(text.substr(0, i));
        if (b.status != HttpParseStatus::incomplete) break;
    }
    if (text.empty()) b = bytewise.parse(text);
    same_result(w, b, "http head: whole and byte-at-a-time agree");
    if (w.status != HttpParseStatus::complete) return;

    if (kind == Kind::request) {
        check(same_request(whole.request(), bytewise.request()), "http request fields: whole == bytewise");
        HttpRequestHead f;
        same_result(w, parse_http_request_head(text, f), "parse_http_request_head agrees");
        check(same_request(whole.request(), f), "parse_http_request_head fields");
        const auto& r = whole.request();
        auto s = serialize_http_request_head(r.method, r.target, r.headers, r.version);
        check(s.has_value(), "a parsed request head serialises");
        HttpRequestHead again;
        auto a = parse_http_request_head(*s, again);
        check(a.status == HttpParseStatus::complete && a.consumed == s->size(), "serialised request parses");
        check(same_request(r, again), "http request serialise round trip");
    } else {
        check(same_response(whole.response(), bytewise.response()), "http response fields: whole == bytewise");
        HttpResponseHead f;
        same_result(w, parse_http_response_head(text, f, method), "parse_http_response_head agrees");
        check(same_response(whole.response(), f), "parse_http_response_head fields");
        const auto& r = whole.response();
        auto s = serialize_http_response_head(r.status, r.reason, r.headers, r.version);
        check(s.has_value(), "a parsed response head serialises");
        HttpResponseHead again;
        auto a = parse_http_response_head(*s, again, method);
        check(a.status == HttpParseStatus::complete && a.consumed == s->size(), "serialised response parses");
        check(same_response(r, again), "http response serialise round trip");
    }
}

struct Chunked {
    HttpChunkedStatus status = HttpChunkedStatus::need_more;
    std::size_t consumed = 0;
    std::string body;
    WireError error;
    std::vector<std::pair<std::string, std::string>> trailers;
};

Chunked chunked(std::string_view text, std::size_t step) {
    HttpChunkedDecoder d;
    Chunked o;
    for (std::size_t i = 0; i < text.size(); i += step) {
        auto r = d.decode(text.substr(i, step), o.body);
        check(r.consumed <= std::min(step, text.size() - i), "chunked consumed within input");
        check(r.status != HttpChunkedStatus::error || r.error.offset <= text.size(), "chunked error offset in input");
        o.consumed += r.consumed;
        o.status = r.status;
        o.error = r.error;
        if (r.status != HttpChunkedStatus::need_more) break;
        check(r.consumed == std::min(step, text.size() - i), "chunked need_more consumes everything");
    }
    o.trailers = d.trailers();
    check(d.done() == (o.status == HttpChunkedStatus::done), "done() agrees with the status");
    return o;
}

void chunked_body(std::string_view text) {
    const Chunked w = chunked(text, text.size() ? text.size() : 1);
    const Chunked b = chunked(text, 1);
    check(w.status == b.status && w.body == b.body && w.trailers == b.trailers,
          "http chunked: whole and byte-at-a-time agree");
    // What a failing call consumed is unspecified: the error offset is the answer then.
    if (w.status == HttpChunkedStatus::error)
        check(w.error.offset == b.error.offset && w.error.reason == b.error.reason, "chunked error agrees");
    else
        check(w.consumed == b.consumed, "chunked consumed: whole == bytewise");
    check(w.body.size() <= text.size(), "chunked body no larger than its input");
}

void prefix(std::string_view text) {
    auto p = http_head_prefix(text);
    if (!p) return;
    auto inside = [&](std::string_view v) {
        return v.empty() || (v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size());
    };
    check(inside(p->method) && inside(p->target) && inside(p->version) && inside(p->reason), "prefix views inside");
    for (const auto& h : p->headers) check(inside(h.name) && inside(h.value), "prefix header views inside");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT"};
    const std::string_view text = weft::fuzz::as_text(data + 1, size - 1);
    switch (data[0] & 3) {
        case 0: head(Kind::request, {}, text); break;
        case 1: head(Kind::response, kMethods[(data[0] >> 2) % 3], text); break;
        case 2: chunked_body(text); break;
        default: prefix(text); break;
    }
    return 0;
}
