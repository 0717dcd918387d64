#pragma once
// UdpServer: event loops, one per thread, answering datagrams in batches.
//
//   auto server = weft::UdpServer::start(endpoint, weft::upper_datagram, {.threads = 2});
//
// Each turn takes up to kMaxBatch queued datagrams with one recvmmsg, runs the transform on
// each, and sends every reply with one sendmmsg: under load, two syscalls per batch instead
// of two per datagram. A transform returns the reply's length, or nullopt for no reply (an
// empty datagram is answered with an empty one, as Python's server would).
//
// Threads: each loop has its own socket bound to the same address with SO_REUSEPORT, and the
// kernel spreads datagrams over them by a hash of the 4-tuple (so one peer's datagrams stay
// in order on one loop; a single busy peer gains nothing from more threads). A port already in
// use still fails with EADDRINUSE: the first socket binds without SO_REUSEPORT and only then
// turns it on for the others (UdpBindOptions::exclusive_then_shared), as TcpServer does.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"
#include "weft/io/udp_socket.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// Writes the reply to `in` into `out` (as large as the largest datagram) and returns its length.
using DatagramTransform =
    std::function<std::optional<std::size_t>(std::span<const std::byte> in, std::span<std::byte> out)>;

/// The reply is the datagram itself.
std::optional<std::size_t> echo_datagram(std::span<const std::byte> in, std::span<std::byte> out) noexcept;
/// The reply is the datagram with ASCII letters uppercased (the seed's UDP server).
std::optional<std::size_t> upper_datagram(std::span<const std::byte> in, std::span<std::byte> out) noexcept;

/// Told of each datagram received: its sender and size (before the transform runs).
using DatagramObserver = std::function<void(const Endpoint& from, std::size_t bytes)>;

struct UdpServerStats {
    std::size_t datagrams = 0;  // received
    std::size_t batches = 0;    // recvmmsg calls that returned datagrams
    std::size_t send_errors = 0;
};

struct UdpServerOptions {
    /// Loops, each on its own thread with its own socket; 0: std::thread::hardware_concurrency().
    /// 1 by default, unlike ServerOptions: every loop reserves 8 MiB for its batch buffers,
    /// and more loops only help when many peers send at once (the hash keeps each peer on one
    /// loop). weft udp serve asks for one per core.
    std::size_t threads = 1;
    /// Called on the receiving loop's thread for every datagram, so it must be thread-safe
    /// when threads > 1. Empty (the default): the sender is never even converted, and the
    /// batch path does no allocation per datagram.
    DatagramObserver on_datagram{};
};

/// Serves on `socket` until it is closed or the task is destroyed (a coroutine for callers
/// that run their own loop). `observer`, when set, is called for every datagram received.
Task<> serve_datagrams(UdpSocket& socket, DatagramTransform transform, UdpServerStats* stats = nullptr,
                       DatagramObserver observer = {});

class UdpServer {
public:
    /// Binds every loop's socket (EADDRINUSE when the port is taken, whatever `threads` is;
    /// with port 0 all of them share the one port the first was given) and starts the
    /// threads. Each loop runs its own copy of `transform` (and of on_datagram): whatever the
    /// copies share must be thread-safe when threads > 1.
    static Result<std::unique_ptr<UdpServer>> start(const Endpoint& at, DatagramTransform transform,
                                                    UdpServerOptions options = {});
    ~UdpServer();  // stop() + wait()
    UdpServer(const UdpServer&) = delete;
    UdpServer& operator=(const UdpServer&) = delete;

    /// The bound address (the real port when started on port 0).
    Endpoint local_endpoint() const noexcept { return local_; }
    /// Thread-safe, idempotent: closes every socket and ends every thread; datagrams still
    /// queued in a socket are dropped (UDP promises no more).
    void stop() noexcept;
    /// Blocks until every loop thread has finished.
    void wait();
    /// Counters summed over the loops; exact once wait() returned (the loop threads write them).
    UdpServerStats stats() const noexcept;
    std::size_t threads() const noexcept { return workers_.size(); }

private:
    struct Worker;  // one loop, its thread, its socket and its counters (udp_server.cpp)

    UdpServer() = default;
    Endpoint local_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> stopped_{false};
};

/// Runs a UdpServer until SIGINT/SIGTERM (see serve_tcp).
Result<void> serve_udp(const Endpoint& at, DatagramTransform transform, UdpServerOptions options = {});

}  // namespace weft
