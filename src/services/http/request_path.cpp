#include "weft/services/http/request_path.hpp"

#include <cstddef>
#include <vector>

namespace weft::http {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string at_byte(std::string_view what, std::size_t offset) {
    std::string out(what);
    out += " at byte ";
    out += std::to_string(offset);
    out += " of the target";
    return out;
}

}  // namespace

Expected<RequestPath, std::string> decode_request_path(std::string_view target) {
    RequestPath out;
    std::size_t start = 0;  // where the path begins in the target
    if (target.empty() || target[0] != '/') {
        // Absolute form (RFC 9112 section 3.2.2): a server must accept it; the authority is
        // not ours to check (Host decides nothing here: one site per server).
        constexpr std::string_view scheme = "http://";
        if (target.size() < scheme.size() || target.substr(0, scheme.size()) != scheme)
            return Unexpected(std::string("the target is not a path (it must start with '/')"));
        start = target.find_first_of("/?", scheme.size());
        if (start == std::string_view::npos) start = target.size();
    }
    std::string_view rest = target.substr(start);
    const std::size_t question = rest.find('?');
    if (question != std::string_view::npos) {
        out.query = rest.substr(question + 1);
        rest = rest.substr(0, question);
    }
    out.raw_path = rest.empty() ? std::string_view("/") : rest;

    // Decode once. Every decoded byte is kept as it is, a '/' from "%2f" included: the
    // normalisation below sees exactly the path the file system would.
    std::string decoded;
    decoded.reserve(rest.size());
    for (std::size_t i = 0; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '%') {
            const bool two_follow = i + 2 < rest.size();
            const int hi = two_follow ? hex_value(rest[i + 1]) : -1;
            const int lo = two_follow ? hex_value(rest[i + 2]) : -1;
            if (hi < 0 || lo < 0) return Unexpected(at_byte("'%' is not followed by two hex digits", start + i));
            c = static_cast<char>(hi * 16 + lo);
            if (c == '\0') return Unexpected(at_byte("an encoded NUL byte", start + i));
            i += 2;
        }
        decoded += c;
    }

    // Normalise: empty and "." segments vanish, ".." removes the previous one.
    std::vector<std::string_view> segments;
    std::string_view view = decoded;
    bool last_was_dir = view.empty();
    std::size_t pos = 0;
    while (pos <= view.size()) {
        std::size_t slash = view.find('/', pos);
        if (slash == std::string_view::npos) slash = view.size();
        const std::string_view segment = view.substr(pos, slash - pos);
        const bool final_segment = slash == view.size();
        if (segment == "..") {
            if (segments.empty()) return Unexpected(std::string("the path climbs above the document root"));
            segments.pop_back();
            if (final_segment) last_was_dir = true;
        } else if (segment.empty() || segment == ".") {
            if (final_segment) last_was_dir = true;
        } else {
            segments.push_back(segment);
            if (final_segment) last_was_dir = false;
        }
        pos = slash + 1;
    }
    for (const auto segment : segments) {
        if (!out.path.empty()) out.path += '/';
        out.path += segment;
    }
    out.directory_form = last_was_dir;
    return out;
}

std::string encode_path(std::string_view path) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~' || c == '/';
        if (keep) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

}  // namespace weft::http
