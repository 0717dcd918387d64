#include "weft/services/echo.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <list>
#include <thread>

#include <poll.h>

namespace weft {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 64 * 1024;

// A connection thread and the flag it raises when it is done, so the acceptor can reap it.
struct Worker {
    std::atomic<bool> done{false};
    std::jthread thread;
};

int poll_ms(Clock::duration d) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
    return ms < 0 ? 0 : static_cast<int>(std::min<long long>(ms, 1 << 30));
}

// One connection: read, transform, write back, until the peer closes or errs. Once the server
// stops, keep answering while data keeps coming, and close after `idle_grace` of silence or at
// the drain deadline; `deadline` is shared so the stop time is the same for every connection.
void serve_connection(Socket conn, int stop_fd, const TcpEchoOptions& options,
                      const std::atomic<Clock::rep>& drain_deadline) {
    std::array<std::byte, kChunk> buf;
    try {
        for (;;) {
            const bool stopping = drain_deadline.load() != 0;
            pollfd fds[2] = {{conn.fileno(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
            int timeout = -1;
            if (stopping) {
                auto deadline = Clock::time_point(Clock::duration(drain_deadline.load()));
                auto left = deadline - Clock::now();
                timeout = std::min(poll_ms(left), static_cast<int>(options.idle_grace.count()));
            }
            int n = ::poll(fds, stopping ? 1 : 2, timeout);
            if (n < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (n == 0) return;  // stopping and idle (or out of time): close
            if (!stopping && (fds[1].revents & POLLIN) && !(fds[0].revents & POLLIN)) continue;
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            std::size_t got = conn.recv(buf);
            if (got == 0) return;  // the peer closed in order; everything it sent was answered
            apply_echo_mode(options.mode, std::span(buf).first(got));
            conn.sendall(std::span(buf).first(got));
        }
    } catch (const SocketError& e) {
        // A reset or vanished peer ends this connection only.
        if (options.log) options.log(std::string("connection ended: ") + e.what());
    }
}

}  // namespace

void apply_echo_mode(EchoMode mode, std::span<std::byte> bytes) noexcept {
    if (mode != EchoMode::upper) return;
    for (std::byte& b : bytes) {
        auto c = static_cast<unsigned char>(b);
        if (c >= 'a' && c <= 'z') b = std::byte(c - 'a' + 'A');
    }
}

std::size_t serve_tcp_echo_blocking(Socket& listener, int stop_fd, const TcpEchoOptions& options) {
    std::atomic<Clock::rep> drain_deadline{0};
    std::list<Worker> workers;  // a list: each Worker's address is stable while it runs
    std::size_t served = 0;

    for (;;) {
        pollfd fds[2] = {{listener.fileno(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[1].revents & POLLIN) break;
        if (!(fds[0].revents & POLLIN)) continue;
        try {
            auto [conn, peer] = listener.accept();
            if (options.log) options.log("connection from " + peer.to_string());
            conn.setblocking(true);
            ++served;
            Worker& w = workers.emplace_back();
            w.thread = std::jthread([&w, &options, &drain_deadline, stop_fd, c = std::move(conn)]() mutable {
                serve_connection(std::move(c), stop_fd, options, drain_deadline);
                w.done.store(true);
            });
        } catch (const SocketError& e) {
            // EMFILE and friends: say so, give the system a moment, and keep serving.
            if (options.log) options.log(std::string("accept failed: ") + e.what());
            ::poll(nullptr, 0, 50);
        }
        // Reap finished workers so a long-running server does not collect thread handles.
        std::erase_if(workers, [](const Worker& w) { return w.done.load(); });
    }

    // Stop accepting at once; connections drain on their own threads.
    listener.close();
    drain_deadline.store((Clock::now() + options.drain_timeout).time_since_epoch().count());
    workers.clear();  // joins every worker
    return served;
}

std::size_t serve_udp_echo_blocking(Socket& socket, int stop_fd, const UdpEchoOptions& options) {
    std::array<std::byte, 65536> buf;
    std::size_t answered = 0;
    for (;;) {
        pollfd fds[2] = {{socket.fileno(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if ((fds[1].revents & POLLIN) && !(fds[0].revents & POLLIN)) break;
        if (!(fds[0].revents & POLLIN)) continue;
        try {
            Datagram d = socket.recvfrom(buf);
            if (options.log) options.log(std::to_string(d.size) + " bytes from " + d.sender.to_string());
            apply_echo_mode(options.mode, std::span(buf).first(d.size));
            socket.sendto(std::span(buf).first(d.size), d.sender);
            ++answered;
        } catch (const SocketError& e) {
            // An ICMP error from an earlier send surfaces here; one client's trouble is not ours.
            if (options.log) options.log(std::string("datagram dropped: ") + e.what());
        }
    }
    return answered;
}

}  // namespace weft
