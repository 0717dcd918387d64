#pragma once
// TcpServer: a pool of event loops, one per thread, each running the handler's coroutines.
//
//   weft::serve_tcp(endpoint, {.threads = 2}, [](weft::TcpStream conn) -> weft::Task<> {
//       std::array<std::byte, 4096> buf;
//       while (std::size_t n = (co_await conn.read_some(buf)).value_or(0))
//           if (!co_await conn.write_all(std::span(buf).first(n))) break;
//   });
//
// What it promises:
// - Binding: SO_REUSEADDR always. A port already in use fails with EADDRINUSE ("Address
//   already in use"), even though the server itself spreads accepting over SO_REUSEPORT
//   listeners: the first listener binds without SO_REUSEPORT (so it fails against anyone
//   holding the port) and only then turns it on so our other listeners can join.
// - Accepting: AcceptMode::reuse_port (default) gives every loop its own listener and lets
//   the kernel spread connections; AcceptMode::single_acceptor accepts on loop 0 and hands
//   descriptors round-robin. Descriptor exhaustion (EMFILE/ENFILE) pauses accepting with a
//   backoff timer (10 ms doubling to 250 ms) instead of spinning; accepting resumes by itself
//   once descriptors are free. Over max_connections a connection is accepted and closed at
//   once, so the client sees EOF instead of hanging in the backlog.
// - Idle timeout: a connection with no I/O progress for idle_timeout has its pending and
//   future operations fail with std::errc::timed_out; the handler returns and the stream
//   closes.
// - Backpressure: write_all suspends while the socket's send buffer is full, so a peer that
//   does not read holds a suspended coroutine, not memory; high_water_mark caps the kernel
//   send buffer (SO_SNDBUF), i.e. what one connection may have queued on the server.
// - Graceful stop (stop(), or SIGINT/SIGTERM in serve_tcp): stop accepting. A connection
//   silent for drain_grace is idle: its reads that would wait fail with operation_canceled,
//   so its handler returns at once. One that made progress more recently is mid-exchange:
//   its reads keep waiting, so a request already on its way is still read and answered,
//   until it too has been silent for drain_grace. Writes in flight complete. After
//   drain_timeout whatever remains is destroyed. Then the threads end.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"
#include "weft/io/tcp_stream.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

enum class AcceptMode : std::uint8_t { reuse_port, single_acceptor };

struct ServerOptions {
    std::size_t threads = 0;  // 0: std::thread::hardware_concurrency()
    std::chrono::milliseconds idle_timeout{0};  // 0: never
    std::size_t max_connections = 0;  // 0: unlimited
    std::size_t high_water_mark = 0;  // bytes of kernel send buffer per connection; 0: default
    std::chrono::milliseconds drain_timeout{5000};
    // Stopping, a connection with I/O progress this recent is mid-exchange (see above);
    // 0: every read that would wait fails at once.
    std::chrono::milliseconds drain_grace{100};
    int backlog = 1024;
    AcceptMode accept_mode = AcceptMode::reuse_port;
};

using ConnectionHandler = std::function<Task<>(TcpStream)>;

/// Counters, readable from any thread.
struct ServerStats {
    std::size_t active = 0;         // connections whose handler is running
    std::size_t accepted = 0;       // handed to the handler, in total
    std::size_t refused = 0;        // closed at once over max_connections
    std::size_t accept_pauses = 0;  // backoffs after EMFILE/ENFILE/ENOBUFS/ENOMEM
};

class TcpServer {
public:
    /// Binds, starts the threads and returns at once. Errors: the bind's (EADDRINUSE,
    /// EACCES, ...) or the kernel refusing epoll/eventfd.
    static Result<std::unique_ptr<TcpServer>> start(const Endpoint& at, ServerOptions options,
                                                    ConnectionHandler handler);
    /// stop() then wait().
    ~TcpServer();
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;

    /// The bound address (the real port when started on port 0).
    Endpoint local_endpoint() const noexcept { return local_; }
    /// Thread-safe, idempotent: begins the graceful stop described above.
    void stop() noexcept;
    /// Blocks until every loop thread has finished.
    void wait();
    ServerStats stats() const noexcept;
    std::size_t threads() const noexcept { return workers_.size(); }

    struct Worker;  // one loop, its thread, its listener and its connections (tcp_server.cpp)

private:
    TcpServer() = default;
    friend struct Worker;

    ConnectionHandler handler_;
    ServerOptions options_;
    Endpoint local_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> active_{0};
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> refused_{0};
    std::atomic<std::size_t> accept_pauses_{0};
};

/// Starts a TcpServer and serves until SIGINT or SIGTERM, then stops it gracefully and returns.
/// The signals are blocked in the calling thread (and so in the server's threads) and read
/// from a signalfd; the previous mask is restored before returning.
Result<void> serve_tcp(const Endpoint& at, ServerOptions options, ConnectionHandler handler);

}  // namespace weft
