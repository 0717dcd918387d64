// What the subcommand files share: argument checks, the log line, and the server skeleton.
#include <charconv>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include <unistd.h>

#include "cli.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/net/resolve.hpp"

namespace weft::cli {

std::uint16_t port_arg(const std::string& text) {
    auto port = parse_port(text);
    if (!port) throw UsageError(port.error().message);
    return *port;
}

std::chrono::nanoseconds seconds_arg(const std::string& text, const std::string& what) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0 ||
        value > 1e6)
        throw UsageError("invalid " + what + " '" + text + "': must be a positive number of seconds");
    return std::chrono::nanoseconds(static_cast<long long>(value * 1e9));
}

std::size_t count_arg(const std::string& text, const std::string& what, std::size_t min) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > 1'000'000'000)
        throw UsageError("invalid " + what + " '" + text + "': must be a whole number from " + std::to_string(min));
    return value;
}

void log_line(std::string_view line) noexcept {
    try {
        std::string text(line);
        text += '\n';
        if (::write(STDERR_FILENO, text.data(), text.size()) < 0) return;  // nowhere to report it
    } catch (...) {
        // Out of memory for a log line: drop it.
    }
}

Endpoint bind_endpoint(const std::string& host, std::uint16_t port) {
    auto endpoints = resolve(host, std::to_string(port));
    if (!endpoints) throw UsageError("invalid --host '" + host + "': " + endpoints.error().message);
    return endpoints->front();
}

void add_server_options(CLI::App& cmd, ServerArgs& args, std::string_view port, std::string_view what) {
    args.port = std::string(port);
    cmd.add_option("--host", args.host, "address to listen on (0.0.0.0 or :: to expose)")->capture_default_str();
    cmd.add_option("--port", args.port, "port, 0 for any free one")->capture_default_str();
    cmd.add_option("--threads", args.threads, "event loops, one per thread (default: one per core)");
    cmd.add_option("--drain-timeout", args.drain_timeout,
                   "seconds to finish exchanges in progress after SIGINT/SIGTERM")
        ->capture_default_str();
    cmd.add_flag("--quiet,-q", args.quiet, "do not log " + std::string(what) + " to stderr");
}

ServerSettings server_settings(const ServerArgs& args) {
    // Every argument is checked before anything is bound (usage errors exit 2).
    const std::uint16_t port = port_arg(args.port);
    ServerSettings s;
    if (!args.threads.empty()) s.threads = count_arg(args.threads, "--threads");
    s.drain_timeout = std::max(std::chrono::milliseconds(1), std::chrono::ceil<std::chrono::milliseconds>(
                                                                 seconds_arg(args.drain_timeout, "--drain-timeout")));
    s.quiet = args.quiet;
    s.where = bind_endpoint(args.host, port);
    return s;
}

void run_until_signal(const std::function<void()>& start, const std::function<void()>& stop) {
    // Before any server thread exists, so that every thread inherits the blocked mask.
    auto signals = StopSignals::open();
    if (!signals) throw std::runtime_error("cannot watch SIGINT/SIGTERM: " + signals.error().message());
    start();
    auto signo = signals->wait();
    stop();  // stop accepting, answer what was received, close idle connections
    if (!signo) throw std::runtime_error("waiting for SIGINT/SIGTERM: " + signo.error().message());
}

void print_listening(const Endpoint& at, std::string_view what, std::size_t threads) {
    std::cout << "listening on " << at.to_string() << " (" << what << ", " << threads
              << (threads == 1 ? " thread)" : " threads)") << std::endl;
}


}  // namespace weft::cli
