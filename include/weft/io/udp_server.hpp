#pragma once
// UdpServer: datagram services on a LoopPool, answering in batches.
//
//   auto server = weft::UdpServer::start(endpoint,
//       [](const weft::InboundDatagram& in, weft::DatagramReplies& out) {
//           out.reply(in.payload);                     // echo, from the address it came to
//       }, {.threads = 2});
//
// A handler sees each datagram with its sender, the local address it was sent to and the
// interface it came in on (IP_PKTINFO), and decides what to send where: a reply to the
// sender, datagrams to any other address (a broadcast, another host), several, or nothing.
// Synchronous handlers run inside the batch: each turn takes up to kMaxBatch queued
// datagrams with one recvmmsg, runs the handler on each, and sends everything it produced
// with one sendmmsg — under load, two syscalls per batch instead of two per datagram. A
// handler that must wait (a DNS forwarder asking upstream, a DHCP server probing an address)
// is a coroutine instead (start_async): it gets its own copy of the datagram and the loop's
// socket, and sends with co_await.
//
// Threads: each loop has its own socket bound to the same address with SO_REUSEPORT, and the
// kernel spreads datagrams over them by a hash of the 4-tuple (so one peer's datagrams stay
// in order on one loop; a single busy peer gains nothing from more threads). A port already in
// use still fails with EADDRINUSE: the first socket binds with PortSharing::exclusive_then_
// shared, as TcpServer's first listener does. Handlers on different loops run at once:
// whatever they share must be thread-safe.
//
// Graceful stop: the sockets close (datagrams still queued in them are dropped: UDP promises
// no more), and coroutine handlers still running finish, up to drain_timeout.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/loop_pool.hpp"
#include "weft/io/task.hpp"
#include "weft/io/udp_socket.hpp"
#include "weft/net/endpoint.hpp"
#include "weft/net/ip_address.hpp"

namespace weft {

/// The largest UDP payload over IPv4 (65535 - 20 - 8); every datagram buffer holds one.
inline constexpr std::size_t kMaxDatagram = 65507;

/// A datagram as a handler sees it. `payload` is valid during the handler call only. On a
/// server bound to a wildcard address `local` and `interface_index` come from IP_PKTINFO; on
/// one bound to a single address they are that address and the interface holding it (such a
/// socket receives nothing else), which spares the kernel a control message per datagram.
struct InboundDatagram {
    std::span<const std::byte> payload;  ///< The datagram's bytes (valid during the call).
    Endpoint from;                       ///< The sender.
    IpAddress local{};             ///< The address it was sent to (a broadcast one included).
    unsigned interface_index = 0;  ///< The interface it arrived on.
};

/// What a synchronous handler sends. Each send is queued into the current batch and goes
/// out with it (one sendmmsg); a batch that fills up is flushed first.
class DatagramReplies {
public:
    /// Space for the next outgoing datagram (kMaxDatagram bytes, zeroed or left from an
    /// earlier batch); write into it, then commit(size) or commit(size, to). No copy.
    std::span<std::byte> buffer() noexcept;
    /// Sends buffer().first(size) to the sender, from the address the datagram arrived at.
    void commit(std::size_t size) noexcept;
    /// Sends buffer().first(size) to `to` (any address; a broadcast needs SO_BROADCAST on the
    /// socket: UdpServerOptions::broadcast).
    void commit(std::size_t size, const Endpoint& to) noexcept;
    /// Copies `data` (up to kMaxDatagram bytes) and sends it to the sender.
    void reply(std::span<const std::byte> data) noexcept;
    /// Copies `data` and sends it to `to`.
    void send_to(std::span<const std::byte> data, const Endpoint& to) noexcept;

    /// For UdpServer: replies go into `out`; `flush` sends them when `out` is full.
    DatagramReplies(std::span<UdpMessage> out, std::function<void()> flush) noexcept
        : out_(out), flush_(std::move(flush)) {}
    /// For UdpServer: the datagram now being handled (whom reply() and commit(size) answer).
    void begin(const UdpMessage& in) noexcept { in_ = &in; }
    /// Whether replies name their source address (IP_PKTINFO): only a socket bound to a
    /// wildcard address needs to; one bound to a single address has no other to send from.
    void set_reply_from_destination(bool on) noexcept { reply_from_destination_ = on; }
    /// For UdpServer: the replies queued in the current batch.
    std::size_t count() const noexcept { return count_; }
    /// For UdpServer: empties the batch once it was sent.
    void clear() noexcept { count_ = 0; }

private:
    void ensure_room() noexcept;
    std::span<UdpMessage> out_;
    std::function<void()> flush_;
    const UdpMessage* in_ = nullptr;
    std::size_t count_ = 0;
    bool reply_from_destination_ = true;
};

/// Called on the receiving loop's thread for every datagram.
using DatagramHandler = std::function<void(const InboundDatagram& in, DatagramReplies& out)>;

/// A datagram a coroutine handler owns (its bytes outlive the batch).
struct OwnedDatagram {
    std::vector<std::byte> payload;  ///< The datagram's bytes, the handler's to keep.
    Endpoint from;                   ///< The sender.
    IpAddress local{};               ///< The address it was sent to, as InboundDatagram::local.
    unsigned interface_index = 0;    ///< The interface it arrived on.
};
/// Started as a task on the receiving loop for every datagram; `socket` is that loop's socket
/// (reply with co_await socket.send_to(...)).
using AsyncDatagramHandler = std::function<Task<>(OwnedDatagram in, UdpSocket& socket)>;

/// A UdpServer's counters.
struct UdpServerStats {
    std::size_t datagrams = 0;    ///< Datagrams received.
    std::size_t batches = 0;      ///< recvmmsg calls that returned datagrams.
    std::size_t sent = 0;         ///< Datagrams sent by synchronous handlers.
    std::size_t send_errors = 0;  ///< Replies of synchronous handlers that could not be sent.
};

/// How a UdpServer serves.
struct UdpServerOptions {
    /// Loops of the pool the server makes for itself (0: one per core); a server started on
    /// a given LoopPool uses all of that pool's loops instead. 1 by default, unlike
    /// ServerOptions: more loops only help when many peers send at once.
    std::size_t threads = 1;
    /// SO_BROADCAST on every socket, for handlers that send to a broadcast address.
    bool broadcast = false;
    /// SO_BINDTODEVICE: serve only datagrams of this interface (a DHCP server on one link).
    std::string interface{};
    /// How long a stop waits for coroutine handlers still running.
    std::chrono::milliseconds drain_timeout{5000};
};

/// A UDP server: a socket per loop of a LoopPool sharing one port (SO_REUSEPORT), datagrams
/// received and answered in batches (see the top of udp_server.hpp).
class UdpServer {
public:
    /// Makes a pool of options.threads loops, binds every loop's socket (EADDRINUSE when the
    /// port is taken, whatever the thread count; with port 0 all share the one port the first
    /// got) and starts. Each loop runs its own copy of `handler`.
    [[nodiscard]] static Result<std::unique_ptr<UdpServer>> start(const Endpoint& at, DatagramHandler handler,
                                                                  UdpServerOptions options = {});
    /// The same on every loop of `pool` (started or not; it must outlive the server).
    [[nodiscard]] static Result<std::unique_ptr<UdpServer>> start(LoopPool& pool, const Endpoint& at,
                                                                  DatagramHandler handler,
                                                                  UdpServerOptions options = {});
    ///@{
    /// The same with a coroutine handler (a task per datagram; see the top of udp_server.hpp).
    [[nodiscard]] static Result<std::unique_ptr<UdpServer>> start_async(const Endpoint& at, AsyncDatagramHandler handler,
                                                                        UdpServerOptions options = {});
    [[nodiscard]] static Result<std::unique_ptr<UdpServer>> start_async(LoopPool& pool, const Endpoint& at,
                                                                        AsyncDatagramHandler handler,
                                                                        UdpServerOptions options = {});
    ///@}
    ~UdpServer();  // stop() + wait()
    UdpServer(const UdpServer&) = delete;
    UdpServer& operator=(const UdpServer&) = delete;

    /// The bound address (the real port when started on port 0).
    Endpoint local_endpoint() const noexcept { return local_; }
    /// Thread-safe, idempotent: the graceful stop described above (of this server only).
    void stop() noexcept;
    /// Blocks until every loop has finished with this server (and, for a pool the server
    /// made, its threads have ended).
    void wait();
    /// Counters summed over the loops; exact once wait() returned (the loop threads write them).
    UdpServerStats stats() const noexcept;
    /// The loops it serves on.
    std::size_t threads() const noexcept { return workers_.size(); }

    struct Worker;  // one loop's socket, handler copy and counters (udp_server.cpp)

private:
    UdpServer() = default;
    static Result<std::unique_ptr<UdpServer>> start_on(LoopPool& pool, const Endpoint& at, DatagramHandler sync,
                                                       AsyncDatagramHandler async, UdpServerOptions options);
    void worker_finished() noexcept;

    std::unique_ptr<LoopPool> own_pool_;  // declared first: destroyed after the workers
    LoopPool* pool_ = nullptr;
    Endpoint local_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> stopped_{false};
    std::atomic<std::size_t> running_workers_{0};
};

/// Serves `socket` with a synchronous handler until it is closed or the task is destroyed (a
/// coroutine for callers that run their own loop).
Task<> serve_datagrams(UdpSocket& socket, DatagramHandler handler, UdpServerStats* stats = nullptr);

/// Runs a UdpServer until SIGINT/SIGTERM (see serve_tcp).
[[nodiscard]] Result<void> serve_udp(const Endpoint& at, DatagramHandler handler, UdpServerOptions options = {});

}  // namespace weft
