// http:// URL parsing and RFC 3986 reference resolution for the HTTP client.
#include "weft/services/http/url.hpp"

#include <cctype>
#include <cstdio>
#include <optional>

#include "weft/net/endpoint.hpp"
#include "weft/net/ipv6_address.hpp"

namespace weft::http {

namespace {

// Every internal step answers with a bare reason; the two public entry points add the
// "invalid URL '...'" / "invalid Location '...'" prefix, so each message names its source.
using Reason = std::optional<std::string>;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_scheme(std::string_view text) {
    if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
    for (char c : text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    return true;
}

// The scheme of an absolute reference ("http" of "http://x"), if it has one: letters up to a
// ':' that comes before any '/', '?' or '#' (RFC 3986 section 3.1 and 4.2).
std::optional<std::string_view> scheme_of(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find_first_of("/?#") < colon) return std::nullopt;
    const std::string_view scheme = text.substr(0, colon);
    if (!is_scheme(scheme)) return std::nullopt;
    return scheme;
}

Reason check_scheme(std::string_view scheme) {
    const std::string s = lower(scheme);
    if (s == "https") return "https is not supported (only http://)";
    if (s != "http") return "only http:// is supported";
    return std::nullopt;
}

// Appends a path or query to `out` in the form a request line can carry: spaces and bytes
// above 0x7f percent-encoded (as browsers do with a Location that has them), control
// characters refused (they could end or split the request line).
Reason append_target(std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char what[48];
            std::snprintf(what, sizeof what, "control character 0x%02x in the path", u);
            return std::string(what);
        }
        if (u == ' ' || u >= 0x80) {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        } else {
            out += c;
        }
    }
    return std::nullopt;
}

Reason parse_port_text(std::string_view text, Url& url) {
    if (text.empty()) return std::nullopt;  // "host:" means the default port (RFC 3986 3.2.3)
    auto port = parse_port(text);
    if (!port) return port.error().message;
    if (*port == 0) return "invalid port '0': must be 1-65535";
    url.port = *port;
    return std::nullopt;
}

Reason parse_authority(std::string_view authority, Url& url) {
    if (authority.find('@') != std::string_view::npos) return "user info ('user@') is not supported";
    if (authority.empty()) return "no host";
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return "'[' without ']'";
        const std::string_view literal = authority.substr(1, close - 1);
        // A zone ("%25eth0", RFC 6874) would be looked up as an interface name: not worth it
        // for loopback and global addresses, so refused plainly.
        if (literal.find('%') != std::string_view::npos) return "IPv6 zone identifiers are not supported";
        if (auto ip = Ipv6Address::parse(literal); !ip) return ip.error().message;
        url.host = lower(literal);
        const std::string_view after = authority.substr(close + 1);
        if (after.empty()) return std::nullopt;
        if (after.front() != ':') return "expected ':PORT' after ']'";
        return parse_port_text(after.substr(1), url);
    }
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
        return "an IPv6 address must be in brackets (http://[::1]/)";
    const std::string_view host = authority.substr(0, colon);
    if (host.empty()) return "no host";
    for (char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                return "invalid character in host";
            return std::string("invalid character '") + c + "' in host";
        }
    }
    url.host = lower(host);
    if (colon == std::string_view::npos) return std::nullopt;
    return parse_port_text(authority.substr(colon + 1), url);
}

// Authority and what follows it ("host:8080/a?b#c"), after the scheme was dealt with.
Reason parse_after_scheme(std::string_view rest, Url& url) {
    const auto end = rest.find_first_of("/?#");
    if (auto e = parse_authority(rest.substr(0, end), url)) return e;
    std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    tail = tail.substr(0, tail.find('#'));  // the fragment never goes on the wire
    url.target.clear();
    if (tail.empty() || tail.front() == '?') url.target.push_back('/');
    return append_target(tail, url.target);
}

Reason parse_absolute(std::string_view text, Url& url) {
    if (text.empty()) return "empty";
    std::string_view rest = text;
    if (const auto sep = text.find("://"); sep != std::string_view::npos && is_scheme(text.substr(0, sep))) {
        if (auto e = check_scheme(text.substr(0, sep))) return e;
        rest = text.substr(sep + 3);
    }
    return parse_after_scheme(rest, url);
}

std::pair<std::string_view, std::string_view> split_query(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {target, {}};
    return {target.substr(0, q), target.substr(q)};
}

}  // namespace

namespace {

// IPv6 literals in brackets, as URLs and Host headers write them.
std::string bracketed_host(const std::string& host) {
    if (host.find(':') == std::string::npos) return host;
    std::string out = "[";
    out += host;
    out += ']';
    return out;
}

}  // namespace

std::string Url::authority() const {
    std::string out = bracketed_host(host);
    if (port != kDefaultHttpPort) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

std::string Url::to_string() const {
    std::string out = "http://";
    out += authority();
    out += target;
    return out;
}

std::string Url::host_port() const {
    std::string out = bracketed_host(host);
    out += ':';
    out += std::to_string(port);
    return out;
}

Expected<Url, std::string> parse_url(std::string_view text) {
    Url url;
    if (auto e = parse_absolute(text, url)) {
        std::string message = "invalid URL '";
        message += text;
        message += "': ";
        message += *e;
        return Unexpected(std::move(message));
    }
    return url;
}

std::string remove_dot_segments(std::string_view path) {
    // The loop of section 5.2.4, with the input as a view that only shrinks from the front;
    // where the RFC replaces a prefix by "/", the view moves to the prefix's last '/' (or
    // to a literal "/" for the whole-input cases "/." and "/..").
    std::string out;
    std::string_view in = path;
    auto drop_last_segment = [&out] {
        const auto slash = out.rfind('/');
        out.erase(slash == std::string::npos ? 0 : slash);
    };
    while (!in.empty()) {
        if (in.starts_with("../")) {
            in.remove_prefix(3);
        } else if (in.starts_with("./")) {
            in.remove_prefix(2);
        } else if (in.starts_with("/./")) {
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.starts_with("/../")) {
            in.remove_prefix(3);
            drop_last_segment();
        } else if (in == "/..") {
            in = "/";
            drop_last_segment();
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            const auto next = in.find('/', 1);
            const std::size_t n = next == std::string_view::npos ? in.size() : next;
            out += in.substr(0, n);
            in.remove_prefix(n);
        }
    }
    return out;
}

Expected<Url, std::string> resolve_reference(const Url& base, std::string_view reference) {
    auto fail = [reference](std::string reason) {
        std::string message = "invalid Location '";
        message += reference;
        message += "': ";
        message += reason;
        return Unexpected(std::move(message));
    };
    std::string_view ref = reference.substr(0, reference.find('#'));
    auto absolute = [&](std::string_view text) -> Expected<Url, std::string> {
        Url url;
        if (auto e = parse_after_scheme(text, url)) return fail(*e);
        auto [path, query] = split_query(url.target);
        std::string target = remove_dot_segments(path);
        target += query;
        url.target = std::move(target);
        return url;
    };

    if (auto scheme = scheme_of(ref)) {
        if (auto e = check_scheme(*scheme)) return fail(*e);
        ref.remove_prefix(scheme->size() + 1);
        // "http:g": the same scheme without an authority is a relative reference (5.2.2).
        if (ref.starts_with("//")) return absolute(ref.substr(2));
    } else if (ref.starts_with("//")) {
        return absolute(ref.substr(2));  // network-path reference: the base's scheme
    }

    auto [base_path, base_query] = split_query(base.target);
    auto [path, query] = split_query(ref);
    const bool has_query = ref.find('?') != std::string_view::npos;
    std::string target;
    if (path.empty()) {
        target = base_path;
        if (!has_query) query = base_query;
    } else if (path.front() == '/') {
        target = remove_dot_segments(path);
    } else {
        // Merge (5.2.3): the base has an authority, so an empty base path counts as "/".
        std::string merged(base_path.substr(0, base_path.rfind('/') + 1));
        if (merged.empty()) merged.push_back('/');
        merged += path;
        target = remove_dot_segments(merged);
    }
    if (target.empty()) target.push_back('/');
    Url url = base;
    url.target.clear();
    if (auto e = append_target(target, url.target)) return fail(*e);
    if (auto e = append_target(query, url.target)) return fail(*e);
    return url;
}

}  // namespace weft::http
