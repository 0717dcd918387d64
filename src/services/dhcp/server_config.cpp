// Parsing a pool range and checking a server configuration before the engine serves it.
#include "weft/services/dhcp/server_config.hpp"

#include "text.hpp"
#include "weft/net/ipv4_network.hpp"

namespace weft::dhcp {

namespace {

Unexpected<std::string> fail(std::string message) { return Unexpected(std::move(message)); }

using detail::concat;

std::string range_text(const AddressRange& r) { return concat({"range ", r.to_string()}); }

}  // namespace

std::string AddressRange::to_string() const {
    std::string out = first.to_string();
    out += '-';
    out += last.to_string();
    return out;
}

Expected<AddressRange, std::string> parse_address_range(std::string_view text) {
    const std::string quoted = concat({"range '", text, "'"});
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) return fail(concat({quoted, ": expected START-END"}));
    auto first = Ipv4Address::parse(text.substr(0, dash));
    if (!first) return fail(concat({quoted, ": START: ", first.error().message}));
    auto last = Ipv4Address::parse(text.substr(dash + 1));
    if (!last) return fail(concat({quoted, ": END: ", last.error().message}));
    if (*last < *first) return fail(concat({quoted, ": START is after END"}));
    return AddressRange{*first, *last};
}

Expected<void, std::string> validate(const ServerConfig& c) {
    auto prefix = prefix_from_netmask(c.netmask);
    if (!prefix) return fail(concat({"netmask ", c.netmask.to_string(), ": ", prefix.error().message}));
    // A /31 or /32 has no network/broadcast pair to exclude and room for no pool beside the
    // server: nothing to serve.
    if (*prefix > 30) return fail(concat({"netmask ", c.netmask.to_string(), " leaves no addresses to lease"}));
    const Ipv4Network net(c.server_address, *prefix);
    const Ipv4Address network = net.network();
    const Ipv4Address broadcast = *net.broadcast();
    if (c.server_address == network || c.server_address == broadcast)
        return fail(concat({"server address ", c.server_address.to_string(), " is the network or broadcast address of ",
                            net.to_string()}));
    if (c.range.last < c.range.first) return fail(concat({range_text(c.range), ": START is after END"}));
    if (!net.contains(c.range.first) || !net.contains(c.range.last))
        return fail(concat({range_text(c.range), " is not inside the server's subnet ", net.to_string()}));
    if (c.range.contains(network) || c.range.contains(broadcast))
        return fail(concat({range_text(c.range), " holds the network or broadcast address of ", net.to_string()}));
    if (c.range.contains(c.server_address))
        return fail(concat({range_text(c.range), " holds the server's own address ", c.server_address.to_string()}));
    for (auto r : c.routers)
        if (c.range.contains(r)) return fail(concat({range_text(c.range), " holds the router ", r.to_string()}));
    if (c.lease_time < std::chrono::seconds(1) || c.lease_time > std::chrono::seconds(0xfffffffeLL))
        return fail(concat({"lease time ", std::to_string(c.lease_time.count()), " s is out of range 1-4294967294"}));
    if (c.offer_reservation <= std::chrono::seconds(0))
        return fail(concat({"offer reservation ", std::to_string(c.offer_reservation.count()), " s must be positive"}));
    if (c.decline_quarantine < std::chrono::seconds(0))
        return fail(concat({"decline quarantine ", std::to_string(c.decline_quarantine.count()), " s is negative"}));
    return {};
}

}  // namespace weft::dhcp
