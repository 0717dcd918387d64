// weft udp serve: the seed's UDP server on the event-driven core, answering datagrams in
// batches (one recvmmsg for all that are queued, one sendmmsg for the replies), a loop and a
// SO_REUSEPORT socket per thread.
#include <memory>
#include <stdexcept>

#include "cli.hpp"
#include "weft/services/echo.hpp"

namespace weft::cli {

namespace {

struct UdpServeArgs {
    ServerArgs server;
    std::string mode = "upper";
};

void run(const UdpServeArgs& args) {
    const ServerSettings settings = server_settings(args.server);
    UdpEchoOptions options;
    options.mode = args.mode == "echo" ? EchoMode::echo : EchoMode::upper;
    options.threads = settings.threads;
    if (!settings.quiet) options.log = log_line;

    std::unique_ptr<UdpServer> server;
    run_until_signal(
        [&] {
            auto started = start_udp_echo(settings.where, std::move(options));
            if (!started)
                throw std::runtime_error("cannot bind " + settings.where.to_string() + ": " +
                                         started.error().message());
            server = std::move(*started);
            print_listening(server->local_endpoint(), "udp, " + args.mode, server->threads());
        },
        [&] {
            server->stop();
            server->wait();
            if (settings.quiet) return;
            const UdpServerStats stats = server->stats();
            log_line("stopped: " + std::to_string(stats.datagrams) + " datagrams in " + std::to_string(stats.batches) +
                     " batches");
        });
}

}  // namespace

void add_udp_serve(CLI::App& udp) {
    auto args = std::make_shared<UdpServeArgs>();
    CLI::App* cmd = udp.add_subcommand("serve", "UDP server: uppercase (default) or echo every datagram");
    add_server_options(*cmd, args->server, "8080", "datagrams");
    cmd->add_option("--mode", args->mode, "upper or echo")->check(CLI::IsMember({"upper", "echo"}))->capture_default_str();
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
