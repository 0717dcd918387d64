// The DHCP client engine's answers to replies: which are ours, and what an OFFER, ACK or NAK
// does in each state (RFC 2131 4.4.1-4.4.5). The rest of the state machine is client_engine.cpp.
#include "weft/services/dhcp/client_engine.hpp"

#include <algorithm>
#include <utility>

#include "client_messages.hpp"

namespace weft::dhcp {

using wire::DhcpMessageType;

ClientActions ClientEngine::on_packet(const wire::DhcpPacket& packet, TimePoint now) {
    ClientActions out;
    const auto type = packet.message_type();
    const auto mac = config_.mac.to_bytes();
    if (packet.op != wire::kBootReply) {
        out.ignored = "not a reply (op " + std::to_string(packet.op) + ")";
    } else if (!type) {
        out.ignored = "no message type (option 53): a BOOTP reply";
    } else if (packet.htype != 1 || packet.hlen != 6) {
        out.ignored = "hardware type " + std::to_string(packet.htype) + " length " + std::to_string(packet.hlen) +
                      " is not ours (Ethernet, 6)";
    } else if (!std::equal(mac.begin(), mac.end(), packet.chaddr.begin())) {
        out.ignored = "chaddr " + packet.client_mac().to_string() + " is not ours";
    } else if (packet.xid != xid_) {
        out.ignored = "xid " + detail::xid_text(packet.xid) + " is not ours (" + detail::xid_text(xid_) + ")";
    } else if (*type == DhcpMessageType::Offer) {
        on_offer(packet, now, out);
    } else if (*type == DhcpMessageType::Ack) {
        on_ack(packet, now, out);
    } else if (*type == DhcpMessageType::Nak) {
        on_nak(packet, now, out);
    } else {
        out.ignored = "a DHCP" + wire::dhcp_message_type_to_string(static_cast<std::uint8_t>(*type)) +
                      " is not for a client";
    }
    finish(out, now);
    return out;
}

void ClientEngine::on_offer(const wire::DhcpPacket& packet, TimePoint now, ClientActions& out) {
    if (state_ != ClientState::selecting) {
        out.ignored = "a DHCPOFFER in ";
        out.ignored += to_string(state_);
        return;
    }
    const auto server = packet.server_id();
    if (!server) {
        out.ignored = "a DHCPOFFER without a server id (option 54)";
        return;
    }
    // The server id is where RENEWING and RELEASE go by unicast: it must be one.
    if (!detail::usable_address(*server)) {
        out.ignored = "a DHCPOFFER with server id " + server->to_string() + ", not a unicast address";
        return;
    }
    if (!detail::usable_address(packet.yiaddr)) {
        out.ignored = "a DHCPOFFER of an address no host can take (" + packet.yiaddr.to_string() + ")";
        return;
    }
    const Offer offer{packet.yiaddr, *server};
    if (config_.offer_wait == Duration::zero()) {
        offer_ = offer;
        begin_request(now, out);
        return;
    }
    if (!offer_) {
        offer_ = offer;
        offer_wait_end_ = detail::later(now, config_.offer_wait);
        return;
    }
    // While waiting: the first offer holds, unless this one gives back the address we asked for.
    if (suggested_ && offer.address == *suggested_ && offer_->address != *suggested_) {
        offer_ = offer;
        return;
    }
    out.ignored = "a DHCPOFFER of " + offer.address.to_string() + " from " + server->to_string() +
                  " after the one taken (" + offer_->address.to_string() + ")";
}

void ClientEngine::on_ack(const wire::DhcpPacket& packet, TimePoint now, ClientActions& out) {
    (void)now;
    const auto server = packet.server_id();
    switch (state_) {
    case ClientState::requesting:
    case ClientState::rebooting: {
        // In REQUESTING only the chosen server answers (the others read the REQUEST as a
        // refusal of their offers); an ACK naming another server is not ours to take.
        std::optional<Ipv4Address> expected_server;
        if (state_ == ClientState::requesting) expected_server = offer_->server_id;
        if (expected_server && server && *server != *expected_server) {
            out.ignored = "a DHCPACK from " + server->to_string() + ", not from " + expected_server->to_string();
            return;
        }
        auto lease = detail::lease_from_ack(packet, exchange_started_, expected_server);
        if (!lease) {
            out.ignored = lease.error();
            return;
        }
        lease_ = std::move(*lease);
        offer_.reset();
        acquisition_deadline_.reset();
        enter(ClientState::bound,
              "DHCPACK of " + lease_->address.to_string() + " from " + lease_->server_id.to_string(), out);
        out.events.emplace_back(LeaseAcquired{*lease_});
        return;
    }
    case ClientState::renewing:
    case ClientState::rebinding: {
        // RENEWING asked its own server (unicast); in REBINDING any server may answer.
        if (state_ == ClientState::renewing && server && *server != lease_->server_id) {
            out.ignored = "a DHCPACK from " + server->to_string() + ", not from " + lease_->server_id.to_string();
            return;
        }
        if (packet.yiaddr != lease_->address) {
            out.ignored = "a DHCPACK of " + packet.yiaddr.to_string() + " while renewing " +
                          lease_->address.to_string();
            return;
        }
        auto lease = detail::lease_from_ack(packet, exchange_started_, lease_->server_id);
        if (!lease) {
            out.ignored = lease.error();
            return;
        }
        lease_ = std::move(*lease);
        enter(ClientState::bound, "DHCPACK from " + lease_->server_id.to_string() + ": lease extended", out);
        out.events.emplace_back(LeaseRenewed{*lease_});
        return;
    }
    default:
        out.ignored = "a DHCPACK in ";
        out.ignored += to_string(state_);
        return;
    }
}

void ClientEngine::on_nak(const wire::DhcpPacket& packet, TimePoint now, ClientActions& out) {
    const auto server = packet.server_id();
    std::optional<Ipv4Address> expected_server;
    if (state_ == ClientState::requesting) expected_server = offer_->server_id;
    if (state_ == ClientState::renewing) expected_server = lease_->server_id;
    if (expected_server && server && *server != *expected_server) {
        out.ignored = "a DHCPNAK from " + server->to_string() + ", not from " + expected_server->to_string();
        return;
    }
    std::string why = "DHCPNAK";
    if (server) why += " from " + server->to_string();
    if (auto text = detail::server_message(packet); !text.empty()) why += ": '" + text + "'";
    switch (state_) {
    case ClientState::requesting:
    case ClientState::rebooting:
        // The address is not ours to have: do not ask for it again.
        suggested_.reset();
        enter(ClientState::init, why, out);
        begin_discover(now, out);
        return;
    case ClientState::renewing:
    case ClientState::rebinding:
        suggested_.reset();
        lose_lease(LeaseLossReason::nak, why, out);
        enter(ClientState::init, why, out);
        start_acquisition(now);
        begin_discover(now, out);
        return;
    default:
        out.ignored = "a DHCPNAK in ";
        out.ignored += to_string(state_);
        return;
    }
}

}  // namespace weft::dhcp
