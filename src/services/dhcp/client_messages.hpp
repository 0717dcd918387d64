#pragma once
// The DHCP client engine's pieces that need no state: the messages it builds (RFC 2131
// table 5) and the lease it reads out of an ACK. Internal to src/services/dhcp.

#include <cstdint>
#include <optional>
#include <string>

#include "weft/expected.hpp"
#include "weft/services/dhcp/client_engine.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp::detail {

/// The fixed part (op BOOTREQUEST, htype 1, hlen 6, xid, chaddr) and options 53 and 61,
/// which every message a client sends starts with.
wire::DhcpMessage client_message(const ClientConfig& config, wire::DhcpMessageType type, std::uint32_t xid);

/// What DISCOVER and REQUEST add after the addresses: option 12 when configured, option 55.
/// (DECLINE and RELEASE must not carry 55: table 5.)
void add_request_options(wire::DhcpMessage& message, const ClientConfig& config);

/// t + d (d >= 0), or TimePoint::max() when that does not fit: a lease of 136 years or an
/// acquire_timeout of Duration::max() must not wrap around to the past.
TimePoint later(TimePoint t, Duration d) noexcept;

/// The 'secs' field: whole seconds from `since` to `now`, 0 to 65535.
std::uint16_t secs_field(TimePoint since, TimePoint now) noexcept;

/// A yiaddr a host can take: not 0.0.0.0, broadcast, multicast, class E or loopback.
bool usable_address(Ipv4Address address) noexcept;

/// The lease an ACK grants, running from `start`. The server id is the ACK's, else
/// `fallback_server` (the server the REQUEST went to). Errors, as one line: an unusable
/// yiaddr, no lease time, no server id or one that is not a unicast address.
Expected<Lease, std::string> lease_from_ack(const wire::DhcpPacket& ack, TimePoint start,
                                            std::optional<Ipv4Address> fallback_server);

/// Option 56 (a server's message) quoted for a log line, non-printable bytes as '?', at most
/// 200 characters; empty without the option.
std::string server_message(const wire::DhcpPacket& packet);

/// "30 s", "2.5 s", "0.001 s".
std::string seconds_text(Duration duration);

/// "0x1a2b3c4d".
std::string xid_text(std::uint32_t xid);

}  // namespace weft::dhcp::detail
