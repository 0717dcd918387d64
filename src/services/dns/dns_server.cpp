// DnsServer: the answer engine on UdpServer and TcpServer (see the header).

#include "weft/services/dns/dns_server.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "weft/io/io_error.hpp"
#include "weft/socket/socket_option.hpp"

namespace weft::dns {
namespace {

constexpr std::size_t kMaxTcpMessage = 65535;

struct Shared {
    std::shared_ptr<const ZoneSet> zones;
    DnsServerOptions options;
    std::shared_ptr<DnsServer::Counters> counters;
    std::uint64_t id = 0;  // tells this server's memos from another's on the same thread
};

std::atomic<std::uint64_t> next_server_id{1};

// The answer memo of the calling loop thread for server `id`: UDP batches and the TCP
// connections of one loop share it without locks, since they run on that thread only.
AnswerCache& loop_cache(std::uint64_t id) {
    thread_local std::uint64_t owner = 0;
    thread_local std::unique_ptr<AnswerCache> cache;
    if (owner != id || !cache) {
        cache = std::make_unique<AnswerCache>();
        owner = id;
    }
    return *cache;
}

std::string describe(const std::error_code& why) {
    if (why == std::errc::timed_out) return "idle timeout";
    if (why == std::errc::operation_canceled) return "server stopping";
    return why.message();
}

// One TCP connection: length-prefixed queries, answered one after the other (RFC 7766). The
// connection is mid-message from the first byte of a length until its answer is written, so
// a graceful stop ends it only between messages.
Task<> serve_tcp_queries(TcpStream conn, std::shared_ptr<const Shared> shared) {
    (void)conn.set_option(NoDelay{true});
    const AnswerOptions options{.transport = QueryTransport::tcp, .edns_payload = shared->options.edns_payload};
    std::error_code why;
    for (;;) {
        // Between messages the connection holds no buffer: the first byte is awaited alone.
        std::array<std::byte, 2> prefix{};
        auto got = co_await conn.read_exact(std::span(prefix).first(1));
        if (!got) {
            if (got.error() != IoErrc::eof) why = got.error();  // eof: closed between messages
            break;
        }
        conn.set_mid_message(true);
        got = co_await conn.read_exact(std::span(prefix).subspan(1));
        if (!got) {
            why = got.error();
            break;
        }
        const std::size_t length = (std::to_integer<std::size_t>(prefix[0]) << 8) | std::to_integer<std::size_t>(prefix[1]);
        std::vector<std::byte> query(length);
        got = co_await conn.read_exact(query);
        if (!got) {
            why = got.error();
            break;
        }
        shared->counters->tcp_queries.fetch_add(1, std::memory_order_relaxed);
        // The answer is written into the thread's scratch buffer, then only its own bytes are
        // kept for the write, which may wait (a peer that does not read holds no 64 KiB).
        thread_local std::vector<std::byte> scratch(2 + kMaxTcpMessage);
        const std::size_t size =
            loop_cache(shared->id).answer(*shared->zones, query, options, std::span(scratch).subspan(2));
        if (size > 0) {
            std::vector<std::byte> response(2 + size);
            response[0] = std::byte(size >> 8);
            response[1] = std::byte(size & 0xff);
            std::copy_n(scratch.begin() + 2, size, response.begin() + 2);
            query = {};
            auto sent = co_await conn.write_all(std::span<const std::byte>(response));
            if (!sent) {
                why = sent.error();
                break;
            }
        }
        conn.set_mid_message(false);
        if (conn.stop_requested()) break;  // the boundary a graceful stop waits for
    }
    if (why && why != std::errc::operation_canceled && shared->options.log) {
        auto peer = conn.remote_endpoint();
        shared->options.log("tcp " + (peer ? peer->to_string() : std::string("?")) + ": " + describe(why));
    }
}

}  // namespace

Result<std::unique_ptr<DnsServer>> DnsServer::start(const Endpoint& at, std::shared_ptr<const ZoneSet> zones,
                                                    DnsServerOptions options) {
    // A UDP answer is written into a datagram buffer of kMaxDatagram bytes.
    options.edns_payload = static_cast<std::uint16_t>(std::min<std::size_t>(options.edns_payload, kMaxDatagram));
    std::unique_ptr<DnsServer> server(new DnsServer());
    auto shared = std::make_shared<const Shared>(
        Shared{std::move(zones), options, server->counters_, next_server_id.fetch_add(1)});
    auto pool = LoopPool::create(options.threads);
    if (!pool) return Unexpected(pool.error());
    server->pool_ = std::move(*pool);

    // Each loop gets its own copy of this handler, and so its own answer memo.
    DatagramHandler on_query = [shared](const InboundDatagram& in, DatagramReplies& out) {
        const AnswerOptions opts{.transport = QueryTransport::udp, .edns_payload = shared->options.edns_payload};
        const std::size_t size = loop_cache(shared->id).answer(*shared->zones, in.payload, opts, out.buffer());
        if (size > 0) out.commit(size);  // straight from the memo into the batch's buffer
    };
    ServerOptions tcp_options;
    tcp_options.idle_timeout = options.tcp_idle_timeout;
    tcp_options.max_connections = options.max_tcp_connections;
    tcp_options.drain_timeout = options.drain_timeout;
    ConnectionHandler on_connection = [shared](TcpStream conn) { return serve_tcp_queries(std::move(conn), shared); };

    // Port 0: UDP picks a port and TCP must get the same one; another process may hold it
    // for TCP, so try a few.
    const int attempts = at.port() == 0 ? 8 : 1;
    std::error_code last;
    for (int i = 0; i < attempts; ++i) {
        auto udp = UdpServer::start(*server->pool_, at, on_query, {.drain_timeout = options.drain_timeout});
        if (!udp) return Unexpected(udp.error());
        const Endpoint bound = (*udp)->local_endpoint();
        auto tcp = TcpServer::start(*server->pool_, bound, tcp_options, on_connection);
        if (tcp) {
            server->udp_ = std::move(*udp);
            server->tcp_ = std::move(*tcp);
            server->local_ = bound;
            break;
        }
        last = tcp.error();
        (*udp)->stop();
        (*udp)->wait();
    }
    if (!server->tcp_) return Unexpected(last);
    server->threads_ = server->udp_->threads();
    server->pool_->start();
    return server;
}

DnsServer::~DnsServer() {
    stop();
    wait();
}

void DnsServer::stop() noexcept {
    if (stopped_.exchange(true)) return;
    if (pool_) pool_->stop();
}

void DnsServer::wait() {
    if (waited_ || !pool_) return;
    pool_->wait();
    if (udp_) udp_->wait();
    if (tcp_) tcp_->wait();
    waited_ = true;
}

DnsServerStats DnsServer::stats() const noexcept {
    DnsServerStats s;
    if (udp_) {
        const auto u = udp_->stats();
        s.udp_queries = u.datagrams;
        s.udp_answers = u.sent;
        s.udp_batches = u.batches;
    }
    s.tcp_queries = counters_->tcp_queries.load();
    if (tcp_) {
        const auto t = tcp_->stats();
        s.tcp_connections = t.accepted;
        s.tcp_refused = t.refused;
    }
    return s;
}

}  // namespace weft::dns
