#pragma once
// UdpServer: one loop on its own thread answering datagrams in batches.
//
//   auto server = weft::UdpServer::start(endpoint, weft::upper_datagram);
//
// Each turn takes up to kMaxBatch queued datagrams with one recvmmsg, runs the transform on
// each, and sends every reply with one sendmmsg: under load, two syscalls per batch instead
// of two per datagram. A transform returns the reply's length, or nullopt for no reply (an
// empty datagram is answered with an empty one, as Python's server would).

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <thread>

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

struct UdpServerStats {
    std::size_t datagrams = 0;  // received
    std::size_t batches = 0;    // recvmmsg calls that returned datagrams
    std::size_t send_errors = 0;
};

/// Serves on `socket` until it is closed or the task is destroyed (a coroutine for callers
/// that run their own loop).
Task<> serve_datagrams(UdpSocket& socket, DatagramTransform transform, UdpServerStats* stats = nullptr);

class UdpServer {
public:
    /// Binds (EADDRINUSE when taken) and starts the loop thread.
    static Result<std::unique_ptr<UdpServer>> start(const Endpoint& at, DatagramTransform transform);
    ~UdpServer();  // stop() + wait()

    Endpoint local_endpoint() const noexcept { return local_; }
    /// Thread-safe: closes the socket and ends the thread.
    void stop() noexcept;
    void wait();
    /// Counters; exact once wait() returned (the loop thread writes them).
    UdpServerStats stats() const noexcept;

private:
    UdpServer() = default;
    EventLoop loop_;
    UdpSocket socket_;
    Endpoint local_;
    DatagramTransform transform_;
    std::thread thread_;
    std::atomic<bool> stopped_{false};
    UdpServerStats stats_;  // written by the loop thread
};

/// Runs a UdpServer until SIGINT/SIGTERM (see serve_tcp).
Result<void> serve_udp(const Endpoint& at, DatagramTransform transform);

}  // namespace weft
