// services/dhcp: who gets which address. Distinct clients, the same client again (after a
// RELEASE, after expiry), a pool of one, reuse oldest first, offers held then lapsing, the
// client identifier against the MAC, a restored lease file, and the configuration checks.
#include "weft/services/dhcp/lease_table.hpp"
#include "weft/services/dhcp/server_engine.hpp"

#include <set>

#include <gtest/gtest.h>

#include "server_test_support.hpp"

namespace weft::dhcp {
namespace {

using namespace server_test;

TEST(DhcpServerPool, TwoClientsGetDifferentAddresses) {
    auto e = engine();
    const auto a = dora(e, TestClient(1), kT0);
    const auto b = dora(e, TestClient(2), kT0);
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
}

TEST(DhcpServerPool, ARepeatedDiscoverGetsTheSameOffer) {
    auto e = engine();
    TestClient c(1);
    auto first = e.handle(c.discover(), kT0);
    auto again = e.handle(c.discover(), kT0 + 4s);
    ASSERT_TRUE(first.reply && again.reply);
    EXPECT_EQ(first.reply->yiaddr, again.reply->yiaddr);
    EXPECT_EQ(e.table().entry_count(), 1u);
}

TEST(DhcpServerPool, TheSameClientGetsTheSameAddressAfterExpiry) {
    auto e = engine();
    TestClient c(1);
    const auto first = dora(e, c, kT0);
    // Others come and go while c is away, long past its lease.
    for (std::uint8_t n = 2; n < 6; ++n) ASSERT_TRUE(dora(e, TestClient(n), kT0 + 5000s));
    EXPECT_EQ(dora(e, c, kT0 + 86400s), first);
}

TEST(DhcpServerPool, APoolOfOneRefusesTheSecondClientAndKeepsServingTheFirst) {
    auto e = engine(10, 10);
    TestClient a(1), b(2);
    ASSERT_EQ(dora(e, a, kT0), pool_address(10));
    auto refused = e.handle(b.discover(), kT0 + 1s);
    EXPECT_FALSE(refused.reply);
    EXPECT_TRUE(refused.changes.empty());
    EXPECT_NE(refused.note.find("no OFFER: pool 198.18.0.10-198.18.0.10 is full"), std::string::npos)
        << refused.note;
    EXPECT_EQ(type_of(e.handle(b.select(pool_address(10)), kT0 + 2s)), DhcpMessageType::Nak);
    // a is served as before: renew, a fresh DORA, an INIT-REBOOT.
    EXPECT_EQ(type_of(e.handle(a.renew(pool_address(10)), kT0 + 1800s)), DhcpMessageType::Ack);
    EXPECT_EQ(dora(e, a, kT0 + 1801s), pool_address(10));
    EXPECT_EQ(type_of(e.handle(a.init_reboot(pool_address(10)), kT0 + 1802s)), DhcpMessageType::Ack);
    EXPECT_FALSE(e.handle(b.discover(), kT0 + 1803s).reply);
}

TEST(DhcpServerPool, ExpiredLeasesAreReusedOldestFirst) {
    auto e = engine(10, 12);
    ASSERT_EQ(dora(e, TestClient(1), kT0 + 20s), pool_address(10));
    ASSERT_EQ(dora(e, TestClient(2), kT0), pool_address(11));  // expires first
    ASSERT_EQ(dora(e, TestClient(3), kT0 + 10s), pool_address(12));
    EXPECT_FALSE(e.handle(TestClient(4).discover(), kT0 + 3599s).reply) << "none expired yet";
    EXPECT_EQ(dora(e, TestClient(4), kT0 + 3600s + 30s), pool_address(11));
    EXPECT_EQ(dora(e, TestClient(5), kT0 + 3600s + 30s), pool_address(12));
    EXPECT_EQ(dora(e, TestClient(6), kT0 + 3600s + 30s), pool_address(10));
}

TEST(DhcpServerPool, TheRequestedAddressIsOfferedWhenFree) {
    auto e = engine();
    auto offer = e.handle(TestClient(1).discover(pool_address(17)), kT0);
    ASSERT_TRUE(offer.reply);
    EXPECT_EQ(offer.reply->yiaddr, pool_address(17));
    // Taken, outside the pool: the usual choice instead.
    auto taken = e.handle(TestClient(2).discover(pool_address(17)), kT0);
    EXPECT_EQ(taken.reply->yiaddr, pool_address(10));
    auto outside = e.handle(TestClient(3).discover(pool_address(50)), kT0);
    EXPECT_EQ(outside.reply->yiaddr, pool_address(11));
    // The client's own address beats what it asks for.
    auto own = e.handle(TestClient(1).discover(pool_address(18)), kT0);
    EXPECT_EQ(own.reply->yiaddr, pool_address(17));
}

TEST(DhcpServerPool, AnOfferIsHeldForTheReservationTimeOnly) {
    auto e = engine(10, 10);
    auto offer = e.handle(TestClient(1).discover(), kT0);
    ASSERT_TRUE(offer.reply);
    EXPECT_FALSE(e.handle(TestClient(2).discover(), kT0 + 29s).reply);
    auto later = e.handle(TestClient(2).discover(), kT0 + 30s);
    ASSERT_TRUE(later.reply) << later.note;
    EXPECT_EQ(later.reply->yiaddr, pool_address(10));
    // The first client lost it: its REQUEST now gets a NAK, never a second binding.
    EXPECT_EQ(type_of(e.handle(TestClient(1).select(pool_address(10)), kT0 + 31s)), DhcpMessageType::Nak);
}

TEST(DhcpServerIdentity, TheClientIdentifierWinsOverTheMac) {
    auto e = engine();
    TestClient a(1), a_elsewhere(9);  // the same client id, seen from another interface
    a.client_id = a_elsewhere.client_id = bytes_of({0xff, 0, 0, 0, 7});
    const auto address = dora(e, a, kT0);
    EXPECT_EQ(dora(e, a_elsewhere, kT0 + 10s), address);
    // The same MAC with another client id is another client.
    TestClient other_id(1);
    other_id.client_id = bytes_of({0xff, 0, 0, 0, 8});
    EXPECT_NE(dora(e, other_id, kT0 + 20s), address);
    // Without a client id, the MAC is the key: not the same as any client id, even one that
    // holds the MAC (RFC 2132's type 1 form).
    TestClient by_mac(1);
    TestClient id_of_mac(1);
    id_of_mac.client_id = bytes_of({1, 2, 0, 0, 0, 0, 1});
    const auto m = dora(e, by_mac, kT0 + 30s);
    const auto i = dora(e, id_of_mac, kT0 + 30s);
    EXPECT_NE(m, address);
    EXPECT_NE(m, i);
}

TEST(DhcpServerIdentity, ClientKeyText) {
    TestClient c(1);
    auto bytes = c.discover();
    auto p = wire::parse_dhcp(bytes).value();
    auto key = ClientKey::of(p).value();
    EXPECT_EQ(key.kind(), ClientKey::Kind::hardware);
    EXPECT_EQ(key.to_text(), "hw:01020000000001");
    EXPECT_EQ(ClientKey::parse("hw:01020000000001"), key);
    const auto id = ClientKey::parse("id:ff00000007").value();
    EXPECT_EQ(id.kind(), ClientKey::Kind::client_id);
    EXPECT_EQ(id.bytes().size(), 5u);
    EXPECT_EQ(ClientKey::parse("-").value().empty(), true);
    for (const char* bad : {"", "id:", "hw:01", "id:0", "id:FF", "xx:0102", "id:0g", "hw:01020000000001020304050607080910111213"})
        EXPECT_FALSE(ClientKey::parse(bad)) << bad;
}

TEST(DhcpServerRestore, LoadedLeasesAreNotOfferedToOthers) {
    auto e = engine(10, 11);
    const auto a = ClientKey::parse("hw:01020000000001").value();
    const LeaseRecord records[] = {
        {LeaseEvent::lease, pool_address(10), a, mac(1), kT0 + 3600s},
        {LeaseEvent::decline, pool_address(11), ClientKey{}, mac(3), kT0 + 600s},
        {LeaseEvent::lease, pool_address(99), ClientKey::parse("hw:01020000000009").value(), mac(9), kT0 + 3600s},
    };
    EXPECT_EQ(e.restore(records), 1u) << "198.18.0.99 is outside the pool";
    EXPECT_FALSE(e.handle(TestClient(2).discover(), kT0).reply) << "one bound, one declined";
    EXPECT_EQ(type_of(e.handle(TestClient(1).renew(pool_address(10)), kT0)), DhcpMessageType::Ack);
    EXPECT_EQ(e.records(kT0).size(), 2u);
}

TEST(DhcpServerRestore, AClientNamedOnTwoAddressesKeepsTheLaterOne) {
    LeaseTable t({pool_address(10), pool_address(19)});
    const auto a = ClientKey::parse("hw:01020000000001").value();
    const LeaseRecord records[] = {
        {LeaseEvent::lease, pool_address(10), a, mac(1), kT0 + 3600s},
        {LeaseEvent::lease, pool_address(12), a, mac(1), kT0 + 3600s},
    };
    t.restore(records);
    EXPECT_EQ(t.address_of(a), pool_address(12));
    EXPECT_TRUE(t.find(pool_address(10))->client.empty());
    EXPECT_TRUE(t.available_to(pool_address(10), ClientKey::parse("hw:01020000000002").value(), kT0));
}

TEST(DhcpServerRecords, TheDurableStateLeavesOffersOutAndExpiredLeasesIn) {
    auto e = engine();
    ASSERT_TRUE(dora(e, TestClient(1), kT0));
    (void)e.handle(TestClient(2).discover(), kT0);
    const auto three = dora(e, TestClient(3), kT0);
    (void)e.handle(TestClient(3).release(*three), kT0 + 5s);
    const auto records = e.records(kT0 + 7200s);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].event, LeaseEvent::lease);
    EXPECT_EQ(records[1].event, LeaseEvent::release);
    EXPECT_EQ(records[1].address, *three);
}

// ---- configuration ----

TEST(DhcpServerConfig, ParseAddressRange) {
    auto r = parse_address_range("198.18.0.10-198.18.0.20");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->first, pool_address(10));
    EXPECT_EQ(r->last, pool_address(20));
    EXPECT_EQ(r->size(), 11u);
    EXPECT_EQ(r->to_string(), "198.18.0.10-198.18.0.20");
    EXPECT_EQ(parse_address_range("198.18.0.5").error(), "range '198.18.0.5': expected START-END");
    EXPECT_EQ(parse_address_range("198.18.0.9-198.18.0.1").error(), "range '198.18.0.9-198.18.0.1': START is after END");
    EXPECT_NE(parse_address_range("198.18.0.x-198.18.0.1").error().find("START:"), std::string::npos);
    EXPECT_NE(parse_address_range("198.18.0.1-").error().find("END:"), std::string::npos);
}

TEST(DhcpServerConfig, ValidateRefusesWithOneLine) {
    struct Case {
        const char* name;
        void (*change)(ServerConfig&);
        const char* error;
    };
    const Case cases[] = {
        {"netmask", [](ServerConfig& c) { c.netmask = Ipv4Address(255, 0, 255, 0); }, "netmask 255.0.255.0: "},
        {"/31", [](ServerConfig& c) { c.netmask = Ipv4Address(255, 255, 255, 254); },
         "netmask 255.255.255.254 leaves no addresses to lease"},
        {"server is network", [](ServerConfig& c) { c.server_address = Ipv4Address(198, 18, 0, 0); },
         "server address 198.18.0.0 is the network or broadcast address of 198.18.0.0/24"},
        {"reversed", [](ServerConfig& c) { c.range = {pool_address(20), pool_address(10)}; },
         "range 198.18.0.20-198.18.0.10: START is after END"},
        {"other subnet", [](ServerConfig& c) { c.range = {pool_address(10), Ipv4Address(198, 18, 1, 5)}; },
         "range 198.18.0.10-198.18.1.5 is not inside the server's subnet 198.18.0.0/24"},
        {"broadcast", [](ServerConfig& c) { c.range = {pool_address(200), pool_address(255)}; },
         "range 198.18.0.200-198.18.0.255 holds the network or broadcast address of 198.18.0.0/24"},
        {"own address", [](ServerConfig& c) { c.range = {pool_address(1), pool_address(20)}; },
         "range 198.18.0.1-198.18.0.20 holds the server's own address 198.18.0.1"},
        {"router", [](ServerConfig& c) { c.routers = {pool_address(15)}; },
         "range 198.18.0.10-198.18.0.19 holds the router 198.18.0.15"},
        {"lease 0", [](ServerConfig& c) { c.lease_time = 0s; }, "lease time 0 s is out of range 1-4294967294"},
        {"lease infinite", [](ServerConfig& c) { c.lease_time = std::chrono::seconds(0xffffffffLL); },
         "lease time 4294967295 s is out of range 1-4294967294"},
        {"reservation", [](ServerConfig& c) { c.offer_reservation = 0s; }, "offer reservation 0 s must be positive"},
        {"quarantine", [](ServerConfig& c) { c.decline_quarantine = -1s; }, "decline quarantine -1 s is negative"},
    };
    EXPECT_TRUE(validate(config()));
    for (const auto& k : cases) {
        auto c = config();
        k.change(c);
        auto ok = validate(c);
        ASSERT_FALSE(ok) << k.name;
        EXPECT_EQ(ok.error().rfind(k.error, 0), 0u) << k.name << ": " << ok.error();
        EXPECT_EQ(ok.error().find('\n'), std::string::npos);
        EXPECT_FALSE(ServerEngine::create(c)) << k.name;
    }
}

}  // namespace
}  // namespace weft::dhcp
