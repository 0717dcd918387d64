// The DHCP client engine holding a lease, with a fake clock: T1 and RENEWING (unicast, ciaddr,
// RFC 2131 4.4.5's schedule), T2 and REBINDING (broadcast), the lease end, ACKs that extend the
// lease, NAKs that end it, T1/T2 from options or defaults, DECLINE and RELEASE.

#include "weft/services/dhcp/client_engine.hpp"

#include <tuple>
#include <utility>

#include "client_test_support.hpp"

namespace weft::dhcp {
namespace {

using namespace test;
using S = ClientState;

// bind() leases kAddress for 3600 s from t0+1s: T1 at 1801 s, T2 at 3151 s, the end at 3601 s.
const TimePoint kT1 = t0 + 1801s;
const TimePoint kT2 = t0 + 3151s;
const TimePoint kEnd = t0 + 3601s;

TEST_F(DhcpClient, T1EntersRenewingWithAUnicastRequestCarryingCiaddr) {
    const auto ack = bind();
    ASSERT_EQ(ack.timer, kT1);
    script_->words = {0x7e7e7e7e};
    const auto a = engine_->on_timer(kT1);
    EXPECT_EQ(path(a), (std::vector<S>{S::bound, S::renewing}));
    ASSERT_EQ(a.send.size(), 1u);
    const auto& s = a.send[0];
    EXPECT_EQ(s.type, DhcpMessageType::Request);
    EXPECT_EQ(s.from, Endpoint(kAddress, 68));
    EXPECT_EQ(s.to, Endpoint(kServer, 67));
    EXPECT_FALSE(s.broadcast());
    const auto p = sent(a);
    EXPECT_EQ(p.op, wire::kBootRequest);
    EXPECT_EQ(p.xid, 0x7e7e7e7eu);  // a new exchange, a new xid
    EXPECT_EQ(p.client_mac(), kMac);
    EXPECT_EQ(p.ciaddr, kAddress);
    EXPECT_EQ(p.yiaddr, Ipv4Address());
    EXPECT_EQ(p.flags, 0);  // configured: the reply can come by unicast
    EXPECT_EQ(p.secs, 0);
    EXPECT_EQ(codes(p), (std::vector<int>{53, 61, 55}));  // no 50 or 54 in RENEWING (table 5)
    EXPECT_EQ(p.message_type(), DhcpMessageType::Request);
    EXPECT_EQ(a.timer, kT1 + (kT2 - kT1) / 2);
    EXPECT_TRUE(engine_->lease());  // still usable while renewing
}

TEST_F(DhcpClient, RenewingRetransmitsAtHalfTheTimeToT2WithAMinuteMinimumThenRebinds) {
    (void)bind();
    auto a = engine_->on_timer(kT1);
    const auto xid = sent(a).xid;
    // 1350 s to T2 halved: 675, 337.5, 168.75, 84.375, then 42.19 is raised to 60, and the
    // next 60 s would pass T2, which comes first.
    const std::vector<TimePoint> expected{kT1 + 675s, kT1 + 1012500ms, kT1 + 1181250ms, kT1 + 1265625ms,
                                          kT1 + 1325625ms, kT2};
    std::vector<TimePoint> got;
    while (engine_->state() == S::renewing) {
        got.push_back(*a.timer);
        a = engine_->on_timer(*a.timer);
        ASSERT_EQ(a.send.size(), 1u);
        if (engine_->state() == S::renewing) {
            EXPECT_EQ(sent(a).xid, xid);
            EXPECT_EQ(sent(a).secs, std::chrono::duration_cast<std::chrono::seconds>(got.back() - kT1).count());
            EXPECT_FALSE(a.send[0].broadcast());
        }
    }
    EXPECT_EQ(got, expected);

    // T2: REBINDING, a broadcast REQUEST from the leased address with ciaddr and a new xid.
    EXPECT_EQ(path(a), (std::vector<S>{S::renewing, S::rebinding}));
    EXPECT_EQ(a.send[0].from, Endpoint(kAddress, 68));
    EXPECT_EQ(a.send[0].to, Endpoint(Ipv4Address::broadcast(), 67));
    const auto p = sent(a);
    EXPECT_NE(p.xid, xid);
    EXPECT_EQ(p.ciaddr, kAddress);
    EXPECT_EQ(p.flags, 0);
    EXPECT_EQ(codes(p), (std::vector<int>{53, 61, 55}));
    EXPECT_EQ(a.timer, kT2 + 225s);  // half of the 450 s left
}

TEST_F(DhcpClient, LeaseEndLosesTheLeaseAndStartsOverInInit) {
    (void)bind();
    auto a = engine_->on_timer(kT1);
    a = engine_->on_timer(kT2);  // catches up: T2 passed, straight to REBINDING
    EXPECT_EQ(engine_->state(), S::rebinding);
    std::vector<TimePoint> got;
    while (engine_->state() == S::rebinding) {
        got.push_back(*a.timer);
        a = engine_->on_timer(*a.timer);
    }
    // 450 s to the end: 225, 112.5, then 60 twice, the second cut at the end.
    EXPECT_EQ(got, (std::vector<TimePoint>{kT2 + 225s, kT2 + 337500ms, kT2 + 397500ms, kEnd}));
    EXPECT_EQ(path(a), (std::vector<S>{S::rebinding, S::init, S::selecting}));
    const auto* lost = event<LeaseLost>(a);
    ASSERT_NE(lost, nullptr);
    EXPECT_EQ(lost->reason, LeaseLossReason::expired);
    EXPECT_EQ(lost->lease.address, kAddress);
    EXPECT_EQ(lost->detail, "lease of 198.18.0.10 from 198.18.0.1 expired");
    EXPECT_FALSE(engine_->lease());
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(a.send[0].from, Endpoint(Ipv4Address::any(), 68));
    const auto p = sent(a);
    EXPECT_EQ(p.message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(p.ciaddr, Ipv4Address());
    EXPECT_EQ(p.flags, wire::kDhcpFlagBroadcast);
    EXPECT_EQ(p.secs, 0);  // a new acquisition
    EXPECT_EQ(p.requested_ip(), kAddress);  // asks for its old address back
    EXPECT_EQ(a.timer, kEnd + 4s);
}

TEST_F(DhcpClient, ATimerLatePastTheLeaseEndLosesTheLeaseAtOnce) {
    (void)bind();
    const auto a = engine_->on_timer(t0 + 10000s);
    EXPECT_EQ(path(a), (std::vector<S>{S::bound, S::init, S::selecting}));
    EXPECT_NE(event<LeaseLost>(a), nullptr);
    EXPECT_EQ(sent(a).message_type(), DhcpMessageType::Discover);
}

TEST_F(DhcpClient, AckInRenewingExtendsTheLease) {
    (void)bind();
    const auto renew = engine_->on_timer(kT1);
    auto ack = reply_to(sent(renew), DhcpMessageType::Ack, kAddress, 7200s);
    ack.options.erase(ack.options.begin() + 3, ack.options.end());  // no more mask, router, dns
    ack.add_address(opt::kRouter, kOtherServer);
    const auto a = deliver(*engine_, ack, kT1 + 1s);
    EXPECT_EQ(path(a), (std::vector<S>{S::renewing, S::bound}));
    EXPECT_TRUE(a.send.empty());
    const auto* renewed = event<LeaseRenewed>(a);
    ASSERT_NE(renewed, nullptr);
    EXPECT_EQ(renewed->lease.address, kAddress);
    EXPECT_EQ(renewed->lease.server_id, kServer);
    EXPECT_EQ(renewed->lease.lease_time, 7200s);
    EXPECT_EQ(renewed->lease.start, kT1);  // from the REQUEST, not the ACK
    EXPECT_EQ(renewed->lease.expires_at, kT1 + 7200s);
    EXPECT_EQ(renewed->lease.routers, std::vector<Ipv4Address>{kOtherServer});  // the latest ACK's
    EXPECT_EQ(renewed->lease.netmask, std::nullopt);
    EXPECT_EQ(a.timer, kT1 + 3600s);
    EXPECT_EQ(engine_->lease()->expires_at, kT1 + 7200s);
}

TEST_F(DhcpClient, RenewingTakesOnlyItsServerAndItsAddress) {
    (void)bind();
    const auto renew = engine_->on_timer(kT1);
    auto other = reply_to(sent(renew), DhcpMessageType::Ack);
    other.options[1] = {opt::kServerId, {std::byte{198}, std::byte{18}, std::byte{0}, std::byte{2}}};
    auto a = deliver(*engine_, other, kT1 + 1s);
    EXPECT_EQ(a.ignored, "a DHCPACK from 198.18.0.2, not from 198.18.0.1");
    EXPECT_EQ(a.timer, renew.timer);
    a = deliver(*engine_, reply_to(sent(renew), DhcpMessageType::Ack, kOtherAddress), kT1 + 1s);
    EXPECT_EQ(a.ignored, "a DHCPACK of 198.18.0.11 while renewing 198.18.0.10");
    EXPECT_EQ(engine_->state(), S::renewing);
}

TEST_F(DhcpClient, AckInRebindingFromAnotherServerIsTaken) {
    (void)bind();
    (void)engine_->on_timer(kT1);
    const auto rebind = engine_->on_timer(kT2);
    auto other = reply_to(sent(rebind), DhcpMessageType::Ack);
    other.options[1] = {opt::kServerId, {std::byte{198}, std::byte{18}, std::byte{0}, std::byte{2}}};
    const auto a = deliver(*engine_, other, kT2 + 5s);
    EXPECT_EQ(path(a), (std::vector<S>{S::rebinding, S::bound}));
    const auto* renewed = event<LeaseRenewed>(a);
    ASSERT_NE(renewed, nullptr);
    EXPECT_EQ(renewed->lease.server_id, kOtherServer);
    EXPECT_EQ(renewed->lease.start, kT2);
    // The next renewal goes to the new server.
    const auto next = engine_->on_timer(kT2 + 1800s);
    EXPECT_EQ(next.send[0].to, Endpoint(kOtherServer, 67));
}

TEST_F(DhcpClient, NakInRenewingLosesTheLeaseAndDiscovers) {
    (void)bind();
    const auto renew = engine_->on_timer(kT1);
    const auto a = deliver(*engine_, reply_to(sent(renew), DhcpMessageType::Nak), kT1 + 1s);
    EXPECT_EQ(path(a), (std::vector<S>{S::renewing, S::init, S::selecting}));
    const auto* lost = event<LeaseLost>(a);
    ASSERT_NE(lost, nullptr);
    EXPECT_EQ(lost->reason, LeaseLossReason::nak);
    EXPECT_EQ(lost->detail, "DHCPNAK from 198.18.0.1");
    const auto p = sent(a);
    EXPECT_EQ(p.message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(p.requested_ip(), std::nullopt);
    EXPECT_FALSE(engine_->lease());
}

TEST_F(DhcpClient, T1AndT2ComeFromOptionsOrDefaults) {
    const auto lease_with = [&](std::optional<std::chrono::seconds> t1, std::optional<std::chrono::seconds> t2,
                                std::chrono::seconds lease) {
        make({});
        const auto discover = engine_->start(t0);
        const auto request = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer), t0);
        auto ack = reply_to(sent(request), DhcpMessageType::Ack, kAddress, lease);
        if (t1) ack.add_seconds(opt::kRenewalTime, *t1);
        if (t2) ack.add_seconds(opt::kRebindingTime, *t2);
        const auto a = deliver(*engine_, ack, t0);
        const auto* acquired = event<LeaseAcquired>(a);
        EXPECT_NE(acquired, nullptr);
        return std::make_pair(acquired ? acquired->lease : Lease{}, a.timer);
    };
    auto [l, timer] = lease_with(600s, 1000s, 3600s);
    EXPECT_EQ(l.renewal_time, 600s);
    EXPECT_EQ(l.rebinding_time, 1000s);
    EXPECT_EQ(timer, t0 + 600s);
    std::tie(l, timer) = lease_with(std::nullopt, std::nullopt, 7s);  // rounded down
    EXPECT_EQ(l.renewal_time, 3s);
    EXPECT_EQ(l.rebinding_time, 6s);
    std::tie(l, timer) = lease_with(3500s, 4000s, 3600s);  // T2 past the lease, T1 past T2
    EXPECT_EQ(l.rebinding_time, 3150s);
    EXPECT_EQ(l.renewal_time, 1800s);
    std::tie(l, timer) = lease_with(std::nullopt, 1000s, 3600s);  // T1 capped at T2
    EXPECT_EQ(l.renewal_time, 1000s);
    std::tie(l, timer) = lease_with(100s, std::nullopt, 3600s);
    EXPECT_EQ(l.renewal_time, 100s);
    EXPECT_EQ(l.rebinding_time, 3150s);
    std::tie(l, timer) = lease_with(100s, 200s, kInfiniteLease);
    EXPECT_TRUE(l.infinite());
    EXPECT_EQ(l.expires_at, TimePoint::max());
    EXPECT_EQ(timer, std::nullopt);  // nothing to renew, ever
    std::tie(l, timer) = lease_with(std::nullopt, std::nullopt, 0s);
    EXPECT_EQ(timer, t0);  // a lease over on arrival is due at once...
    const auto a = engine_->on_timer(t0);
    EXPECT_NE(event<LeaseLost>(a), nullptr);  // ...and lost
    EXPECT_GT(*a.timer, t0);
}

TEST_F(DhcpClient, DeclineSendsDeclineAndDiscoversAgainTenSecondsLater) {
    (void)bind();
    script_->words = {0xdec1};
    auto a = engine_->decline(t0 + 3s);
    EXPECT_EQ(path(a), (std::vector<S>{S::bound, S::init}));
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(a.send[0].type, DhcpMessageType::Decline);
    EXPECT_EQ(a.send[0].from, Endpoint(Ipv4Address::any(), 68));
    EXPECT_TRUE(a.send[0].broadcast());
    const auto p = sent(a);
    EXPECT_EQ(p.xid, 0xdec1u);
    EXPECT_EQ(p.ciaddr, Ipv4Address());
    EXPECT_EQ(p.flags, 0);
    EXPECT_EQ(p.secs, 0);
    EXPECT_EQ(codes(p), (std::vector<int>{53, 61, 50, 54, 56}));  // no 55 (table 5)
    EXPECT_EQ(p.message_type(), DhcpMessageType::Decline);
    EXPECT_EQ(p.requested_ip(), kAddress);
    EXPECT_EQ(p.server_id(), kServer);
    const auto* lost = event<LeaseLost>(a);
    ASSERT_NE(lost, nullptr);
    EXPECT_EQ(lost->reason, LeaseLossReason::declined);
    EXPECT_EQ(lost->detail, "198.18.0.10 is in use on the link: declined");
    EXPECT_FALSE(engine_->lease());
    EXPECT_EQ(a.timer, t0 + 13s);

    EXPECT_TRUE(engine_->on_timer(t0 + 12s).send.empty());
    a = engine_->on_timer(t0 + 13s);
    EXPECT_EQ(path(a), (std::vector<S>{S::init, S::selecting}));
    EXPECT_EQ(sent(a).message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(sent(a).requested_ip(), std::nullopt);  // not the declined address
    EXPECT_EQ(sent(a).secs, 0);
    EXPECT_EQ(a.timer, t0 + 17s);

    EXPECT_EQ(engine_->decline(t0 + 14s).ignored, "no lease to decline");
}

TEST_F(DhcpClient, ReleaseSendsAUnicastReleaseAndStops) {
    (void)bind();
    script_->words = {0x2e1e};
    const auto a = engine_->release(t0 + 5s);
    EXPECT_EQ(path(a), (std::vector<S>{S::bound, S::idle}));
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(a.send[0].type, DhcpMessageType::Release);
    EXPECT_EQ(a.send[0].from, Endpoint(kAddress, 68));
    EXPECT_EQ(a.send[0].to, Endpoint(kServer, 67));
    const auto p = sent(a);
    EXPECT_EQ(p.xid, 0x2e1eu);
    EXPECT_EQ(p.ciaddr, kAddress);
    EXPECT_EQ(p.flags, 0);
    EXPECT_EQ(codes(p), (std::vector<int>{53, 61, 54}));  // no 50, no 55 (table 5)
    EXPECT_EQ(p.server_id(), kServer);
    const auto* lost = event<LeaseLost>(a);
    ASSERT_NE(lost, nullptr);
    EXPECT_EQ(lost->reason, LeaseLossReason::released);
    EXPECT_EQ(a.timer, std::nullopt);
    EXPECT_EQ(engine_->state(), S::idle);
    EXPECT_EQ(engine_->release(t0 + 6s).ignored, "not started");

    // Released while still acquiring: just stops.
    make({});
    (void)engine_->start(t0);
    const auto stop = engine_->release(t0 + 1s);
    EXPECT_TRUE(stop.send.empty());
    EXPECT_EQ(path(stop), (std::vector<S>{S::selecting, S::idle}));
    EXPECT_EQ(stop.timer, std::nullopt);
}

}  // namespace
}  // namespace weft::dhcp
