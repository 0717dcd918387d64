#include "weft/services/dhcp/dhcp_server.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include <sys/socket.h>

#include "weft/services/dhcp/link_frames.hpp"
#include "weft/socket/interface.hpp"
#include "weft/socket/socket_option.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp {

namespace {

// A DHCP message fits an Ethernet MTU (RFC 2131 asks clients to accept 576 bytes; options
// overload keeps most under it); a larger one is cut and fails to parse, which is logged.
constexpr std::size_t kMaxDatagram = 1500;

// The receive buffer asked for (the kernel doubles it for its bookkeeping: 4 MiB). The loop
// reads nothing while an fdatasync runs, and a flush can take milliseconds, tens on a busy or
// rotating disk; the kernel's default (208 KiB, ~150 requests as veth or Ethernet deliver them)
// overflows after 5 ms at 30,000 requests/s and drops what comes next. 4 MiB holds ~3,000
// requests, 100 ms at that rate. Memory is only used while requests wait.
constexpr int kReceiveBuffer = 2 << 20;
// SO_RCVBUFFORCE, which socket/ has no name for: SO_RCVBUF past net.core.rmem_max (root).
using ReceiveBufferForce = detail::IntOption<SOL_SOCKET, SO_RCVBUFFORCE>;

// Whether a datagram is waiting on fd, without taking it (and without waiting).
bool datagram_queued(int fd) noexcept {
    char none;
    return ::recv(fd, &none, 0, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

// The reply's option 53, for the log line.
std::string reply_type(const wire::DhcpMessage& reply) {
    for (const auto& option : reply.options)
        if (option.code == 53 && option.data.size() == 1)
            return wire::dhcp_message_type_to_string(static_cast<std::uint8_t>(option.data[0]));
    return "reply";
}

// An OFFER or an ACK: what --quiet leaves out.
bool routine(const ServerOutcome& out) {
    if (!out.reply) return false;
    const std::string type = reply_type(*out.reply);
    return type == "OFFER" || type == "ACK";
}

// One line per OFFER/ACK/NAK, then the engine's note (why a NAK, what a RELEASE did, a full
// pool). Empty when there is nothing to say.
std::vector<std::string> event_lines(const ServerOutcome& out) {
    std::vector<std::string> lines;
    if (out.reply) {
        std::string line = reply_type(*out.reply);
        if (out.reply->yiaddr != Ipv4Address::any()) {
            line += ' ';
            line += out.reply->yiaddr.to_string();
        }
        line += " to ";
        line += out.reply->client_mac().to_string();
        line += " (";
        line += delivery_kind_name(out.delivery.kind);
        line += ')';
        if (!out.note.empty()) {
            line += ": ";
            line += out.note;
        }
        lines.push_back(std::move(line));
    } else if (!out.note.empty()) {
        lines.push_back(out.note);
    }
    return lines;
}

}  // namespace

Expected<std::unique_ptr<DhcpServer>, std::string> DhcpServer::open(EventLoop& loop, DhcpServerOptions options) {
    const std::string iface = options.interface;  // a copy: options moves into the server
    auto info = interface_info(iface);
    if (!info) return Unexpected(info.error());
    auto engine = ServerEngine::create(options.config);
    if (!engine) return Unexpected(engine.error());
    // The leases first: a server that cannot keep its promises must not answer anyone.
    auto opened = LeaseStore::open(options.lease_file);
    if (!opened) return Unexpected(opened.error());
    for (const auto& issue : opened->log.issues)
        if (options.log) options.log(issue.to_string());
    if (const std::size_t skipped = engine->restore(opened->log.records); skipped > 0 && options.log)
        options.log("lease file " + options.lease_file + ": " + std::to_string(skipped) +
                    " records outside the pool skipped");

    std::unique_ptr<DhcpServer> server(new DhcpServer(std::move(*engine), std::move(opened->store), std::move(options)));
    server->mac_ = info->mac;
    server->interface_index_ = info->index;

    // 0.0.0.0:67, so that a DISCOVER to 255.255.255.255 reaches us. Bound exclusively (no
    // SO_REUSEADDR): with it, a second server on the same link would silently take part of
    // the requests; without it, "port 67 in use" is an error at start, which is what the
    // admin needs to see. SO_BINDTODEVICE comes after the bind (io/'s UdpSocket binds in
    // open), so the few datagrams of another link queued in between are dropped by their
    // IP_PKTINFO interface index in run().
    auto bound = UdpSocket::bind(loop, Endpoint(Ipv4Address::any(), wire::kDhcpServerPort));
    if (!bound) {
        if (bound.error() == std::errc::address_in_use)
            return Unexpected("port 67 on " + iface + " is in use (" + bound.error().message() + ")");
        return Unexpected("binding 0.0.0.0:67 on " + iface + ": " + bound.error().message());
    }
    server->socket_ = std::move(*bound);
    Result<void> ready = server->socket_.bind_to_device(iface);
    if (ready) ready = server->socket_.set_option(Broadcast{true});
    if (ready) ready = server->socket_.enable_packet_info();
    if (!ready) return Unexpected("DHCP socket on " + iface + ": " + ready.error().message());
    // SO_RCVBUFFORCE passes net.core.rmem_max (we run as root, CAP_NET_ADMIN); without the
    // capability SO_RCVBUF gets what rmem_max allows. Neither is fatal: the default buffer
    // serves, it only drops requests sooner under a slow disk.
    if (!server->socket_.set_option(ReceiveBufferForce{kReceiveBuffer}))
        (void)server->socket_.set_option(ReceiveBufferSize{kReceiveBuffer});

    // Protocol 0: bound to the interface but registered for no EtherType, so it receives
    // nothing and only sends (the hardware deliveries).
    PacketOptions packet;
    packet.interface = iface;
    packet.protocol = 0;
    auto frames = PacketSocket::open(loop, packet);
    if (!frames) return Unexpected(frames.error().message());
    server->frames_ = std::move(*frames);
    return server;
}

void DhcpServer::log(std::string_view line) const {
    if (options_.log) options_.log(line);
}

std::size_t DhcpServer::leases() const {
    const WallTime now = wall_clock_now();
    std::size_t count = 0;
    for (const auto& r : engine_.records(now))
        if (r.event == LeaseEvent::lease && r.time > now) ++count;
    return count;
}

void DhcpServer::stop() noexcept {
    stopping_ = true;
    // Only a wait for datagrams is cut short: a send in flight belongs to a synced batch.
    if (receiving_) socket_.cancel();
}

Task<void> DhcpServer::send_one(std::span<const std::byte> bytes, const Delivery& d) {
    const Endpoint to(d.address, d.port);
    Result<std::size_t> sent = std::size_t{0};
    if (d.kind == DeliveryKind::hardware) {
        // The client has no address yet: the kernel would ARP for yiaddr and get no answer.
        const Endpoint from(engine_.config().server_address, wire::kDhcpServerPort);
        const std::vector<std::byte> frame = udp_frame(mac_, d.mac, from, to, bytes);
        sent = co_await frames_.send(frame);
    } else {
        sent = co_await socket_.send_to(bytes, to);
    }
    if (!sent) {
        std::string line = "sending to ";
        line += to.to_string();
        line += " on ";
        line += options_.interface;
        line += ": ";
        line += sent.error().message();
        log(line);
    }
}

Task<void> DhcpServer::send_all(const std::vector<ServerOutcome>& outcomes) {
    // The replies that go through the UDP socket leave kMaxBatch at a time (sendmmsg): one
    // system call for a batch's relay, client and broadcast replies instead of one each.
    std::vector<std::vector<std::byte>> bytes;
    bytes.reserve(outcomes.size());
    std::vector<UdpMessage> batch;
    std::vector<const Delivery*> where;
    batch.reserve(outcomes.size());
    where.reserve(outcomes.size());
    for (const ServerOutcome& out : outcomes) {
        if (options_.log && (options_.log_offers_and_acks || !routine(out)))
            for (const auto& line : event_lines(out)) log(line);
        if (!out.reply) continue;
        bytes.push_back(wire::build_dhcp(*out.reply));
        if (out.delivery.kind == DeliveryKind::hardware) {
            co_await send_one(bytes.back(), out.delivery);
            continue;
        }
        UdpMessage& m = batch.emplace_back();
        m.buffer = bytes.back();
        m.size = bytes.back().size();
        m.set_peer(Endpoint(out.delivery.address, out.delivery.port));
        where.push_back(&out.delivery);
    }
    for (std::size_t at = 0; at < batch.size();) {
        const std::size_t count = std::min(kBatch, batch.size() - at);
        auto sent = co_await socket_.send_many(std::span(batch).subspan(at, count));
        // What sendmmsg did not take (an error, or a full buffer it gave up on) goes one by
        // one, so that each failure is logged with its destination as before.
        const std::size_t done = sent ? std::min(*sent, count) : 0;
        for (std::size_t i = at + done; i < at + count; ++i) co_await send_one(batch[i].data(), *where[i]);
        at += count;
    }
}

Task<void> DhcpServer::run() {
    std::vector<std::array<std::byte, kMaxDatagram>> buffers(kBatch);
    std::array<UdpMessage, kBatch> messages{};
    for (std::size_t i = 0; i < kBatch; ++i) messages[i].buffer = buffers[i];
    std::vector<ServerOutcome> outcomes;
    outcomes.reserve(kBatch);
    while (!stopping_) {
        receiving_ = true;
        auto got = co_await socket_.recv_many(messages);
        receiving_ = false;
        if (!got) {
            if (got.error() == std::errc::operation_canceled) break;
            log("receiving on " + options_.interface + ": " + got.error().message());
            continue;
        }
        const WallTime now = wall_clock_now();
        outcomes.clear();
        std::size_t taken = 0;
        for (;;) {
            for (std::size_t i = 0; i < *got; ++i) {
                const UdpMessage& m = messages[i];
                if (m.has_local && static_cast<int>(m.interface_index) != interface_index_) continue;
                ++requests_;
                ServerOutcome out = engine_.handle(m.data(), now);
                store_.append(out.changes);
                outcomes.push_back(std::move(out));
            }
            taken += *got;
            // Group commit takes what queued up meanwhile (during the last batch's fdatasync,
            // most of it) into the same sync, up to kMaxCommit: the batch grows with the disk's
            // latency, so a slow flush costs latency, not throughput. A short receive emptied
            // the queue; a full one may have left more, and a peek says whether to wait.
            if (*got < kBatch || taken >= kMaxCommit || stopping_ || !datagram_queued(socket_.native_handle())) break;
            receiving_ = true;
            got = co_await socket_.recv_many(messages);
            receiving_ = false;
            if (!got) break;  // stopped or failed: what was handled is still synced and answered
        }
        // Group commit: every lease of the batch on disk before any of its replies leaves.
        if (store_.pending() > 0) {
            if (auto synced = store_.sync(); !synced) {
                log(synced.error() + ": " + std::to_string(outcomes.size()) + " replies dropped");
                // The engine holds the state the failed lines carried; a rewrite from it
                // restores a file later syncs can append to. The clients will ask again.
                if (auto compacted = store_.compact(engine_.records(now)); !compacted) log(compacted.error());
                continue;
            }
        }
        co_await send_all(outcomes);
        if (store_.should_compact(engine_.table().entry_count())) {
            if (auto compacted = store_.compact(engine_.records(now)); !compacted) log(compacted.error());
        }
    }
}

}  // namespace weft::dhcp
