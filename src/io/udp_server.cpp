// UdpServer: per loop, recvmmsg a batch, run the handler on each datagram, sendmmsg what it
// produced; or, for coroutine handlers, one task per datagram.

#include "weft/io/udp_server.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <unordered_map>

#include <ifaddrs.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/socket/socket_option.hpp"

namespace weft {

namespace {

struct FreeBytes {
    void operator()(std::byte* p) const noexcept { std::free(p); }
};
using ZeroedBytes = std::unique_ptr<std::byte[], FreeBytes>;

// kMaxBatch full-size datagrams, allocated once. calloc rather than a zero-filled vector: glibc
// serves a block this large from fresh mmap pages without writing them, so only the pages
// datagrams reach become resident (a loop per core must not cost 4 MiB of RSS per core), and
// a handler that overstates its reply's length sends zeros, never old heap contents.
ZeroedBytes batch_storage() {
    ZeroedBytes storage(static_cast<std::byte*>(std::calloc(detail::kMaxBatch * kMaxDatagram, 1)));
    if (!storage) throw std::bad_alloc();
    return storage;
}

void lay_out(std::span<UdpMessage> messages, std::byte* storage) noexcept {
    for (std::size_t i = 0; i < messages.size(); ++i)
        messages[i].buffer = std::span(storage + i * kMaxDatagram, kMaxDatagram);
}

// Where a socket's datagrams arrive when it tells no packet info: a socket bound to one
// unicast address receives only what is sent to that address, on the interface that holds it.
struct FixedDestination {
    IpAddress address{};
    unsigned interface_index = 0;
};

FixedDestination fixed_destination(const UdpSocket& socket) {
    FixedDestination fixed;
    auto bound = socket.local_endpoint();
    if (!bound) return fixed;
    fixed.address = bound->address();
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return fixed;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
        const socklen_t length = i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        auto ep = Endpoint::from_sockaddr(i->ifa_addr, length);
        if (ep && ep->address() == fixed.address) {
            fixed.interface_index = ::if_nametoindex(i->ifa_name);
            break;
        }
    }
    ::freeifaddrs(list);
    return fixed;
}

// The sender as an Endpoint, on the path of every datagram: IPv4 directly, the rest through
// the general conversion.
Endpoint sender_of(const UdpMessage& m) {
    if (m.address.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(m.address);
        return {Ipv4Address(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)};
    }
    auto from = m.peer();
    return from ? *from : Endpoint();
}

InboundDatagram inbound(const UdpMessage& m, const FixedDestination& fixed) {
    InboundDatagram d;
    d.payload = m.data();
    d.from = sender_of(m);
    d.local = m.has_local ? m.destination : fixed.address;
    d.interface_index = m.has_local ? m.interface_index : fixed.interface_index;
    return d;
}

}  // namespace

// ---- DatagramReplies ---------------------------------------------------------------------

void DatagramReplies::ensure_room() noexcept {
    if (count_ == out_.size() && flush_) flush_();
}

std::span<std::byte> DatagramReplies::buffer() noexcept {
    ensure_room();
    if (count_ == out_.size()) return {};  // the flush could not make room
    return out_[count_].buffer;
}

void DatagramReplies::commit(std::size_t size) noexcept {
    if (!in_ || count_ == out_.size()) return;
    UdpMessage& m = out_[count_++];
    m.size = std::min(size, m.buffer.size());
    m.address = in_->address;
    m.address_length = in_->address_length;
    // From the address the request came to (a wildcard-bound server has several); a socket
    // bound to one address sends from it anyway, and skipping the control message saves the
    // kernel parsing it for every reply.
    m.local = in_->local;
    m.has_local = in_->has_local && reply_from_destination_;
    m.interface_index = in_->interface_index;
}

void DatagramReplies::commit(std::size_t size, const Endpoint& to) noexcept {
    if (count_ == out_.size()) return;
    UdpMessage& m = out_[count_++];
    m.size = std::min(size, m.buffer.size());
    m.set_peer(to);
    m.has_local = false;  // the kernel routes it: to another host or a broadcast address
    m.interface_index = 0;
}

void DatagramReplies::reply(std::span<const std::byte> data) noexcept {
    auto space = buffer();
    const std::size_t n = std::min(data.size(), space.size());
    if (n > 0) std::memcpy(space.data(), data.data(), n);
    if (!space.empty()) commit(n);
}

void DatagramReplies::send_to(std::span<const std::byte> data, const Endpoint& to) noexcept {
    auto space = buffer();
    const std::size_t n = std::min(data.size(), space.size());
    if (n > 0) std::memcpy(space.data(), data.data(), n);
    if (!space.empty()) commit(n, to);
}

// ---- the batch loop ----------------------------------------------------------------------

Task<> serve_datagrams(UdpSocket& socket, DatagramHandler handler, UdpServerStats* stats) {
    const ZeroedBytes in_storage = batch_storage();
    const ZeroedBytes out_storage = batch_storage();
    std::array<UdpMessage, detail::kMaxBatch> in;
    std::array<UdpMessage, detail::kMaxBatch> out;
    lay_out(in, in_storage.get());
    lay_out(out, out_storage.get());
    UdpServerStats local_stats;
    UdpServerStats& counters = stats ? *stats : local_stats;
    // A handler that sends more than a batch holds: send what is queued now, without waiting
    // (the optimistic first try of send_many); what the kernel cannot take is dropped, as a
    // full socket buffer drops datagrams anyway.
    DatagramReplies* replies_ptr = nullptr;
    DatagramReplies replies(out, [&] {
        auto send = socket.send_many(std::span(out).first(replies_ptr->count()));
        const bool done = send.await_ready();
        const std::size_t sent = done ? send.await_resume().value_or(0) : 0;
        counters.sent += sent;
        if (sent < replies_ptr->count()) counters.send_errors += replies_ptr->count() - sent;
        replies_ptr->clear();
    });
    replies_ptr = &replies;
    // Without packet info (a socket bound to one address) every datagram arrived there.
    const FixedDestination fixed = socket.packet_info() ? FixedDestination{} : fixed_destination(socket);
    if (auto bound = socket.local_endpoint()) replies.set_reply_from_destination(bound->address().is_unspecified());
    for (;;) {
        auto got = co_await socket.recv_many(in);
        if (!got) {
            // A previous reply's ICMP error surfaces on the next receive: not fatal.
            if (got.error() == std::errc::connection_refused) continue;
            co_return;  // closed (operation_canceled) or a real failure
        }
        for (std::size_t i = 0; i < *got; ++i) {
            replies.begin(in[i]);
            handler(inbound(in[i], fixed), replies);
        }
        counters.datagrams += *got;
        ++counters.batches;
        const std::size_t queued = replies.count();
        if (queued == 0) continue;
        replies.clear();
        auto sent = co_await socket.send_many(std::span(out).first(queued));
        if (sent) counters.sent += *sent;
        if (!sent || *sent < queued) counters.send_errors += queued - sent.value_or(0);
        if (!sent && sent.error() == std::errc::operation_canceled) co_return;
    }
}

// ---- UdpServer ---------------------------------------------------------------------------

struct UdpServer::Worker {
    UdpServer& server;
    std::size_t index;
    EventLoop& loop;
    UdpSocket socket;
    DatagramHandler sync;
    AsyncDatagramHandler async;
    UdpServerStats stats;  // written by this worker's loop thread
    std::chrono::milliseconds drain_timeout{};
    LoopPool::MemberId member = 0;
    std::unordered_map<std::uint64_t, void*> tasks;  // coroutine handlers still running: frames
    std::uint64_t next_task = 1;
    bool receiving = true;
    bool walking = false;
    void* serve_frame = nullptr;
    bool stopping = false;
    bool finished = false;
    TimerId drain_timer = 0;

    Worker(UdpServer& s, std::size_t i) : server(s), index(i), loop(s.pool_->loop(i)) {}

    Task<> serve();
    Task<> receive_async();
    Task<> run_handler(std::uint64_t id, OwnedDatagram datagram);
    void begin_stop();
    void maybe_finish();
    void abandon() noexcept;
};

Task<> UdpServer::Worker::serve() {
    struct Guard {
        Worker& w;
        ~Guard() {
            w.receiving = false;
            w.maybe_finish();
        }
    } guard{*this};
    if (sync) co_await serve_datagrams(socket, sync, &stats);
    else co_await receive_async();
}

// Coroutine handlers: one datagram at a time off the socket, each copied into its own task.
Task<> UdpServer::Worker::receive_async() {
    std::vector<std::byte> buffer(kMaxDatagram);
    std::array<UdpMessage, 1> message;
    const FixedDestination fixed = socket.packet_info() ? FixedDestination{} : fixed_destination(socket);
    message[0].buffer = buffer;
    for (;;) {
        auto got = co_await socket.recv_many(message);
        if (!got) {
            if (got.error() == std::errc::connection_refused) continue;
            co_return;
        }
        ++stats.datagrams;
        ++stats.batches;
        const UdpMessage& m = message[0];
        OwnedDatagram datagram;
        datagram.payload.assign(m.data().begin(), m.data().end());
        if (auto from = m.peer()) datagram.from = *from;
        datagram.local = m.has_local ? m.destination : fixed.address;
        datagram.interface_index = m.has_local ? m.interface_index : fixed.interface_index;
        const std::uint64_t id = next_task++;
        tasks.emplace(id, nullptr);
        void* frame = detail::LoopAccess::spawn_root(loop, run_handler(id, std::move(datagram)));
        if (auto it = tasks.find(id); it != tasks.end()) it->second = frame;  // still running
    }
}

Task<> UdpServer::Worker::run_handler(std::uint64_t id, OwnedDatagram datagram) {
    struct Guard {
        Worker& w;
        std::uint64_t id;
        ~Guard() {
            w.tasks.erase(id);
            w.maybe_finish();
        }
    } guard{*this, id};
    co_await async(std::move(datagram), socket);
}

void UdpServer::Worker::begin_stop() {
    if (stopping) return;
    stopping = true;
    // Reading ends (the receiving task resumes with operation_canceled and returns); the
    // socket stays open until coroutine handlers still running have sent what they owe.
    detail::LoopAccess::refuse_reads(loop, socket.native_handle(), std::make_error_code(std::errc::operation_canceled));
    if (!tasks.empty())
        drain_timer = loop.add_timer(drain_timeout, [this] {
            drain_timer = 0;
            // Handlers past the deadline: their frames go (each guard erases itself).
            std::vector<void*> frames;
            for (auto& [id, frame] : tasks)
                if (frame) frames.push_back(frame);
            walking = true;
            for (void* frame : frames) detail::LoopAccess::destroy_root(loop, frame);
            tasks.clear();
            walking = false;
            maybe_finish();
        });
    maybe_finish();
}

void UdpServer::Worker::maybe_finish() {
    if (!stopping || finished || walking || receiving || !tasks.empty()) return;
    finished = true;
    if (drain_timer) loop.cancel_timer(std::exchange(drain_timer, 0));
    socket.close();
    server.pool_->leave(index, member);
    server.worker_finished();  // may let the server's owner destroy this worker: last
}

Result<std::unique_ptr<UdpServer>> UdpServer::start(const Endpoint& at, DatagramHandler handler,
                                                    UdpServerOptions options) {
    auto pool = LoopPool::create(options.threads);
    if (!pool) return Unexpected(pool.error());
    auto server = start_on(**pool, at, std::move(handler), {}, std::move(options));
    if (!server) return server;
    (*server)->own_pool_ = std::move(*pool);
    (*server)->own_pool_->start();
    return server;
}

Result<std::unique_ptr<UdpServer>> UdpServer::start(LoopPool& pool, const Endpoint& at, DatagramHandler handler,
                                                    UdpServerOptions options) {
    return start_on(pool, at, std::move(handler), {}, std::move(options));
}

Result<std::unique_ptr<UdpServer>> UdpServer::start_async(const Endpoint& at, AsyncDatagramHandler handler,
                                                          UdpServerOptions options) {
    auto pool = LoopPool::create(options.threads);
    if (!pool) return Unexpected(pool.error());
    auto server = start_on(**pool, at, {}, std::move(handler), std::move(options));
    if (!server) return server;
    (*server)->own_pool_ = std::move(*pool);
    (*server)->own_pool_->start();
    return server;
}

Result<std::unique_ptr<UdpServer>> UdpServer::start_async(LoopPool& pool, const Endpoint& at,
                                                          AsyncDatagramHandler handler, UdpServerOptions options) {
    return start_on(pool, at, {}, std::move(handler), std::move(options));
}

Result<std::unique_ptr<UdpServer>> UdpServer::start_on(LoopPool& pool, const Endpoint& at, DatagramHandler sync,
                                                       AsyncDatagramHandler async, UdpServerOptions options) {
    std::unique_ptr<UdpServer> server(new UdpServer());
    server->pool_ = &pool;
    const std::size_t loops = pool.size();
    const bool spread = loops > 1;
    Endpoint bind_at = at;
    std::error_code failed;
    // Every socket is bound, on its loop's thread, before any serves: a failure (the port in
    // use, out of descriptors) returns with nothing running.
    for (std::size_t i = 0; i < loops && !failed; ++i) {
        server->workers_.push_back(std::make_unique<Worker>(*server, i));
        Worker& w = *server->workers_.back();
        w.sync = sync;
        w.async = async;
        w.drain_timeout = options.drain_timeout;
        pool.call(i, [&] {
            const PortSharing sharing = !spread ? PortSharing::exclusive
                                        : i == 0 ? PortSharing::exclusive_then_shared
                                                 : PortSharing::shared;
            auto socket = UdpSocket::bind(w.loop, bind_at, sharing);
            if (!socket) {
                failed = socket.error();
                return;
            }
            w.socket = std::move(*socket);
            // Packet info only where the destination is not known from the bind (a wildcard
            // address): the kernel's control message costs every datagram a little.
            Result<void> r;
            if (bind_at.address().is_unspecified()) r = w.socket.enable_packet_info();
            if (r && options.broadcast) r = w.socket.set_option(Broadcast{true});
            if (r && !options.interface.empty()) r = w.socket.bind_to_device(options.interface);
            if (!r) {
                failed = r.error();
                return;
            }
            if (i == 0) {
                auto local = w.socket.local_endpoint();
                if (!local) {
                    failed = local.error();
                    return;
                }
                server->local_ = bind_at = *local;  // port 0: the others join the real port
            }
        });
    }
    if (failed) {
        for (auto& w : server->workers_) pool.call(w->index, [&] { w->socket.close(); });
        server->stopped_ = true;  // nothing joined the pool: the destructor has nothing to stop
        return Unexpected(failed);
    }
    server->running_workers_ = loops;
    for (auto& w : server->workers_) {
        Worker* worker = w.get();
        pool.call(worker->index, [worker] {
            worker->member = worker->server.pool_->join(worker->index, [worker] { worker->begin_stop(); });
            worker->serve_frame = detail::LoopAccess::spawn_root(worker->loop, worker->serve());
        });
    }
    return server;
}

UdpServer::~UdpServer() {
    stop();
    wait();
}

// The pool never ran: no datagram was read and no handler runs. Undo what start_on() left on
// the loop so that wait() returns and no frame outlives this worker.
void UdpServer::Worker::abandon() noexcept {
    stopping = true;
    // The serve task's guard finishes the worker as its frame goes (receiving ends there).
    if (serve_frame) detail::LoopAccess::destroy_root(loop, std::exchange(serve_frame, nullptr));
    receiving = false;
    maybe_finish();  // no-op when the guard already finished it
}

void UdpServer::stop() noexcept {
    if (stopped_.exchange(true)) return;
    if (!pool_->started()) {
        for (auto& w : workers_)
            if (w->member != 0) w->abandon();  // a failed start() left no member behind
        return;
    }
    for (auto& w : workers_) {
        try {
            pool_->post(w->index, [worker = w.get()] { worker->begin_stop(); });
        } catch (...) {
            if (own_pool_) own_pool_->stop();
        }
    }
}

void UdpServer::worker_finished() noexcept {
    if (running_workers_.fetch_sub(1) == 1) {
        if (own_pool_) own_pool_->stop();
        running_workers_.notify_all();
    }
}

void UdpServer::wait() {
    for (auto n = running_workers_.load(); n != 0; n = running_workers_.load()) running_workers_.wait(n);
    if (own_pool_) own_pool_->wait();
}

UdpServerStats UdpServer::stats() const noexcept {
    UdpServerStats total;
    for (const auto& w : workers_) {
        total.datagrams += w->stats.datagrams;
        total.batches += w->stats.batches;
        total.sent += w->stats.sent;
        total.send_errors += w->stats.send_errors;
    }
    return total;
}

Result<void> serve_udp(const Endpoint& at, DatagramHandler handler, UdpServerOptions options) {
    // Block the signals before any server thread exists, so that all of them inherit the mask.
    auto signals = StopSignals::open();
    if (!signals) return Unexpected(signals.error());
    auto server = UdpServer::start(at, std::move(handler), std::move(options));
    if (!server) return Unexpected(server.error());
    auto signo = signals->wait();
    (*server)->stop();
    (*server)->wait();
    if (!signo) return Unexpected(signo.error());
    return {};
}

}  // namespace weft
