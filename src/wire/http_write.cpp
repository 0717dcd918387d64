// HTTP head serialisers, chunk writers, reason phrases, and the lenient head prefix reader
// used by packet decoding.

#include <cctype>
#include <cstdio>

#include "http_detail.hpp"
#include "weft/wire/http.hpp"

namespace weft::wire {

using detail::kHttpLayer;

namespace {

// Header injection is the serialiser's risk: reject what would end a line or the head.
std::optional<WireError> check_headers(std::span<const HttpHeader> headers) {
    for (std::size_t k = 0; k < headers.size(); ++k) {
        const auto& h = headers[k];
        if (h.name.empty() || detail::first_non_token(h.name) != std::string_view::npos)
            return WireError{kHttpLayer, "header name '" + std::string(h.name) + "' is not a token", k};
        for (char c : h.value)
            if (!detail::is_field_char(c))
                return WireError{kHttpLayer, "control character in the value of header " + std::string(h.name), k};
    }
    return std::nullopt;
}

void append_headers(std::string& out, std::span<const HttpHeader> headers) {
    for (const auto& h : headers) {
        out.append(h.name);
        out.append(": ");
        out.append(h.value);
        out.append("\r\n");
    }
    out.append("\r\n");
}

bool is_visible(std::string_view s) noexcept {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return false;
    }
    return !s.empty();
}

}  // namespace

WireResult<std::string> serialize_http_request_head(std::string_view method, std::string_view target,
                                                    std::span<const HttpHeader> headers, std::string_view version) {
    if (method.empty() || detail::first_non_token(method) != std::string_view::npos)
        return wire_error(kHttpLayer, "method '" + std::string(method) + "' is not a token", 0);
    if (!is_visible(target)) return wire_error(kHttpLayer, "request target is empty or has spaces or controls", 0);
    if (!is_visible(version)) return wire_error(kHttpLayer, "bad HTTP version text", 0);
    if (auto e = check_headers(headers)) return Unexpected(*e);
    std::string out;
    out.reserve(64 + headers.size() * 32);
    out.append(method).append(" ").append(target).append(" ").append(version).append("\r\n");
    append_headers(out, headers);
    return out;
}

WireResult<std::string> serialize_http_response_head(int status, std::string_view reason,
                                                     std::span<const HttpHeader> headers, std::string_view version) {
    if (status < 100 || status > 999) return wire_error(kHttpLayer, "status code must have 3 digits", 0);
    for (char c : reason)
        if (!detail::is_field_char(c)) return wire_error(kHttpLayer, "control character in reason phrase", 0);
    if (!is_visible(version)) return wire_error(kHttpLayer, "bad HTTP version text", 0);
    if (auto e = check_headers(headers)) return Unexpected(*e);
    std::string out;
    out.reserve(64 + headers.size() * 32);
    out.append(version).append(" ").append(std::to_string(status)).append(" ").append(reason).append("\r\n");
    append_headers(out, headers);
    return out;
}

void append_http_chunk(std::string& out, std::string_view data) {
    if (data.empty()) return;  // a zero-size chunk would end the body
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out.append(size).append(data).append("\r\n");
}

void append_http_last_chunk(std::string& out) { out.append("0\r\n\r\n"); }

std::string_view http_reason_phrase(int status) noexcept {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

std::optional<HttpHeadPrefix> http_head_prefix(std::span<const std::byte> bytes) {
    return http_head_prefix(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::optional<HttpHeadPrefix> http_head_prefix(std::string_view bytes) {
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                                                    "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    HttpHeadPrefix p;
    bool known = false;
    for (auto m : kMethods) {
        if (bytes.size() > m.size() && bytes.substr(0, m.size()) == m && bytes[m.size()] == ' ') {
            p.method = bytes.substr(0, m.size());
            known = true;
        }
    }
    if (!known) {
        if (!(bytes.size() > 5 && bytes.substr(0, 5) == "HTTP/" && bytes[5] >= '0' && bytes[5] <= '9'))
            return std::nullopt;
        p.is_request = false;
    }
    // Lines end at LF; a CR before it is dropped. A line without its LF was cut.
    std::size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
        std::size_t lf = bytes.find('\n', pos);
        if (lf == std::string_view::npos) return false;
        line = bytes.substr(pos, lf - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = lf + 1;
        return true;
    };
    std::string_view line;
    if (!next_line(line)) return p;  // only the method (or "HTTP/") is known
    p.start_line_complete = true;
    std::size_t sp1 = line.find(' ');
    std::string_view rest = sp1 == std::string_view::npos ? std::string_view{} : line.substr(sp1 + 1);
    if (p.is_request) {
        std::size_t sp2 = rest.find(' ');
        p.target = rest.substr(0, sp2);
        if (sp2 != std::string_view::npos) p.version = rest.substr(sp2 + 1);
    } else {
        p.version = line.substr(0, sp1);
        if (rest.size() >= 3 && std::isdigit(static_cast<unsigned char>(rest[0])) &&
            std::isdigit(static_cast<unsigned char>(rest[1])) && std::isdigit(static_cast<unsigned char>(rest[2])))
            p.status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
        if (rest.size() > 4) p.reason = rest.substr(4);
    }
    while (p.headers.size() < kHttpMaxHeaders && next_line(line)) {
        if (line.empty()) {
            p.head_complete = true;
            break;
        }
        std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos ||
            detail::first_non_token(line.substr(0, colon)) != std::string_view::npos)
            break;  // not a field line: what follows is not head
        p.headers.push_back({line.substr(0, colon), detail::trim_ows(line.substr(colon + 1))});
    }
    return p;
}

}  // namespace weft::wire
