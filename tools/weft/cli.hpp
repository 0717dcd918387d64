#pragma once
// What the subcommand files share: how they register with CLI11, how they report usage
// errors, and the argument parsers that turn text into weft values with weft's messages.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "weft/net/endpoint.hpp"

namespace weft::cli {

/// A bad argument: main prints "weft: <message>" and exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One registration function per subcommand file.
void add_tcp_serve(CLI::App& tcp);
void add_tcp_connect(CLI::App& tcp);
void add_udp_serve(CLI::App& udp);
void add_udp_connect(CLI::App& udp);
void add_dns_query(CLI::App& dns);
void add_ipcalc(CLI::App& app);
void add_tour(CLI::App& app);
/// The tour's last section (tour_wire.cpp): the first exchange's "hello!" segment, rebuilt.
void tour_wire_section(int number, const Endpoint& client, const Endpoint& server);
void add_decode(CLI::App& app);
void add_explain(CLI::App& app);
void add_dns_serve(CLI::App& dns);
void add_http_serve(CLI::App& http);
void add_http_get(CLI::App& http);
void add_arp(CLI::App& app);
void add_capture(CLI::App& app);
void add_dhcp_client(CLI::App& dhcp);
void add_dhcp_serve(CLI::App& dhcp);
/// weft lab up|down|status (lab_command.cpp).
void add_lab(CLI::App& app);

/// "invalid port '99999': must be 0-65535" as a UsageError.
std::uint16_t port_arg(const std::string& text);
/// A positive number of seconds ("2", "0.5"); `what` names the option in the error.
std::chrono::nanoseconds seconds_arg(const std::string& text, const std::string& what);
/// A whole number from `min` up ("--threads", "--max-connections"); `what` names the option.
std::size_t count_arg(const std::string& text, const std::string& what, std::size_t min = 1);
/// One line to stderr with a single write(2): safe from any thread, lines never interleave.
void log_line(std::string_view line) noexcept;
/// The local address a server binds: an IP literal or a name that resolves (first answer).
Endpoint bind_endpoint(const std::string& host, std::uint16_t port);

/// The options every server shares (--host, --port, --threads, --quiet, --drain-timeout),
/// as text until checked, so that a bad value is a usage error naming it.
struct ServerArgs {
    std::string host = "127.0.0.1";
    std::string port;
    std::string threads;  // empty: one per core
    std::string drain_timeout = "5";
    bool quiet = false;
};
/// Registers them on `cmd`; `port` is the default port, `what` says what the server logs.
void add_server_options(CLI::App& cmd, ServerArgs& args, std::string_view port, std::string_view what);
/// The same, checked (usage errors exit 2).
struct ServerSettings {
    Endpoint where;
    std::size_t threads = 0;  // 0: one per core
    std::chrono::milliseconds drain_timeout{5000};
    bool quiet = false;
};
ServerSettings server_settings(const ServerArgs& args);
/// Runs a server until SIGINT/SIGTERM: blocks both signals first (so that every thread the
/// server starts inherits the mask), calls start (which binds and starts, throwing
/// std::runtime_error naming the address on failure), waits for a signal, then calls stop
/// (which drains and reports).
void run_until_signal(const std::function<void()>& start, const std::function<void()>& stop);
/// "listening on 127.0.0.1:8898 (echo, 2 threads)" on stdout, flushed (tests read it).
void print_listening(const Endpoint& at, std::string_view what, std::size_t threads);


}  // namespace weft::cli
