#include "weft/services/http/http_server.hpp"

#include <string>
#include <string_view>

#include "weft/io/sleep.hpp"
#include "weft/services/http/session.hpp"
#include "weft/socket/socket_option.hpp"

namespace weft::http {

namespace {

using Clock = std::chrono::steady_clock;

struct Shared {
    std::shared_ptr<Site> site;
    HttpServerOptions options;
};

// Counts the connection in /status for as long as its coroutine lives.
struct ConnectionCount {
    HttpCounters& counters;
    explicit ConnectionCount(HttpCounters& c) : counters(c) {
        counters.connections.fetch_add(1, std::memory_order_relaxed);
        counters.accepted.fetch_add(1, std::memory_order_relaxed);
    }
    ~ConnectionCount() { counters.connections.fetch_sub(1, std::memory_order_relaxed); }
    ConnectionCount(const ConnectionCount&) = delete;
    ConnectionCount& operator=(const ConnectionCount&) = delete;
};

std::span<const std::byte> as_bytes(std::string_view text) noexcept {
    return std::as_bytes(std::span(text.data(), text.size()));
}

// Writes a batch: its bytes, with each file range sent in its place. False when the peer is
// gone or a file ended early (the Content-Length already promised can no longer be kept, so
// the connection must end).
Task<bool> write_batch(TcpStream& conn, const ResponseBatch& out, HttpCounters& counters) {
    std::size_t at = 0;
    std::uint64_t sent = 0;
    for (const auto& file : out.files) {
        // What precedes the range (its head, and any responses before it) rides with it.
        const std::string_view before = std::string_view(out.bytes).substr(at, file.after - at);
        auto body = co_await conn.send_file(as_bytes(before), file.body.fd, static_cast<off_t>(file.body.offset),
                                            static_cast<std::size_t>(file.body.length));
        if (!body) co_return false;
        sent += before.size() + *body;
        at = file.after;
        if (*body < file.body.length) {
            counters.bytes_sent.fetch_add(sent, std::memory_order_relaxed);
            co_return false;
        }
    }
    if (at < out.bytes.size()) {
        auto wrote = co_await conn.write_all(as_bytes(std::string_view(out.bytes).substr(at)));
        if (!wrote) co_return false;
        sent += out.bytes.size() - at;
    }
    counters.bytes_sent.fetch_add(sent, std::memory_order_relaxed);
    co_return true;
}

Task<> serve_connection(TcpStream conn, std::shared_ptr<const Shared> shared) {
    Site& site = *shared->site;
    ConnectionCount count(site.counters());
    (void)conn.set_option(NoDelay{true});
    std::string peer;
    if (site.log) {
        auto remote = conn.remote_endpoint();
        peer = remote ? remote->to_string() : std::string("?");
    }
    HttpSession session(site, std::move(peer));
    ResponseBatch out;
    std::string held;  // the start of a request that has not arrived whole
    Clock::time_point header_deadline{};

    for (;;) {
        std::string_view input;
        if (held.empty()) {
            // Between requests: nothing is buffered, the read borrows the loop's buffer, and
            // the server's idle timer (keep_alive_timeout) ends a connection that stays quiet.
            auto got = co_await conn.read_lent();
            if (!got || got->empty()) break;
            input = std::string_view(reinterpret_cast<const char*>(got->data()), got->size());
        } else {
            // Inside a request: what is left of its header time bounds the read.
            auto left = header_deadline - Clock::now();
            if (left < Clock::duration(1)) left = Clock::duration(1);
            auto got = co_await with_timeout(left, conn.read_lent());
            if (!got) {
                if (got.error() == std::errc::timed_out) {
                    session.header_timeout(out);
                    (void)co_await write_batch(conn, out, site.counters());
                }
                break;
            }
            if (got->empty()) break;
            held.append(reinterpret_cast<const char*>(got->data()), got->size());
            input = held;
        }

        bool open = true;
        for (;;) {
            const std::size_t used = session.feed(input, out);
            // Keep what was not used before anything suspends: the borrowed bytes are only
            // valid until then.
            if (input.data() == held.data()) {
                held.erase(0, used);
            } else {
                held.assign(input.substr(used));
            }
            if (!out.empty()) {
                const bool wrote = out.files.empty()
                                       ? static_cast<bool>(co_await conn.write_all(as_bytes(out.bytes)))
                                       : co_await write_batch(conn, out, site.counters());
                if (!wrote) {
                    open = false;
                    break;
                }
                if (out.files.empty()) site.counters().bytes_sent.fetch_add(out.bytes.size(), std::memory_order_relaxed);
                out.clear();
            }
            if (session.closing() || conn.stop_requested()) {
                open = false;  // the boundary a graceful stop waits for
                break;
            }
            if (used == 0 || held.empty()) break;  // the rest is an incomplete head: read more
            input = held;                           // a full batch stopped early: answer the rest
        }
        if (!open) break;
        // A request begun: bounded by the header timeout from its first byte, and counted as
        // mid-exchange by a graceful stop, which then waits for its answer.
        if (held.empty()) {
            conn.set_mid_message(false);
        } else if (!conn.stop_requested()) {
            if (header_deadline == Clock::time_point{} || input.data() != held.data())
                header_deadline = Clock::now() + shared->options.header_timeout;
            conn.set_mid_message(true);
        }
        if (held.empty()) header_deadline = {};
        if (held.capacity() > 64 * 1024 && held.empty()) held = std::string();
        if (out.bytes.capacity() > 256 * 1024) out.bytes = std::string();
    }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const Endpoint& at, std::shared_ptr<Site> site,
                                                      HttpServerOptions options) {
    auto shared = std::make_shared<const Shared>(Shared{site, options});
    ServerOptions tcp;
    tcp.threads = options.threads;
    tcp.idle_timeout = options.keep_alive_timeout;
    tcp.max_connections = options.max_connections;
    tcp.drain_timeout = options.drain_timeout;
    auto started = TcpServer::start(at, tcp, [shared](TcpStream conn) -> Task<> {
        return serve_connection(std::move(conn), shared);
    });
    if (!started) return Unexpected(started.error());
    std::unique_ptr<HttpServer> server(new HttpServer());
    server->site_ = std::move(site);
    server->tcp_ = std::move(*started);
    return server;
}

}  // namespace weft::http
