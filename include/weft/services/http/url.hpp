#pragma once
// http:// URLs for the HTTP client: parsing what a user types, and resolving a Location
// header against the URL that answered (RFC 3986 section 5.2).
//
//   auto url = weft::http::parse_url("http://[::1]:8080/a/b?x=1#top");
//   // url->host == "::1", url->port == 8080, url->target == "/a/b?x=1" (fragment dropped)
//   auto next = weft::http::resolve_reference(*url, "../c");   // http://[::1]:8080/c
//
// Errors are one line naming the text and what was wrong ("invalid URL 'ftp://x': only
// http:// is supported"); nothing here throws on bad input.

#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expected.hpp"

namespace weft::http {

inline constexpr std::uint16_t kDefaultHttpPort = 80;

struct Url {
    std::string scheme = "http";         ///< always "http": https and others are refused
    std::string host;                    ///< lowercase name or IP literal; IPv6 without brackets
    std::uint16_t port = kDefaultHttpPort;
    std::string target = "/";            ///< path and query as sent in the request line, never empty

    /// The Host header value: host, brackets around IPv6, ":port" unless it is 80.
    std::string authority() const;
    /// "http://" + authority() + target.
    std::string to_string() const;
    /// "127.0.0.1:8080" / "[::1]:80": host and port as error messages name them.
    std::string host_port() const;

    bool operator==(const Url&) const = default;
};

/// Parses `http://host[:port][/path][?query][#fragment]`; without "scheme://" the text is
/// taken as http (`localhost:8080/x`, as curl does). The host is a name (letters, digits,
/// '-', '.', '_'; lowercased), an IPv4 literal, or an IPv6 literal in brackets (no zone).
/// An empty port means 80; port 0 is refused. The path is kept as given (dot segments
/// included, so that a server's defences can be tested); spaces and bytes above 0x7f are
/// percent-encoded, control characters refused. Refused with a reason: https ("https is not
/// supported"), other schemes, user info ("user@host"), a missing host, a bad port.
Expected<Url, std::string> parse_url(std::string_view text);

/// Resolves a URI reference (a Location header value) against `base`, per RFC 3986 section
/// 5.2.2 with the merge and remove_dot_segments of 5.2.3/5.2.4: an absolute URL, a
/// network-path ("//host/p"), an absolute path, a relative path, a query-only or empty
/// reference. "http:g" (same scheme, no authority) is read as the relative "g", the
/// backward-compatible choice 5.2.2 allows. The fragment is dropped. Errors name the
/// reference ("invalid Location 'https://x/': https is not supported").
Expected<Url, std::string> resolve_reference(const Url& base, std::string_view reference);

/// RFC 3986 section 5.2.4: "/a/b/../c/./d" -> "/a/c/d"; ".." never climbs above the root.
std::string remove_dot_segments(std::string_view path);

}  // namespace weft::http
