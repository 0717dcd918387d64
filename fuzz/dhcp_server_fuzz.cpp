// The DHCP server engine over a pool of four: the input is a sequence of requests, each
// framed as [control][length: 2 bytes, big-endian][bytes]; the control byte's low 7 bits are
// seconds that pass before the request, its top bit a restart (the engine's records written
// as a lease file, read back, and a new engine restored from them). Checked: no crash; every
// reply builds into bytes that parse, is a BOOTREPLY with the request's xid, an OFFER, ACK or
// NAK from our server id, going where RFC 2131 4.1 allows; every ACK with an address has its
// lease record among the changes; no address is offered or ACKed to a client while another
// client's offer, lease or a quarantine holds it (an oracle kept apart from the engine); a
// lease survives a restart; the engine's durable state names each address and client once.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>

#include "fuzz_check.hpp"
#include "weft/services/dhcp/lease_file.hpp"
#include "weft/services/dhcp/server_engine.hpp"

using namespace std::chrono_literals;
using namespace weft;
using namespace weft::dhcp;
using weft::fuzz::check;
using wire::DhcpMessageType;

namespace {

const Ipv4Address kServer(198, 18, 0, 1);
const WallTime kT0{std::chrono::seconds(1'700'000'000)};

ServerConfig make_config() {
    ServerConfig c;
    c.server_address = kServer;
    c.netmask = Ipv4Address(255, 255, 255, 0);
    c.range = {Ipv4Address(198, 18, 0, 10), Ipv4Address(198, 18, 0, 13)};
    c.routers = {kServer};
    c.dns_servers = {Ipv4Address(198, 18, 0, 53)};
    c.lease_time = 120s;
    c.offer_reservation = 30s;
    c.decline_quarantine = 60s;
    return c;
}

// Who may hold an address until when, as the replies and changes said.
struct Claim {
    ClientKey client;  // empty: a quarantine
    WallTime until;
    bool lease = false;
};

class Oracle {
public:
    void claim(Ipv4Address a, const ClientKey& client, WallTime until, bool lease, WallTime now) {
        auto it = claims_.find(a.to_uint());
        if (it != claims_.end() && it->second.client != client)
            check(it->second.until <= now, "an address handed to a client while another holds it");
        if (lease) {
            // An ACK moves the client: its claims elsewhere ended (the engine released them).
            std::erase_if(claims_, [&](const auto& kv) { return kv.second.client == client && kv.first != a.to_uint(); });
        } else {
            std::erase_if(claims_, [&](const auto& kv) {
                return kv.second.client == client && !kv.second.lease && kv.first != a.to_uint();
            });
        }
        Claim& c = claims_[a.to_uint()];
        if (c.client == client && c.lease && c.until > until && !lease) return;  // an OFFER keeps the lease
        c = Claim{client, until, lease};
    }
    void end(Ipv4Address a) { claims_.erase(a.to_uint()); }
    void quarantine(Ipv4Address a, WallTime until) { claims_[a.to_uint()] = Claim{ClientKey{}, until, true}; }
    void drop_offers(const ClientKey& client) {
        std::erase_if(claims_, [&](const auto& kv) { return kv.second.client == client && !kv.second.lease; });
    }
    void drop_all_offers() {
        std::erase_if(claims_, [](const auto& kv) { return !kv.second.lease && !kv.second.client.empty(); });
    }
    const std::map<std::uint32_t, Claim>& claims() const { return claims_; }

private:
    std::map<std::uint32_t, Claim> claims_;
};

void check_reply(const wire::DhcpPacket& request, const ServerOutcome& out) {
    const auto bytes = wire::build_dhcp(*out.reply);
    auto parsed = wire::parse_dhcp(bytes);
    check(parsed.has_value(), "a reply parses");
    check(parsed->op == wire::kBootReply, "a reply is a BOOTREPLY");
    check(parsed->xid == request.xid, "a reply carries the request's xid");
    check(parsed->chaddr == request.chaddr, "a reply carries the request's chaddr");
    check(parsed->server_id() == kServer, "a reply carries our server id");
    const auto type = parsed->message_type();
    check(type == DhcpMessageType::Offer || type == DhcpMessageType::Ack || type == DhcpMessageType::Nak,
          "a reply is an OFFER, ACK or NAK");
    if (type == DhcpMessageType::Nak)
        check(out.delivery.kind == DeliveryKind::broadcast || out.delivery.kind == DeliveryKind::relay,
              "a NAK is broadcast or relayed");
    if (out.delivery.kind == DeliveryKind::relay)
        check(out.delivery.address == request.giaddr && out.delivery.port == 67, "relay delivery");
    if (out.delivery.kind == DeliveryKind::hardware)
        check(!out.reply->yiaddr.is_unspecified() && request.htype == 1 && request.hlen == 6, "hardware delivery");
}

void check_state(const ServerEngine& engine, WallTime now) {
    std::set<Ipv4Address> addresses;
    std::set<ClientKey> clients;
    for (const auto& r : engine.records(now)) {
        check(addresses.insert(r.address).second, "an address once in the state");
        check(engine.config().range.contains(r.address), "state inside the pool");
        if (r.client.empty()) continue;
        check(clients.insert(r.client).second, "a client once in the state");
        check(engine.table().address_of(r.client) == r.address, "the client index agrees");
    }
}

ServerEngine restart(const ServerEngine& engine, WallTime now) {
    std::string text(kLeaseFileHeader);
    for (const auto& r : engine.records(now)) append_lease_line(text, r);
    auto log = parse_lease_log(text, "fuzz");
    check(log.issues.empty(), "the engine's records read back cleanly");
    auto fresh = ServerEngine::create(engine.config()).value();
    check(fresh.restore(log.records) == 0, "every record is in the pool");
    return fresh;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto engine = ServerEngine::create(make_config()).value();
    Oracle oracle;
    WallTime now = kT0;
    std::span<const std::byte> input = weft::fuzz::as_bytes(data, size);
    while (input.size() >= 3) {
        const auto control = static_cast<std::uint8_t>(input[0]);
        const std::size_t length = std::min<std::size_t>(
            static_cast<std::size_t>(input[1]) << 8 | static_cast<std::size_t>(input[2]), input.size() - 3);
        const auto bytes = input.subspan(3, length);
        input = input.subspan(3 + length);
        now += std::chrono::seconds(control & 0x7f);
        if (control & 0x80) {
            engine = restart(engine, now);
            oracle.drop_all_offers();  // offers are not durable; leases and quarantines are
            for (const auto& [key, claim] : oracle.claims()) {
                if (claim.until <= now) continue;
                const auto* e = engine.table().find(Ipv4Address(key));
                check(e != nullptr, "a lease or quarantine survives a restart");
                check(e->client == claim.client, "the same holder after a restart");
            }
        }

        auto out = engine.handle(bytes, now);
        auto request = wire::parse_dhcp(bytes);
        check(request.has_value() || (!out.reply && out.changes.empty()), "bytes that do not parse get nothing");
        if (!request) continue;
        const auto client = ClientKey::of(*request);
        if (out.reply) check_reply(*request, out);

        // Changes first (an ACK's move releases the old address), then the reply's claim.
        for (const auto& c : out.changes) {
            switch (c.event) {
            case LeaseEvent::lease: break;  // claimed with the ACK below
            case LeaseEvent::release: oracle.end(c.address); break;
            case LeaseEvent::decline: oracle.quarantine(c.address, c.time); break;
            }
        }
        const auto type = request->message_type();
        if (type == DhcpMessageType::Request && request->server_id() && *request->server_id() != kServer && client)
            oracle.drop_offers(*client);
        if (!out.reply || out.reply->yiaddr.is_unspecified()) {
            check_state(engine, now);
            continue;
        }
        check(client.has_value(), "a reply with an address goes to a known client");
        const auto reply_type = out.reply->options[0].data[0];
        if (reply_type == std::byte{static_cast<std::uint8_t>(DhcpMessageType::Offer)}) {
            check(out.changes.empty(), "an OFFER changes nothing durable");
            oracle.claim(out.reply->yiaddr, *client, now + engine.config().offer_reservation, false, now);
        } else {
            bool durable = false;
            for (const auto& c : out.changes)
                durable |= c.event == LeaseEvent::lease && c.address == out.reply->yiaddr && c.client == *client &&
                           c.time == now + engine.config().lease_time;
            check(durable, "an ACK's lease is among the changes");
            oracle.claim(out.reply->yiaddr, *client, now + engine.config().lease_time, true, now);
        }
        check_state(engine, now);
    }
    return 0;
}
