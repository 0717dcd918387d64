#pragma once
// ServerEngine: the DHCP server's rules (RFC 2131 section 4.3) with no socket and no clock.
// A request and the time it arrived go in; out come the reply (if any), where it must go
// (section 4.1) and the lease changes that must be on disk before the reply leaves.
//
//   auto engine = weft::dhcp::ServerEngine::create(config).value();     // after validate()
//   engine.restore(loaded.records);                                    // from the lease file
//   auto out = engine.handle(datagram, weft::dhcp::wall_clock_now());
//   store.append(out.changes);  store.sync();                           // durable first,
//   if (out.reply) send(build_dhcp(*out.reply), out.delivery);          // then the reply
//   else if (!out.note.empty()) log(out.note);
//
// Several requests may be handled before one sync() (group commit), as long as none of their
// replies leaves before it returns.
//
// The rules, by message (section 4.3; the client is option 61, else htype + chaddr):
// - DISCOVER: OFFER the client's current or previous address, else the requested one (option
//   50) if free, else a free one (LeaseTable::choose), reserved for config.offer_reservation.
//   A full pool: no OFFER, and a note saying so.
// - REQUEST, SELECTING (option 54 present): ours, ACK when the requested address (option 50)
//   is available to the client (the one we offered), NAK when it is not (section 4.3.2's
//   SHOULD: a silent server would leave the client retrying a REQUEST that cannot succeed);
//   another server's, the client chose it: our reservation is dropped, no reply.
// - REQUEST, INIT-REBOOT (no option 54, option 50, ciaddr 0): NAK when the address is not in
//   our subnet; ACK when it is the client's; NAK when it is another client's or the client
//   has another; silence when we know neither the client nor the address (another server's).
// - REQUEST, RENEWING/REBINDING (ciaddr set): ACK (extend) when ciaddr is the client's
//   address, NAK otherwise.
// - RELEASE: the binding ends; the client is remembered and gets the address back later.
// - DECLINE: the address is put aside for config.decline_quarantine.
// - INFORM: ACK with the options but no address and no lease times, to ciaddr.
// Anything else (not a BOOTREQUEST, no or unknown message type, an OFFER/ACK/NAK, a request
// with no client identity, a missing field a rule needs, another server's RELEASE or
// DECLINE) gets no reply and a note naming why.
//
// Every reply: op BOOTREPLY; xid, flags, giaddr, htype, hlen and chaddr copied; options 53,
// 54, then for OFFER and ACK 51, 58, 59, 1, 3, 6 (always: the CLI's contract), then 28
// (broadcast address) when the client asks for it in option 55; option 61 and 82 echoed
// (RFC 6842, RFC 3046). A NAK carries 53, 54, 56 (the reason), 61 and 82.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "weft/expected.hpp"
#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "weft/services/dhcp/lease.hpp"
#include "weft/services/dhcp/lease_table.hpp"
#include "weft/services/dhcp/server_config.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp {

/// Where a reply goes, RFC 2131 section 4.1, in order of precedence.
enum class DeliveryKind : std::uint8_t {
    relay,      ///< giaddr was set: to the relay agent, UDP port 67
    client,     ///< ciaddr was set (and not a NAK): unicast to ciaddr, port 68
    broadcast,  ///< the broadcast flag was set, or a NAK: 255.255.255.255, port 68
    hardware,   ///< otherwise: to yiaddr at the client's MAC, port 68. The client has no
                ///< address yet, so the kernel cannot ARP for it: send on a packet socket,
                ///< or add a neighbour entry (yiaddr -> mac) first. Only for Ethernet
                ///< chaddrs (htype 1, hlen 6); others are broadcast instead.
};

/// "relay", "client", "broadcast", "hardware".
std::string_view delivery_kind_name(DeliveryKind kind) noexcept;

/// Where a reply goes (RFC 2131 section 4.1): the rule and the resulting IP, port and MAC.
struct Delivery {
    DeliveryKind kind = DeliveryKind::broadcast;     ///< which rule chose the destination
    Ipv4Address address = Ipv4Address::broadcast();  ///< the IP destination
    std::uint16_t port = wire::kDhcpClientPort;      ///< the UDP destination port
    MacAddress mac = MacAddress::broadcast();        ///< the link-layer destination
};

/// What handle() decided.
struct ServerOutcome {
    /// The reply to send, after `changes` are durable; nullopt: stay silent.
    std::optional<wire::DhcpMessage> reply;
    /// Where to send the reply (meaningless without one).
    Delivery delivery{};
    /// Lease changes to persist before the reply leaves (empty for OFFER, NAK, INFORM...).
    std::vector<LeaseRecord> changes;
    /// One line for the log when there is something to say: why there is no reply ("DISCOVER
    /// from hw:01020000000002: no OFFER: pool 198.18.0.10-198.18.0.10 is full (...)"), why the
    /// reply is a NAK, what a RELEASE or DECLINE did. Empty for an OFFER or ACK.
    std::string note;
};

/// The DHCP server's decisions, without socket, clock or file (see the header comment): requests
/// in, replies and lease changes out. Not thread-safe: one loop owns it.
class ServerEngine {
public:
    /// An engine for `config`, or validate()'s one-line reason why it cannot be served.
    static Expected<ServerEngine, std::string> create(ServerConfig config);

    /// Loads the lease file's records (LeaseStore::open's result) before serving, so no address
    /// bound to one client is offered to another. Returns how many were outside the pool and
    /// skipped.
    std::size_t restore(std::span<const LeaseRecord> records) { return table_.restore(records); }

    /// Applies the rules above to one request received on the server's interface at `now`.
    ServerOutcome handle(const wire::DhcpPacket& request, WallTime now);
    /// The same for raw bytes (a UDP payload): a message that does not parse gets no reply and
    /// a note with the parser's reason.
    ServerOutcome handle(std::span<const std::byte> datagram, WallTime now);

    /// The durable state, for LeaseStore::compact.
    std::vector<LeaseRecord> records(WallTime now) const { return table_.records(now); }

    /// The configuration it serves (validated).
    const ServerConfig& config() const noexcept { return config_; }
    /// The pool's state, for inspection and stats (entry_count() for LeaseStore::should_compact).
    const LeaseTable& table() const noexcept { return table_; }

private:
    explicit ServerEngine(ServerConfig config) : config_(std::move(config)), table_(config_.range) {}

    ServerOutcome discover(const wire::DhcpPacket& p, const ClientKey& client, WallTime now);
    ServerOutcome request(const wire::DhcpPacket& p, const ClientKey& client, WallTime now);
    ServerOutcome release(const wire::DhcpPacket& p, const ClientKey& client, WallTime now);
    ServerOutcome decline(const wire::DhcpPacket& p, const ClientKey& client, WallTime now);
    ServerOutcome inform(const wire::DhcpPacket& p);
    /// An ACK that binds `address` to the client until now + lease time.
    ServerOutcome ack(const wire::DhcpPacket& p, const ClientKey& client, Ipv4Address address, WallTime now);
    ServerOutcome nak(const wire::DhcpPacket& p, const ClientKey& client, std::string why);
    bool in_subnet(Ipv4Address a) const noexcept;

    ServerConfig config_;
    LeaseTable table_;
};

}  // namespace weft::dhcp
