#pragma once
// The seed's servers as a service on the event-driven core: TCP echo (or uppercase) over
// TcpServer, UDP uppercase (or echo) over the batched UdpServer.
//
//   auto server = weft::start_tcp_echo({"127.0.0.1", 8898}, {.mode = weft::EchoMode::upper});
//   ...                                   // (*server)->local_endpoint(), stats()
//   (*server)->stop(); (*server)->wait(); // graceful: see TcpServer
//
// Memory per connection: the handler keeps no buffer of its own while it waits. Reads borrow
// the loop's shared read buffer (TcpStream::read_lent), and a reply goes straight back with
// try_write; only the part the kernel cannot take at once (a slow reader) is copied into a
// buffer owned by the connection until write_all has sent it. So an idle connection costs its
// coroutine frame and its socket, and a busy one still reads and writes in 64 KiB chunks.

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/io/tcp_server.hpp"
#include "weft/io/udp_server.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// What the echo servers answer: the bytes as received, or upper-cased.
enum class EchoMode { echo, upper };

/// Applies the mode to bytes in place: upper turns ASCII a-z into A-Z, like Python's
/// bytes.upper() (the seed's rule); every other byte passes unchanged.
void apply_echo_mode(EchoMode mode, std::span<std::byte> bytes) noexcept;
/// The same from `in` to `out` (which must be at least as long); returns the bytes written.
std::size_t apply_echo_mode(EchoMode mode, std::span<const std::byte> in, std::span<std::byte> out) noexcept;

/// One-line events ("127.0.0.1:5000 connected"); called from the servers' loop threads, so
/// it must be thread-safe (a single write(2) per line is).
using EchoLog = std::function<void(std::string_view)>;

/// How start_tcp_echo serves.
struct TcpEchoOptions {
    EchoMode mode = EchoMode::echo;  ///< What each received byte is answered with.
    /// Threads, idle timeout, connection limit, drain timeout: passed to TcpServer (whose
    /// graceful stop keeps answering a connection while it is mid-exchange).
    ServerOptions server{};
    /// Per-connection events (connected, closed with its byte count, errors); empty: none.
    EchoLog log;
};

/// The connection handler alone, for callers that run their own TcpServer.
ConnectionHandler tcp_echo_handler(EchoMode mode, EchoLog log = {});

/// Binds `at` and starts serving (returns at once). Errors as TcpServer::start (EADDRINUSE
/// when the port is taken, even with several threads).
Result<std::unique_ptr<TcpServer>> start_tcp_echo(const Endpoint& at, TcpEchoOptions options);

/// How start_udp_echo serves.
struct UdpEchoOptions {
    EchoMode mode = EchoMode::upper;  ///< What each datagram is answered with (the seed's server uppercases).
    /// Loops, one per thread, sharing the port with SO_REUSEPORT (see UdpServer); 0: one per core.
    std::size_t threads = 1;
    /// One line per datagram, naming its sender ("127.0.0.1:40000: 12 bytes"); empty: none.
    /// Costs a syscall per datagram.
    EchoLog log;
};

/// The datagram handler: each datagram answered with its transformation, from the address it
/// was sent to; an empty datagram gets an empty reply (as Python's server would).
DatagramHandler udp_echo_handler(EchoMode mode, EchoLog log = {});

/// Binds `at` (EADDRINUSE when taken, even with several threads) and answers each datagram
/// in batches (recvmmsg/sendmmsg), until stop().
Result<std::unique_ptr<UdpServer>> start_udp_echo(const Endpoint& at, UdpEchoOptions options);

}  // namespace weft
