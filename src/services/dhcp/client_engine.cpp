// The DHCP client state machine (client_engine.hpp has the rules it follows).
//
// Every public call builds one ClientActions: transitions append their events and datagrams
// to it, and finish() computes the one deadline the state needs. The engine keeps a single
// timer because every state waits for exactly one next thing (a retransmission, the end of
// a wait, T1, T2, the lease end), whichever comes first. Replies are client_replies.cpp.
#include "weft/services/dhcp/client_engine.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "client_messages.hpp"

namespace weft::dhcp {

using namespace std::chrono_literals;
using wire::DhcpMessageType;

namespace {

const Endpoint kServerBroadcast{Ipv4Address::broadcast(), wire::kDhcpServerPort};
const Endpoint kClientUnbound{Ipv4Address::any(), wire::kDhcpClientPort};

std::string counted(int n, const char* what) {
    std::string text = std::to_string(n);
    text += ' ';
    text += what;
    if (n != 1) text += 's';
    return text;
}

}  // namespace

std::string_view to_string(ClientState state) noexcept {
    switch (state) {
    case ClientState::idle: return "IDLE";
    case ClientState::init: return "INIT";
    case ClientState::selecting: return "SELECTING";
    case ClientState::requesting: return "REQUESTING";
    case ClientState::bound: return "BOUND";
    case ClientState::renewing: return "RENEWING";
    case ClientState::rebinding: return "REBINDING";
    case ClientState::init_reboot: return "INIT-REBOOT";
    case ClientState::rebooting: return "REBOOTING";
    }
    return "?";
}

bool ClientSend::broadcast() const noexcept { return to.address().is_v4() && to.address().v4().is_broadcast(); }

ClientEngine::ClientEngine(ClientConfig config, RandomSource random)
    : config_(std::move(config)), random_(std::move(random)) {
    if (!random_) throw std::invalid_argument("dhcp::ClientEngine: the random source is empty");
    if (config_.request_attempts < 1) throw std::invalid_argument("dhcp::ClientEngine: request_attempts must be >= 1");
    if ((config_.acquire_timeout && *config_.acquire_timeout < Duration::zero()) ||
        config_.offer_wait < Duration::zero() || config_.reboot_timeout < Duration::zero())
        throw std::invalid_argument("dhcp::ClientEngine: a negative duration in the configuration");
}

// ---- public events ----

ClientActions ClientEngine::start(TimePoint now) {
    ClientActions out;
    if (state_ != ClientState::idle) {
        out.ignored = "already started (";
        out.ignored += to_string(state_);
        out.ignored += ')';
    } else {
        suggested_ = config_.remembered_address;
        start_acquisition(now);
        if (suggested_) {
            enter(ClientState::init_reboot, "start with the remembered address " + suggested_->to_string(), out);
            begin_reboot(now, out);
        } else {
            enter(ClientState::init, "start", out);
            begin_discover(now, out);
        }
    }
    finish(out, now);
    return out;
}

ClientActions ClientEngine::on_timer(TimePoint now) {
    ClientActions out;
    if (!timer_ || now < *timer_) {
        out.ignored = "no timer due";
    } else {
        switch (state_) {
        case ClientState::init:
            // The wait after a DECLINE is over: acquisition starts afresh.
            start_acquisition(now);
            begin_discover(now, out);
            break;
        case ClientState::selecting:
        case ClientState::requesting:
        case ClientState::rebooting: acquisition_timer(now, out); break;
        case ClientState::bound:
        case ClientState::renewing:
        case ClientState::rebinding: lease_timer(now, out); break;
        case ClientState::idle:
        case ClientState::init_reboot: break;  // no timer in these (init_reboot is passed through)
        }
    }
    finish(out, now);
    return out;
}

ClientActions ClientEngine::decline(TimePoint now) {
    ClientActions out;
    if (!lease_) {
        out.ignored = "no lease to decline";
        finish(out, now);
        return out;
    }
    // RFC 2131 table 5: DECLINE has ciaddr 0 and names the address in option 50; it is
    // broadcast because the client must not use the address it declines.
    const Lease& lease = *lease_;
    xid_ = new_xid();
    auto m = detail::client_message(config_, DhcpMessageType::Decline, xid_);
    m.add_address(wire::dhcp_option::kRequestedIp, lease.address);
    m.add_address(wire::dhcp_option::kServerId, lease.server_id);
    m.add_text(wire::dhcp_option::kMessage, "address in use");
    out.send.push_back(ClientSend{DhcpMessageType::Decline, kClientUnbound, kServerBroadcast, wire::build_dhcp(m)});
    suggested_.reset();  // never ask for the declined address again
    const std::string why = lease.address.to_string() + " is in use on the link: declined";
    lose_lease(LeaseLossReason::declined, why, out);
    enter(ClientState::init, why, out);
    restart_at_ = detail::later(now, kDeclineBackoff);
    finish(out, now);
    return out;
}

ClientActions ClientEngine::release(TimePoint now) {
    ClientActions out;
    if (lease_) {
        // RFC 2131 4.4.6: unicast to the server, ciaddr the released address; no option 50.
        const Lease& lease = *lease_;
        xid_ = new_xid();
        auto m = detail::client_message(config_, DhcpMessageType::Release, xid_);
        m.ciaddr = lease.address;
        m.add_address(wire::dhcp_option::kServerId, lease.server_id);
        out.send.push_back(ClientSend{DhcpMessageType::Release, Endpoint{lease.address, wire::kDhcpClientPort},
                                      Endpoint{lease.server_id, wire::kDhcpServerPort}, wire::build_dhcp(m)});
        const std::string why = lease.address.to_string() + " released";
        lose_lease(LeaseLossReason::released, why, out);
        enter(ClientState::idle, why, out);
    } else if (state_ != ClientState::idle) {
        enter(ClientState::idle, "stopped", out);
    } else {
        out.ignored = "not started";
    }
    finish(out, now);
    return out;
}

// ---- transitions ----

void ClientEngine::enter(ClientState next, std::string reason, ClientActions& out) {
    if (next == state_) return;
    out.events.emplace_back(StateChanged{state_, next, std::move(reason)});
    state_ = next;
}

void ClientEngine::start_acquisition(TimePoint now) {
    acquisition_started_ = now;
    acquisition_deadline_.reset();
    if (config_.acquire_timeout) acquisition_deadline_ = detail::later(now, *config_.acquire_timeout);
    restart_at_.reset();
}

void ClientEngine::begin_exchange(TimePoint now) {
    exchange_started_ = now;
    transmissions_ = 0;
    backoff_ = kFirstRetransmission;
}

void ClientEngine::begin_discover(TimePoint now, ClientActions& out) {
    offer_.reset();
    offer_wait_end_.reset();
    xid_ = new_xid();
    begin_exchange(now);
    enter(ClientState::selecting, "DHCPDISCOVER sent", out);
    transmit(now, out);
}

void ClientEngine::begin_request(TimePoint now, ClientActions& out) {
    // The REQUEST keeps the OFFER's xid (RFC 2131 4.4.1): no new draw.
    begin_exchange(now);
    enter(ClientState::requesting,
          "DHCPOFFER of " + offer_->address.to_string() + " from " + offer_->server_id.to_string() + " taken", out);
    offer_wait_end_.reset();
    transmit(now, out);
}

void ClientEngine::begin_reboot(TimePoint now, ClientActions& out) {
    xid_ = new_xid();
    begin_exchange(now);
    enter(ClientState::rebooting, "DHCPREQUEST for " + suggested_->to_string() + " sent", out);
    transmit(now, out);
}

void ClientEngine::begin_renew(TimePoint now, ClientActions& out) {
    xid_ = new_xid();
    begin_exchange(now);
    enter(ClientState::renewing, "T1 reached", out);
    transmit(now, out);
}

void ClientEngine::begin_rebind(TimePoint now, ClientActions& out) {
    xid_ = new_xid();
    begin_exchange(now);
    enter(ClientState::rebinding, "T2 reached", out);
    transmit(now, out);
}

void ClientEngine::lose_lease(LeaseLossReason reason, std::string why, ClientActions& out) {
    out.events.emplace_back(LeaseLost{std::move(*lease_), reason, std::move(why)});
    lease_.reset();
}

void ClientEngine::give_up(std::string reason, ClientActions& out) {
    enter(ClientState::idle, reason, out);
    out.events.emplace_back(AcquisitionFailed{std::move(reason)});
    offer_.reset();
    offer_wait_end_.reset();
    acquisition_deadline_.reset();
}

// ---- timers ----

void ClientEngine::acquisition_timer(TimePoint now, ClientActions& out) {
    if (acquisition_deadline_ && now >= *acquisition_deadline_) {
        const std::string within = " within " + detail::seconds_text(*config_.acquire_timeout);
        if (state_ == ClientState::selecting) {
            give_up("no DHCPOFFER" + within + " (" + counted(transmissions_, "DHCPDISCOVER") + " sent)", out);
        } else if (state_ == ClientState::requesting) {
            give_up("no DHCPACK from " + offer_->server_id.to_string() + " for " + offer_->address.to_string() +
                        within + " (" + counted(transmissions_, "DHCPREQUEST") + " sent)",
                    out);
        } else {
            give_up("no answer to the DHCPREQUEST for " + suggested_->to_string() + within + " (" +
                        counted(transmissions_, "DHCPREQUEST") + " sent)",
                    out);
        }
        return;
    }
    switch (state_) {
    case ClientState::selecting:
        if (offer_ && offer_wait_end_ && now >= *offer_wait_end_) {
            begin_request(now, out);
        } else if (now >= next_transmission_) {
            transmit(now, out);
        }
        break;
    case ClientState::requesting:
        if (now < next_transmission_) break;
        if (transmissions_ >= config_.request_attempts) {
            // RFC 2131 4.4.1: no ACK or NAK after the retransmissions: back to INIT.
            enter(ClientState::init,
                  "no DHCPACK from " + offer_->server_id.to_string() + " after " +
                      counted(transmissions_, "DHCPREQUEST"),
                  out);
            begin_discover(now, out);
        } else {
            transmit(now, out);
        }
        break;
    case ClientState::rebooting:
        if (now >= detail::later(acquisition_started_, config_.reboot_timeout)) {
            // RFC 2131 4.4.2 lets a client keep using the address for the rest of its lease
            // here; this engine does not know that lease, so it asks afresh.
            enter(ClientState::init,
                  "no answer to the DHCPREQUEST for " + suggested_->to_string() + " within " +
                      detail::seconds_text(config_.reboot_timeout),
                  out);
            begin_discover(now, out);
        } else if (now >= next_transmission_) {
            transmit(now, out);
        }
        break;
    default: break;
    }
}

void ClientEngine::lease_timer(TimePoint now, ClientActions& out) {
    const Lease& lease = *lease_;
    // Latest deadline first: a caller that slept past several sees only what holds now.
    if (now >= lease.expires_at) {
        const std::string why =
            "lease of " + lease.address.to_string() + " from " + lease.server_id.to_string() + " expired";
        suggested_ = lease.address;  // ask for it back (RFC 2131 4.4.1 allows option 50)
        lose_lease(LeaseLossReason::expired, why, out);
        enter(ClientState::init, why, out);
        start_acquisition(now);
        begin_discover(now, out);
    } else if (state_ != ClientState::rebinding && now >= lease.rebind_at) {
        begin_rebind(now, out);
    } else if (state_ == ClientState::bound && now >= lease.renew_at) {
        begin_renew(now, out);
    } else if (state_ != ClientState::bound && now >= next_transmission_) {
        transmit(now, out);
    }
}

// ---- sending and deadlines ----

void ClientEngine::transmit(TimePoint now, ClientActions& out) {
    const bool acquiring = state_ == ClientState::selecting || state_ == ClientState::requesting ||
                           state_ == ClientState::rebooting;
    const auto type = state_ == ClientState::selecting ? DhcpMessageType::Discover : DhcpMessageType::Request;
    auto m = detail::client_message(config_, type, xid_);
    // RFC 2131 table 5: 'secs' counts from the start of acquisition or of the renewal.
    m.secs = detail::secs_field(acquiring ? acquisition_started_ : exchange_started_, now);
    Endpoint from = kClientUnbound;
    Endpoint to = kServerBroadcast;
    switch (state_) {
    case ClientState::selecting:
        if (suggested_) m.add_address(wire::dhcp_option::kRequestedIp, *suggested_);
        break;
    case ClientState::requesting:
        m.add_address(wire::dhcp_option::kRequestedIp, offer_->address);
        m.add_address(wire::dhcp_option::kServerId, offer_->server_id);
        break;
    case ClientState::rebooting: m.add_address(wire::dhcp_option::kRequestedIp, *suggested_); break;
    case ClientState::renewing:
        to = Endpoint{lease_->server_id, wire::kDhcpServerPort};
        [[fallthrough]];
    case ClientState::rebinding:
        // A configured client: ciaddr carries the address, replies come back by unicast.
        m.ciaddr = lease_->address;
        from = Endpoint{lease_->address, wire::kDhcpClientPort};
        break;
    default: break;
    }
    if (acquiring && config_.broadcast_flag) m.flags = wire::kDhcpFlagBroadcast;
    detail::add_request_options(m, config_);
    out.send.push_back(ClientSend{type, from, to, wire::build_dhcp(m)});
    ++transmissions_;

    if (acquiring) {
        // RFC 2131 4.1: 4 s, doubling to 64 s, each moved by a uniform -1..+1 s.
        const auto jitter = std::chrono::milliseconds(static_cast<int>(draw() % 2001) - 1000);
        next_transmission_ = detail::later(now, backoff_ + jitter);
        backoff_ = std::min<Duration>(backoff_ * 2, kMaxRetransmission);
    } else {
        // RFC 2131 4.4.5: half the time left to T2 (RENEWING) or the lease end (REBINDING),
        // at least 60 s; finish() stops at that deadline itself.
        const TimePoint end = state_ == ClientState::renewing ? lease_->rebind_at : lease_->expires_at;
        next_transmission_ = detail::later(now, std::max<Duration>((end - now) / 2, kMinRenewRetransmission));
    }
}

std::uint32_t ClientEngine::new_xid() { return random_(); }

void ClientEngine::finish(ClientActions& out, TimePoint now) {
    std::optional<TimePoint> t;
    const auto earliest = [&t](std::optional<TimePoint> candidate) {
        if (candidate && (!t || *candidate < *t)) t = candidate;
    };
    switch (state_) {
    case ClientState::idle:
    case ClientState::init_reboot: break;
    case ClientState::init: earliest(restart_at_); break;
    case ClientState::selecting:
    case ClientState::requesting:
    case ClientState::rebooting:
        earliest(next_transmission_);
        earliest(acquisition_deadline_);
        if (state_ == ClientState::selecting) earliest(offer_wait_end_);
        if (state_ == ClientState::rebooting) earliest(detail::later(acquisition_started_, config_.reboot_timeout));
        break;
    case ClientState::bound:
        if (!lease_->infinite()) earliest(lease_->renew_at);
        break;
    case ClientState::renewing:
        earliest(next_transmission_);
        earliest(lease_->rebind_at);
        break;
    case ClientState::rebinding:
        earliest(next_transmission_);
        earliest(lease_->expires_at);
        break;
    }
    // A deadline already past (a lease whose T1 has gone by when its ACK arrives) is due now.
    if (t && *t < now) t = now;
    timer_ = t;
    out.timer = t;
}

}  // namespace weft::dhcp
