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
// - Graceful stop (stop(), or SIGINT/SIGTERM in serve_tcp): stop accepting, then judge each
//   connection by its state, never by a clock that load can stretch. It is idle when its
//   handler waits to read, nothing waits in its receive buffer, no write of it waits and it
//   is not marked mid-message (TcpStream::set_mid_message); an idle connection's read fails
//   with operation_canceled, so its handler returns at once. Every other connection is
//   mid-exchange and is served until its handler ends (the peer half-closed, or a handler
//   of a protocol with messages closed at a boundary on seeing stop_requested()), or until
//   drain_timeout runs out; then what remains is destroyed.
// - Ending a connection: when a handler's stream closes, the server sends a FIN and reads and
//   discards what the peer still sends until it closes too (or linger_timeout, or the drain
//   deadline): closing with unread bytes would answer them with an RST, and an RST makes the
//   peer's kernel drop what it had not read yet. A peer that already hung up with nothing
//   unread is closed at once.
// - Loops: a server runs on a LoopPool it is given (sharing its loops and its stop with other
//   servers, UDP ones included) or on one it makes (options.threads loops) and owns.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/loop_pool.hpp"
#include "weft/io/task.hpp"
#include "weft/io/tcp_stream.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// How a TcpServer spreads accepting over its loops (see "Accepting" above).
enum class AcceptMode : std::uint8_t { reuse_port, single_acceptor };

/// How a TcpServer serves; every field has a working default.
struct ServerOptions {
    /// Loops of the pool the server makes for itself (0: one per core); a server started on
    /// a given LoopPool uses all of that pool's loops instead.
    std::size_t threads = 0;
    std::chrono::milliseconds idle_timeout{0};  ///< Without I/O progress this long a connection times out; 0: never.
    std::size_t max_connections = 0;  ///< Connections served at once; more are accepted and closed; 0: unlimited.
    std::size_t high_water_mark = 0;  ///< Bytes of kernel send buffer per connection (SO_SNDBUF); 0: default.
    /// How long a graceful stop keeps serving mid-exchange connections.
    std::chrono::milliseconds drain_timeout{5000};
    /// How long a connection the server ended may go on sending (read and discarded) before
    /// it is closed; see "Ending a connection" above.
    std::chrono::milliseconds linger_timeout{2000};
    int backlog = 1024;  ///< listen(2)'s queue of connections not yet accepted.
    AcceptMode accept_mode = AcceptMode::reuse_port;  ///< A listener per loop, or one acceptor.
};

/// One coroutine per connection, run on the loop that accepted it. Handlers of one server run
/// on several threads at once when the pool has several loops: whatever they share must be
/// thread-safe (a mutex, an atomic, a Channel), or serve with threads = 1.
using ConnectionHandler = std::function<Task<>(TcpStream)>;

/// Counters, readable from any thread.
struct ServerStats {
    std::size_t active = 0;         ///< Connections whose handler is running.
    std::size_t accepted = 0;       ///< Connections handed to the handler, in total.
    std::size_t refused = 0;        ///< Connections closed at once over max_connections.
    std::size_t accept_pauses = 0;  ///< Backoffs after EMFILE/ENFILE/ENOBUFS/ENOMEM.
};

/// A TCP server: listeners on the loops of a LoopPool, one handler coroutine per connection,
/// and the graceful stop described at the top of tcp_server.hpp.
class TcpServer {
public:
    /// Makes a pool of options.threads loops, binds, starts the threads and returns at once.
    /// Errors: the bind's (EADDRINUSE, EACCES, ...) or the kernel refusing epoll/eventfd.
    [[nodiscard]] static Result<std::unique_ptr<TcpServer>> start(const Endpoint& at, ServerOptions options,
                                                                  ConnectionHandler handler);
    /// Serves on every loop of `pool` (started or not; it must outlive the server). Errors as
    /// above; on error nothing of the server is left on the pool.
    [[nodiscard]] static Result<std::unique_ptr<TcpServer>> start(LoopPool& pool, const Endpoint& at,
                                                                  ServerOptions options, ConnectionHandler handler);
    /// stop() then wait().
    ~TcpServer();
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;

    /// The bound address (the real port when started on port 0).
    Endpoint local_endpoint() const noexcept { return local_; }
    /// Thread-safe, idempotent: begins the graceful stop described above (of this server
    /// only; the pool's other members go on).
    void stop() noexcept;
    /// Blocks until every connection has ended (and, for a pool the server made, its threads).
    void wait();
    /// The counters now (any thread).
    ServerStats stats() const noexcept;
    /// The loops it serves on.
    std::size_t threads() const noexcept { return workers_.size(); }

    struct Worker;  // one loop, its thread, its listener and its connections (tcp_server.cpp)

private:
    TcpServer() = default;
    friend struct Worker;
    void worker_finished() noexcept;

    std::unique_ptr<LoopPool> own_pool_;  // declared first: destroyed after the workers
    LoopPool* pool_ = nullptr;
    ConnectionHandler handler_;
    ServerOptions options_;
    Endpoint local_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> running_workers_{0};
    std::atomic<std::size_t> active_{0};
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> refused_{0};
    std::atomic<std::size_t> accept_pauses_{0};
};

/// Starts a TcpServer and serves until SIGINT or SIGTERM, then stops it gracefully and returns.
/// The signals are blocked in the calling thread (and so in the server's threads) and read
/// from a signalfd; the previous mask is restored before returning.
[[nodiscard]] Result<void> serve_tcp(const Endpoint& at, ServerOptions options, ConnectionHandler handler);

}  // namespace weft
