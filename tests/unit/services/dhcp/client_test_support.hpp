#pragma once
// What the DHCP client engine tests share: a fake clock's epoch, a scripted random source, a
// hand-built server (OFFER, ACK, NAK made with wire::DhcpMessage and build_dhcp, parsed back
// with parse_dhcp) and readers for what the engine sends and reports.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "weft/services/dhcp/client_engine.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp::test {

using namespace std::chrono_literals;
using wire::DhcpMessageType;
namespace opt = wire::dhcp_option;

inline const MacAddress kMac = MacAddress::parse("02:00:5e:10:00:01").value();
inline const Ipv4Address kServer(198, 18, 0, 1);
inline const Ipv4Address kOtherServer(198, 18, 0, 2);
inline const Ipv4Address kAddress(198, 18, 0, 10);
inline const Ipv4Address kOtherAddress(198, 18, 0, 11);
inline const Ipv4Address kMask(255, 255, 254, 0);
inline const Ipv4Address kRouter(198, 18, 0, 1);
inline const Ipv4Address kDns1(198, 18, 0, 53);
inline const Ipv4Address kDns2(198, 18, 1, 53);
/// The fake clock's epoch: tests pass t0 + offsets.
inline const TimePoint t0{};

/// Random words in the order the engine draws them. Once the script runs out, words
/// 1000 + 2001 k: distinct xids, and a jitter of exactly 0 (word % 2001 == 1000).
struct Script {
    std::deque<std::uint32_t> words;
    std::uint32_t k = 0;
};

inline RandomSource scripted(std::shared_ptr<Script> script) {
    return [script] {
        if (!script->words.empty()) {
            const auto w = script->words.front();
            script->words.pop_front();
            return w;
        }
        return 1000 + 2001 * ++script->k;
    };
}

/// The word that makes the engine's jitter `ms` milliseconds (-1000..1000).
constexpr std::uint32_t jitter_word(int ms) { return static_cast<std::uint32_t>(ms + 1000); }

/// The server's reply of `type` to `request`: its xid, flags and chaddr, our server id and,
/// for OFFER and ACK, the tutorial's four elements and a lease of `lease` (none: no option 51).
inline wire::DhcpMessage reply_to(const wire::DhcpPacket& request, DhcpMessageType type,
                                  Ipv4Address yiaddr = kAddress,
                                  std::optional<std::chrono::seconds> lease = std::chrono::seconds(3600)) {
    wire::DhcpMessage m;
    m.op = wire::kBootReply;
    m.xid = request.xid;
    m.flags = request.flags;
    m.chaddr = request.chaddr;
    m.add_message_type(type);
    m.add_address(opt::kServerId, kServer);
    if (type == DhcpMessageType::Nak) return m;
    m.yiaddr = yiaddr;
    if (lease) m.add_seconds(opt::kLeaseTime, *lease);
    m.add_address(opt::kSubnetMask, kMask);
    m.add_address(opt::kRouter, kRouter);
    const Ipv4Address dns[] = {kDns1, kDns2};
    m.add_addresses(opt::kDnsServer, dns);
    m.add_text(opt::kDomainName, "lab.example");
    return m;
}

/// Builds `message`, parses it back and gives it to the engine, as the adapter would.
inline ClientActions deliver(ClientEngine& engine, const wire::DhcpMessage& message, TimePoint now) {
    const auto bytes = wire::build_dhcp(message);
    auto packet = wire::parse_dhcp(bytes);
    EXPECT_TRUE(packet) << (packet ? "" : packet.error().to_string());
    return engine.on_packet(*packet, now);
}

/// The i-th datagram of `actions`, parsed: views into `actions`, which must outlive it.
inline wire::DhcpPacket sent(const ClientActions& actions, std::size_t i = 0) {
    EXPECT_LT(i, actions.send.size());
    if (i >= actions.send.size()) return {};
    auto packet = wire::parse_dhcp(actions.send[i].bytes);
    EXPECT_TRUE(packet) << (packet ? "" : packet.error().to_string());
    return packet ? *packet : wire::DhcpPacket{};
}

/// The option codes of `packet`, in wire order.
inline std::vector<int> codes(const wire::DhcpPacket& packet) {
    std::vector<int> out;
    for (const auto& o : packet.options) out.push_back(o.code);
    return out;
}

/// The first event of type E, or nullptr.
template <class E>
const E* event(const ClientActions& actions) {
    for (const auto& e : actions.events)
        if (const auto* p = std::get_if<E>(&e)) return p;
    return nullptr;
}

/// The states passed through, in order: {from, to, to, ...}.
inline std::vector<ClientState> path(const ClientActions& actions) {
    std::vector<ClientState> out;
    for (const auto& e : actions.events) {
        if (const auto* s = std::get_if<StateChanged>(&e)) {
            if (out.empty()) out.push_back(s->from);
            out.push_back(s->to);
        }
    }
    return out;
}

/// An engine with a scripted random source and the DORA steps the tests build on.
class DhcpClient : public ::testing::Test {
protected:
    void make(ClientConfig config) {
        config.mac = kMac;
        engine_ = std::make_unique<ClientEngine>(std::move(config), scripted(script_));
    }
    void SetUp() override { make({}); }

    /// start(t0), OFFER at t0+1s, ACK at t0+2s: BOUND with a 3600 s lease that runs from
    /// t0+1s (the REQUEST). Returns the ACK's actions.
    ClientActions bind(std::chrono::seconds lease = 3600s) {
        discover_ = engine_->start(t0);
        request_ = deliver(*engine_, reply_to(sent(discover_), DhcpMessageType::Offer), t0 + 1s);
        auto ack = deliver(*engine_, reply_to(sent(request_), DhcpMessageType::Ack, kAddress, lease), t0 + 2s);
        EXPECT_EQ(engine_->state(), ClientState::bound);
        return ack;
    }

    std::shared_ptr<Script> script_ = std::make_shared<Script>();
    std::unique_ptr<ClientEngine> engine_;
    ClientActions discover_, request_;
};

}  // namespace weft::dhcp::test
