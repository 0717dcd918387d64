// services/dhcp server engine: a whole DORA exchange field by field, the options of each
// reply, and where RFC 2131 section 4.1 sends it (relay, ciaddr, broadcast, the client's MAC).
#include "weft/services/dhcp/server_engine.hpp"

#include <gtest/gtest.h>

#include "server_test_support.hpp"

namespace weft::dhcp {
namespace {

using namespace server_test;

TEST(DhcpServerEngine, DoraForOneClient) {
    auto e = engine();
    TestClient c(1);
    auto offer = e.handle(c.discover(), kT0);
    ASSERT_EQ(type_of(offer), DhcpMessageType::Offer) << offer.note;
    const DhcpMessage& o = *offer.reply;
    EXPECT_EQ(o.op, wire::kBootReply);
    EXPECT_EQ(o.xid, c.xid);
    EXPECT_EQ(o.htype, 1);
    EXPECT_EQ(o.hlen, 6);
    EXPECT_EQ(o.client_mac(), c.hw);
    EXPECT_EQ(o.yiaddr, pool_address(10));  // the first never-used address
    EXPECT_TRUE(o.ciaddr.is_unspecified());
    EXPECT_TRUE(o.giaddr.is_unspecified());
    EXPECT_EQ(option(o, opt::kServerId), address_bytes(kServer));
    EXPECT_EQ(option(o, opt::kLeaseTime), seconds_bytes(3600));
    EXPECT_EQ(option(o, opt::kRenewalTime), seconds_bytes(1800));
    EXPECT_EQ(option(o, opt::kRebindingTime), seconds_bytes(3150));
    EXPECT_EQ(option(o, opt::kSubnetMask), address_bytes(Ipv4Address(255, 255, 255, 0)));
    EXPECT_EQ(option(o, opt::kRouter), address_bytes(kServer));
    EXPECT_EQ(option(o, opt::kDnsServer), address_bytes(kDns));
    EXPECT_EQ(option(o, opt::kBroadcastAddress), address_bytes(Ipv4Address(198, 18, 0, 255)));  // asked in 55
    EXPECT_TRUE(offer.changes.empty()) << "an OFFER is not durable";

    auto ack = e.handle(c.select(o.yiaddr), kT0 + 1s);
    ASSERT_EQ(type_of(ack), DhcpMessageType::Ack) << ack.note;
    const DhcpMessage& a = *ack.reply;
    EXPECT_EQ(a.yiaddr, pool_address(10));
    EXPECT_EQ(a.xid, c.xid);
    EXPECT_EQ(option(a, opt::kServerId), address_bytes(kServer));
    EXPECT_EQ(option(a, opt::kLeaseTime), seconds_bytes(3600));
    EXPECT_EQ(option(a, opt::kRenewalTime), seconds_bytes(1800));
    EXPECT_EQ(option(a, opt::kRebindingTime), seconds_bytes(3150));
    EXPECT_EQ(option(a, opt::kSubnetMask), address_bytes(Ipv4Address(255, 255, 255, 0)));
    EXPECT_EQ(option(a, opt::kRouter), address_bytes(kServer));
    EXPECT_EQ(option(a, opt::kDnsServer), address_bytes(kDns));
    EXPECT_FALSE(option(a, opt::kBroadcastAddress)) << "the REQUEST did not ask for option 28";
    // The lease, to be written before the ACK leaves.
    ASSERT_EQ(ack.changes.size(), 1u);
    const LeaseRecord& r = ack.changes[0];
    EXPECT_EQ(r.event, LeaseEvent::lease);
    EXPECT_EQ(r.address, pool_address(10));
    EXPECT_EQ(r.client.to_text(), "hw:01020000000001");
    EXPECT_EQ(r.mac, c.hw);
    EXPECT_EQ(r.time, kT0 + 1s + 3600s);
}

TEST(DhcpServerEngine, OptionsBeginWithTypeAndServerId) {
    auto e = engine();
    auto offer = e.handle(TestClient(1).discover(), kT0);
    ASSERT_TRUE(offer.reply);
    ASSERT_GE(offer.reply->options.size(), 2u);
    EXPECT_EQ(offer.reply->options[0].code, opt::kMessageType);
    EXPECT_EQ(offer.reply->options[1].code, opt::kServerId);
}

TEST(DhcpServerEngine, NoRoutersOrDnsMeansNoOptions3And6) {
    auto c = config();
    c.routers.clear();
    c.dns_servers.clear();
    auto e = ServerEngine::create(c).value();
    auto offer = e.handle(TestClient(1).discover(), kT0);
    ASSERT_TRUE(offer.reply);
    EXPECT_FALSE(option(*offer.reply, opt::kRouter));
    EXPECT_FALSE(option(*offer.reply, opt::kDnsServer));
    EXPECT_TRUE(option(*offer.reply, opt::kSubnetMask));
}

TEST(DhcpServerEngine, ClientIdAndRelayInfoAreEchoed) {
    auto e = engine();
    TestClient c(1);
    c.client_id = bytes_of({0xff, 0, 0, 0, 1});
    auto m = c.base(DhcpMessageType::Discover);
    m.add_bytes(opt::kRelayAgentInfo, {1, 2, 'a', 'b'});
    auto offer = e.handle(wire::build_dhcp(m), kT0);
    ASSERT_TRUE(offer.reply) << offer.note;
    EXPECT_EQ(option(*offer.reply, opt::kClientId), c.client_id);
    EXPECT_EQ(option(*offer.reply, opt::kRelayAgentInfo), bytes_of({1, 2, 'a', 'b'}));
    EXPECT_EQ(offer.reply->options.back().code, opt::kRelayAgentInfo) << "RFC 3046: option 82 last";
}

// ---- RFC 2131 section 4.1: where each reply goes ----

TEST(DhcpServerDelivery, NoAddressNoBroadcastFlagGoesToTheMac) {
    auto e = engine();
    TestClient c(1);
    auto offer = e.handle(c.discover(), kT0);
    ASSERT_TRUE(offer.reply);
    EXPECT_EQ(offer.delivery.kind, DeliveryKind::hardware);
    EXPECT_EQ(offer.delivery.address, pool_address(10));
    EXPECT_EQ(offer.delivery.port, 68);
    EXPECT_EQ(offer.delivery.mac, c.hw);
    auto ack = e.handle(c.select(pool_address(10)), kT0);
    EXPECT_EQ(ack.delivery.kind, DeliveryKind::hardware);
    EXPECT_EQ(ack.delivery.address, pool_address(10));
    EXPECT_EQ(ack.delivery.mac, c.hw);
}

TEST(DhcpServerDelivery, BroadcastFlagMeansBroadcast) {
    auto e = engine();
    TestClient c(1);
    c.broadcast = true;
    auto offer = e.handle(c.discover(), kT0);
    ASSERT_TRUE(offer.reply);
    EXPECT_EQ(offer.delivery.kind, DeliveryKind::broadcast);
    EXPECT_EQ(offer.delivery.address, Ipv4Address::broadcast());
    EXPECT_EQ(offer.delivery.port, 68);
    EXPECT_EQ(offer.reply->flags, wire::kDhcpFlagBroadcast) << "flags copied";
    auto ack = e.handle(c.select(offer.reply->yiaddr), kT0);
    EXPECT_EQ(ack.delivery.kind, DeliveryKind::broadcast);
}

TEST(DhcpServerDelivery, GiaddrSendsToTheRelayOnPort67) {
    auto e = engine();
    TestClient c(1);
    c.giaddr = kRelay;
    c.broadcast = true;  // the relay decides how to reach the client; the server only the relay
    auto offer = e.handle(c.discover(), kT0);
    ASSERT_TRUE(offer.reply) << offer.note;
    EXPECT_EQ(offer.delivery.kind, DeliveryKind::relay);
    EXPECT_EQ(offer.delivery.address, kRelay);
    EXPECT_EQ(offer.delivery.port, 67);
    EXPECT_EQ(offer.reply->giaddr, kRelay) << "giaddr copied";
    auto ack = e.handle(c.select(offer.reply->yiaddr), kT0);
    EXPECT_EQ(ack.delivery.kind, DeliveryKind::relay);
    EXPECT_EQ(ack.delivery.address, kRelay);
}

TEST(DhcpServerDelivery, CiaddrSendsUnicastToIt) {
    auto e = engine();
    TestClient c(1);
    const auto address = dora(e, c, kT0);
    ASSERT_TRUE(address);
    auto ack = e.handle(c.renew(*address), kT0 + 1800s);
    ASSERT_EQ(type_of(ack), DhcpMessageType::Ack) << ack.note;
    EXPECT_EQ(ack.delivery.kind, DeliveryKind::client);
    EXPECT_EQ(ack.delivery.address, *address);
    EXPECT_EQ(ack.delivery.port, 68);
    EXPECT_EQ(ack.reply->ciaddr, *address) << "ciaddr copied into the ACK";
}

TEST(DhcpServerDelivery, NakIsBroadcastEvenWithCiaddr) {
    auto e = engine();
    TestClient c(1);
    auto nak = e.handle(c.renew(pool_address(15)), kT0);  // not its lease
    ASSERT_EQ(type_of(nak), DhcpMessageType::Nak) << nak.note;
    EXPECT_EQ(nak.delivery.kind, DeliveryKind::broadcast);
    EXPECT_EQ(nak.delivery.address, Ipv4Address::broadcast());
    EXPECT_TRUE(nak.reply->yiaddr.is_unspecified());
    EXPECT_TRUE(nak.reply->ciaddr.is_unspecified());
    EXPECT_FALSE(option(*nak.reply, opt::kLeaseTime));
    EXPECT_TRUE(option(*nak.reply, opt::kMessage)) << "option 56 says why";
    EXPECT_EQ(option(*nak.reply, opt::kServerId), address_bytes(kServer));
    EXPECT_NE(nak.note.find("NAK"), std::string::npos);
}

TEST(DhcpServerDelivery, NakThroughARelaySetsTheBroadcastFlag) {
    auto e = engine();
    TestClient c(1);
    c.giaddr = kRelay;
    auto nak = e.handle(c.init_reboot(Ipv4Address(10, 0, 0, 5)), kT0);  // wrong network
    ASSERT_EQ(type_of(nak), DhcpMessageType::Nak) << nak.note;
    EXPECT_EQ(nak.delivery.kind, DeliveryKind::relay);
    EXPECT_EQ(nak.delivery.address, kRelay);
    EXPECT_EQ(nak.delivery.port, 67);
    EXPECT_EQ(nak.reply->flags & wire::kDhcpFlagBroadcast, wire::kDhcpFlagBroadcast);
}

TEST(DhcpServerDelivery, NonEthernetHardwareIsBroadcast) {
    auto e = engine();
    TestClient c(1);
    auto m = c.base(DhcpMessageType::Discover);
    m.htype = 6;  // IEEE 802 (not 1): chaddr is no Ethernet MAC we could unicast to
    auto offer = e.handle(wire::build_dhcp(m), kT0);
    ASSERT_TRUE(offer.reply) << offer.note;
    EXPECT_EQ(offer.delivery.kind, DeliveryKind::broadcast);
    EXPECT_EQ(offer.reply->htype, 6);
}

TEST(DhcpServerDelivery, KindNames) {
    EXPECT_EQ(delivery_kind_name(DeliveryKind::relay), "relay");
    EXPECT_EQ(delivery_kind_name(DeliveryKind::client), "client");
    EXPECT_EQ(delivery_kind_name(DeliveryKind::broadcast), "broadcast");
    EXPECT_EQ(delivery_kind_name(DeliveryKind::hardware), "hardware");
}

}  // namespace
}  // namespace weft::dhcp
