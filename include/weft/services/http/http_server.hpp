#pragma once
// HttpServer: the request engine (session.hpp) served over TCP on a pool of loops.
//
//   auto site = weft::http::Site::open("./public").value();
//   auto server = weft::http::HttpServer::start({"127.0.0.1", 8000}, site, {.threads = 1});
//   ...
//   (*server)->stop();   // graceful: requests already begun are answered
//   (*server)->wait();
//
// Per connection: one coroutine, which holds no buffer while idle (reads borrow the loop's
// read buffer; only a request cut by a packet boundary is copied aside), answers pipelined
// requests in order with one write per batch (heads and cached small files together), and
// sends larger files with sendfile(2). Timeouts: a request head must complete within
// header_timeout of its first byte (408, then close: a slowloris client holds one socket and
// no worker), a keep-alive connection with no request for keep_alive_timeout is closed, and
// a peer that stops reading a response is dropped after keep_alive_timeout without progress.
// A graceful stop closes idle connections at once and the others after the response they
// are owed.

#include <chrono>
#include <cstddef>
#include <memory>

#include "weft/expected.hpp"
#include "weft/io/tcp_server.hpp"
#include "weft/net/endpoint.hpp"
#include "weft/services/http/site.hpp"

namespace weft::http {

struct HttpServerOptions {
    /// Loops (threads); 0: one per core.
    std::size_t threads = 1;
    std::chrono::milliseconds header_timeout{kHeaderTimeout};
    std::chrono::milliseconds keep_alive_timeout{kKeepAliveTimeout};
    std::size_t max_connections = kMaxConnections;
    /// How long a stop keeps answering requests already begun.
    std::chrono::milliseconds drain_timeout{5000};
};

class HttpServer {
public:
    /// Binds and starts serving `site`. Errors: the bind's (EADDRINUSE, ...).
    [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(const Endpoint& at, std::shared_ptr<Site> site,
                                                                   HttpServerOptions options = {});
    Endpoint local_endpoint() const noexcept { return tcp_->local_endpoint(); }
    std::size_t threads() const noexcept { return tcp_->threads(); }
    /// Thread-safe, idempotent: the graceful stop described above.
    void stop() noexcept { tcp_->stop(); }
    /// Blocks until every connection has ended.
    void wait() { tcp_->wait(); }
    HttpStats stats() const noexcept { return site_->stats(); }

private:
    HttpServer() = default;
    std::shared_ptr<Site> site_;
    std::unique_ptr<TcpServer> tcp_;
};

}  // namespace weft::http
