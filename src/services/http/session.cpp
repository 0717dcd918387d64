#include "weft/services/http/session.hpp"

#include <charconv>
#include <ctime>
#include <optional>

#include "file_cache.hpp"
#include "pages.hpp"
#include "weft/services/http/http_date.hpp"
#include "weft/services/http/request_path.hpp"

namespace weft::http {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Does a comma-separated field value ("keep-alive, Upgrade") hold `token`?
bool has_token(const wire::HttpRequestHead& head, std::string_view name, std::string_view token) noexcept {
    for (const auto& field : head.headers) {
        if (!equal_ignoring_case(field.name, name)) continue;
        std::string_view rest = field.value;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
            if (equal_ignoring_case(item, token)) return true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

// The Date field, formatted once per second per thread.
std::string_view date_now(std::time_t& now) {
    thread_local std::time_t cached = 0;
    thread_local std::string text;
    now = std::time(nullptr);
    if (now != cached) {
        cached = now;
        text = format_http_date(now);
    }
    return text;
}

std::optional<std::uint64_t> parse_number(std::string_view digits) noexcept {
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

// A single byte range (RFC 9110 section 14.1.2) against a representation of `size` bytes.
struct ByteRange {
    enum class Kind : std::uint8_t { ignore, satisfiable, unsatisfiable };
    Kind kind = Kind::ignore;
    std::uint64_t first = 0, length = 0;
};

ByteRange parse_range(std::string_view value, std::uint64_t size) noexcept {
    ByteRange out;
    constexpr std::string_view unit = "bytes=";
    if (value.size() <= unit.size() || !equal_ignoring_case(value.substr(0, unit.size()), unit)) return out;
    std::string_view spec = value.substr(unit.size());
    while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
    while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
    // Several ranges would need multipart/byteranges; serving the whole file is allowed.
    if (spec.find(',') != std::string_view::npos) return out;
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return out;
    const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
    if (a.empty()) {  // "-n": the last n bytes
        const auto n = parse_number(b);
        if (!n) return out;
        if (*n == 0 || size == 0) {
            out.kind = ByteRange::Kind::unsatisfiable;
            return out;
        }
        out.kind = ByteRange::Kind::satisfiable;
        out.length = std::min(*n, size);
        out.first = size - out.length;
        return out;
    }
    const auto first = parse_number(a);
    if (!first) return out;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (!b.empty()) {
        const auto l = parse_number(b);
        if (!l || *l < *first) return out;  // invalid: ignored, like a missing header
        last = std::min(*l, last);
    }
    if (*first >= size) {
        out.kind = ByteRange::Kind::unsatisfiable;
        return out;
    }
    out.kind = ByteRange::Kind::satisfiable;
    out.first = *first;
    out.length = last - *first + 1;
    return out;
}

bool wire_limit_error(std::string_view reason) noexcept {
    return reason.find("longer than") != std::string_view::npos || reason.find("larger than") != std::string_view::npos ||
           reason.find("header fields") != std::string_view::npos;
}

}  // namespace

struct HttpSession::Request {
    std::string_view method, target;
    int version_minor = 1;
    bool head_only = false;   // HEAD: the head a GET would get, no body
    bool keep_alive = true;
    const wire::HttpRequestHead* head = nullptr;
    std::time_t now = 0;
    std::string_view date;
};

namespace {

// Writes the start line and the fields every response has.
void start_head(std::string& out, int status, std::string_view date) {
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += wire::http_reason_phrase(status);
    out += "\r\nServer: weft\r\nDate: ";
    out += date;
    out += "\r\n";
}

// The connection field (when the default does not say it) and the empty line.
void end_head(std::string& out, bool keep_alive, int version_minor) {
    if (!keep_alive) out += "Connection: close\r\n";
    else if (version_minor == 0) out += "Connection: keep-alive\r\n";
    out += "\r\n";
}

}  // namespace

HttpSession::HttpSession(Site& site, std::string peer) : site_(site), peer_(std::move(peer)) {}

std::size_t HttpSession::feed(std::string_view bytes, ResponseBatch& out) {
    std::size_t used = 0;
    while (!closing_ && used < bytes.size()) {
        if (out.bytes.size() >= kBatchBytes || out.files.size() >= kBatchFiles) break;
        const std::string_view rest = bytes.substr(used);
        const wire::HttpParseResult r = parser_.parse(rest);
        if (r.status == wire::HttpParseStatus::complete) {
            if (r.consumed > kMaxHeaderBlock) {  // whole, but larger than a head may be
                refuse(431, "the request head is larger than " + std::to_string(kMaxHeaderBlock) + " bytes", out);
                return bytes.size();
            }
            answer(parser_.request(), out);
            used += r.consumed;
            parser_.reset();
            continue;
        }
        const std::size_t first_lf = rest.substr(0, kMaxRequestLine + 1).find('\n');
        if (r.status == wire::HttpParseStatus::incomplete) {
            // The limits apply to what is held, not only to what completes: a client must not
            // make the server keep a head growing without end.
            if (first_lf == std::string_view::npos && rest.size() > kMaxRequestLine) {
                refuse(414, "the request line is longer than " + std::to_string(kMaxRequestLine) + " bytes", out);
            } else if (rest.size() > kMaxHeaderBlock) {
                refuse(431, "the request head is larger than " + std::to_string(kMaxHeaderBlock) + " bytes", out);
            } else {
                break;  // wait for more
            }
            return bytes.size();
        }
        if (r.error.reason.starts_with("unsupported HTTP version")) {
            refuse(505, r.error.reason, out);  // HTTP/2.0 in a text request line, HTTP/3.1...
        } else if (wire_limit_error(r.error.reason)) {
            const bool in_request_line = first_lf == std::string_view::npos || r.error.offset <= first_lf;
            refuse(in_request_line ? 414 : 431, r.error.reason, out);
        } else {
            refuse(400, r.error.reason + " at byte " + std::to_string(r.error.offset), out);
        }
        return bytes.size();
    }
    return used;
}

void HttpSession::header_timeout(ResponseBatch& out) {
    refuse(408, "the request head did not arrive within the header timeout", out);
}

// A response that ends the connection, to a request that may not even have parsed.
// Logged with the request line when the head parsed (413, a missing Host), "-" otherwise.
void HttpSession::refuse(int status, std::string_view why, ResponseBatch& out, const Request* request) {
    std::time_t now = 0;
    const std::string body = error_page(status, why);
    start_head(out.bytes, status, date_now(now));
    out.bytes += "Content-Type: text/html; charset=utf-8\r\nContent-Length: ";
    out.bytes += std::to_string(body.size());
    out.bytes += "\r\nConnection: close\r\n\r\n";
    out.bytes += body;
    closing_ = true;
    finish(request, status, body.size(), why);
}

// Counts the response and logs it: `peer "GET /a HTTP/1.1" 200 1234`, with the reason of a
// refusal after it in parentheses.
void HttpSession::finish(const Request* request, int status, std::uint64_t body_bytes, std::string_view why) {
    auto& counters = site_.counters();
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    counters.responses[static_cast<std::size_t>(status / 100 - 1)].fetch_add(1, std::memory_order_relaxed);
    if (!site_.log) return;
    std::string line = peer_;
    if (request != nullptr) {
        line += " \"";
        line += request->method;
        line += ' ';
        line += request->target;
        line += request->version_minor == 0 ? " HTTP/1.0\" " : " HTTP/1.1\" ";
    } else {
        line += " \"-\" ";
    }
    line += std::to_string(status);
    line += ' ';
    line += std::to_string(body_bytes);
    if (!why.empty()) {
        line += " (";
        line += why;
        line += ')';
    }
    site_.log(line);
}

// A response with a small page of its own (errors, redirects, 405), keeping the connection
// unless the request ends it.
void HttpSession::page(const Request& request, int status, std::string_view why, std::string_view extra_fields,
                       ResponseBatch& out) {
    const std::string body = error_page(status, why);
    start_head(out.bytes, status, request.date);
    out.bytes += extra_fields;
    out.bytes += "Content-Type: text/html; charset=utf-8\r\nContent-Length: ";
    out.bytes += std::to_string(body.size());
    out.bytes += "\r\n";
    end_head(out.bytes, request.keep_alive, request.version_minor);
    if (!request.head_only) out.bytes += body;
    finish(&request, status, request.head_only ? 0 : body.size());
}

void HttpSession::answer(const wire::HttpRequestHead& head, ResponseBatch& out) {
    Request request;
    request.method = head.method;
    request.target = head.target;
    request.version_minor = head.version_minor;
    request.head = &head;
    request.date = date_now(request.now);
    request.keep_alive = head.version_minor >= 1 ? !has_token(head, "connection", "close")
                                                 : has_token(head, "connection", "keep-alive");

    if (head.version_minor >= 1 && head.find("host") == nullptr) {  // RFC 9112 section 3.2
        refuse(400, "an HTTP/1.1 request without Host", out, &request);
        return;
    }
    if (head.body.kind == wire::HttpBodyKind::content_length && head.body.length > kMaxRequestBody) {
        refuse(413, "the request body is larger than " + std::to_string(kMaxRequestBody) + " bytes", out, &request);
        return;
    }
    // No method served here takes a body: answer, then close instead of reading it.
    if ((head.body.kind == wire::HttpBodyKind::content_length && head.body.length > 0) ||
        head.body.kind == wire::HttpBodyKind::chunked)
        request.keep_alive = false;

    request.head_only = head.method == "HEAD";
    if (head.method != "GET" && !request.head_only) {
        page(request, 405, "this server answers GET and HEAD only", "Allow: GET, HEAD\r\n", out);
    } else if (auto path = decode_request_path(head.target); !path) {
        request.keep_alive = false;  // a request that probes for a way out ends its connection
        page(request, 400, path.error(), {}, out);
    } else if (path->path == "status" || path->path == "status.json") {
        serve_status_page(request, path->path == "status.json", out);
    } else {
        serve_path(request, *path, out);
    }
    if (!request.keep_alive) closing_ = true;
}

void HttpSession::serve_path(Request& request, const RequestPath& path, ResponseBatch& out) {
    Resolved found = FileCache::of_thread(site_).find(site_, path.path, path.directory_form, request.now);
    switch (found.kind) {
    case Resolved::Kind::file:
        serve_file(request, found.file, out);
        break;
    case Resolved::Kind::directory: {
        const std::string body = directory_listing(found.directory_fd, path.raw_path, path.path.empty());
        start_head(out.bytes, 200, request.date);
        out.bytes += "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-cache\r\nContent-Length: ";
        out.bytes += std::to_string(body.size());
        out.bytes += "\r\n";
        end_head(out.bytes, request.keep_alive, request.version_minor);
        if (!request.head_only) out.bytes += body;
        finish(&request, 200, request.head_only ? 0 : body.size());
        break;
    }
    case Resolved::Kind::redirect: {
        std::string location = "Location: ";
        location += path.raw_path;
        location += '/';
        if (!path.query.empty()) {
            location += '?';
            location += path.query;
        }
        location += "\r\n";
        page(request, 301, "the directory is at its path with a final '/'", location, out);
        break;
    }
    case Resolved::Kind::not_found:
        page(request, 404, "nothing here by that name", {}, out);
        break;
    case Resolved::Kind::forbidden:
        page(request, 403, "the file may not be read", {}, out);
        break;
    case Resolved::Kind::error:
        page(request, 500, "the file could not be opened: " + found.error, {}, out);
        break;
    }
}

void HttpSession::serve_file(Request& request, const std::shared_ptr<const OpenFile>& shared_file,
                             ResponseBatch& out) {
    const OpenFile& file = *shared_file;
    const wire::HttpRequestHead& head = *request.head;
    if (const auto* since = head.find("if-modified-since")) {
        const auto when = parse_http_date(since->value);
        if (when && file.mtime <= *when) {
            start_head(out.bytes, 304, request.date);
            out.bytes += "Last-Modified: ";
            out.bytes += file.last_modified;
            out.bytes += "\r\n";
            end_head(out.bytes, request.keep_alive, request.version_minor);
            finish(&request, 304, 0);
            return;
        }
    }
    ByteRange range;
    if (const auto* field = head.find("range")) {
        const auto* if_range = head.find("if-range");
        // If-Range holding another date means the client's part is stale: the whole file.
        if (if_range == nullptr || if_range->value == file.last_modified) range = parse_range(field->value, file.size);
    }
    if (range.kind == ByteRange::Kind::unsatisfiable) {
        start_head(out.bytes, 416, request.date);
        out.bytes += "Content-Range: bytes */";
        out.bytes += std::to_string(file.size);
        out.bytes += "\r\nContent-Length: 0\r\n";
        end_head(out.bytes, request.keep_alive, request.version_minor);
        finish(&request, 416, 0);
        return;
    }
    std::uint64_t first = 0, length = file.size;
    int status = 200;
    if (range.kind == ByteRange::Kind::satisfiable) {
        status = 206;
        first = range.first;
        length = range.length;
        start_head(out.bytes, 206, request.date);
        out.bytes += "Content-Type: ";
        out.bytes += file.content_type;
        out.bytes += "\r\nContent-Length: ";
        out.bytes += std::to_string(length);
        out.bytes += "\r\nContent-Range: bytes ";
        out.bytes += std::to_string(first);
        out.bytes += '-';
        out.bytes += std::to_string(first + length - 1);
        out.bytes += '/';
        out.bytes += std::to_string(file.size);
        out.bytes += "\r\nLast-Modified: ";
        out.bytes += file.last_modified;
        out.bytes += "\r\nAccept-Ranges: bytes\r\n";
    } else {
        start_head(out.bytes, 200, request.date);
        out.bytes += file.fields_200;  // type, length, date, ranges: made once per file
    }
    end_head(out.bytes, request.keep_alive, request.version_minor);
    if (!request.head_only && length > 0) {
        if (file.inline_body) {
            out.bytes.append(file.body, static_cast<std::size_t>(first), static_cast<std::size_t>(length));
        } else {
            out.files.push_back({out.bytes.size(), FileBody{shared_file, file.fd, first, length}});
        }
    }
    finish(&request, status, request.head_only ? 0 : length);
}

void HttpSession::serve_status_page(Request& request, bool json, ResponseBatch& out) {
    const std::string body = json ? status_json(site_.stats()) : status_html(site_.stats());
    start_head(out.bytes, 200, request.date);
    out.bytes += json ? "Content-Type: application/json\r\n" : "Content-Type: text/html; charset=utf-8\r\n";
    out.bytes += "Cache-Control: no-store\r\nContent-Length: ";
    out.bytes += std::to_string(body.size());
    out.bytes += "\r\n";
    end_head(out.bytes, request.keep_alive, request.version_minor);
    if (!request.head_only) out.bytes += body;
    finish(&request, 200, request.head_only ? 0 : body.size());
}

}  // namespace weft::http
