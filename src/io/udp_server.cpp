// UdpServer: per loop, recvmmsg a batch, transform it, sendmmsg the replies.

#include "weft/io/udp_server.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>

#include "weft/io/stop_signals.hpp"

namespace weft {

namespace {
constexpr std::size_t kMaxDatagram = 65536;

struct FreeBytes {
    void operator()(std::byte* p) const noexcept { std::free(p); }
};
using ZeroedBytes = std::unique_ptr<std::byte[], FreeBytes>;
}  // namespace

std::optional<std::size_t> echo_datagram(std::span<const std::byte> in, std::span<std::byte> out) noexcept {
    const std::size_t n = std::min(in.size(), out.size());
    std::copy_n(in.begin(), n, out.begin());
    return n;
}

std::optional<std::size_t> upper_datagram(std::span<const std::byte> in, std::span<std::byte> out) noexcept {
    const std::size_t n = std::min(in.size(), out.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = std::to_integer<unsigned char>(in[i]);
        out[i] = std::byte(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return n;
}

Task<> serve_datagrams(UdpSocket& socket, DatagramTransform transform, UdpServerStats* stats,
                       DatagramObserver observer) {
    // Receive and reply buffers: kMaxBatch full-size datagrams each (8 MiB in all), allocated
    // once. calloc rather than a zero-filled vector: glibc serves a block this large from
    // fresh mmap pages without writing them, so only the pages datagrams reach become
    // resident (a loop per core must not cost 8 MiB of RSS per core), and a transform that
    // overstates its reply's length sends zeros, never old heap contents.
    constexpr std::size_t kStorage = detail::kMaxBatch * kMaxDatagram;
    const ZeroedBytes in_storage(static_cast<std::byte*>(std::calloc(kStorage, 1)));
    const ZeroedBytes out_storage(static_cast<std::byte*>(std::calloc(kStorage, 1)));
    if (!in_storage || !out_storage) throw std::bad_alloc();
    std::array<UdpMessage, detail::kMaxBatch> in;
    std::array<UdpMessage, detail::kMaxBatch> out;
    for (std::size_t i = 0; i < detail::kMaxBatch; ++i) {
        in[i].buffer = std::span(in_storage.get() + i * kMaxDatagram, kMaxDatagram);
        out[i].buffer = std::span(out_storage.get() + i * kMaxDatagram, kMaxDatagram);
    }
    for (;;) {
        auto got = co_await socket.recv_many(in);
        if (!got) {
            // A previous reply's ICMP error surfaces on the next receive: not fatal.
            if (got.error() == std::errc::connection_refused) continue;
            co_return;  // closed (operation_canceled) or a real failure
        }
        std::size_t replies = 0;
        for (std::size_t i = 0; i < *got; ++i) {
            if (observer) {
                // Only here is the sender turned into an Endpoint: the unobserved path stays
                // a loop over raw sockaddrs.
                if (auto from = in[i].peer()) observer(*from, in[i].size);
            }
            UdpMessage& reply = out[replies];
            const std::optional<std::size_t> size = transform(in[i].data(), reply.buffer);
            if (!size) continue;
            reply.size = *size;
            reply.address = in[i].address;
            reply.address_length = in[i].address_length;
            ++replies;
        }
        if (stats) {
            stats->datagrams += *got;
            ++stats->batches;
        }
        if (replies == 0) continue;
        auto sent = co_await socket.send_many(std::span(out).first(replies));
        if (stats && (!sent || *sent < replies)) ++stats->send_errors;
        if (!sent && sent.error() == std::errc::operation_canceled) co_return;
    }
}

// Members in this order so that the socket (which unregisters from the loop) goes first.
struct UdpServer::Worker {
    EventLoop loop;
    UdpSocket socket;
    std::thread thread;
    UdpServerStats stats;  // written by this worker's loop thread
};

Result<std::unique_ptr<UdpServer>> UdpServer::start(const Endpoint& at, DatagramTransform transform,
                                                    UdpServerOptions options) {
    std::unique_ptr<UdpServer> server(new UdpServer());
    if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
    const bool spread = options.threads > 1;
    Endpoint bind_at = at;
    // Every socket is bound before any thread starts, so a failure (the port in use, out of
    // descriptors) returns with nothing running; the destructor closes what was opened.
    for (std::size_t i = 0; i < options.threads; ++i) {
        auto worker = std::make_unique<Worker>();
        // The first socket binds exclusively (see the header): a busy port fails here.
        const UdpBindOptions bind_options{.reuse_port = spread && i > 0, .exclusive_then_shared = spread && i == 0};
        auto socket = UdpSocket::bind(worker->loop, bind_at, bind_options);
        if (!socket) return Unexpected(socket.error());
        worker->socket = std::move(*socket);
        if (i == 0) {
            auto local = worker->socket.local_endpoint();
            if (!local) return Unexpected(local.error());
            server->local_ = bind_at = *local;  // port 0: the others join the real port
        }
        server->workers_.push_back(std::move(worker));
    }
    // Each loop gets its own copies of the callbacks, spawned here while the loops still
    // belong to this thread; each then moves to its own thread in run().
    for (auto& w : server->workers_)
        w->loop.spawn(serve_datagrams(w->socket, transform, &w->stats, options.on_datagram));
    for (auto& w : server->workers_) {
        Worker* worker = w.get();
        worker->thread = std::thread([worker] {
            worker->loop.run();
            worker->loop.destroy_tasks();  // on its own thread, before the loop is destroyed
        });
    }
    return server;
}

UdpServer::~UdpServer() {
    stop();
    wait();
}

void UdpServer::stop() noexcept {
    if (stopped_.exchange(true)) return;
    for (auto& w : workers_) {
        Worker* worker = w.get();
        try {
            worker->loop.post([worker] {
                worker->socket.close();  // serve_datagrams resumes with operation_canceled and returns
                worker->loop.stop();
            });
        } catch (...) {
            worker->loop.stop();  // could not allocate the post: the loop stops all the same
        }
    }
}

void UdpServer::wait() {
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

UdpServerStats UdpServer::stats() const noexcept {
    UdpServerStats total;
    for (const auto& w : workers_) {
        total.datagrams += w->stats.datagrams;
        total.batches += w->stats.batches;
        total.send_errors += w->stats.send_errors;
    }
    return total;
}

Result<void> serve_udp(const Endpoint& at, DatagramTransform transform, UdpServerOptions options) {
    // Block the signals before any server thread exists, so that all of them inherit the mask.
    auto signals = StopSignals::open();
    if (!signals) return Unexpected(signals.error());
    auto server = UdpServer::start(at, std::move(transform), std::move(options));
    if (!server) return Unexpected(server.error());
    auto signo = signals->wait();
    (*server)->stop();
    (*server)->wait();
    if (!signo) return Unexpected(signo.error());
    return {};
}

}  // namespace weft
