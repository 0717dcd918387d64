// weft tcp serve: the seed's TCP server, serving many clients at once.
#include <iostream>
#include <memory>

#include <unistd.h>

#include "cli.hpp"
#include "weft/services/echo.hpp"
#include "weft/socket/create.hpp"

namespace weft::cli {

namespace {

struct TcpServeArgs {
    std::string host = "127.0.0.1";
    std::string port = "8898";
    std::string mode = "echo";
    unsigned threads = 0;
    std::string drain_timeout = "5";
    bool quiet = false;
};

void run(const TcpServeArgs& args) {
    Endpoint where = bind_endpoint(args.host, port_arg(args.port));
    TcpEchoOptions options;
    options.mode = args.mode == "upper" ? EchoMode::upper : EchoMode::echo;
    options.drain_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        seconds_arg(args.drain_timeout, "--drain-timeout"));
    if (!args.quiet) options.log = [](std::string_view line) { std::cerr << line << '\n'; };

    int stop_fd = stop_signal_fd();
    Socket listener = create_server(where);  // SO_REUSEADDR on; "Address already in use" -> exit 1
    std::cout << "listening on " << listener.getsockname().to_string() << " (" << args.mode << ")"
              << std::endl;
    serve_tcp_echo_blocking(listener, stop_fd, options);
    ::close(stop_fd);
}

}  // namespace

void add_tcp_serve(CLI::App& tcp) {
    auto args = std::make_shared<TcpServeArgs>();
    CLI::App* cmd = tcp.add_subcommand("serve", "TCP server: echo (default) or uppercase every byte received");
    cmd->add_option("--host", args->host, "address to listen on (0.0.0.0 or :: to expose)")->capture_default_str();
    cmd->add_option("--port", args->port, "port, 0 for any free one")->capture_default_str();
    cmd->add_option("--mode", args->mode, "echo or upper")->check(CLI::IsMember({"echo", "upper"}))->capture_default_str();
    cmd->add_option("--threads", args->threads, "accepted for compatibility: this server runs a thread per connection");
    cmd->add_option("--drain-timeout", args->drain_timeout, "seconds to finish exchanges after SIGINT/SIGTERM")
        ->capture_default_str();
    cmd->add_flag("--quiet,-q", args->quiet, "do not log connections to stderr");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
