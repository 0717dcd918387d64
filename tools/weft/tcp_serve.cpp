// weft tcp serve: the seed's TCP server on the event-driven core: a loop per thread, each
// connection a coroutine, graceful drain on SIGINT/SIGTERM.
#include <memory>
#include <stdexcept>

#include "cli.hpp"
#include "weft/services/echo.hpp"

namespace weft::cli {

namespace {

struct TcpServeArgs {
    ServerArgs server;
    std::string mode = "echo";
    std::string idle_timeout;
    std::string max_connections;
};

std::chrono::milliseconds millis(std::chrono::nanoseconds d) {
    return std::max(std::chrono::milliseconds(1), std::chrono::ceil<std::chrono::milliseconds>(d));
}

void run(const TcpServeArgs& args) {
    const ServerSettings settings = server_settings(args.server);
    TcpEchoOptions options;
    options.mode = args.mode == "upper" ? EchoMode::upper : EchoMode::echo;
    options.server.threads = settings.threads;
    options.server.drain_timeout = settings.drain_timeout;
    if (!args.idle_timeout.empty())
        options.server.idle_timeout = millis(seconds_arg(args.idle_timeout, "--idle-timeout"));
    if (!args.max_connections.empty())
        options.server.max_connections = count_arg(args.max_connections, "--max-connections");
    if (!settings.quiet) options.log = log_line;

    std::unique_ptr<TcpServer> server;
    run_until_signal(
        [&] {
            auto started = start_tcp_echo(settings.where, std::move(options));
            if (!started)
                throw std::runtime_error("cannot listen on " + settings.where.to_string() + ": " +
                                         started.error().message());
            server = std::move(*started);
            print_listening(server->local_endpoint(), args.mode, server->threads());
        },
        [&] {
            server->stop();
            server->wait();
            if (settings.quiet) return;
            const ServerStats stats = server->stats();
            std::string line = "stopped: " + std::to_string(stats.accepted) + " connections served";
            if (stats.refused) line += ", " + std::to_string(stats.refused) + " refused over --max-connections";
            log_line(line);
        });
}

}  // namespace

void add_tcp_serve(CLI::App& tcp) {
    auto args = std::make_shared<TcpServeArgs>();
    CLI::App* cmd = tcp.add_subcommand("serve", "TCP server: echo (default) or uppercase every byte received");
    add_server_options(*cmd, args->server, "8898", "connections");
    cmd->add_option("--mode", args->mode, "echo or upper")->check(CLI::IsMember({"echo", "upper"}))->capture_default_str();
    cmd->add_option("--idle-timeout", args->idle_timeout, "close a connection silent for this many seconds (default: never)");
    cmd->add_option("--max-connections", args->max_connections,
                    "serve at most N connections at once; more are accepted and closed at once (default: no limit)");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
