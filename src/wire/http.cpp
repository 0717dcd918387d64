// The incremental HTTP/1.1 head parser and body framing (RFC 9112 sections 2-6).

#include "weft/wire/http.hpp"

#include <algorithm>
#include <cstring>

#include "http_detail.hpp"

namespace weft::wire {

using detail::iequals;
using detail::kHttpLayer;

namespace {

const HttpHeader* find_header(const std::vector<HttpHeader>& headers, std::string_view name) noexcept {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return &h;
    return nullptr;
}

// "HTTP/1.x" only: 0.9 has no head and 2 and 3 are not text; a wrong version is a framing
// problem, not something to guess at. Sets `minor` on success.
std::optional<WireError> check_version(std::string_view v, std::size_t at, int& minor) {
    bool shaped = v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
                  v[7] >= '0' && v[7] <= '9';
    if (!shaped) return WireError{kHttpLayer, "malformed HTTP version (want HTTP/1.1)", at};
    if (v[5] != '1') return WireError{kHttpLayer, "unsupported HTTP version " + std::string(v), at};
    minor = v[7] - '0';
    return std::nullopt;
}

}  // namespace

const HttpHeader* HttpRequestHead::find(std::string_view name) const noexcept { return find_header(headers, name); }
const HttpHeader* HttpResponseHead::find(std::string_view name) const noexcept { return find_header(headers, name); }

void HttpHeadParser::reset() {
    line_start_ = scanned_ = head_length_ = 0;
    start_line_done_ = false;
    part1_ = part2_ = part3_ = {};
    version_minor_ = 1;
    status_ = 0;
    fields_.clear();
    error_.reset();
    request_ = {};
    response_ = {};
}

HttpParseResult HttpHeadParser::fail(std::string reason, std::size_t offset) {
    error_ = WireError{kHttpLayer, std::move(reason), offset};
    return {HttpParseStatus::error, 0, *error_};
}

HttpParseResult HttpHeadParser::parse(std::string_view buffer) {
    if (error_) return {HttpParseStatus::error, 0, *error_};
    // A caller that hands over fewer bytes than already parsed broke the contract; saying
    // so beats reading stale offsets.
    if (buffer.size() < std::max(line_start_, head_length_))
        return fail("buffer shorter than the bytes already parsed", buffer.size());
    if (head_length_ != 0) {
        // Already complete: refresh the views, the buffer may have moved.
        if (auto e = finish(buffer)) return fail(e->reason, e->offset);
        return {HttpParseStatus::complete, head_length_, {}};
    }
    for (;;) {
        // The LF ending this line must come before both caps; which cap is nearer decides
        // the error, the same way whether the bytes came whole or one at a time.
        const std::size_t line_cap = line_start_ + kHttpMaxLineLength;
        const std::size_t limit = std::min(line_cap, kHttpMaxHeadSize);
        const std::size_t search_end = std::min(buffer.size(), limit);
        const std::size_t from = line_start_ + scanned_;
        const char* hit = from < search_end
                              ? static_cast<const char*>(std::memchr(buffer.data() + from, '\n', search_end - from))
                              : nullptr;
        if (hit == nullptr) {
            if (buffer.size() > limit) {
                if (limit == kHttpMaxHeadSize)
                    return fail("head larger than " + std::to_string(kHttpMaxHeadSize) + " bytes", limit);
                return fail("line longer than " + std::to_string(kHttpMaxLineLength) + " bytes", limit);
            }
            // Remember how far this line has been searched, so each byte is looked at once.
            scanned_ = std::max(search_end, line_start_) - line_start_;
            return {HttpParseStatus::incomplete, 0, {}};
        }
        const std::size_t lf = static_cast<std::size_t>(hit - buffer.data());
        std::string_view line = buffer.substr(line_start_, lf - line_start_);
        if (line.empty() || line.back() != '\r')
            return fail("LF without CR (lines must end with CRLF)", lf);
        line.remove_suffix(1);
        // A CR that does not end a line is read differently by different parsers (a line
        // break to some, data to others): that disagreement is what smuggling exploits.
        if (auto cr = line.find('\r'); cr != std::string_view::npos)
            return fail("bare CR inside a line", line_start_ + cr);

        if (!start_line_done_) {
            // RFC 9112 section 2.2: a server ignores empty lines before the request line.
            if (!(kind_ == Kind::request && line.empty())) {
                if (auto e = parse_start_line(line, line_start_)) return fail(e->reason, e->offset);
                start_line_done_ = true;
            }
        } else if (line.empty()) {
            head_length_ = lf + 1;
            if (auto e = finish(buffer)) return fail(e->reason, e->offset);
            return {HttpParseStatus::complete, head_length_, {}};
        } else if (auto e = parse_field_line(line, line_start_)) {
            return fail(e->reason, e->offset);
        }
        line_start_ = lf + 1;
        scanned_ = 0;
    }
}

std::optional<WireError> HttpHeadParser::parse_start_line(std::string_view line, std::size_t at) {
    auto error = [&](std::string reason, std::size_t i) { return WireError{kHttpLayer, std::move(reason), at + i}; };
    const std::size_t sp1 = line.find(' ');
    if (kind_ == Kind::request) {
        std::string_view method = line.substr(0, sp1);
        if (method.empty()) return error("empty method", 0);
        if (auto bad = detail::first_non_token(method); bad != std::string_view::npos)
            return error("invalid character in method", bad);
        if (sp1 == std::string_view::npos) return error("missing SP after method", line.size());
        const std::size_t target_at = sp1 + 1;
        const std::size_t sp2 = line.find(' ', target_at);
        if (sp2 == std::string_view::npos) return error("missing SP after request target", line.size());
        std::string_view target = line.substr(target_at, sp2 - target_at);
        if (target.empty()) return error("empty request target", target_at);
        for (std::size_t i = 0; i < target.size(); ++i) {
            auto u = static_cast<unsigned char>(target[i]);
            if (u <= 0x20 || u >= 0x7f) return error("invalid character in request target", target_at + i);
        }
        std::string_view version = line.substr(sp2 + 1);
        if (auto e = check_version(version, at + sp2 + 1, version_minor_)) return e;
        part1_ = {at, method.size()};
        part2_ = {at + target_at, target.size()};
        part3_ = {at + sp2 + 1, version.size()};
        return std::nullopt;
    }
    std::string_view version = line.substr(0, sp1);
    if (auto e = check_version(version, at, version_minor_)) return e;
    if (sp1 == std::string_view::npos) return error("missing status code", line.size());
    std::string_view code = line.substr(sp1 + 1, 3);
    bool digits = code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || (line.size() > sp1 + 4 && line[sp1 + 4] != ' '))
        return error("malformed status code (want 3 digits)", sp1 + 1);
    status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status_ < 100) return error("status code below 100", sp1 + 1);
    // The SP before an empty reason is often missing; RFC 9112 section 4 asks to accept that.
    const std::size_t reason_at = std::min(line.size(), sp1 + 5);
    std::string_view reason = line.substr(reason_at);
    for (std::size_t i = 0; i < reason.size(); ++i)
        if (!detail::is_field_char(reason[i])) return error("invalid character in reason phrase", reason_at + i);
    part1_ = {at, version.size()};
    part3_ = {at + reason_at, reason.size()};
    return std::nullopt;
}

std::optional<WireError> HttpHeadParser::parse_field_line(std::string_view line, std::size_t at) {
    auto error = [&](std::string reason, std::size_t i) { return WireError{kHttpLayer, std::move(reason), at + i}; };
    // obs-fold: a continuation line. Joining it or not changes the previous field's value
    // depending on the reader, so RFC 9112 section 5.2 lets a server reject it; we do.
    if (detail::is_ows(line.front())) return error("obs-fold (line starting with whitespace) is not allowed", 0);
    if (fields_.size() >= kHttpMaxHeaders)
        return error("more than " + std::to_string(kHttpMaxHeaders) + " header fields", 0);
    const std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (detail::is_tchar(name[i])) continue;
        // "Content-Length : 5" is ignored by some proxies and honoured by some servers.
        if (detail::is_ows(name[i])) return error("whitespace between header field name and colon", i);
        return error("invalid character in header field name", i);
    }
    if (colon == std::string_view::npos) return error("header field line without colon", line.size());
    if (name.empty()) return error("empty header field name", 0);
    std::size_t begin = colon + 1;
    std::size_t end = line.size();
    while (begin < end && detail::is_ows(line[begin])) ++begin;
    while (end > begin && detail::is_ows(line[end - 1])) --end;
    for (std::size_t i = begin; i < end; ++i)
        if (!detail::is_field_char(line[i])) return error("invalid character in header field value", i);
    fields_.push_back({{at, name.size()}, {at + begin, end - begin}});
    return std::nullopt;
}

HttpBodyFraming http_response_framing(int status, std::string_view request_method, bool has_transfer_encoding,
                                      bool chunked_final, std::optional<std::uint64_t> content_length) {
    // RFC 9112 section 6.3, rules 1 and 2: these responses never carry a body.
    if (iequals(request_method, "HEAD") || (status >= 100 && status < 200) || status == 204 || status == 304)
        return {HttpBodyKind::none, 0};
    if (iequals(request_method, "CONNECT") && status >= 200 && status < 300) return {HttpBodyKind::none, 0};
    if (has_transfer_encoding)
        return chunked_final ? HttpBodyFraming{HttpBodyKind::chunked, 0} : HttpBodyFraming{HttpBodyKind::until_close, 0};
    if (content_length) return {HttpBodyKind::content_length, *content_length};
    return {HttpBodyKind::until_close, 0};
}

std::optional<WireError> HttpHeadParser::finish(std::string_view buffer) {
    auto view = [&](Range r) { return buffer.substr(r.offset, r.length); };
    std::vector<HttpHeader> headers;
    headers.reserve(fields_.size());
    for (const auto& f : fields_) headers.push_back({view(f.name), view(f.value)});

    std::optional<std::uint64_t> content_length;
    bool has_te = false, chunked_final = false, chunked_seen = false;
    std::size_t te_offset = 0, host_count = 0, codings = 0;
    for (std::size_t k = 0; k < fields_.size(); ++k) {
        std::string_view name = headers[k].name;
        std::string_view value = headers[k].value;
        const std::size_t value_at = fields_[k].value.offset;
        if (iequals(name, "content-length")) {
            // A list of identical values ("5, 5") is what duplicated fields fold to.
            std::size_t pos = 0;
            for (;;) {
                std::size_t comma = value.find(',', pos);
                std::string_view raw = value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
                std::string_view digits = detail::trim_ows(raw);
                const std::size_t digits_at = value_at + pos + static_cast<std::size_t>(digits.data() - raw.data());
                if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
                    return WireError{kHttpLayer, "invalid Content-Length value (want digits)", digits_at};
                // 19 digits always fit in 64 bits; more is no real body size.
                if (digits.size() > 18) return WireError{kHttpLayer, "Content-Length too large", digits_at};
                std::uint64_t n = 0;
                for (char c : digits) n = n * 10 + static_cast<std::uint64_t>(c - '0');
                if (content_length && *content_length != n)
                    return WireError{kHttpLayer,
                                     "conflicting Content-Length values " + std::to_string(*content_length) + " and " +
                                         std::to_string(n),
                                     digits_at};
                content_length = n;
                if (comma == std::string_view::npos) break;
                pos = comma + 1;
            }
        } else if (iequals(name, "transfer-encoding")) {
            if (!has_te) te_offset = value_at;
            has_te = true;
            std::size_t pos = 0;
            for (;;) {
                std::size_t comma = value.find(',', pos);
                std::string_view element = value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
                // Parameters (";q=...") do not change which coding it is.
                std::string_view coding = detail::trim_ows(element.substr(0, element.find(';')));
                if (!coding.empty()) {
                    bool chunked = iequals(coding, "chunked");
                    if (chunked && chunked_seen)
                        return WireError{kHttpLayer, "chunked transfer coding applied more than once", value_at + pos};
                    chunked_seen = chunked_seen || chunked;
                    chunked_final = chunked;
                    ++codings;
                }
                if (comma == std::string_view::npos) break;
                pos = comma + 1;
            }
        } else if (iequals(name, "host") && kind_ == Kind::request) {
            // Two Hosts could route one request two ways (RFC 9112 section 3.2).
            if (++host_count > 1) return WireError{kHttpLayer, "more than one Host header", fields_[k].name.offset};
        }
    }
    // Only empty list elements: no coding is named at all.
    if (has_te && codings == 0) return WireError{kHttpLayer, "empty Transfer-Encoding", te_offset};
    // Which of the two frames the body is the classic smuggling question (RFC 9112 section
    // 6.1); a message that asks it is rejected instead of answered.
    if (has_te && content_length)
        return WireError{kHttpLayer, "both Transfer-Encoding and Content-Length", te_offset};

    if (kind_ == Kind::request) {
        HttpRequestHead& r = request_;
        r.method = view(part1_);
        r.target = view(part2_);
        r.version = view(part3_);
        r.version_minor = version_minor_;
        if (has_te) {
            if (version_minor_ == 0)
                return WireError{kHttpLayer, "Transfer-Encoding in an HTTP/1.0 request", te_offset};
            if (!chunked_final)
                return WireError{kHttpLayer, "final transfer coding of a request is not chunked", te_offset};
            r.body = {HttpBodyKind::chunked, 0};
        } else if (content_length) {
            r.body = {HttpBodyKind::content_length, *content_length};
        } else {
            r.body = {};
        }
        r.headers = std::move(headers);
        return std::nullopt;
    }
    HttpResponseHead& r = response_;
    r.version = view(part1_);
    r.version_minor = version_minor_;
    r.status = status_;
    r.reason = view(part3_);
    r.body = http_response_framing(status_, request_method_, has_te, chunked_final, content_length);
    r.headers = std::move(headers);
    return std::nullopt;
}

HttpParseResult parse_http_request_head(std::string_view buffer, HttpRequestHead& out) {
    HttpHeadParser parser(HttpHeadParser::Kind::request);
    HttpParseResult r = parser.parse(buffer);
    if (r.status == HttpParseStatus::complete) out = parser.request();
    return r;
}

HttpParseResult parse_http_response_head(std::string_view buffer, HttpResponseHead& out,
                                         std::string_view request_method) {
    HttpHeadParser parser(HttpHeadParser::Kind::response);
    parser.set_request_method(request_method);
    HttpParseResult r = parser.parse(buffer);
    if (r.status == HttpParseStatus::complete) out = parser.response();
    return r;
}

}  // namespace weft::wire
