// ServerEngine: which rule of RFC 2131 section 4.3 a request falls under, and the outcome.
#include "weft/services/dhcp/server_engine.hpp"

#include "server_reply.hpp"
#include "text.hpp"

namespace weft::dhcp {

namespace {

using detail::concat;
using wire::DhcpMessageType;

// "REQUEST from hw:01020000000001: " (the prefix of every note about a request).
std::string from(const wire::DhcpPacket& p, const ClientKey* client) {
    const auto type = p.message_type();
    return concat({wire::dhcp_message_type_to_string(type ? static_cast<std::uint8_t>(*type) : 0), " from ",
                   client != nullptr ? client->to_text() : p.client_mac().to_string(), ": "});
}

ServerOutcome silent(std::string note) {
    ServerOutcome out;
    out.note = std::move(note);
    return out;
}

// The chaddr as a MAC when it is one (Ethernet), else all zeros: it is only kept for people
// reading the lease file and for the adapter's link-layer unicast.
MacAddress mac_of(const wire::DhcpPacket& p) {
    return p.htype == 1 && p.hlen == 6 ? p.client_mac() : MacAddress{};
}

}  // namespace

std::string_view delivery_kind_name(DeliveryKind kind) noexcept {
    switch (kind) {
    case DeliveryKind::relay: return "relay";
    case DeliveryKind::client: return "client";
    case DeliveryKind::broadcast: return "broadcast";
    case DeliveryKind::hardware: return "hardware";
    }
    return "?";
}

Expected<ServerEngine, std::string> ServerEngine::create(ServerConfig config) {
    if (auto ok = validate(config); !ok) return Unexpected(ok.error());
    return ServerEngine(std::move(config));
}

bool ServerEngine::in_subnet(Ipv4Address a) const noexcept {
    return (a.to_uint() & config_.netmask.to_uint()) == (config_.server_address.to_uint() & config_.netmask.to_uint());
}

ServerOutcome ServerEngine::handle(std::span<const std::byte> datagram, WallTime now) {
    auto packet = wire::parse_dhcp(datagram);
    if (!packet) return silent(concat({"malformed request: ", packet.error().to_string()}));
    return handle(*packet, now);
}

ServerOutcome ServerEngine::handle(const wire::DhcpPacket& p, WallTime now) {
    if (p.op != wire::kBootRequest)
        return silent(concat({"ignored: op ", std::to_string(p.op), " is not BOOTREQUEST"}));
    const auto type = p.message_type();
    if (!type) return silent(concat({"ignored BOOTP request from ", p.client_mac().to_string(), ": no option 53"}));
    // One subnet is served: a relay on another one would get addresses that do not work there.
    if (!p.giaddr.is_unspecified() && !in_subnet(p.giaddr))
        return silent(concat({from(p, nullptr), "relayed by ", p.giaddr.to_string(), ", outside the served subnet"}));
    if (*type == DhcpMessageType::Inform) return inform(p);
    const auto client = ClientKey::of(p);
    if (!client) return silent(concat({from(p, nullptr), "no client identity (no option 61 and hlen 0)"}));
    switch (*type) {
    case DhcpMessageType::Discover: return discover(p, *client, now);
    case DhcpMessageType::Request: return request(p, *client, now);
    case DhcpMessageType::Release: return release(p, *client, now);
    case DhcpMessageType::Decline: return decline(p, *client, now);
    default: return silent(concat({from(p, &*client), "not a message a server answers"}));
    }
}

ServerOutcome ServerEngine::discover(const wire::DhcpPacket& p, const ClientKey& client, WallTime now) {
    const auto address = table_.choose(client, p.requested_ip(), now);
    if (!address)
        return silent(concat({from(p, &client), "no OFFER: pool ", config_.range.to_string(), " is full (",
                              std::to_string(table_.entry_count()), " addresses bound, offered or declined)"}));
    table_.reserve(*address, client, mac_of(p), now + config_.offer_reservation);
    ServerOutcome out;
    auto& m = out.reply.emplace(detail::reply_to(p, DhcpMessageType::Offer, config_));
    m.yiaddr = *address;
    detail::add_lease_times(m, config_);
    detail::add_network_options(m, p, config_);
    detail::add_echoes(m, p);
    out.delivery = detail::delivery_for(p, DhcpMessageType::Offer, m);
    return out;
}

ServerOutcome ServerEngine::request(const wire::DhcpPacket& p, const ClientKey& client, WallTime now) {
    const auto requested = p.requested_ip();
    if (const auto server = p.server_id()) {
        // SELECTING: the client answers one OFFER among those it got.
        if (*server != config_.server_address) {
            table_.drop_reservation(client, now);
            return silent(concat({from(p, &client), "chose server ", server->to_string()}));
        }
        // Option 50 is a MUST here; a client that gives ciaddr instead is renewing oddly.
        const Ipv4Address wanted = requested ? *requested : p.ciaddr;
        if (wanted.is_unspecified()) return silent(concat({from(p, &client), "SELECTING without option 50"}));
        if (table_.available_to(wanted, client, now)) return ack(p, client, wanted, now);
        return nak(p, client, concat({wanted.to_string(), " is not available"}));
    }
    if (!p.ciaddr.is_unspecified()) {
        // RENEWING (unicast) or REBINDING (broadcast): the same rule, extend or refuse.
        if (table_.address_of(client) == p.ciaddr && table_.available_to(p.ciaddr, client, now))
            return ack(p, client, p.ciaddr, now);
        return nak(p, client, concat({p.ciaddr.to_string(), " is not the client's lease"}));
    }
    if (!requested) return silent(concat({from(p, &client), "no server id, ciaddr or requested address"}));
    // INIT-REBOOT: the client checks that the address it remembers is still its own.
    if (!in_subnet(*requested))
        return nak(p, client, concat({requested->to_string(), " is not on this network"}));
    const auto mine = table_.address_of(client);
    if (mine == requested && table_.available_to(*requested, client, now)) return ack(p, client, *requested, now);
    if (mine) return nak(p, client, concat({"the client's address is ", mine->to_string()}));
    if (table_.find(*requested) != nullptr && !table_.available_to(*requested, client, now))
        return nak(p, client, concat({requested->to_string(), " is another client's"}));
    // RFC 2131 4.3.2: "If the DHCP server has no record of this client, then it MUST remain
    // silent": the client may be another server's.
    return silent(concat({from(p, &client), "INIT-REBOOT for ", requested->to_string(), " from an unknown client"}));
}

ServerOutcome ServerEngine::release(const wire::DhcpPacket& p, const ClientKey& client, WallTime now) {
    if (const auto server = p.server_id(); server && *server != config_.server_address)
        return silent(concat({from(p, &client), "for server ", server->to_string()}));
    auto change = table_.release(p.ciaddr, client, now);
    if (!change) return silent(concat({from(p, &client), p.ciaddr.to_string(), " is not bound to the client"}));
    ServerOutcome out;
    out.changes.push_back(std::move(*change));
    out.note = concat({from(p, &client), "released ", p.ciaddr.to_string()});
    return out;
}

ServerOutcome ServerEngine::decline(const wire::DhcpPacket& p, const ClientKey& client, WallTime now) {
    if (const auto server = p.server_id(); server && *server != config_.server_address)
        return silent(concat({from(p, &client), "for server ", server->to_string()}));
    const auto address = p.requested_ip();
    if (!address) return silent(concat({from(p, &client), "no option 50"}));
    auto change = table_.decline(*address, client, now + config_.decline_quarantine);
    if (!change) return silent(concat({from(p, &client), address->to_string(), " is not the client's"}));
    ServerOutcome out;
    out.changes.push_back(std::move(*change));
    out.note = concat({from(p, &client), address->to_string(), " is in use by another host: set aside for ",
                       std::to_string(config_.decline_quarantine.count()), " s"});
    return out;
}

ServerOutcome ServerEngine::inform(const wire::DhcpPacket& p) {
    // RFC 2131 4.3.5: the client has an address (configured by other means) and wants only
    // the options; the ACK goes "directly to the address given in the 'ciaddr' field".
    if (p.ciaddr.is_unspecified()) return silent(concat({from(p, nullptr), "no ciaddr"}));
    ServerOutcome out;
    auto& m = out.reply.emplace(detail::reply_to(p, DhcpMessageType::Ack, config_));
    m.ciaddr = p.ciaddr;
    detail::add_network_options(m, p, config_);
    detail::add_echoes(m, p);
    out.delivery = {DeliveryKind::client, p.ciaddr, wire::kDhcpClientPort, p.client_mac()};
    return out;
}

ServerOutcome ServerEngine::ack(const wire::DhcpPacket& p, const ClientKey& client, Ipv4Address address,
                                WallTime now) {
    ServerOutcome out;
    out.changes = table_.bind(address, client, mac_of(p), now + config_.lease_time, now);
    auto& m = out.reply.emplace(detail::reply_to(p, DhcpMessageType::Ack, config_));
    m.ciaddr = p.ciaddr;
    m.yiaddr = address;
    detail::add_lease_times(m, config_);
    detail::add_network_options(m, p, config_);
    detail::add_echoes(m, p);
    out.delivery = detail::delivery_for(p, DhcpMessageType::Ack, m);
    return out;
}

ServerOutcome ServerEngine::nak(const wire::DhcpPacket& p, const ClientKey& client, std::string why) {
    ServerOutcome out;
    auto& m = out.reply.emplace(detail::reply_to(p, DhcpMessageType::Nak, config_));
    detail::add_message(m, why);  // option 56: the client may log it
    detail::add_echoes(m, p);
    out.delivery = detail::delivery_for(p, DhcpMessageType::Nak, m);
    out.note = concat({from(p, &client), "NAK: ", why});
    return out;
}

}  // namespace weft::dhcp
