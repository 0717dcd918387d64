#pragma once
// Python's socket.create_connection and socket.create_server: the two ways most programs
// actually open a socket.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "weft/socket/socket.hpp"

namespace weft {

/// Resolves `host` and connects to each address in turn until one answers. `timeout` bounds
/// each attempt and is left set on the returned socket. Throws SocketError naming
/// "host:port" (or TimeoutError) when none answers.
Socket create_connection(std::string_view host, std::uint16_t port, Socket::Timeout timeout = std::nullopt);

/// How create_server sets up its socket.
struct CreateServerOptions {
    int backlog = Socket::kDefaultBacklog;  ///< listen(2)'s queue of connections not yet accepted.
    /// SO_REUSEADDR: rebind at once while old connections sit in TIME_WAIT. On by default,
    /// as in every weft server.
    bool reuse_address = true;
    /// SO_REUSEPORT: let several of our own sockets share the port.
    bool reuse_port = false;
    /// For an IPv6 address: accept IPv4 clients too (IPV6_V6ONLY off).
    bool dual_stack = false;
    Type type = Type::stream;  ///< A stream socket listens; a datagram socket is only bound.
};

/// A socket bound to `address` (listening, for a stream socket). Throws SocketError:
/// "bind 127.0.0.1:8898: Address already in use".
Socket create_server(const SocketAddress& address, const CreateServerOptions& options = {});

}  // namespace weft
