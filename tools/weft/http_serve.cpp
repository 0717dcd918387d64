// weft http serve: a static-file HTTP/1.1 server for a directory, with live /status.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli.hpp"
#include "weft/services/http/http_server.hpp"
#include "weft/services/http/site.hpp"

namespace weft::cli {

namespace {

struct HttpServeArgs {
    ServerArgs server;
    std::string root = ".";
    std::string header_timeout = std::to_string(http::kHeaderTimeout.count());
    std::string idle_timeout = std::to_string(http::kKeepAliveTimeout.count());
    std::string max_connections = std::to_string(http::kMaxConnections);
};

std::chrono::milliseconds millis(const std::string& text, const std::string& what) {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::ceil<std::chrono::milliseconds>(seconds_arg(text, what)));
}

void run(const HttpServeArgs& args) {
    const ServerSettings settings = server_settings(args.server);
    http::HttpServerOptions options;
    options.threads = settings.threads;
    options.drain_timeout = settings.drain_timeout;
    options.header_timeout = millis(args.header_timeout, "--header-timeout");
    options.keep_alive_timeout = millis(args.idle_timeout, "--idle-timeout");
    options.max_connections = count_arg(args.max_connections, "--max-connections");

    auto site = http::Site::open(args.root);
    if (!site) throw std::runtime_error(site.error());
    if (!settings.quiet) (*site)->log = log_line;

    std::unique_ptr<http::HttpServer> server;
    run_until_signal(
        [&] {
            auto started = http::HttpServer::start(settings.where, *site, options);
            if (!started)
                throw std::runtime_error("cannot bind " + settings.where.to_string() + ": " +
                                         started.error().message());
            server = std::move(*started);
            print_listening(server->local_endpoint(), "http, root " + (*site)->root(), server->threads());
        },
        [&] {
            server->stop();
            server->wait();
            if (settings.quiet) return;
            const auto stats = server->stats();
            std::string line = "stopped: " + std::to_string(stats.requests) + " requests on ";
            line += std::to_string(stats.accepted) + " connections, ";
            line += std::to_string(stats.bytes_sent) + " bytes sent";
            log_line(line);
        });
}

}  // namespace

void add_http_serve(CLI::App& http) {
    auto args = std::make_shared<HttpServeArgs>();
    CLI::App* cmd = http.add_subcommand("serve", "static-file HTTP/1.1 server with live /status and /status.json");
    cmd->add_option("--root", args->root, "directory to serve")->capture_default_str()->type_name("DIR");
    cmd->add_option("--header-timeout", args->header_timeout,
                    "seconds a request head may take from its first byte (408 after)")
        ->capture_default_str();
    cmd->add_option("--idle-timeout", args->idle_timeout, "seconds a keep-alive connection may stay idle")
        ->capture_default_str();
    cmd->add_option("--max-connections", args->max_connections, "connections served at once")
        ->capture_default_str();
    add_server_options(*cmd, args->server, "8000", "one line per response");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
