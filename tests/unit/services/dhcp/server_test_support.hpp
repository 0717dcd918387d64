#pragma once
// What the DHCP server tests share: a served subnet (198.18.0.0/24, the benchmarking range),
// a fake clock (a WallTime the test moves), requests as a client would build them, and
// readers for the options of a reply.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "weft/services/dhcp/server_engine.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp::server_test {

using namespace std::chrono_literals;
using wire::DhcpMessage;
using wire::DhcpMessageType;
namespace opt = wire::dhcp_option;

inline const Ipv4Address kServer{198, 18, 0, 1};
inline const Ipv4Address kOtherServer{198, 18, 0, 2};
inline const Ipv4Address kDns{198, 18, 0, 53};
inline const Ipv4Address kRelay{198, 18, 0, 250};
/// 2023-11-14 22:13:20 UTC: any time works, a real one reads well in lease files.
inline const WallTime kT0{std::chrono::seconds(1'700'000'000)};

inline Ipv4Address pool_address(unsigned host) { return Ipv4Address(198, 18, 0, static_cast<std::uint8_t>(host)); }

/// 198.18.0.FIRST-198.18.0.LAST, lease 1 h, offers held 30 s, declines 600 s.
inline ServerConfig config(unsigned first = 10, unsigned last = 19) {
    ServerConfig c;
    c.server_address = kServer;
    c.netmask = Ipv4Address(255, 255, 255, 0);
    c.range = {pool_address(first), pool_address(last)};
    c.routers = {kServer};
    c.dns_servers = {kDns};
    c.lease_time = 3600s;
    c.offer_reservation = 30s;
    c.decline_quarantine = 600s;
    return c;
}

inline ServerEngine engine(unsigned first = 10, unsigned last = 19) {
    auto e = ServerEngine::create(config(first, last));
    EXPECT_TRUE(e.has_value()) << (e ? "" : e.error());
    return std::move(e).value();
}

inline MacAddress mac(std::uint8_t n) { return MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, n}); }

/// A client as the tests drive it: its MAC, optional client identifier, and flags.
struct TestClient {
    MacAddress hw;
    std::vector<std::byte> client_id;  ///< option 61 when not empty
    bool broadcast = false;
    Ipv4Address giaddr;  ///< as a relay would set it
    std::uint32_t xid = 0x1234;

    explicit TestClient(std::uint8_t n) : hw(mac(n)), xid(0x1000u + n) {}

    DhcpMessage base(DhcpMessageType type) const {
        DhcpMessage m;
        m.op = wire::kBootRequest;
        m.xid = xid;
        m.flags = broadcast ? wire::kDhcpFlagBroadcast : 0;
        m.giaddr = giaddr;
        if (!giaddr.is_unspecified()) m.hops = 1;
        m.set_client_mac(hw);
        m.add_message_type(type);
        if (!client_id.empty()) m.add_bytes(opt::kClientId, client_id);
        return m;
    }
    std::vector<std::byte> discover(std::optional<Ipv4Address> requested = std::nullopt) const {
        auto m = base(DhcpMessageType::Discover);
        if (requested) m.add_address(opt::kRequestedIp, *requested);
        m.add_bytes(opt::kParameterRequestList, {1, 3, 6, 15, 28, 51});
        return wire::build_dhcp(m);
    }
    std::vector<std::byte> select(Ipv4Address address, Ipv4Address server = kServer) const {
        auto m = base(DhcpMessageType::Request);
        m.add_address(opt::kRequestedIp, address);
        m.add_address(opt::kServerId, server);
        return wire::build_dhcp(m);
    }
    std::vector<std::byte> init_reboot(Ipv4Address address) const {
        auto m = base(DhcpMessageType::Request);
        m.add_address(opt::kRequestedIp, address);
        return wire::build_dhcp(m);
    }
    /// RENEWING and REBINDING look the same to the server: ciaddr set, no option 50 or 54.
    std::vector<std::byte> renew(Ipv4Address ciaddr) const {
        auto m = base(DhcpMessageType::Request);
        m.ciaddr = ciaddr;
        return wire::build_dhcp(m);
    }
    std::vector<std::byte> release(Ipv4Address ciaddr) const {
        auto m = base(DhcpMessageType::Release);
        m.ciaddr = ciaddr;
        m.add_address(opt::kServerId, kServer);
        return wire::build_dhcp(m);
    }
    std::vector<std::byte> decline(Ipv4Address address) const {
        auto m = base(DhcpMessageType::Decline);
        m.add_address(opt::kRequestedIp, address);
        m.add_address(opt::kServerId, kServer);
        return wire::build_dhcp(m);
    }
    std::vector<std::byte> inform(Ipv4Address ciaddr) const {
        auto m = base(DhcpMessageType::Inform);
        m.ciaddr = ciaddr;
        m.add_bytes(opt::kParameterRequestList, {1, 3, 6});
        return wire::build_dhcp(m);
    }
};

/// The data of the first option `code` in a reply.
inline std::optional<std::vector<std::byte>> option(const DhcpMessage& m, std::uint8_t code) {
    for (const auto& o : m.options)
        if (o.code == code) return o.data;
    return std::nullopt;
}

inline std::vector<std::byte> bytes_of(std::initializer_list<std::uint8_t> list) {
    std::vector<std::byte> out;
    for (auto b : list) out.push_back(std::byte{b});
    return out;
}

inline std::vector<std::byte> address_bytes(Ipv4Address a) {
    const auto b = a.to_bytes();
    return bytes_of({b[0], b[1], b[2], b[3]});
}

inline std::vector<std::byte> seconds_bytes(std::uint32_t v) {
    return bytes_of({std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
}

/// The reply's message type (option 53), checking on the way that the reply builds into
/// bytes that parse back (every reply must).
inline std::optional<DhcpMessageType> type_of(const ServerOutcome& out) {
    if (!out.reply) return std::nullopt;
    const auto bytes = wire::build_dhcp(*out.reply);
    auto parsed = wire::parse_dhcp(bytes);
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().to_string());
    if (!parsed) return std::nullopt;
    return parsed->message_type();
}

/// DISCOVER then REQUEST (SELECTING): the address ACKed, or nullopt (with a test failure
/// when `expect_lease` says it should have worked).
inline std::optional<Ipv4Address> dora(ServerEngine& engine, const TestClient& c, WallTime now,
                                       bool expect_lease = true) {
    auto offer = engine.handle(c.discover(), now);
    if (type_of(offer) != DhcpMessageType::Offer) {
        if (expect_lease) ADD_FAILURE() << "no OFFER: " << offer.note;
        return std::nullopt;
    }
    auto ack = engine.handle(c.select(offer.reply->yiaddr), now);
    if (type_of(ack) != DhcpMessageType::Ack) {
        if (expect_lease) ADD_FAILURE() << "no ACK: " << ack.note;
        return std::nullopt;
    }
    return ack.reply->yiaddr;
}

}  // namespace weft::dhcp::server_test
