#pragma once
// DnsServer: the answer engine (answer.hpp) served over UDP and TCP on one pool of loops.
//
//   auto zones = std::make_shared<const weft::dns::ZoneSet>(weft::dns::ZoneSet::build(...).value());
//   auto server = weft::dns::DnsServer::start({"127.0.0.1", 5353}, zones, {.threads = 1});
//   ...
//   (*server)->stop();   // graceful: queries already read are answered
//   (*server)->wait();
//
// UDP rides on UdpServer: a batch of queries comes in with one recvmmsg, the answers go out
// with one sendmmsg, each written straight into its outgoing buffer from the loop's answer
// memo (an AnswerCache per loop thread, shared by that loop's UDP and TCP queries). TCP
// follows RFC 7766: each message has a 2-byte length prefix, a connection carries any number of queries, answered in the order they came; an idle
// connection is closed after tcp_idle_timeout, and connections beyond max_tcp_connections are
// refused at accept. A stop answers the TCP query being read or answered, then closes at the
// message boundary.
//
// The UDP and TCP sockets share one port: with port 0 the UDP socket picks it and TCP binds
// the same (retried with a new port when TCP finds it taken).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/io/loop_pool.hpp"
#include "weft/io/tcp_server.hpp"
#include "weft/io/udp_server.hpp"
#include "weft/net/endpoint.hpp"
#include "weft/services/dns/answer.hpp"
#include "weft/services/dns/zone_set.hpp"

namespace weft::dns {

/// How DnsServer::start runs the server; every field has a working default.
struct DnsServerOptions {
    /// Loops (threads), each serving UDP and TCP; 0: one per core.
    std::size_t threads = 1;
    /// A TCP connection that sends no query for this long is closed (RFC 7766 section 6.2.3
    /// asks for seconds, not minutes).
    std::chrono::milliseconds tcp_idle_timeout{10'000};
    /// TCP connections open at once; one more is closed at accept (counted in tcp_refused).
    std::size_t max_tcp_connections = 1000;
    /// How long a stop keeps answering TCP queries already begun.
    std::chrono::milliseconds drain_timeout{5000};
    /// The EDNS payload size the server advertises and accepts at most.
    std::uint16_t edns_payload = 1232;
    /// One line per event worth seeing (a TCP connection ended by an error); called from the
    /// loop threads, so it must be thread-safe. Empty: none.
    std::function<void(std::string_view)> log{};
};

/// Counters summed over the loops.
struct DnsServerStats {
    std::size_t udp_queries = 0;    ///< datagrams received
    std::size_t udp_answers = 0;    ///< responses sent over UDP
    std::size_t udp_batches = 0;    ///< recvmmsg calls that returned queries
    std::size_t tcp_queries = 0;    ///< messages read over TCP
    std::size_t tcp_connections = 0;  ///< TCP connections accepted
    std::size_t tcp_refused = 0;    ///< over max_tcp_connections
};

/// An authoritative DNS server answering from one ZoneSet over UDP and TCP on the same port (see
/// the header comment). Made by start(); stop() and wait() are thread-safe, the destructor does both.
class DnsServer {
public:
    /// Binds UDP and TCP at `at` and starts serving `zones` (returns at once). Errors: the
    /// binds' (EADDRINUSE when either port is taken).
    [[nodiscard]] static Result<std::unique_ptr<DnsServer>> start(const Endpoint& at,
                                                                  std::shared_ptr<const ZoneSet> zones,
                                                                  DnsServerOptions options = {});
    ~DnsServer();  // stop() + wait()
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    /// The address both sockets are bound to, with the port actually chosen when `at` asked for 0.
    Endpoint local_endpoint() const noexcept { return local_; }
    /// The number of loops (threads) serving, after 0 is resolved to the core count.
    std::size_t threads() const noexcept { return threads_; }
    /// Thread-safe, idempotent: the graceful stop described above.
    void stop() noexcept;
    /// Blocks until both servers have drained and the threads have ended.
    void wait();
    /// Exact once wait() returned.
    DnsServerStats stats() const noexcept;

    /// Counters the loops update while serving (shared with them, so they outlive the server object);
    /// read them through stats().
    struct Counters {
        /// Messages read over TCP, by every loop (relaxed atomic increments).
        std::atomic<std::size_t> tcp_queries{0};
    };

private:
    DnsServer() = default;

    std::unique_ptr<LoopPool> pool_;  // first: destroyed after the servers on it
    std::unique_ptr<UdpServer> udp_;
    std::unique_ptr<TcpServer> tcp_;
    std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
    Endpoint local_;
    std::size_t threads_ = 0;
    std::atomic<bool> stopped_{false};
    bool waited_ = false;
};

}  // namespace weft::dns
