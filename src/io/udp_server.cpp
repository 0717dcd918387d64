// UdpServer: recvmmsg a batch, transform in place, sendmmsg the replies.

#include "weft/io/udp_server.hpp"

#include <array>
#include <vector>

#include "weft/io/stop_signals.hpp"

namespace weft {

namespace {
constexpr std::size_t kMaxDatagram = 65536;
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

Task<> serve_datagrams(UdpSocket& socket, DatagramTransform transform, UdpServerStats* stats) {
    // Receive and reply buffers: kMaxBatch full-size datagrams each (8 MiB), allocated once.
    std::vector<std::byte> in_storage(detail::kMaxBatch * kMaxDatagram);
    std::vector<std::byte> out_storage(detail::kMaxBatch * kMaxDatagram);
    std::array<UdpMessage, detail::kMaxBatch> in;
    std::array<UdpMessage, detail::kMaxBatch> out;
    for (std::size_t i = 0; i < detail::kMaxBatch; ++i) {
        in[i].buffer = std::span(in_storage).subspan(i * kMaxDatagram, kMaxDatagram);
        out[i].buffer = std::span(out_storage).subspan(i * kMaxDatagram, kMaxDatagram);
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

Result<std::unique_ptr<UdpServer>> UdpServer::start(const Endpoint& at, DatagramTransform transform) {
    std::unique_ptr<UdpServer> server(new UdpServer());
    auto socket = UdpSocket::bind(server->loop_, at);
    if (!socket) return Unexpected(socket.error());
    server->socket_ = std::move(*socket);
    auto local = server->socket_.local_endpoint();
    if (!local) return Unexpected(local.error());
    server->local_ = *local;
    server->transform_ = std::move(transform);
    UdpServer* self = server.get();
    self->loop_.spawn(serve_datagrams(self->socket_, self->transform_, &self->stats_));
    self->thread_ = std::thread([self] {
        self->loop_.run();
        self->loop_.destroy_tasks();
    });
    return server;
}

UdpServer::~UdpServer() {
    stop();
    wait();
}

void UdpServer::stop() noexcept {
    if (stopped_.exchange(true)) return;
    try {
        loop_.post([this] {
            socket_.close();  // serve_datagrams resumes with operation_canceled and returns
            loop_.stop();
        });
    } catch (...) {
        loop_.stop();
    }
}

void UdpServer::wait() {
    if (thread_.joinable()) thread_.join();
}

UdpServerStats UdpServer::stats() const noexcept { return stats_; }

Result<void> serve_udp(const Endpoint& at, DatagramTransform transform) {
    auto signals = StopSignals::open();
    if (!signals) return Unexpected(signals.error());
    auto server = UdpServer::start(at, std::move(transform));
    if (!server) return Unexpected(server.error());
    auto signo = signals->wait();
    (*server)->stop();
    (*server)->wait();
    if (!signo) return Unexpected(signo.error());
    return {};
}

}  // namespace weft
