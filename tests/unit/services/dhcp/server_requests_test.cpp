// services/dhcp server engine, RFC 2131 section 4.3 message by message: REQUEST in SELECTING,
// INIT-REBOOT, RENEWING/REBINDING; RELEASE; DECLINE; INFORM; and what gets no reply, with why.
#include "weft/services/dhcp/server_engine.hpp"

#include <gtest/gtest.h>

#include "server_test_support.hpp"

namespace weft::dhcp {
namespace {

using namespace server_test;

bool silent(const ServerOutcome& out) { return !out.reply && out.changes.empty(); }

// ---- SELECTING ----

TEST(DhcpServerSelecting, AnotherServersIdDropsTheReservation) {
    auto e = engine(10, 10);  // one address: a held offer would block everyone else
    TestClient a(1), b(2);
    auto offer = e.handle(a.discover(), kT0);
    ASSERT_TRUE(offer.reply);
    EXPECT_FALSE(e.handle(b.discover(), kT0).reply) << "held for a";
    auto out = e.handle(a.select(offer.reply->yiaddr, kOtherServer), kT0 + 1s);
    EXPECT_TRUE(silent(out));
    EXPECT_NE(out.note.find("chose server 198.18.0.2"), std::string::npos) << out.note;
    auto for_b = e.handle(b.discover(), kT0 + 2s);
    ASSERT_TRUE(for_b.reply) << "the reservation was dropped: " << for_b.note;
    EXPECT_EQ(for_b.reply->yiaddr, pool_address(10));
}

TEST(DhcpServerSelecting, OurIdAndTheOfferedAddressAcks) {
    auto e = engine();
    TestClient c(1);
    auto offer = e.handle(c.discover(), kT0);
    auto ack = e.handle(c.select(offer.reply->yiaddr), kT0 + 29s);  // within the reservation
    EXPECT_EQ(type_of(ack), DhcpMessageType::Ack) << ack.note;
}

TEST(DhcpServerSelecting, AnAddressHeldForAnotherClientIsNaked) {
    auto e = engine();
    TestClient a(1), b(2);
    auto offer = e.handle(a.discover(), kT0);
    auto out = e.handle(b.select(offer.reply->yiaddr), kT0);
    EXPECT_EQ(type_of(out), DhcpMessageType::Nak) << out.note;
    EXPECT_TRUE(out.changes.empty());
    EXPECT_EQ(type_of(e.handle(a.select(offer.reply->yiaddr), kT0)), DhcpMessageType::Ack) << "still a's";
}

TEST(DhcpServerSelecting, AnOfferThatLapsedIsStillAckedWhenNobodyTookIt) {
    auto e = engine();
    TestClient c(1);
    auto offer = e.handle(c.discover(), kT0);
    EXPECT_EQ(type_of(e.handle(c.select(offer.reply->yiaddr), kT0 + 300s)), DhcpMessageType::Ack);
}

TEST(DhcpServerSelecting, WithoutOption50IsIgnored) {
    auto e = engine();
    TestClient c(1);
    (void)e.handle(c.discover(), kT0);
    auto m = c.base(DhcpMessageType::Request);
    m.add_address(opt::kServerId, kServer);
    auto out = e.handle(wire::build_dhcp(m), kT0);
    EXPECT_TRUE(silent(out));
    EXPECT_NE(out.note.find("without option 50"), std::string::npos) << out.note;
}

// ---- INIT-REBOOT ----

TEST(DhcpServerInitReboot, TheClientsOwnAddressIsAcked) {
    auto e = engine();
    TestClient c(1);
    const auto address = dora(e, c, kT0);
    ASSERT_TRUE(address);
    auto ack = e.handle(c.init_reboot(*address), kT0 + 100s);
    ASSERT_EQ(type_of(ack), DhcpMessageType::Ack) << ack.note;
    EXPECT_EQ(ack.reply->yiaddr, *address);
    ASSERT_EQ(ack.changes.size(), 1u);
    EXPECT_EQ(ack.changes[0].time, kT0 + 100s + 3600s) << "the lease starts again";
}

TEST(DhcpServerInitReboot, AnAddressOnAnotherNetworkIsNaked) {
    auto e = engine();
    auto out = e.handle(TestClient(1).init_reboot(Ipv4Address(192, 168, 1, 20)), kT0);
    EXPECT_EQ(type_of(out), DhcpMessageType::Nak) << out.note;
    EXPECT_NE(out.note.find("not on this network"), std::string::npos) << out.note;
}

TEST(DhcpServerInitReboot, AnotherClientsAddressIsNaked) {
    auto e = engine();
    const auto address = dora(e, TestClient(1), kT0);
    auto out = e.handle(TestClient(2).init_reboot(*address), kT0);
    EXPECT_EQ(type_of(out), DhcpMessageType::Nak) << out.note;
    EXPECT_TRUE(out.changes.empty());
}

TEST(DhcpServerInitReboot, AClientWithAnotherAddressIsNaked) {
    auto e = engine();
    TestClient c(1);
    const auto address = dora(e, c, kT0);
    ASSERT_EQ(address, pool_address(10));
    auto out = e.handle(c.init_reboot(pool_address(15)), kT0);
    EXPECT_EQ(type_of(out), DhcpMessageType::Nak) << out.note;
    EXPECT_NE(out.note.find("198.18.0.10"), std::string::npos) << out.note;
}

TEST(DhcpServerInitReboot, AnUnknownClientGetsSilence) {
    auto e = engine();
    auto out = e.handle(TestClient(1).init_reboot(pool_address(12)), kT0);
    EXPECT_TRUE(silent(out));
    EXPECT_NE(out.note.find("unknown client"), std::string::npos) << out.note;
}

// ---- RENEWING / REBINDING ----

TEST(DhcpServerRenewing, TheClientsLeaseIsExtended) {
    auto e = engine();
    TestClient c(1);
    const auto address = dora(e, c, kT0);
    for (auto at : {kT0 + 1800s, kT0 + 1800s + 3150s}) {  // T1 (renewing), then T2 (rebinding)
        auto ack = e.handle(c.renew(*address), at);
        ASSERT_EQ(type_of(ack), DhcpMessageType::Ack) << ack.note;
        EXPECT_EQ(ack.reply->yiaddr, *address);
        ASSERT_EQ(ack.changes.size(), 1u);
        EXPECT_EQ(ack.changes[0].time, at + 3600s);
    }
}

TEST(DhcpServerRenewing, AnAddressThatIsNotTheClientsIsNaked) {
    auto e = engine();
    const auto theirs = dora(e, TestClient(1), kT0);
    auto out = e.handle(TestClient(2).renew(*theirs), kT0 + 10s);
    EXPECT_EQ(type_of(out), DhcpMessageType::Nak) << out.note;
    EXPECT_TRUE(out.changes.empty());
    // And nothing about the owner changed.
    EXPECT_EQ(type_of(e.handle(TestClient(1).renew(*theirs), kT0 + 20s)), DhcpMessageType::Ack);
}

TEST(DhcpServerRenewing, AfterExpiryItIsExtendedUnlessSomeoneElseTookTheAddress) {
    auto e = engine(10, 10);
    TestClient a(1), b(2);
    const auto address = dora(e, a, kT0);
    // Expired, but still a's: renewing late works.
    EXPECT_EQ(type_of(e.handle(a.renew(*address), kT0 + 4000s)), DhcpMessageType::Ack);
    // Expired and taken by b: a is refused.
    ASSERT_EQ(dora(e, b, kT0 + 4000s + 3601s), address);
    EXPECT_EQ(type_of(e.handle(a.renew(*address), kT0 + 4000s + 3602s)), DhcpMessageType::Nak);
}

// ---- RELEASE ----

TEST(DhcpServerRelease, FreesTheLeaseAndTheClientGetsItBack) {
    auto e = engine();
    TestClient c(1);
    const auto address = dora(e, c, kT0);
    auto out = e.handle(c.release(*address), kT0 + 60s);
    EXPECT_FALSE(out.reply) << "RELEASE has no reply";
    ASSERT_EQ(out.changes.size(), 1u);
    EXPECT_EQ(out.changes[0].event, LeaseEvent::release);
    EXPECT_EQ(out.changes[0].address, *address);
    EXPECT_EQ(out.changes[0].client.to_text(), "hw:01020000000001") << "remembered";
    EXPECT_EQ(out.changes[0].time, kT0 + 60s);
    // Another client comes first, and gets a different (never used) address; then c again.
    EXPECT_NE(dora(e, TestClient(2), kT0 + 61s), address);
    EXPECT_EQ(dora(e, c, kT0 + 62s), address);
}

TEST(DhcpServerRelease, ByAnotherClientOrForAnotherServerIsIgnored) {
    auto e = engine();
    TestClient a(1), b(2);
    const auto address = dora(e, a, kT0);
    auto out = e.handle(b.release(*address), kT0);
    EXPECT_TRUE(silent(out));
    EXPECT_NE(out.note.find("not bound to the client"), std::string::npos) << out.note;
    auto m = a.base(DhcpMessageType::Release);
    m.ciaddr = *address;
    m.add_address(opt::kServerId, kOtherServer);
    EXPECT_TRUE(silent(e.handle(wire::build_dhcp(m), kT0)));
    EXPECT_EQ(type_of(e.handle(a.renew(*address), kT0 + 1s)), DhcpMessageType::Ack) << "still a's";
}

// ---- DECLINE ----

TEST(DhcpServerDecline, TheAddressIsSetAsideThenReused) {
    auto e = engine(10, 11);
    TestClient a(1), b(2), c(3);
    auto offer = e.handle(a.discover(), kT0);
    ASSERT_EQ(offer.reply->yiaddr, pool_address(10));
    (void)e.handle(a.select(pool_address(10)), kT0);
    auto out = e.handle(a.decline(pool_address(10)), kT0 + 1s);  // ARP found another host on it
    EXPECT_FALSE(out.reply);
    ASSERT_EQ(out.changes.size(), 1u);
    EXPECT_EQ(out.changes[0].event, LeaseEvent::decline);
    EXPECT_TRUE(out.changes[0].client.empty());
    EXPECT_EQ(out.changes[0].time, kT0 + 1s + 600s);
    // a starts over and gets the other address; b finds the pool full during the quarantine.
    EXPECT_EQ(dora(e, a, kT0 + 2s), pool_address(11));
    EXPECT_FALSE(e.handle(b.discover(), kT0 + 600s).reply);
    EXPECT_FALSE(e.handle(b.discover(pool_address(10)), kT0 + 600s).reply) << "not even when asked for";
    // After it, the address is usable again.
    EXPECT_EQ(dora(e, b, kT0 + 601s), pool_address(10));
}

TEST(DhcpServerDecline, OfAnAddressThatIsNotTheClientsIsIgnored) {
    auto e = engine();
    const auto address = dora(e, TestClient(1), kT0);
    auto out = e.handle(TestClient(2).decline(*address), kT0);
    EXPECT_TRUE(silent(out));
    EXPECT_EQ(type_of(e.handle(TestClient(1).renew(*address), kT0)), DhcpMessageType::Ack);
}

// ---- INFORM ----

TEST(DhcpServerInform, AcksWithOptionsButNoAddressOrLease) {
    auto e = engine();
    TestClient c(1);
    const Ipv4Address configured(198, 18, 0, 200);  // set by hand, outside the pool
    auto out = e.handle(c.inform(configured), kT0);
    ASSERT_EQ(type_of(out), DhcpMessageType::Ack) << out.note;
    EXPECT_TRUE(out.reply->yiaddr.is_unspecified());
    EXPECT_EQ(out.reply->ciaddr, configured);
    EXPECT_FALSE(option(*out.reply, opt::kLeaseTime));
    EXPECT_FALSE(option(*out.reply, opt::kRenewalTime));
    EXPECT_FALSE(option(*out.reply, opt::kRebindingTime));
    EXPECT_EQ(option(*out.reply, opt::kSubnetMask), address_bytes(Ipv4Address(255, 255, 255, 0)));
    EXPECT_EQ(option(*out.reply, opt::kRouter), address_bytes(kServer));
    EXPECT_EQ(option(*out.reply, opt::kDnsServer), address_bytes(kDns));
    EXPECT_EQ(option(*out.reply, opt::kServerId), address_bytes(kServer));
    EXPECT_TRUE(out.changes.empty());
    EXPECT_EQ(out.delivery.kind, DeliveryKind::client);
    EXPECT_EQ(out.delivery.address, configured);
    EXPECT_EQ(out.delivery.port, 68);
}

TEST(DhcpServerInform, WithoutCiaddrIsIgnored) {
    auto e = engine();
    auto out = e.handle(TestClient(1).inform(Ipv4Address()), kT0);
    EXPECT_TRUE(silent(out));
    EXPECT_NE(out.note.find("no ciaddr"), std::string::npos) << out.note;
}

// ---- what gets no reply, and why ----

struct Ignored {
    const char* name;
    std::vector<std::byte> bytes;
    const char* reason;  ///< a piece of the note
};

TEST(DhcpServerIgnores, MalformedAndUnknownRequestsWithAReason) {
    TestClient c(1);
    auto with = [&](auto change) {
        auto m = c.base(DhcpMessageType::Discover);
        change(m);
        return wire::build_dhcp(m);
    };
    const std::vector<Ignored> cases = {
        {"truncated", std::vector<std::byte>(100), "malformed request: dhcp:"},
        {"bootreply", with([](DhcpMessage& m) { m.op = wire::kBootReply; }), "is not BOOTREQUEST"},
        {"bootp", with([](DhcpMessage& m) { m.options.clear(); }), "no option 53"},
        {"offer from a client",
         with([](DhcpMessage& m) { m.options[0].data = bytes_of({2}); }), "not a message a server answers"},
        {"ack from a client", with([](DhcpMessage& m) { m.options[0].data = bytes_of({5}); }),
         "not a message a server answers"},
        {"unknown type", with([](DhcpMessage& m) { m.options[0].data = bytes_of({200}); }),
         "not a message a server answers"},
        {"no identity", with([](DhcpMessage& m) { m.hlen = 0; }), "no client identity"},
        {"relay elsewhere", with([](DhcpMessage& m) { m.giaddr = Ipv4Address(10, 1, 2, 3); }),
         "outside the served subnet"},
        {"request with nothing", wire::build_dhcp(c.base(DhcpMessageType::Request)),
         "no server id, ciaddr or requested address"},
        {"decline without address", wire::build_dhcp(c.base(DhcpMessageType::Decline)), "no option 50"},
    };
    for (const auto& k : cases) {
        auto e = engine();
        auto out = e.handle(k.bytes, kT0);
        EXPECT_TRUE(silent(out)) << k.name;
        EXPECT_NE(out.note.find(k.reason), std::string::npos) << k.name << ": " << out.note;
        EXPECT_EQ(out.note.find('\n'), std::string::npos) << k.name << ": one line";
        EXPECT_EQ(e.table().entry_count(), 0u) << k.name << ": nothing reserved";
    }
}

}  // namespace
}  // namespace weft::dhcp
