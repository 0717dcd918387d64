#include "weft/services/arp/arp_client.hpp"

#include <array>
#include <cstdio>

#include <linux/if_ether.h>

#include "weft/io/packet_socket.hpp"
#include "weft/io/sleep.hpp"
#include "weft/services/arp/arp_frames.hpp"
#include "weft/socket/interface.hpp"

namespace weft::arp {

namespace {

using Clock = EventLoop::Clock;

std::string seconds_text(std::chrono::nanoseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", std::chrono::duration<double>(d).count());
    return buf;
}

// The interface, and a packet socket on it that receives ARP frames only.
struct Link {
    InterfaceInfo info;
    PacketSocket socket;
};

Expected<Link, std::string> open_link(EventLoop& loop, const std::string& interface) {
    auto info = interface_info(interface);
    if (!info) return Unexpected(info.error());
    PacketOptions options;
    options.interface = interface;
    options.protocol = ETH_P_ARP;
    auto socket = PacketSocket::open(loop, options);
    if (!socket) return Unexpected(socket.error().message());
    return Link{std::move(*info), std::move(*socket)};
}

}  // namespace

Task<Expected<Neighbour, std::string>> resolve(EventLoop& loop, std::string interface, Ipv4Address target,
                                               ResolveOptions options) {
    auto link = open_link(loop, interface);
    if (!link) co_return Unexpected(link.error());
    const Ipv4Address sender = options.sender_ip ? *options.sender_ip
                               : link->info.ipv4.empty() ? Ipv4Address()
                                                         : link->info.ipv4.front().address();
    const std::vector<std::byte> request = request_frame(link->info.mac, sender, target);
    const auto deadline = Clock::now() + options.timeout;
    const auto interval = options.interval > std::chrono::nanoseconds::zero() ? options.interval : options.timeout;
    std::array<std::byte, 2048> buffer{};
    Neighbour found;
    found.ip = target;
    while (Clock::now() < deadline) {
        auto sent = co_await link->socket.send(request);
        if (!sent)
            co_return Unexpected("ARP request for " + target.to_string() + " on " + interface + ": " +
                                 sent.error().message());
        const auto sent_at = Clock::now();
        ++found.requests;
        const auto next = std::min(sent_at + interval, deadline);
        for (auto now = sent_at; now < next; now = Clock::now()) {
            auto got = co_await with_timeout(next - now, link->socket.recv(buffer));
            if (!got) {
                if (got.error() == std::errc::timed_out) break;  // time for the next request
                co_return Unexpected("ARP on " + interface + ": " + got.error().message());
            }
            const auto frame = std::span<const std::byte>(buffer).first(got->size);
            if (auto mac = reply_from(frame, target, link->info.mac)) {
                found.mac = *mac;
                found.rtt = Clock::now() - sent_at;
                co_return found;
            }
        }
    }
    co_return Unexpected("no ARP reply from " + target.to_string() + " on " + interface + " within " +
                         seconds_text(options.timeout) + " s (" + std::to_string(found.requests) +
                         (found.requests == 1 ? " request)" : " requests)"));
}

Expected<Neighbour, std::string> resolve_blocking(std::string_view interface, Ipv4Address target,
                                                  ResolveOptions options) {
    EventLoop loop;
    return loop.block_on(resolve(loop, std::string(interface), target, options));
}

Task<Expected<std::optional<MacAddress>, std::string>> probe(EventLoop& loop, std::string interface,
                                                             Ipv4Address candidate, ProbeOptions options) {
    auto link = open_link(loop, interface);
    if (!link) co_return Unexpected(link.error());
    const std::vector<std::byte> frame = probe_frame(link->info.mac, candidate);
    std::array<std::byte, 2048> buffer{};
    for (int i = 0; i < options.probes; ++i) {
        auto sent = co_await link->socket.send(frame);
        if (!sent)
            co_return Unexpected("ARP probe for " + candidate.to_string() + " on " + interface + ": " +
                                 sent.error().message());
        // Listen until the next probe is due, or for ANNOUNCE_WAIT after the last one.
        const auto until = Clock::now() + (i + 1 < options.probes ? options.interval : options.wait_after);
        for (auto now = Clock::now(); now < until; now = Clock::now()) {
            auto got = co_await with_timeout(until - now, link->socket.recv(buffer));
            if (!got) {
                if (got.error() == std::errc::timed_out) break;
                co_return Unexpected("ARP on " + interface + ": " + got.error().message());
            }
            if (auto other = conflict_in(std::span<const std::byte>(buffer).first(got->size), candidate, link->info.mac))
                co_return std::optional<MacAddress>(*other);
        }
    }
    co_return std::optional<MacAddress>();
}

Task<Expected<void, std::string>> announce(EventLoop& loop, std::string interface, Ipv4Address address, int count,
                                           std::chrono::nanoseconds interval) {
    auto link = open_link(loop, interface);
    if (!link) co_return Unexpected(link.error());
    const std::vector<std::byte> frame = announcement_frame(link->info.mac, address);
    for (int i = 0; i < count; ++i) {
        if (i > 0) (void)co_await sleep_for(loop, interval);
        auto sent = co_await link->socket.send(frame);
        if (!sent)
            co_return Unexpected("ARP announcement of " + address.to_string() + " on " + interface + ": " +
                                 sent.error().message());
    }
    co_return Expected<void, std::string>();
}

}  // namespace weft::arp
