#pragma once
// DhcpServer: the server engine (server_engine.hpp) and the lease store (lease_store.hpp) run
// on one interface, port 67. Needs root (SO_BINDTODEVICE, a packet socket, port 67).
//
//   weft::dhcp::DhcpServerOptions options;
//   options.interface = "eth0";
//   options.config = config;                                 // validate()d
//   options.lease_file = "/var/lib/weft/dhcp-leases-eth0";
//   options.log = [](std::string_view line) { std::cerr << line << '\n'; };
//   auto server = weft::dhcp::DhcpServer::open(loop, std::move(options));   // binds, reads leases
//   if (!server) die(server.error());       // "port 67 on eth0 is in use (...)", "lease file ..."
//   loop.block_on((*server)->run());        // until stop()
//
// How a batch goes (group commit): wait for at least one datagram, take every one queued
// (kBatch per recvmmsg, and more while a receive comes back full and more wait, up to
// kMaxCommit), let the engine handle each, append all their lease changes, ONE sync() for the
// batch, and only then send the replies (sendmmsg, kBatch at a time): a lease is on disk
// before its ACK leaves, and the fdatasync is paid once per batch rather than once per client.
// What arrives during a flush is the next batch, so a slower disk makes batches larger, not
// the server slower; the socket's receive buffer (4 MiB) holds the requests of a long flush.
// A failed sync drops the batch's replies (nothing promised), compacts the file from the
// engine's state and logs.
//
// Replies go where the engine's Delivery says (RFC 2131 section 4.1): relay (giaddr:67),
// client (ciaddr:68) and broadcast (255.255.255.255:68) through the UDP socket; hardware (to
// yiaddr at chaddr, a client with no address the kernel could ARP for) as a whole frame from
// a send-only packet socket, so no neighbour entry is ever added behind the admin's back.
//
// Threads: one loop. DHCP serves one link and each request costs microseconds next to the
// batch's fdatasync, so a second thread would only add locking around the engine and store.
// open(), run() and stop() are for the loop's thread (post stop() from elsewhere).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/packet_socket.hpp"
#include "weft/io/task.hpp"
#include "weft/io/udp_socket.hpp"
#include "weft/services/dhcp/lease_store.hpp"
#include "weft/services/dhcp/server_config.hpp"
#include "weft/services/dhcp/server_engine.hpp"

namespace weft::dhcp {

/// What DhcpServer::open serves, on which interface, with which lease file and log.
struct DhcpServerOptions {
    /// The interface to serve (e.g. "eth0"): the socket is bound to it and replies leave through it.
    std::string interface{};
    /// What to serve; server_address is normally the interface's first IPv4 address.
    ServerConfig config{};
    /// The lease file (its directory must exist); see LeaseStore.
    std::string lease_file{};
    /// One line per event: OFFER/ACK (address, MAC), the engine's notes (NAK, RELEASE, DECLINE,
    /// a full pool), lease-file issues at open ("file:line: ..."), sync failures. May be empty.
    std::function<void(std::string_view)> log{};
    /// False: no line for an OFFER or an ACK (`weft dhcp serve --quiet`), and none is built,
    /// which under load was ~2% of the server's CPU. NAKs and everything else still are.
    bool log_offers_and_acks = true;
};

/// A DHCP server on one interface: ServerEngine's decisions, LeaseStore's durable leases, UDP
/// port 67 and a packet socket for hardware deliveries (see the header comment). Runs on one
/// loop; not thread-safe.
class DhcpServer {
public:
    /// Datagrams taken per receive (one recvmmsg) and replies per sendmmsg.
    static constexpr std::size_t kBatch = 64;
    /// The most datagrams handled, and replies held back, per sync(): a bound on how long the
    /// first request of a batch waits for its reply when requests keep coming.
    static constexpr std::size_t kMaxCommit = 1024;

    /// Reads the lease file (its issues go to options.log, the good leases are kept), then
    /// binds 0.0.0.0:67 on the interface. Errors are one line: an invalid config, no such
    /// interface, the lease file unreadable or locked by another server, "port 67 on IF is in
    /// use" (EADDRINUSE), no permission.
    static Expected<std::unique_ptr<DhcpServer>, std::string> open(EventLoop& loop, DhcpServerOptions options);

    DhcpServer(const DhcpServer&) = delete;
    DhcpServer& operator=(const DhcpServer&) = delete;

    /// Serves until stop(); returns after the batch in hand is synced and answered.
    Task<void> run();
    /// Asks run() to return: at once when it waits for datagrams, else after the current batch
    /// (its sync and its replies). Loop thread only.
    void stop() noexcept;

    /// Datagrams handled so far.
    std::uint64_t requests() const noexcept { return requests_; }
    /// Leases bound now (the engine's live records that are leases).
    std::size_t leases() const;
    /// The engine, for inspection (its config and lease table). Loop thread only.
    const ServerEngine& engine() const noexcept { return engine_; }

private:
    DhcpServer(ServerEngine engine, LeaseStore store, DhcpServerOptions options)
        : engine_(std::move(engine)), store_(std::move(store)), options_(std::move(options)) {}
    Task<void> send_one(std::span<const std::byte> bytes, const Delivery& delivery);
    Task<void> send_all(const std::vector<ServerOutcome>& outcomes);
    void log(std::string_view line) const;

    ServerEngine engine_;
    LeaseStore store_;
    DhcpServerOptions options_;
    UdpSocket socket_;
    PacketSocket frames_;  ///< send-only: hardware deliveries
    MacAddress mac_{};
    int interface_index_ = 0;
    std::uint64_t requests_ = 0;
    bool stopping_ = false;
    bool receiving_ = false;  ///< run() waits in recv_many: stop() may cancel it
};

}  // namespace weft::dhcp
