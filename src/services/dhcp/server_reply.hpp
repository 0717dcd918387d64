#pragma once
// How the server engine builds its replies (RFC 2131 table 3) and picks their destination
// (section 4.1). Internal to services/dhcp; server_engine.hpp documents the result.
#include <string_view>

#include "weft/services/dhcp/server_config.hpp"
#include "weft/services/dhcp/server_engine.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp::detail {

/// The fixed part copied from the request (xid, flags, giaddr, htype, hlen, chaddr), op
/// BOOTREPLY, and options 53 and 54.
wire::DhcpMessage reply_to(const wire::DhcpPacket& request, wire::DhcpMessageType type, const ServerConfig& config);

/// Options 51, 58, 59: the lease and its renewal times.
void add_lease_times(wire::DhcpMessage& reply, const ServerConfig& config);

/// Options 1, 3, 6 (3 and 6 when configured), then 28 when the request's option 55 asks.
void add_network_options(wire::DhcpMessage& reply, const wire::DhcpPacket& request, const ServerConfig& config);

/// Option 56 (a NAK's reason), when not empty.
void add_message(wire::DhcpMessage& reply, std::string_view text);

/// Options 61 (RFC 6842) and 82 (RFC 3046, last) copied from the request when it has them.
void add_echoes(wire::DhcpMessage& reply, const wire::DhcpPacket& request);

/// Where `reply` (built from `request`, of `type`) goes, RFC 2131 section 4.1. A NAK through a
/// relay gets the broadcast flag set in `reply` (section 4.3.2) so that the relay broadcasts it.
Delivery delivery_for(const wire::DhcpPacket& request, wire::DhcpMessageType type, wire::DhcpMessage& reply);

}  // namespace weft::dhcp::detail
