// weft udp connect: the seed's UDP client. Each line of stdin is one datagram; each reply is
// printed on a line. UDP may lose a datagram, so each try waits --timeout and the datagram is
// sent again up to --retries times.
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "weft/net/resolve.hpp"
#include "weft/socket/socket.hpp"

namespace weft::cli {

namespace {

// Enough for any lossy link; a larger count is more likely a typo than a plan (at the
// default 2 s per try, 100 re-sends already wait over three minutes for one line).
constexpr int kMaxRetries = 100;

struct UdpConnectArgs {
    std::string host;
    std::string port;
    std::string timeout = "2";
    int retries = 2;
};

void run(const UdpConnectArgs& args) {
    std::uint16_t port = port_arg(args.port);
    auto per_try = seconds_arg(args.timeout, "--timeout");

    auto endpoints = resolve(args.host, std::to_string(port));
    if (!endpoints) throw std::runtime_error(endpoints.error().message);
    const Endpoint server = endpoints->front();

    // A connected UDP socket: the kernel then reports an ICMP port unreachable as
    // ECONNREFUSED on the next call, so a missing server is known at once, not after retries.
    Socket sock(server.address().is_v4() ? Family::inet : Family::inet6, Type::datagram);
    sock.connect(server);
    sock.settimeout(per_try);

    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;  // as in the seed: nothing to say, nothing sent
        bool answered = false;
        for (int attempt = 0; attempt <= args.retries && !answered; ++attempt) {
            sock.send(line);
            try {
                std::cout << sock.recv(65536) << std::endl;
                answered = true;
            } catch (const TimeoutError&) {
                // Lost on the way there or back: try again.
            }
        }
        if (!answered)
            throw std::runtime_error("udp connect " + server.to_string() + ": no reply after " +
                                     std::to_string(args.retries + 1) + " tries: timed out");
    }
}

}  // namespace

void add_udp_connect(CLI::App& udp) {
    auto args = std::make_shared<UdpConnectArgs>();
    CLI::App* cmd = udp.add_subcommand("connect", "UDP client: each stdin line is a datagram; replies printed");
    cmd->add_option("host", args->host, "server name or address")->required();
    cmd->add_option("port", args->port, "server port")->required();
    cmd->add_option("--timeout", args->timeout, "seconds to wait for each reply")->capture_default_str();
    // CLI11 rejects a bad count as a usage error (exit 2) naming the option:
    // "--retries: Value -1 not in range 0 to 100".
    cmd->add_option("--retries", args->retries, "re-sends after the first try")
        ->check(CLI::Range(0, kMaxRetries))
        ->capture_default_str();
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
