// weft tcp connect: the seed's talking loop. What arrives on stdin goes to the server, what the
// server sends goes to stdout. With piped stdin it behaves like netcat: send everything,
// half-close, print until the server closes, exit 0.
#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include <poll.h>
#include <unistd.h>

#include "cli.hpp"
#include "weft/socket/create.hpp"

namespace weft::cli {

namespace {

struct TcpConnectArgs {
    std::string host;
    std::string port;
    std::string timeout;
};

void write_stdout(std::span<const std::byte> data) {
    while (!data.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(std::string("write to stdout: ") + std::strerror(errno));
        data = data.subspan(static_cast<std::size_t>(n));
    }
}

void run(const TcpConnectArgs& args) {
    std::uint16_t port = port_arg(args.port);
    Socket::Timeout timeout;
    if (!args.timeout.empty()) timeout = seconds_arg(args.timeout, "--timeout");

    Socket sock = create_connection(args.host, port, timeout);
    const std::string peer = sock.getpeername().to_string();
    sock.setblocking(true);  // the loop below does its own waiting

    std::array<std::byte, 64 * 1024> buf;
    bool stdin_open = true;
    // The timeout bounds each wait for data from the server: once stdin is closed, or once
    // we have sent something the server has not yet answered. Waiting for the user to type
    // is not bounded.
    bool awaiting_reply = false;
    for (;;) {
        pollfd fds[2] = {{sock.fileno(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        const bool bounded = timeout && (!stdin_open || awaiting_reply);
        int wait_ms = bounded ? static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*timeout).count()) : -1;
        int n = ::poll(fds, stdin_open ? 2 : 1, wait_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        if (n == 0) throw TimeoutError("recv", peer);

        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            std::size_t got = sock.recv(buf);
            if (got == 0) return;  // the server closed: everything it sent is printed
            write_stdout(std::span(buf).first(got));
            awaiting_reply = false;
        }
        if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = ::read(STDIN_FILENO, buf.data(), buf.size());
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw std::runtime_error(std::string("read stdin: ") + std::strerror(errno));
            if (got == 0) {
                // End of input: tell the server we are done, but keep listening to it.
                stdin_open = false;
                sock.shutdown(Shutdown::write);
            } else {
                sock.sendall(std::span(buf).first(static_cast<std::size_t>(got)));
                awaiting_reply = true;
            }
        }
    }
}

}  // namespace

void add_tcp_connect(CLI::App& tcp) {
    auto args = std::make_shared<TcpConnectArgs>();
    CLI::App* cmd = tcp.add_subcommand("connect", "TCP client: stdin to the server, the server's replies to stdout");
    cmd->add_option("host", args->host, "server name or address")->required();
    cmd->add_option("port", args->port, "server port")->required();
    cmd->add_option("--timeout", args->timeout, "seconds to wait for the connection and for each reply (default: no limit)");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
