// The client's messages and the lease out of an ACK (see client_messages.hpp).
#include "client_messages.hpp"

#include <algorithm>
#include <cstdio>

#include "weft/net/ipv4_network.hpp"

namespace weft::dhcp::detail {

using namespace std::chrono_literals;

wire::DhcpMessage client_message(const ClientConfig& config, wire::DhcpMessageType type, std::uint32_t xid) {
    wire::DhcpMessage m;
    m.op = wire::kBootRequest;
    m.htype = 1;
    m.hlen = 6;
    m.xid = xid;
    m.set_client_mac(config.mac);
    m.add_message_type(type);
    if (!config.client_id.empty()) {
        m.add_bytes(wire::dhcp_option::kClientId, config.client_id);
    } else {
        // RFC 2132 9.14: the hardware type then the hardware address, as most clients send it;
        // servers key leases on it before chaddr.
        std::vector<std::byte> id{std::byte{1}};
        for (auto b : config.mac.to_bytes()) id.push_back(std::byte{b});
        m.add_bytes(wire::dhcp_option::kClientId, id);
    }
    return m;
}

void add_request_options(wire::DhcpMessage& message, const ClientConfig& config) {
    if (!config.host_name.empty()) message.add_text(wire::dhcp_option::kHostName, config.host_name);
    std::vector<std::byte> list;
    for (auto code : kClientParameterRequestList) list.push_back(std::byte{code});
    message.add_bytes(wire::dhcp_option::kParameterRequestList, list);
}

TimePoint later(TimePoint t, Duration d) noexcept {
    if (d > TimePoint::max() - t) return TimePoint::max();
    return t + d;
}

std::uint16_t secs_field(TimePoint since, TimePoint now) noexcept {
    if (now <= since) return 0;
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
    return static_cast<std::uint16_t>(std::min<std::int64_t>(s, 0xffff));
}

bool usable_address(Ipv4Address address) noexcept {
    // Class E (240/4) includes the limited broadcast; 0/8 is "this network" (RFC 1122).
    const auto top = address.to_uint() >> 24;
    return top != 0 && !address.is_loopback() && !address.is_multicast() && (address.to_uint() >> 28) != 0xf;
}

Expected<Lease, std::string> lease_from_ack(const wire::DhcpPacket& ack, TimePoint start,
                                            std::optional<Ipv4Address> fallback_server) {
    if (!usable_address(ack.yiaddr))
        return Unexpected(std::string("DHCPACK of an address no host can take (") + ack.yiaddr.to_string() + ")");
    const auto lease_time = ack.lease_time();
    if (!lease_time) return Unexpected(std::string("DHCPACK without a lease time (option 51)"));
    auto server = ack.server_id();
    if (!server) server = fallback_server;
    if (!server) return Unexpected(std::string("DHCPACK without a server id (option 54)"));
    if (!usable_address(*server))
        return Unexpected("DHCPACK with server id " + server->to_string() + ", not a unicast address");

    Lease lease;
    lease.address = ack.yiaddr;
    lease.server_id = *server;
    lease.netmask = ack.subnet_mask();
    if (lease.netmask) {
        if (auto prefix = prefix_from_netmask(*lease.netmask)) lease.prefix = *prefix;
    }
    lease.routers = ack.routers();
    lease.dns_servers = ack.dns_servers();
    if (auto domain = ack.domain_name()) lease.domain_name = std::string(*domain);
    lease.lease_time = *lease_time;
    lease.start = start;
    if (lease.infinite()) {
        // Nothing to renew: every deadline is "never" (TimePoint::max, never added to).
        lease.renewal_time = lease.rebinding_time = kInfiniteLease;
        lease.renew_at = lease.rebind_at = lease.expires_at = TimePoint::max();
        return lease;
    }
    // RFC 2131 4.4.5: T1 defaults to half the lease, T2 to 7/8. A server's T2 past the lease
    // or T1 past T2 would leave the client without time to renew: take the defaults instead.
    const auto lease_s = *lease_time;
    const auto t2 = ack.rebinding_time();
    lease.rebinding_time = t2 && *t2 <= lease_s ? *t2 : lease_s * 7 / 8;
    const auto t1 = ack.renewal_time();
    lease.renewal_time = t1 && *t1 <= lease.rebinding_time ? *t1 : std::min(lease_s / 2, lease.rebinding_time);
    lease.renew_at = later(start, lease.renewal_time);
    lease.rebind_at = later(start, lease.rebinding_time);
    lease.expires_at = later(start, lease_s);
    return lease;
}

std::string server_message(const wire::DhcpPacket& packet) {
    const auto* option = packet.find(wire::dhcp_option::kMessage);
    if (option == nullptr) return {};
    std::string text;
    for (auto b : option->data.first(std::min<std::size_t>(option->data.size(), 200))) {
        const auto c = static_cast<unsigned char>(b);
        text += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
    }
    return text;
}

std::string seconds_text(Duration duration) {
    char text[48];
    std::snprintf(text, sizeof text, "%g s", std::chrono::duration<double>(duration).count());
    return text;
}

std::string xid_text(std::uint32_t xid) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(xid));
    return text;
}

}  // namespace weft::dhcp::detail
