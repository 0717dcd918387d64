#pragma once
// Typed socket options for Socket::setsockopt / Socket::getsockopt.
//
//   sock.setsockopt(weft::ReuseAddress{true});
//   int size = sock.getsockopt<weft::ReceiveBufferSize>().value;
//
// Each option names its level and optname and says how its value maps to the kernel's bytes,
// so a bool option can never be set with a struct linger by mistake. Raw (level, name) access
// stays available on Socket for anything not listed here.

#include <chrono>
#include <optional>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace weft {

namespace detail {

/// An option whose kernel value is an int used as a flag.
template <int Level, int Name>
struct BoolOption {
    static constexpr int level = Level;
    static constexpr int name = Name;
    bool value = false;
    int to_native() const noexcept { return value ? 1 : 0; }
    static BoolOption from_native(int v) noexcept { return {v != 0}; }
};

/// An option whose kernel value is an int.
template <int Level, int Name>
struct IntOption {
    static constexpr int level = Level;
    static constexpr int name = Name;
    int value = 0;
    int to_native() const noexcept { return value; }
    static IntOption from_native(int v) noexcept { return {v}; }
};

}  // namespace detail

/// SO_REUSEADDR: bind a listening port while old connections sit in TIME_WAIT.
using ReuseAddress = detail::BoolOption<SOL_SOCKET, SO_REUSEADDR>;
/// SO_REUSEPORT: several sockets (same user) bind the same port; the kernel spreads connections.
using ReusePort = detail::BoolOption<SOL_SOCKET, SO_REUSEPORT>;
/// SO_KEEPALIVE: probe idle TCP connections.
using KeepAlive = detail::BoolOption<SOL_SOCKET, SO_KEEPALIVE>;
/// SO_BROADCAST: allow datagrams to a broadcast address.
using Broadcast = detail::BoolOption<SOL_SOCKET, SO_BROADCAST>;
/// TCP_NODELAY: disable Nagle's algorithm.
using NoDelay = detail::BoolOption<IPPROTO_TCP, TCP_NODELAY>;
/// IPV6_V6ONLY: an IPv6 socket refuses IPv4-mapped peers.
using Ipv6V6Only = detail::BoolOption<IPPROTO_IPV6, IPV6_V6ONLY>;
/// SO_RCVBUF in bytes. Linux doubles what is set and reports the doubled value.
using ReceiveBufferSize = detail::IntOption<SOL_SOCKET, SO_RCVBUF>;
/// SO_SNDBUF in bytes. Linux doubles what is set and reports the doubled value.
using SendBufferSize = detail::IntOption<SOL_SOCKET, SO_SNDBUF>;
/// IP_TTL: time to live of outgoing IPv4 packets.
using IpTtl = detail::IntOption<IPPROTO_IP, IP_TTL>;

/// SO_LINGER: close() waits up to `value` for unsent data; a zero duration makes close()
/// reset the connection; nullopt (the default) lets close() return at once.
struct Linger {
    static constexpr int level = SOL_SOCKET;   ///< The option's level for setsockopt(2).
    static constexpr int name = SO_LINGER;     ///< The option's name for setsockopt(2).
    std::optional<std::chrono::seconds> value;  ///< How long close() may wait; nullopt: off.
    /// The struct linger the kernel takes.
    ::linger to_native() const noexcept {
        return value ? ::linger{1, static_cast<int>(value->count())} : ::linger{0, 0};
    }
    /// From the struct linger the kernel reports.
    static Linger from_native(const ::linger& l) noexcept {
        return l.l_onoff ? Linger{std::chrono::seconds(l.l_linger)} : Linger{};
    }
};

}  // namespace weft
