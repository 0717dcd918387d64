#pragma once
// The seed's servers as a service: TCP echo (or uppercase) and UDP uppercase (or echo).
//
// This is the blocking implementation, a thread per TCP connection, which the foundation
// needs for `weft tcp serve` and `weft udp serve`. Both servers stop when `stop_fd` becomes
// readable (an eventfd or a signalfd the caller owns), so they know nothing about signals.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "weft/socket/socket.hpp"

namespace weft {

enum class EchoMode { echo, upper };

/// Applies the mode to bytes in place: upper turns ASCII a-z into A-Z, like Python's
/// bytes.upper(); every other byte passes unchanged.
void apply_echo_mode(EchoMode mode, std::span<std::byte> bytes) noexcept;

struct TcpEchoOptions {
    EchoMode mode = EchoMode::echo;
    /// After stop: connections still exchanging data are served this long at most.
    std::chrono::milliseconds drain_timeout{5000};
    /// After stop, a connection with nothing received for this long counts as idle and is
    /// closed (after everything it sent has been answered).
    std::chrono::milliseconds idle_grace{100};
    /// Called from connection threads with one-line events ("connection from ...").
    std::function<void(std::string_view)> log;
};

/// Serves `listener` (bound and listening) until `stop_fd` is readable, then drains:
/// stops accepting, answers every byte already received, closes idle connections, and
/// returns when all connections have ended or the drain timeout has run out. A client that
/// resets or vanishes ends only its own connection. Returns the number of connections served.
std::size_t serve_tcp_echo_blocking(Socket& listener, int stop_fd, const TcpEchoOptions& options);

struct UdpEchoOptions {
    EchoMode mode = EchoMode::upper;
    std::function<void(std::string_view)> log;
};

/// Answers each datagram on `socket` with its transformation, to its sender, until `stop_fd`
/// is readable. Returns the number of datagrams answered.
std::size_t serve_udp_echo_blocking(Socket& socket, int stop_fd, const UdpEchoOptions& options);

}  // namespace weft
