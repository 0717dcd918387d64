// Echo and uppercase services on the io core (see the header for the memory layout).

#include "weft/services/echo.hpp"

#include <cerrno>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace weft {

namespace {

constexpr std::size_t kChunk = 64 * 1024;

// The loop thread's read buffer. Sharing it between the thread's connections is safe because
// a loop performs one connection's read and resumes that connection at once: the data is used
// (sent, or copied into the connection's own buffer) before the coroutine suspends again, and
// no other connection's read can run in between.
std::span<std::byte> scratch() {
    thread_local std::unique_ptr<std::byte[]> buffer;
    if (!buffer) buffer.reset(new std::byte[kChunk]);
    return {buffer.get(), kChunk};
}

// Sends what the kernel takes right now. Returns the count (less than data.size() when the
// send buffer is full) or the error.
Result<std::size_t> send_now(int fd, std::span<const std::byte> data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return Unexpected(std::error_code(errno, std::system_category()));
    }
    return done;
}

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
    const int fd = conn.native_handle();
    EventLoop& loop = *conn.loop();
    // An echo answers at once: Nagle would hold the tail of a large reply until the peer ACKs.
    (void)conn.set_no_delay(true);
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
        const auto buffer = scratch();
        auto got = co_await conn.read_some(buffer);
        if (!got) {
            // The server stopping (operation_canceled) or the idle timeout ended this
            // connection while it waited: nothing it sent is left unanswered.
            why = got.error();
            break;
        }
        if (*got == 0) break;  // the peer closed its side: everything it sent was answered
        const auto data = buffer.first(*got);
        apply_echo_mode(state->mode, data);
        auto sent = send_now(fd, data);
        if (!sent) {
            why = sent.error();
            break;
        }
        if (*sent > 0) loop.note_activity(fd);
        if (*sent < data.size()) {
            // A slow reader: keep the rest in this connection's own memory while we wait.
            pending.assign(data.begin() + static_cast<std::ptrdiff_t>(*sent), data.end());
            auto written = co_await conn.write_all(pending);
            pending = {};
            if (!written) {
                why = written.error();
                break;
            }
        }
        echoed += *got;
    }
    if (state->log) {
        std::string line = peer + " closed after " + std::to_string(echoed) + " bytes";
        if (why) line += " (" + describe(why) + ")";
        state->log(line);
    }
}

}  // namespace

void apply_echo_mode(EchoMode mode, std::span<std::byte> bytes) noexcept {
    // The same rule as the UDP server's: upper_datagram works in place (each output byte
    // depends only on the input byte at the same index).
    if (mode == EchoMode::upper) (void)upper_datagram(bytes, bytes);
}

ConnectionHandler tcp_echo_handler(EchoMode mode, EchoLog log) {
    auto state = std::make_shared<const EchoState>(EchoState{mode, std::move(log)});
    return [state](TcpStream conn) { return serve_echo(std::move(conn), state); };
}

Result<std::unique_ptr<TcpServer>> start_tcp_echo(const Endpoint& at, TcpEchoOptions options) {
    return TcpServer::start(at, options.server,
                            tcp_echo_handler(options.mode, std::move(options.log)));
}

DatagramTransform udp_echo_transform(EchoMode mode, EchoLog log) {
    DatagramTransform base = mode == EchoMode::upper ? &upper_datagram : &echo_datagram;
    if (!log) return base;
    return [base, log = std::move(log)](std::span<const std::byte> in, std::span<std::byte> out) {
        log(std::to_string(in.size()) + " bytes");
        return base(in, out);
    };
}

Result<std::unique_ptr<UdpServer>> start_udp_echo(const Endpoint& at, UdpEchoOptions options) {
    UdpServerOptions server{.threads = options.threads};
    // Logged through the server's observer, which knows the sender, not the transform.
    if (options.log)
        server.on_datagram = [log = std::move(options.log)](const Endpoint& from, std::size_t bytes) {
            log(from.to_string() + ": " + std::to_string(bytes) + " bytes");
        };
    return UdpServer::start(at, udp_echo_transform(options.mode), std::move(server));
}

}  // namespace weft
