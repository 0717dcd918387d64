// weft udp serve: the seed's UDP server on the event-driven core, answering datagrams in
// batches (one recvmmsg for all that are queued, one sendmmsg for the replies), a loop and a
// SO_REUSEPORT socket per thread.
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cli.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/services/echo.hpp"

namespace weft::cli {

namespace {

struct UdpServeArgs {
    std::string host = "127.0.0.1";
    std::string port = "8080";
    std::string mode = "upper";
    std::string threads;  // empty: one per core
    bool quiet = false;
};

void run(const UdpServeArgs& args) {
    // Every argument is checked before anything is bound (usage errors exit 2).
    const std::uint16_t port = port_arg(args.port);
    UdpEchoOptions options;
    options.mode = args.mode == "echo" ? EchoMode::echo : EchoMode::upper;
    options.threads = args.threads.empty() ? 0 : count_arg(args.threads, "--threads");
    if (!args.quiet) options.log = log_line;
    const Endpoint where = bind_endpoint(args.host, port);

    auto signals = StopSignals::open();  // before the server's thread starts
    if (!signals) throw std::runtime_error("cannot watch SIGINT/SIGTERM: " + signals.error().message());
    auto server = start_udp_echo(where, std::move(options));
    if (!server)
        throw std::runtime_error("cannot bind " + where.to_string() + ": " + server.error().message());
    std::cout << "listening on " << (*server)->local_endpoint().to_string() << " (udp, " << args.mode << ", "
              << (*server)->threads() << ((*server)->threads() == 1 ? " thread)" : " threads)") << std::endl;

    auto signo = signals->wait();
    (*server)->stop();
    (*server)->wait();
    if (!args.quiet) {
        const UdpServerStats stats = (*server)->stats();
        log_line("stopped: " + std::to_string(stats.datagrams) + " datagrams in " + std::to_string(stats.batches) +
                 " batches");
    }
    if (!signo) throw std::runtime_error("waiting for SIGINT/SIGTERM: " + signo.error().message());
}

}  // namespace

void add_udp_serve(CLI::App& udp) {
    auto args = std::make_shared<UdpServeArgs>();
    CLI::App* cmd = udp.add_subcommand("serve", "UDP server: uppercase (default) or echo every datagram");
    cmd->add_option("--host", args->host, "address to listen on (0.0.0.0 or :: to expose)")->capture_default_str();
    cmd->add_option("--port", args->port, "port, 0 for any free one")->capture_default_str();
    cmd->add_option("--mode", args->mode, "upper or echo")->check(CLI::IsMember({"upper", "echo"}))->capture_default_str();
    cmd->add_option("--threads", args->threads,
                    "event loops, one per thread, each with its own socket on the port (default: one per core)");
    cmd->add_flag("--quiet,-q", args->quiet, "do not log datagrams to stderr");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
