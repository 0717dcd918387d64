// The DHCP client engine: a canned server drives it to one of its states (idle, SELECTING with
// and without an offer held, REQUESTING, BOUND, RENEWING, REBINDING, REBOOTING, INIT after a
// DECLINE, an infinite lease, released), then any bytes arrive as a reply, then a few timers,
// DECLINEs and RELEASEs, and the bytes once more. Input: byte 0 the state; byte 1 how to make
// the bytes look like ours (bit 0 our xid, bit 1 our htype/hlen/chaddr, bit 2 op BOOTREPLY,
// bit 3 deliver them again later) and the configuration (bits 4-7: no broadcast flag, a 30 s
// acquisition timeout, a host name, a 2 s offer wait); byte 2 the steps after it (2 bits
// each: timer on time, timer late, decline, release); byte 3 the seed and the delay of the
// delivery; the rest, the reply. Invariants after every call: each datagram parses as a
// client message of its type with our xid and chaddr, from port 68 to port 67, addressed as
// RFC 2131 table 5 says; a lease reported is usable and its times ordered; the timer is never
// in the past, and a due timer, once handled, moves on (no adapter can spin on it); the state
// and the lease agree.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/services/dhcp/client_engine.hpp"
#include "weft/wire/dhcp.hpp"

using namespace weft;
using namespace std::chrono_literals;
using weft::fuzz::check;
using wire::DhcpMessageType;
namespace opt = wire::dhcp_option;

namespace {

const MacAddress kMac{MacAddress::Bytes{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}};
const Ipv4Address kServer(198, 18, 0, 1);
const Ipv4Address kAddress(198, 18, 0, 10);

enum Scenario : std::uint8_t {
    idle, selecting, selecting_holding_offer, requesting, bound, renewing, rebinding, rebooting,
    init_after_decline, bound_for_ever, released, scenario_count
};

bool is_unicast(Ipv4Address a) {
    return !a.is_unspecified() && !a.is_broadcast() && !a.is_multicast() && !a.is_loopback() &&
           (a.to_uint() >> 28) != 0xf;
}

void check_send(const dhcp::ClientSend& send, std::uint32_t xid) {
    auto parsed = wire::parse_dhcp(send.bytes);
    check(parsed.has_value(), "a datagram the client sends parses");
    const auto& p = *parsed;
    check(send.bytes.size() >= wire::kDhcpMinMessageSize, "padded to 300 bytes");
    check(p.op == wire::kBootRequest && p.htype == 1 && p.hlen == 6 && p.client_mac() == kMac, "our chaddr");
    check(p.xid == xid, "the engine's current xid");
    check(p.message_type() == send.type, "option 53 is the type announced");
    check(p.client_id().has_value() && p.end_seen, "option 61 and the end option");
    check(send.from.port() == wire::kDhcpClientPort && send.to.port() == wire::kDhcpServerPort, "68 to 67");
    check(send.from.address().is_v4() && send.to.address().is_v4(), "IPv4 endpoints");
    const Ipv4Address from = send.from.address().v4();
    const Ipv4Address to = send.to.address().v4();
    check(send.broadcast() || is_unicast(to), "to broadcast or to a unicast server");
    check(from.is_unspecified() || is_unicast(from), "from 0.0.0.0 or a leased address");
    const bool asks = p.find(opt::kParameterRequestList) != nullptr;
    switch (send.type) {
    case DhcpMessageType::Discover:
        check(from.is_unspecified() && send.broadcast() && p.ciaddr.is_unspecified() && asks, "DISCOVER");
        check(p.server_id() == std::nullopt, "DISCOVER has no server id");
        break;
    case DhcpMessageType::Request:
        check(asks, "REQUEST asks for parameters");
        if (p.ciaddr.is_unspecified()) {
            check(from.is_unspecified() && send.broadcast() && p.requested_ip().has_value(), "REQUEST without ciaddr");
        } else {
            check(from == p.ciaddr && p.requested_ip() == std::nullopt && p.server_id() == std::nullopt && p.flags == 0,
                  "REQUEST with ciaddr (RENEWING, REBINDING)");
        }
        break;
    case DhcpMessageType::Decline:
        check(from.is_unspecified() && send.broadcast() && p.ciaddr.is_unspecified() && !asks, "DECLINE");
        check(p.requested_ip().has_value() && p.server_id().has_value(), "DECLINE names address and server");
        break;
    case DhcpMessageType::Release:
        check(!send.broadcast() && p.server_id() == to && p.ciaddr == from && !asks, "RELEASE");
        check(p.requested_ip() == std::nullopt, "RELEASE has no option 50");
        break;
    default: check(false, "a client sends DISCOVER, REQUEST, DECLINE or RELEASE");
    }
}

void check_lease(const dhcp::Lease& l) {
    check(is_unicast(l.address) && is_unicast(l.server_id), "a lease of a unicast address from a unicast server");
    check(l.renewal_time <= l.rebinding_time && l.rebinding_time <= l.lease_time, "T1 <= T2 <= lease");
    check(l.renew_at <= l.rebind_at && l.rebind_at <= l.expires_at, "T1, T2, end in order");
    check(!l.infinite() || l.expires_at == dhcp::TimePoint::max(), "an infinite lease never ends");
}

// Every call's answer. `due`: the call was a timer at or after the deadline.
void check_actions(const dhcp::ClientEngine& engine, const dhcp::ClientActions& a, dhcp::TimePoint now, bool due) {
    check(a.send.size() <= 1, "at most one datagram per event");
    for (const auto& s : a.send) check_send(s, engine.xid());
    for (const auto& e : a.events) {
        if (const auto* acquired = std::get_if<dhcp::LeaseAcquired>(&e)) check_lease(acquired->lease);
        if (const auto* renewed = std::get_if<dhcp::LeaseRenewed>(&e)) check_lease(renewed->lease);
        if (const auto* failed = std::get_if<dhcp::AcquisitionFailed>(&e)) check(!failed->reason.empty(), "a reason");
    }
    check(a.timer == engine.timer(), "the timer returned is the engine's");
    check(!a.timer || *a.timer >= now, "never a timer in the past");
    check(!due || !a.timer || *a.timer > now, "a due timer, handled, moves on");
    const auto s = engine.state();
    const bool holds = s == dhcp::ClientState::bound || s == dhcp::ClientState::renewing ||
                       s == dhcp::ClientState::rebinding;
    check(holds == engine.lease().has_value(), "a lease exactly in BOUND, RENEWING, REBINDING");
    if (engine.lease()) check_lease(*engine.lease());
    check(s != dhcp::ClientState::init_reboot, "INIT-REBOOT is passed through");
    check((s == dhcp::ClientState::idle) == !a.timer.has_value() ||
              (s == dhcp::ClientState::bound && engine.lease()->infinite()),
          "a timer in every state but idle and an infinite BOUND");
}

wire::DhcpMessage reply_to(const wire::DhcpPacket& request, DhcpMessageType type, std::chrono::seconds lease) {
    wire::DhcpMessage m;
    m.op = wire::kBootReply;
    m.xid = request.xid;
    m.flags = request.flags;
    m.chaddr = request.chaddr;
    m.add_message_type(type);
    m.add_address(opt::kServerId, kServer);
    if (type == DhcpMessageType::Nak) return m;
    m.yiaddr = kAddress;
    m.add_seconds(opt::kLeaseTime, lease);
    m.add_address(opt::kSubnetMask, Ipv4Address(255, 255, 255, 0));
    m.add_address(opt::kRouter, kServer);
    return m;
}

// The canned server's answer to the engine's last datagram.
struct Driver {
    using Duration = dhcp::Duration;
    dhcp::ClientEngine& engine;
    dhcp::TimePoint now;
    dhcp::ClientActions last;

    void step(dhcp::ClientActions a, bool due = false) {
        check_actions(engine, a, now, due);
        last = std::move(a);
    }
    void answer(DhcpMessageType type, std::chrono::seconds lease = 3600s) {
        check(!last.send.empty(), "the driver answers a datagram");
        auto request = wire::parse_dhcp(last.send.back().bytes);
        const auto bytes = wire::build_dhcp(reply_to(*request, type, lease));
        auto reply = wire::parse_dhcp(bytes);
        now += 1s;
        step(engine.on_packet(*reply, now));
    }
    void fire(Duration late = {}) {
        if (!last.timer) return;
        now = *last.timer + late;
        step(engine.on_timer(now), true);
    }
};

dhcp::ClientState drive(Driver& d, Scenario scenario) {
    using S = dhcp::ClientState;
    if (scenario == idle) return S::idle;
    d.step(d.engine.start(d.now));
    if (scenario == rebooting) return S::rebooting;
    if (scenario == selecting) return S::selecting;
    if (scenario == selecting_holding_offer) {
        d.answer(DhcpMessageType::Offer);
        return d.engine.config().offer_wait == dhcp::Duration::zero() ? S::requesting : S::selecting;
    }
    d.answer(DhcpMessageType::Offer);
    // With an offer wait, the timer ends it (a retransmission may come first, at 3 s).
    for (int i = 0; i < 3 && d.engine.state() == S::selecting; ++i) d.fire();
    if (scenario == requesting) return S::requesting;
    d.answer(DhcpMessageType::Ack, scenario == bound_for_ever ? dhcp::kInfiniteLease : 3600s);
    switch (scenario) {
    case renewing: d.fire(); return S::renewing;
    case rebinding:
        d.fire();
        d.now = d.engine.lease()->rebind_at;
        d.step(d.engine.on_timer(d.now), true);
        return S::rebinding;
    case init_after_decline: d.step(d.engine.decline(d.now)); return S::init;
    case released: d.step(d.engine.release(d.now)); return S::idle;
    default: return S::bound;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    const auto scenario = static_cast<Scenario>(data[0] % scenario_count);
    const std::uint8_t patch = data[1];
    const std::uint8_t steps = data[2];
    const std::uint8_t seed = data[3];

    dhcp::ClientConfig config{};
    config.mac = kMac;
    config.broadcast_flag = (patch & 0x10) == 0;
    if (patch & 0x20) config.acquire_timeout = 30s;
    if (patch & 0x40) config.host_name = "fuzz";
    if (patch & 0x80) config.offer_wait = 2s;
    if (scenario == rebooting) config.remembered_address = kAddress;
    dhcp::ClientEngine engine(config, dhcp::seeded_random_source(seed));
    Driver d{engine, dhcp::TimePoint{} + 1000s, {}};
    check(drive(d, scenario) == engine.state(), "the driver reaches its state");

    // The reply, made to look like ours as bits 0-2 of byte 1 ask.
    std::vector<std::uint8_t> bytes(data + 4, data + size);
    const auto deliver = [&] {
        if ((patch & 1) && bytes.size() >= 8) {
            const auto xid = engine.xid();
            for (int i = 0; i < 4; ++i) bytes[4 + i] = static_cast<std::uint8_t>(xid >> (24 - 8 * i));
        }
        if ((patch & 2) && bytes.size() >= 34) {
            bytes[1] = 1;
            bytes[2] = 6;
            for (int i = 0; i < 6; ++i) bytes[28 + i] = kMac.to_bytes()[i];
        }
        if ((patch & 4) && !bytes.empty()) bytes[0] = wire::kBootReply;
        auto packet = wire::parse_dhcp(weft::fuzz::as_bytes(bytes.data(), bytes.size()));
        if (!packet) return;
        d.step(engine.on_packet(*packet, d.now));
    };
    d.now += std::chrono::milliseconds(seed * 37);
    deliver();

    for (int i = 0; i < 4; ++i) {
        switch ((steps >> (2 * i)) & 3) {
        case 0: d.fire(); break;
        case 1: d.fire(std::chrono::seconds(1u << (seed % 16))); break;
        case 2: d.step(engine.decline(d.now)); break;
        case 3: d.step(engine.release(d.now)); break;
        }
        if (i == 0 && (patch & 8)) deliver();
    }
    // Let the timers run on a while: every state must keep moving or stop cleanly.
    for (int i = 0; i < 8 && engine.timer(); ++i) d.fire();
    return 0;
}
