#pragma once
// A blocking HTTP/1.1 GET client over weft::Socket, with the strict wire/http.hpp parser:
// one request per connection (Connection: close), Content-Length, chunked and
// close-delimited bodies streamed to a callback as they arrive, redirects followed on
// request, and one deadline for the whole exchange.
//
//   weft::http::GetOptions o;
//   o.timeout = std::chrono::seconds(10);
//   o.on_body = [&](std::span<const std::byte> data) { file.write(data); };
//   auto r = weft::http::http_get(*weft::http::parse_url("http://127.0.0.1:8000/x"), o);
//   if (!r) std::cerr << r.error() << '\n';   // "connect 127.0.0.1:8000: Connection refused"
//   else std::cout << r->status << ' ' << r->body_bytes << '\n';
//
// Any status is a response (a 404 is a success of this call); an error means no complete
// response arrived: connect, send or receive failures, a malformed head or chunked body, a
// body cut short, the deadline, too many redirects.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "weft/expected.hpp"
#include "weft/services/http/url.hpp"

namespace weft::http {

/// Hops followed before http_get gives up, unless GetOptions says otherwise (curl's -L has 50;
/// a chain longer than a few hops is almost always a loop).
inline constexpr int kDefaultMaxRedirects = 10;
/// Bytes asked of each recv: large reads (libevent's 4 KiB reads cost it 10x at 64 KiB
/// messages), and the most handed to on_body at once.
inline constexpr std::size_t kHttpClientReadSize = 64 * 1024;
/// The User-Agent sent.
inline constexpr std::string_view kHttpUserAgent = "weft/0.1";

/// One redirect that was followed.
struct Redirect {
    Url url;       ///< the URL that answered with the redirect
    int status{};  ///< 301, 302, 303, 307 or 308
    Url location;  ///< its Location, resolved against url
};

struct ResponseInfo {
    Url url;               ///< the URL this response answers (the last one after redirects)
    std::string peer;      ///< the address that answered: "127.0.0.1:8000", "[::1]:80"
    std::string version;   ///< "HTTP/1.1" or "HTTP/1.0"
    int status{};
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers{};  ///< in order, duplicates kept
    /// The body's size when the head announced it (Content-Length); nullopt for chunked and
    /// close-delimited bodies. 0 when the response has no body (204, 304).
    std::optional<std::uint64_t> content_length{};
    std::vector<Redirect> redirects{};  ///< the hops followed to reach this response, in order
    std::uint64_t body_bytes{};         ///< decoded body bytes (0 when given to on_head)
    std::chrono::nanoseconds elapsed{};  ///< from the call to the end of the body
};

struct GetOptions {
    /// Bounds the whole call (resolution excepted: getaddrinfo cannot be interrupted, but
    /// the deadline is checked after it): connects, request, head and body of every hop.
    /// Zero: no limit. On expiry the error starts "timed out after S s".
    std::chrono::nanoseconds timeout{};
    /// Follow 301, 302, 303, 307 and 308 responses that carry a Location (always with a GET).
    bool follow_redirects{false};
    /// With follow_redirects: the most hops; one more is an error ("too many redirects").
    int max_redirects{kDefaultMaxRedirects};
    /// Called with each response head before its body: the final one, and with
    /// follow_redirects each redirect followed (whose body is then not read).
    std::function<void(const ResponseInfo&)> on_head{};
    /// The final response's decoded body, piece by piece as it arrives (each at most
    /// kHttpClientReadSize bytes); nothing is buffered beyond one read.
    std::function<void(std::span<const std::byte>)> on_body{};
    /// After each piece of body: bytes so far, and the total when Content-Length gave it.
    std::function<void(std::uint64_t got, std::optional<std::uint64_t> total)> on_progress{};
};

/// GETs `url`: resolves its host, tries each address in order until one connects, sends
/// `GET target HTTP/1.1` with Host, User-Agent, Accept: */* and Connection: close, skips
/// 1xx interim responses, and streams the body. Returns the final response (body_bytes and
/// elapsed filled in) or a one-line reason naming host:port ("connect 127.0.0.1:9:
/// Connection refused", "connection closed by 127.0.0.1:8000 after 40 of 100 body bytes",
/// "timed out after 0.5 s waiting for the response head from 127.0.0.1:8000"). Socket
/// failures are returned, never thrown; an exception thrown by a callback propagates.
Expected<ResponseInfo, std::string> http_get(const Url& url, const GetOptions& options = {});

}  // namespace weft::http
