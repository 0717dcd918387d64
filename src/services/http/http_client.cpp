// The blocking HTTP/1.1 GET client: connect, one request, one response, close; redirects
// are new connections. Socket throws (it promises Python's behaviour); every Socket call here
// is wrapped so that failures leave as the one-line string error the header promises.
#include "weft/services/http/http_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string_view>

#include "weft/net/resolve.hpp"
#include "weft/socket/socket.hpp"
#include "weft/wire/http.hpp"

namespace weft::http {

namespace {

using Clock = std::chrono::steady_clock;
using Error = Unexpected<std::string>;

// The one deadline of a call: computed once, and each blocking call gets what is left.
class Deadline {
public:
    explicit Deadline(std::chrono::nanoseconds total) : total_(total) {
        if (total.count() > 0) end_ = Clock::now() + total;
    }
    /// Gives the socket the time left; false when none is (the caller reports expired()).
    bool arm(Socket& socket) const {
        if (!end_) {
            socket.settimeout(std::nullopt);
            return true;
        }
        const auto left = *end_ - Clock::now();
        if (left <= Clock::duration::zero()) return false;
        socket.settimeout(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
        return true;
    }
    bool passed() const { return end_ && Clock::now() >= *end_; }
    /// "timed out after 0.5 s <doing>".
    Error expired(std::string_view doing) const {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", std::chrono::duration<double>(total_).count());
        std::string message = "timed out after ";
        message += seconds;
        message += " s ";
        message += doing;
        return Error(std::move(message));
    }

private:
    std::chrono::nanoseconds total_;
    std::optional<Clock::time_point> end_;
};

struct Connected {
    Socket socket;
    std::string peer;  // "127.0.0.1:8000": what every later message names
};

// Like Python's create_connection: each resolved address in order until one connects. A
// refusal moves on to the next; the deadline passing ends the search.
Expected<Connected, std::string> connect_any(const Url& url, const Deadline& deadline) {
    auto endpoints = resolve(url.host, std::to_string(url.port));
    if (!endpoints) return Error(endpoints.error().message);
    if (deadline.passed()) return deadline.expired("resolving " + url.host_port());
    std::vector<std::string> failures;
    for (const Endpoint& endpoint : *endpoints) {
        const std::string where = endpoint.to_string();
        try {
            Socket socket(endpoint.address().is_v6() ? Family::inet6 : Family::inet);
            if (!deadline.arm(socket)) return deadline.expired("connecting to " + where);
            const std::error_code ec = socket.connect_ex(endpoint);
            if (!ec) return Connected{std::move(socket), where};
            if (ec == std::errc::timed_out) return deadline.expired("connecting to " + where);
            failures.push_back(where + ": " + ec.message());
        } catch (const SocketError& e) {  // socket(2) itself failed: no IPv6, no descriptors
            failures.push_back(where + ": " + e.code().message());
        }
    }
    if (failures.size() == 1) return Error("connect " + failures.front());
    std::string message = "connect " + url.host_port() + ": every address failed (";
    for (std::size_t i = 0; i < failures.size(); ++i) {
        if (i) message += "; ";
        message += failures[i];
    }
    message += ')';
    return Error(std::move(message));
}

// One request and its response on one connection.
class Exchange {
public:
    Exchange(Connected connected, const Deadline& deadline, const GetOptions& options)
        : socket_(std::move(connected.socket)), peer_(std::move(connected.peer)), deadline_(deadline),
          options_(options) {}

    const std::string& peer() const noexcept { return peer_; }

    Expected<void, std::string> send_request(const Url& url) {
        const std::string host = url.authority();
        const std::string user_agent(kHttpUserAgent);
        const wire::HttpHeader headers[] = {
            {"Host", host}, {"User-Agent", user_agent}, {"Accept", "*/*"}, {"Connection", "close"}};
        auto head = wire::serialize_http_request_head("GET", url.target, headers);
        if (!head) return Error("cannot request " + url.to_string() + ": " + head.error().reason);
        try {
            if (!deadline_.arm(socket_)) return deadline_.expired("sending the request to " + peer_);
            socket_.sendall(*head);
        } catch (const TimeoutError&) {
            return deadline_.expired("sending the request to " + peer_);
        } catch (const SocketError& e) {
            return Error(e.what());
        }
        return {};
    }

    /// Reads heads until a final one (1xx are skipped) and fills `info` from it.
    Expected<void, std::string> read_head(ResponseInfo& info) {
        wire::HttpHeadParser parser(wire::HttpHeadParser::Kind::response);
        parser.set_request_method("GET");
        for (;;) {
            wire::HttpParseResult r = parser.parse(pending_);
            while (r.status == wire::HttpParseStatus::incomplete) {
                auto n = receive("waiting for the response head from " + peer_);
                if (!n) return Error(n.error());
                if (*n == 0) {
                    if (pending_.empty()) return Error("connection closed by " + peer_ + " before any response");
                    return Error("connection closed by " + peer_ + " in the middle of the response head (" +
                                 std::to_string(pending_.size()) + " bytes)");
                }
                pending_.append(chunk_.data(), *n);
                r = parser.parse(pending_);
            }
            if (r.status == wire::HttpParseStatus::error)
                return Error("bad response head from " + peer_ + ": " + r.error.reason + " at offset " +
                             std::to_string(r.error.offset));
            const wire::HttpResponseHead& head = parser.response();
            // 1xx (100 Continue, 103 Early Hints) are interim: the real answer follows. A
            // 101 would switch protocols, which a GET without Upgrade never asked for; it
            // is reported as the response it is.
            if (head.status >= 100 && head.status < 200 && head.status != 101) {
                pending_.erase(0, r.consumed);
                parser.reset();
                continue;
            }
            info.version = head.version;
            info.status = head.status;
            info.reason = head.reason;
            info.headers.clear();
            for (const wire::HttpHeader& h : head.headers) info.headers.emplace_back(h.name, h.value);
            framing_ = head.body;
            if (framing_.kind == wire::HttpBodyKind::content_length) info.content_length = framing_.length;
            else if (framing_.kind == wire::HttpBodyKind::none) info.content_length = 0;
            pending_.erase(0, r.consumed);  // what is left is the start of the body
            return {};
        }
    }

    Expected<void, std::string> read_body(ResponseInfo& info) {
        switch (framing_.kind) {
        case wire::HttpBodyKind::none: return {};
        case wire::HttpBodyKind::content_length: return read_sized(info);
        case wire::HttpBodyKind::chunked: return read_chunked(info);
        case wire::HttpBodyKind::until_close: return read_until_close(info);
        }
        return {};
    }

private:
    // One recv of at most `limit` bytes with the time left; 0 is the peer's orderly close.
    Expected<std::size_t, std::string> receive(const std::string& doing, std::size_t limit = kHttpClientReadSize) {
        try {
            if (!deadline_.arm(socket_)) return deadline_.expired(doing);
            return socket_.recv(std::as_writable_bytes(std::span(chunk_.data(), std::min(limit, chunk_.size()))));
        } catch (const TimeoutError&) {
            return deadline_.expired(doing);
        } catch (const SocketError& e) {
            return Error(e.what());
        }
    }

    void deliver(ResponseInfo& info, std::string_view data) {
        if (data.empty()) return;
        info.body_bytes += data.size();
        if (options_.on_body) options_.on_body(std::as_bytes(std::span(data.data(), data.size())));
        if (options_.on_progress) options_.on_progress(info.body_bytes, info.content_length);
    }

    std::string reading_body(const ResponseInfo& info) const {
        std::string doing = "reading the body from " + peer_ + " (" + std::to_string(info.body_bytes);
        if (info.content_length) doing += " of " + std::to_string(*info.content_length);
        doing += " bytes)";
        return doing;
    }

    Expected<void, std::string> read_sized(ResponseInfo& info) {
        const std::uint64_t total = framing_.length;
        // Bytes past the length would belong to a next response, which Connection: close
        // rules out: they are ignored.
        deliver(info, std::string_view(pending_).substr(0, static_cast<std::size_t>(
                                                               std::min<std::uint64_t>(pending_.size(), total))));
        while (info.body_bytes < total) {
            auto n = receive(reading_body(info), static_cast<std::size_t>(std::min<std::uint64_t>(
                                                     total - info.body_bytes, kHttpClientReadSize)));
            if (!n) return Error(n.error());
            if (*n == 0)
                return Error("connection closed by " + peer_ + " after " + std::to_string(info.body_bytes) + " of " +
                             std::to_string(total) + " body bytes");
            deliver(info, std::string_view(chunk_.data(), *n));
        }
        return {};
    }

    Expected<void, std::string> read_chunked(ResponseInfo& info) {
        wire::HttpChunkedDecoder decoder;
        std::string data;  // one read's worth of decoded data at most
        auto feed = [&](std::string_view input) -> Expected<void, std::string> {
            auto r = decoder.decode(input, data);
            deliver(info, data);
            data.clear();
            if (r.status == wire::HttpChunkedStatus::error)
                return Error("bad chunked body from " + peer_ + ": " + r.error.reason + " at offset " +
                             std::to_string(r.error.offset) + " of the body");
            return {};
        };
        if (auto fed = feed(pending_); !fed) return fed;
        while (!decoder.done()) {
            auto n = receive(reading_body(info));
            if (!n) return Error(n.error());
            if (*n == 0)
                return Error("connection closed by " + peer_ + " in the middle of the chunked body (after " +
                             std::to_string(info.body_bytes) + " body bytes)");
            if (auto fed = feed(std::string_view(chunk_.data(), *n)); !fed) return fed;
        }
        return {};
    }

    Expected<void, std::string> read_until_close(ResponseInfo& info) {
        deliver(info, pending_);
        for (;;) {
            auto n = receive(reading_body(info));
            if (!n) return Error(n.error());
            if (*n == 0) return {};
            deliver(info, std::string_view(chunk_.data(), *n));
        }
    }

    Socket socket_;
    std::string peer_;
    const Deadline& deadline_;
    const GetOptions& options_;
    std::string pending_;  // received, not yet parsed: the head, then the start of the body
    std::array<char, kHttpClientReadSize> chunk_{};
    wire::HttpBodyFraming framing_;
};

bool is_followed_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

const std::string* find_header(const ResponseInfo& info, std::string_view name) {
    auto iequals = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
                return false;
        return true;
    };
    for (const auto& [n, v] : info.headers)
        if (iequals(n, name)) return &v;
    return nullptr;
}

}  // namespace

Expected<ResponseInfo, std::string> http_get(const Url& url, const GetOptions& options) {
    const auto start = Clock::now();
    const Deadline deadline(options.timeout);
    Url current = url;
    std::vector<Redirect> redirects;
    for (;;) {
        auto connected = connect_any(current, deadline);
        if (!connected) return Error(connected.error());
        // On the heap: the exchange holds a 64 KiB read buffer.
        auto exchange = std::make_unique<Exchange>(std::move(*connected), deadline, options);
        if (auto sent = exchange->send_request(current); !sent) return Error(sent.error());
        ResponseInfo info;
        info.url = current;
        info.peer = exchange->peer();
        info.redirects = redirects;
        if (auto head = exchange->read_head(info); !head) return Error(head.error());

        const std::string* location = find_header(info, "Location");
        if (options.follow_redirects && is_followed_redirect(info.status) && location) {
            if (static_cast<int>(redirects.size()) >= options.max_redirects)
                return Error("too many redirects: more than " + std::to_string(options.max_redirects) + " (the last, " +
                             std::to_string(info.status) + " from " + current.to_string() + " to '" + *location + "')");
            auto next = resolve_reference(current, *location);
            if (!next) return Error("redirect from " + current.to_string() + ": " + next.error());
            if (options.on_head) options.on_head(info);
            redirects.push_back(Redirect{current, info.status, *next});
            current = std::move(*next);
            continue;  // the redirect's body is not read: closing the connection drops it
        }
        if (options.on_head) options.on_head(info);
        if (auto body = exchange->read_body(info); !body) return Error(body.error());
        info.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
        return info;
    }
}

}  // namespace weft::http
