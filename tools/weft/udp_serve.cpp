// weft udp serve: the seed's UDP server, uppercasing every datagram back to its sender.
#include <iostream>
#include <memory>

#include <unistd.h>

#include "cli.hpp"
#include "weft/services/echo.hpp"
#include "weft/socket/create.hpp"

namespace weft::cli {

namespace {

struct UdpServeArgs {
    std::string host = "127.0.0.1";
    std::string port = "8080";
    std::string mode = "upper";
    bool quiet = false;
};

void run(const UdpServeArgs& args) {
    Endpoint where = bind_endpoint(args.host, port_arg(args.port));
    UdpEchoOptions options;
    options.mode = args.mode == "echo" ? EchoMode::echo : EchoMode::upper;
    if (!args.quiet) options.log = [](std::string_view line) { std::cerr << line << '\n'; };

    int stop_fd = stop_signal_fd();
    Socket socket = create_server(where, {.type = Type::datagram});
    std::cout << "listening on " << socket.getsockname().to_string() << " (udp, " << args.mode << ")"
              << std::endl;
    serve_udp_echo_blocking(socket, stop_fd, options);
    ::close(stop_fd);
}

}  // namespace

void add_udp_serve(CLI::App& udp) {
    auto args = std::make_shared<UdpServeArgs>();
    CLI::App* cmd = udp.add_subcommand("serve", "UDP server: uppercase (default) or echo every datagram");
    cmd->add_option("--host", args->host, "address to listen on (0.0.0.0 or :: to expose)")->capture_default_str();
    cmd->add_option("--port", args->port, "port, 0 for any free one")->capture_default_str();
    cmd->add_option("--mode", args->mode, "upper or echo")->check(CLI::IsMember({"upper", "echo"}))->capture_default_str();
    cmd->add_flag("--quiet,-q", args->quiet, "do not log datagrams to stderr");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
