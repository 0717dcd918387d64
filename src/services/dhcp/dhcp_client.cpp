#include "weft/services/dhcp/dhcp_client.hpp"

#include <array>
#include <variant>

#include <linux/if_ether.h>

#include "weft/io/packet_socket.hpp"
#include "weft/io/sleep.hpp"
#include "weft/services/capture/bpf_filter.hpp"
#include "weft/services/dhcp/link_frames.hpp"
#include "weft/socket/interface.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp {

namespace {
constexpr std::uint16_t kClientPort = 68;
}

Task<Expected<Lease, std::string>> acquire(EventLoop& loop, std::string interface, AcquireOptions options) {
    auto info = interface_info(interface);
    if (!info) co_return Unexpected(info.error());
    // Only UDP to port 68 is copied to us: the kernel drops the rest of the link's traffic.
    auto filter = capture::compile_filter("udp dst port 68");
    if (!filter) co_return Unexpected(filter.error());
    PacketOptions packet;
    packet.interface = interface;
    packet.protocol = ETH_P_IP;
    packet.filter = *filter;
    auto socket = PacketSocket::open(loop, packet);
    if (!socket) co_return Unexpected(socket.error().message());

    ClientConfig config;
    config.mac = info->mac;
    config.acquire_timeout = std::chrono::duration_cast<Duration>(options.timeout);
    config.remembered_address = options.remembered;
    ClientEngine engine(config, random_source());
    MacAddress server_mac = MacAddress::broadcast();  // learnt from the first reply
    ClientActions actions = engine.start(Clock::now());
    std::array<std::byte, 2048> buffer{};
    for (;;) {
        for (const ClientSend& out : actions.send) {
            const MacAddress to = out.broadcast() ? MacAddress::broadcast() : server_mac;
            auto sent = co_await socket->send(udp_frame(info->mac, to, out.from, out.to, out.bytes));
            if (!sent)
                co_return Unexpected("DHCP on " + interface + ": sending " +
                                     wire::dhcp_message_type_to_string(static_cast<std::uint8_t>(out.type)) + ": " +
                                     sent.error().message());
        }
        for (const ClientEvent& event : actions.events) {
            if (const auto* got = std::get_if<LeaseAcquired>(&event)) co_return got->lease;
            if (const auto* failed = std::get_if<AcquisitionFailed>(&event))
                co_return Unexpected(failed->reason + " on " + interface);
        }
        const auto deadline = engine.timer();
        if (!deadline) co_return Unexpected("DHCP on " + interface + ": the client stopped without a lease");
        const auto now = Clock::now();
        if (*deadline <= now) {
            actions = engine.on_timer(now);
            continue;
        }
        auto got = co_await with_timeout(*deadline - now, socket->recv(buffer));
        if (!got) {
            if (got.error() != std::errc::timed_out)
                co_return Unexpected("DHCP on " + interface + ": " + got.error().message());
            actions = engine.on_timer(Clock::now());
            continue;
        }
        actions = {};
        const auto udp = udp_in(std::span<const std::byte>(buffer).first(got->size), kClientPort);
        if (!udp) continue;
        auto message = wire::parse_dhcp(udp->payload);
        if (!message) continue;  // not DHCP, or damaged: the engine never sees it
        actions = engine.on_packet(*message, Clock::now());
        if (actions.ignored.empty()) server_mac = udp->src_mac;
    }
}

Expected<Lease, std::string> acquire_blocking(std::string_view interface, AcquireOptions options) {
    EventLoop loop;
    return loop.block_on(acquire(loop, std::string(interface), options));
}

}  // namespace weft::dhcp
