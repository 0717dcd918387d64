// Echo and uppercase services on the io core (see the header for the memory layout).

#include "weft/services/echo.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "weft/socket/socket_option.hpp"

namespace weft {

namespace {

struct EchoState {
    EchoMode mode;
    EchoLog log;
};

std::string describe(const std::error_code& why) {
    if (why == std::errc::timed_out) return "idle timeout";
    if (why == std::errc::operation_canceled) return "server stopping";
    return why.message();
}

Task<> serve_echo(TcpStream conn, std::shared_ptr<const EchoState> state) {
    // An echo answers at once: Nagle would hold the tail of a large reply until the peer ACKs.
    (void)conn.set_option(NoDelay{true});
    std::string peer;
    if (state->log) {
        auto ep = conn.remote_endpoint();
        peer = ep ? ep->to_string() : std::string("?");
        state->log(peer + " connected");
    }
    std::vector<std::byte> pending;  // only while the kernel cannot take a reply at once
    std::uint64_t echoed = 0;
    std::error_code why;
    for (;;) {
        auto got = co_await conn.read_lent();
        if (!got) {
            // The server stopping (operation_canceled: this connection was idle) or the idle
            // timeout ended it while it waited: nothing it sent is left unanswered.
            why = got.error();
            break;
        }
        if (got->empty()) break;  // the peer closed its side: everything it sent was answered
        const auto data = *got;   // the loop's buffer: used before the next suspension
        apply_echo_mode(state->mode, data);
        auto sent = conn.try_write(data);
        if (!sent) {
            why = sent.error();
            break;
        }
        if (*sent < data.size()) {
            // A slow reader: keep the rest in this connection's own memory while we wait.
            pending.assign(data.begin() + static_cast<std::ptrdiff_t>(*sent), data.end());
            auto written = co_await conn.write_all(std::span<const std::byte>(pending));
            pending = {};
            if (!written) {
                why = written.error();
                break;
            }
        }
        echoed += data.size();
    }
    if (state->log) {
        std::string line = peer + " closed after " + std::to_string(echoed) + " bytes";
        if (why) line += " (" + describe(why) + ")";
        state->log(line);
    }
}

}  // namespace

std::size_t apply_echo_mode(EchoMode mode, std::span<const std::byte> in, std::span<std::byte> out) noexcept {
    const std::size_t n = std::min(in.size(), out.size());
    if (mode == EchoMode::echo) {
        if (n > 0 && in.data() != out.data()) std::copy_n(in.begin(), n, out.begin());
        return n;
    }
    // Each output byte depends only on the input byte at the same index, so in == out works.
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = std::to_integer<unsigned char>(in[i]);
        out[i] = std::byte(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return n;
}

void apply_echo_mode(EchoMode mode, std::span<std::byte> bytes) noexcept {
    if (mode == EchoMode::upper) (void)apply_echo_mode(mode, bytes, bytes);
}

ConnectionHandler tcp_echo_handler(EchoMode mode, EchoLog log) {
    auto state = std::make_shared<const EchoState>(EchoState{mode, std::move(log)});
    return [state](TcpStream conn) { return serve_echo(std::move(conn), state); };
}

Result<std::unique_ptr<TcpServer>> start_tcp_echo(const Endpoint& at, TcpEchoOptions options) {
    return TcpServer::start(at, options.server, tcp_echo_handler(options.mode, std::move(options.log)));
}

DatagramHandler udp_echo_handler(EchoMode mode, EchoLog log) {
    return [mode, log = std::move(log)](const InboundDatagram& in, DatagramReplies& out) {
        if (log) log(in.from.to_string() + ": " + std::to_string(in.payload.size()) + " bytes");
        const auto space = out.buffer();
        if (space.empty()) return;  // the batch could not be flushed: drop, as UDP may
        out.commit(apply_echo_mode(mode, in.payload, space));
    };
}

Result<std::unique_ptr<UdpServer>> start_udp_echo(const Endpoint& at, UdpEchoOptions options) {
    UdpServerOptions server;
    server.threads = options.threads;
    return UdpServer::start(at, udp_echo_handler(options.mode, std::move(options.log)), std::move(server));
}

}  // namespace weft
