// Building the server's replies and choosing where they go.
#include "server_reply.hpp"

#include <algorithm>

namespace weft::dhcp::detail {

namespace opt = wire::dhcp_option;

wire::DhcpMessage reply_to(const wire::DhcpPacket& request, wire::DhcpMessageType type, const ServerConfig& config) {
    wire::DhcpMessage m;
    m.op = wire::kBootReply;
    m.htype = request.htype;
    m.hlen = request.hlen;
    m.xid = request.xid;
    m.flags = request.flags;
    m.giaddr = request.giaddr;
    m.chaddr = request.chaddr;
    m.options.reserve(12);
    m.add_message_type(type);
    m.add_address(opt::kServerId, config.server_address);
    return m;
}

void add_lease_times(wire::DhcpMessage& reply, const ServerConfig& config) {
    reply.add_seconds(opt::kLeaseTime, config.lease_time);
    reply.add_seconds(opt::kRenewalTime, config.renewal_time());
    reply.add_seconds(opt::kRebindingTime, config.rebinding_time());
}

void add_network_options(wire::DhcpMessage& reply, const wire::DhcpPacket& request, const ServerConfig& config) {
    reply.add_address(opt::kSubnetMask, config.netmask);
    if (!config.routers.empty()) reply.add_addresses(opt::kRouter, config.routers);
    if (!config.dns_servers.empty()) reply.add_addresses(opt::kDnsServer, config.dns_servers);
    // The one option beyond the contract's set that the server knows without configuration;
    // sent only when asked for, as RFC 2131 section 4.3.1 prefers.
    const auto* prl = request.find(opt::kParameterRequestList);
    if (prl != nullptr && std::ranges::find(prl->data, std::byte{opt::kBroadcastAddress}) != prl->data.end()) {
        const auto broadcast = Ipv4Address(config.server_address.to_uint() | ~config.netmask.to_uint());
        reply.add_address(opt::kBroadcastAddress, broadcast);
    }
}

void add_message(wire::DhcpMessage& reply, std::string_view text) {
    if (!text.empty()) reply.add_text(opt::kMessage, text.substr(0, 255));
}

void add_echoes(wire::DhcpMessage& reply, const wire::DhcpPacket& request) {
    if (auto id = request.client_id()) reply.add_bytes(opt::kClientId, *id);
    if (auto relay = request.relay_agent_info()) reply.add_bytes(opt::kRelayAgentInfo, *relay);
}

Delivery delivery_for(const wire::DhcpPacket& request, wire::DhcpMessageType type, wire::DhcpMessage& reply) {
    const bool nak = type == wire::DhcpMessageType::Nak;
    if (!request.giaddr.is_unspecified()) {
        if (nak) reply.flags |= wire::kDhcpFlagBroadcast;
        return {DeliveryKind::relay, request.giaddr, wire::kDhcpServerPort, MacAddress::broadcast()};
    }
    // "In all cases, when 'giaddr' is zero, the server broadcasts any DHCPNAK messages."
    if (nak) return {};
    if (!request.ciaddr.is_unspecified())
        return {DeliveryKind::client, request.ciaddr, wire::kDhcpClientPort, request.client_mac()};
    if (request.broadcast()) return {};
    // Unicast to a client with no address is only possible by its MAC; for other link
    // types the chaddr is not an Ethernet address, and the RFC allows a broadcast instead.
    if (request.htype == 1 && request.hlen == 6 && !reply.yiaddr.is_unspecified())
        return {DeliveryKind::hardware, reply.yiaddr, wire::kDhcpClientPort, request.client_mac()};
    return {};
}

}  // namespace weft::dhcp::detail
