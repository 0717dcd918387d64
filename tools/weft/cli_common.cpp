#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstring>

#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.hpp"
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


}  // namespace weft::cli
