// weft tcp serve: the seed's TCP server on the event-driven core: a loop per thread, each
// connection a coroutine, graceful drain on SIGINT/SIGTERM.
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cli.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/services/echo.hpp"

namespace weft::cli {

namespace {

struct TcpServeArgs {
    std::string host = "127.0.0.1";
    std::string port = "8898";
    std::string mode = "echo";
    std::string threads;  // empty: one per core
    std::string idle_timeout;
    std::string max_connections;
    std::string drain_timeout = "5";
    bool quiet = false;
};

std::chrono::milliseconds millis(std::chrono::nanoseconds d) {
    return std::max(std::chrono::milliseconds(1), std::chrono::ceil<std::chrono::milliseconds>(d));
}

void run(const TcpServeArgs& args) {
    // Every argument is checked before anything is bound (usage errors exit 2).
    const std::uint16_t port = port_arg(args.port);
    TcpEchoOptions options;
    options.mode = args.mode == "upper" ? EchoMode::upper : EchoMode::echo;
    if (!args.threads.empty()) options.server.threads = count_arg(args.threads, "--threads");
    if (!args.idle_timeout.empty())
        options.server.idle_timeout = millis(seconds_arg(args.idle_timeout, "--idle-timeout"));
    if (!args.max_connections.empty())
        options.server.max_connections = count_arg(args.max_connections, "--max-connections");
    options.server.drain_timeout = millis(seconds_arg(args.drain_timeout, "--drain-timeout"));
    if (!args.quiet) options.log = log_line;
    const Endpoint where = bind_endpoint(args.host, port);

    // Before any server thread exists, so that every thread inherits the blocked mask.
    auto signals = StopSignals::open();
    if (!signals) throw std::runtime_error("cannot watch SIGINT/SIGTERM: " + signals.error().message());
    auto server = start_tcp_echo(where, std::move(options));
    if (!server)
        throw std::runtime_error("cannot listen on " + where.to_string() + ": " + server.error().message());
    std::cout << "listening on " << (*server)->local_endpoint().to_string() << " (" << args.mode << ", "
              << (*server)->threads() << ((*server)->threads() == 1 ? " thread)" : " threads)") << std::endl;

    auto signo = signals->wait();
    // Stop accepting, answer what was received, close idle connections, then return.
    (*server)->stop();
    (*server)->wait();
    if (!args.quiet) {
        const ServerStats stats = (*server)->stats();
        std::string line = "stopped: " + std::to_string(stats.accepted) + " connections served";
        if (stats.refused) line += ", " + std::to_string(stats.refused) + " refused over --max-connections";
        log_line(line);
    }
    if (!signo) throw std::runtime_error("waiting for SIGINT/SIGTERM: " + signo.error().message());
}

}  // namespace

void add_tcp_serve(CLI::App& tcp) {
    auto args = std::make_shared<TcpServeArgs>();
    CLI::App* cmd = tcp.add_subcommand("serve", "TCP server: echo (default) or uppercase every byte received");
    cmd->add_option("--host", args->host, "address to listen on (0.0.0.0 or :: to expose)")->capture_default_str();
    cmd->add_option("--port", args->port, "port, 0 for any free one")->capture_default_str();
    cmd->add_option("--mode", args->mode, "echo or upper")->check(CLI::IsMember({"echo", "upper"}))->capture_default_str();
    cmd->add_option("--threads", args->threads, "event loops, one per thread (default: one per core)");
    cmd->add_option("--idle-timeout", args->idle_timeout, "close a connection silent for this many seconds (default: never)");
    cmd->add_option("--max-connections", args->max_connections,
                    "serve at most N connections at once; more are accepted and closed at once (default: no limit)");
    cmd->add_option("--drain-timeout", args->drain_timeout, "seconds to finish exchanges after SIGINT/SIGTERM")
        ->capture_default_str();
    cmd->add_flag("--quiet,-q", args->quiet, "do not log connections to stderr");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
