#pragma once
// The DHCP client on a live interface: the engine (client_engine.hpp) run over a packet
// socket, so it works on an interface with no address yet: DISCOVERs leave from 0.0.0.0:68 as
// whole frames, and replies are taken from the link whatever their IP destination (a filter in
// the kernel passes only UDP to port 68). Needs CAP_NET_RAW (root).
//
//   auto lease = weft::dhcp::acquire_blocking("eth0", {.timeout = std::chrono::seconds(30)});
//   if (lease) std::cout << lease->address.to_string() << '\n';
//   else std::cerr << lease.error() << '\n';  // "no DHCPOFFER within 30 s (5 DHCPDISCOVERs sent) on eth0"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"
#include "weft/services/dhcp/client_engine.hpp"

namespace weft::dhcp {

/// How acquire() runs: its time limit and an address to ask for first.
struct AcquireOptions {
    /// From the first DISCOVER to the ACK, retransmissions included (RFC 2131's backoff).
    std::chrono::nanoseconds timeout{std::chrono::seconds(30)};
    /// An address held before: asked for first (INIT-REBOOT).
    std::optional<Ipv4Address> remembered{};
};

/// Runs DISCOVER, OFFER, REQUEST, ACK on `interface` and returns the lease (nothing is
/// configured on the interface: that is the caller's choice). Errors are one line naming the
/// interface: no answer in time, no such interface, no permission.
Task<Expected<Lease, std::string>> acquire(EventLoop& loop, std::string interface, AcquireOptions options = {});
/// The same on a loop of its own, blocking the calling thread.
Expected<Lease, std::string> acquire_blocking(std::string_view interface, AcquireOptions options = {});

}  // namespace weft::dhcp
