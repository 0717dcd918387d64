#pragma once
// What the subcommand files share: how they register with CLI11, how they report usage
// errors, and the argument parsers that turn text into weft values with weft's messages.

#include <chrono>
#include <cstdint>
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
void add_ipcalc(CLI::App& app);
void add_tour(CLI::App& app);
/// The tour's last section (tour_wire.cpp): the first exchange's "hello!" segment, rebuilt.
void tour_wire_section(int number, const Endpoint& client, const Endpoint& server);
void add_decode(CLI::App& app);
void add_explain(CLI::App& app);

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


}  // namespace weft::cli
