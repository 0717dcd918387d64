// The DHCP client engine acquiring a lease, with a fake clock and a scripted random source:
// DORA field by field, what it ignores, NAK, the RFC 2131 retransmission schedule and giving
// up, INIT-REBOOT, the offer wait. Renewal, rebinding, expiry, DECLINE and RELEASE are in
// client_lease_test.cpp.

#include "weft/services/dhcp/client_engine.hpp"

#include <algorithm>

#include "client_test_support.hpp"

namespace weft::dhcp {
namespace {

using namespace test;
using S = ClientState;

const std::vector<std::byte> kClientId{std::byte{1}, std::byte{0x02}, std::byte{0x00}, std::byte{0x5e},
                                       std::byte{0x10}, std::byte{0x00}, std::byte{0x01}};
const std::vector<std::byte> kRequestList{std::byte{1},  std::byte{3},  std::byte{6},  std::byte{15},
                                          std::byte{51}, std::byte{54}, std::byte{58}, std::byte{59}};

std::vector<std::byte> option_bytes(const wire::DhcpPacket& p, std::uint8_t code) { return p.concatenated(code); }

// Fields every message the client sends has, whatever its type.
void expect_client_header(const wire::DhcpPacket& p, std::uint32_t xid) {
    EXPECT_EQ(p.op, wire::kBootRequest);
    EXPECT_EQ(p.htype, 1);
    EXPECT_EQ(p.hlen, 6);
    EXPECT_EQ(p.hops, 0);
    EXPECT_EQ(p.xid, xid);
    EXPECT_EQ(p.client_mac(), kMac);
    EXPECT_TRUE(std::all_of(p.chaddr.begin() + 6, p.chaddr.end(), [](auto b) { return b == 0; }));
    EXPECT_EQ(p.yiaddr, Ipv4Address());
    EXPECT_EQ(p.siaddr, Ipv4Address());
    EXPECT_EQ(p.giaddr, Ipv4Address());
    EXPECT_TRUE(p.sname.empty());
    EXPECT_TRUE(p.file.empty());
    EXPECT_TRUE(p.end_seen);
    EXPECT_EQ(option_bytes(p, opt::kClientId), kClientId);
}

TEST_F(DhcpClient, DoraWithEveryFieldChecked) {
    script_->words = {0x11223344, jitter_word(500), jitter_word(-250)};

    // DISCOVER, broadcast from 0.0.0.0:68, retransmitted 4 s +0.5 s later.
    const auto discover = engine_->start(t0);
    EXPECT_EQ(path(discover), (std::vector<S>{S::idle, S::init, S::selecting}));
    EXPECT_EQ(engine_->state(), S::selecting);
    ASSERT_EQ(discover.send.size(), 1u);
    const auto& d = discover.send[0];
    EXPECT_EQ(d.type, DhcpMessageType::Discover);
    EXPECT_EQ(d.from, Endpoint(Ipv4Address::any(), 68));
    EXPECT_EQ(d.to, Endpoint(Ipv4Address::broadcast(), 67));
    EXPECT_TRUE(d.broadcast());
    EXPECT_GE(d.bytes.size(), wire::kDhcpMinMessageSize);
    const auto dp = sent(discover);
    expect_client_header(dp, 0x11223344);
    EXPECT_EQ(dp.secs, 0);
    EXPECT_EQ(dp.flags, wire::kDhcpFlagBroadcast);
    EXPECT_EQ(dp.ciaddr, Ipv4Address());
    EXPECT_EQ(dp.message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(codes(dp), (std::vector<int>{53, 61, 55}));
    EXPECT_EQ(option_bytes(dp, opt::kParameterRequestList), kRequestList);
    EXPECT_EQ(discover.timer, t0 + 4500ms);
    EXPECT_EQ(engine_->timer(), t0 + 4500ms);
    EXPECT_TRUE(discover.ignored.empty());

    // OFFER at 1.2 s: REQUEST at once, same xid, options 50 and 54, broadcast.
    const auto request = deliver(*engine_, reply_to(dp, DhcpMessageType::Offer), t0 + 1200ms);
    EXPECT_EQ(path(request), (std::vector<S>{S::selecting, S::requesting}));
    ASSERT_EQ(request.send.size(), 1u);
    EXPECT_EQ(request.send[0].type, DhcpMessageType::Request);
    EXPECT_EQ(request.send[0].from, Endpoint(Ipv4Address::any(), 68));
    EXPECT_EQ(request.send[0].to, Endpoint(Ipv4Address::broadcast(), 67));
    const auto rp = sent(request);
    expect_client_header(rp, 0x11223344);
    EXPECT_EQ(rp.secs, 1);
    EXPECT_EQ(rp.flags, wire::kDhcpFlagBroadcast);
    EXPECT_EQ(rp.ciaddr, Ipv4Address());
    EXPECT_EQ(rp.message_type(), DhcpMessageType::Request);
    EXPECT_EQ(codes(rp), (std::vector<int>{53, 61, 50, 54, 55}));
    EXPECT_EQ(rp.requested_ip(), kAddress);
    EXPECT_EQ(rp.server_id(), kServer);
    EXPECT_EQ(option_bytes(rp, opt::kParameterRequestList), kRequestList);
    EXPECT_EQ(request.timer, t0 + 1200ms + 4s - 250ms);

    // ACK at 2 s: BOUND, the lease counted from the REQUEST, the timer at T1.
    const auto ack = deliver(*engine_, reply_to(rp, DhcpMessageType::Ack), t0 + 2s);
    EXPECT_EQ(path(ack), (std::vector<S>{S::requesting, S::bound}));
    EXPECT_TRUE(ack.send.empty());
    const auto* acquired = event<LeaseAcquired>(ack);
    ASSERT_NE(acquired, nullptr);
    const Lease& l = acquired->lease;
    EXPECT_EQ(l.address, kAddress);
    EXPECT_EQ(l.server_id, kServer);
    EXPECT_EQ(l.netmask, kMask);
    EXPECT_EQ(l.prefix, 23u);
    EXPECT_EQ(l.routers, std::vector<Ipv4Address>{kRouter});
    EXPECT_EQ(l.dns_servers, (std::vector<Ipv4Address>{kDns1, kDns2}));
    EXPECT_EQ(l.domain_name, "lab.example");
    EXPECT_EQ(l.lease_time, 3600s);
    EXPECT_EQ(l.renewal_time, 1800s);
    EXPECT_EQ(l.rebinding_time, 3150s);
    EXPECT_EQ(l.start, t0 + 1200ms);
    EXPECT_EQ(l.renew_at, t0 + 1200ms + 1800s);
    EXPECT_EQ(l.rebind_at, t0 + 1200ms + 3150s);
    EXPECT_EQ(l.expires_at, t0 + 1200ms + 3600s);
    EXPECT_FALSE(l.infinite());
    EXPECT_EQ(ack.timer, l.renew_at);
    ASSERT_TRUE(engine_->lease());
    EXPECT_EQ(engine_->lease()->address, kAddress);
    EXPECT_EQ(engine_->xid(), 0x11223344u);
}

TEST_F(DhcpClient, RepliesNotForUsAreIgnored) {
    const auto discover = engine_->start(t0);
    const auto dp = sent(discover);
    const auto expect_ignored = [&](const wire::DhcpMessage& m, const char* why) {
        const auto a = deliver(*engine_, m, t0 + 1s);
        EXPECT_TRUE(a.send.empty()) << why;
        EXPECT_TRUE(a.events.empty()) << why;
        EXPECT_NE(a.ignored.find(why), std::string::npos) << a.ignored;
        EXPECT_EQ(a.timer, discover.timer);
        EXPECT_EQ(engine_->state(), S::selecting);
    };
    auto m = reply_to(dp, DhcpMessageType::Offer);
    m.xid ^= 1;
    expect_ignored(m, "xid");
    m = reply_to(dp, DhcpMessageType::Offer);
    m.chaddr[5] ^= 1;
    expect_ignored(m, "chaddr 02:00:5e:10:00:00 is not ours");
    m = reply_to(dp, DhcpMessageType::Offer);
    m.hlen = 16;
    expect_ignored(m, "hardware type 1 length 16");
    m = reply_to(dp, DhcpMessageType::Offer);
    m.op = wire::kBootRequest;
    expect_ignored(m, "not a reply");
    m = reply_to(dp, DhcpMessageType::Offer);
    m.options.erase(m.options.begin());  // option 53: a BOOTP reply
    expect_ignored(m, "BOOTP");
    expect_ignored(reply_to(dp, DhcpMessageType::Ack), "DHCPACK in SELECTING");
    m = reply_to(dp, DhcpMessageType::Offer);
    m.options.erase(m.options.begin() + 1);  // option 54
    expect_ignored(m, "without a server id");
    m = reply_to(dp, DhcpMessageType::Offer);
    m.options[1] = {opt::kServerId, {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}}};
    expect_ignored(m, "server id 0.0.0.0, not a unicast address");
    expect_ignored(reply_to(dp, DhcpMessageType::Offer, Ipv4Address(127, 0, 0, 1)), "no host can take");
    expect_ignored(reply_to(dp, DhcpMessageType::Offer, Ipv4Address::broadcast()), "no host can take");

    // In REQUESTING: another xid, another server, an OFFER, an ACK without a lease time.
    const auto request = deliver(*engine_, reply_to(dp, DhcpMessageType::Offer), t0 + 1s);
    const auto rp = sent(request);
    const auto still_requesting = [&](const wire::DhcpMessage& msg, const char* why) {
        const auto a = deliver(*engine_, msg, t0 + 2s);
        EXPECT_TRUE(a.send.empty() && a.events.empty()) << why;
        EXPECT_NE(a.ignored.find(why), std::string::npos) << a.ignored;
        EXPECT_EQ(a.timer, request.timer);
        EXPECT_EQ(engine_->state(), S::requesting);
    };
    m = reply_to(rp, DhcpMessageType::Ack);
    m.xid += 1;
    still_requesting(m, "xid");
    m = reply_to(rp, DhcpMessageType::Ack);
    m.options[1] = {opt::kServerId, {std::byte{198}, std::byte{18}, std::byte{0}, std::byte{2}}};
    still_requesting(m, "from 198.18.0.2, not from 198.18.0.1");
    still_requesting(reply_to(rp, DhcpMessageType::Offer), "DHCPOFFER in REQUESTING");
    still_requesting(reply_to(rp, DhcpMessageType::Ack, kAddress, std::nullopt), "without a lease time");
    m = reply_to(rp, DhcpMessageType::Nak);
    m.options[1] = {opt::kServerId, {std::byte{198}, std::byte{18}, std::byte{0}, std::byte{2}}};
    still_requesting(m, "DHCPNAK from 198.18.0.2");
    m = reply_to(rp, DhcpMessageType::Ack);
    m.options[0] = {opt::kMessageType, {std::byte{3}}};
    still_requesting(m, "DHCPREQUEST is not for a client");

    // The right ACK still works after all that.
    const auto ack = deliver(*engine_, reply_to(rp, DhcpMessageType::Ack), t0 + 3s);
    EXPECT_NE(event<LeaseAcquired>(ack), nullptr);
    // And in BOUND nothing is expected: a repeated ACK changes nothing.
    const auto again = deliver(*engine_, reply_to(rp, DhcpMessageType::Ack), t0 + 4s);
    EXPECT_TRUE(again.events.empty());
    EXPECT_EQ(again.ignored, "a DHCPACK in BOUND");
    EXPECT_EQ(again.timer, ack.timer);
}

TEST_F(DhcpClient, NakInRequestingGoesBackToInitWithANewDiscover) {
    script_->words = {0xaaaa0001, jitter_word(0), jitter_word(0), 0xbbbb0002, jitter_word(-1000)};
    const auto discover = engine_->start(t0);
    const auto request = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer), t0 + 1s);
    auto nak = reply_to(sent(request), DhcpMessageType::Nak);
    nak.add_text(opt::kMessage, "wrong network");
    const auto a = deliver(*engine_, nak, t0 + 2s);
    EXPECT_EQ(path(a), (std::vector<S>{S::requesting, S::init, S::selecting}));
    const auto* changed = std::get_if<StateChanged>(&a.events[0]);
    ASSERT_NE(changed, nullptr);
    EXPECT_EQ(changed->reason, "DHCPNAK from 198.18.0.1: 'wrong network'");
    EXPECT_EQ(event<LeaseLost>(a), nullptr);  // there was no lease to lose
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(a.send[0].type, DhcpMessageType::Discover);
    const auto p = sent(a);
    expect_client_header(p, 0xbbbb0002);
    EXPECT_EQ(p.secs, 2);  // the acquisition goes on: secs still counts from start()
    EXPECT_EQ(p.requested_ip(), std::nullopt);
    EXPECT_EQ(a.timer, t0 + 2s + 3s);  // the backoff starts over: 4 s - 1 s
}

TEST_F(DhcpClient, DiscoverRetransmitsAt4_8_16_32_64_64SecondsEachMovedByUpToOneSecond) {
    script_->words = {0x5eed, jitter_word(-1000), jitter_word(1000), jitter_word(0), jitter_word(500),
                      jitter_word(-500),  jitter_word(-1000), jitter_word(1000), jitter_word(1)};
    const std::vector<Duration> delays{3s, 9s, 16s, 32500ms, 63500ms, 63s, 65s, 64001ms};
    auto a = engine_->start(t0);
    TimePoint now = t0;
    for (std::size_t i = 0; i < delays.size(); ++i) {
        ASSERT_EQ(a.timer, now + delays[i]) << "retransmission " << i + 1;
        // A timer fired early is no timer.
        const auto early = engine_->on_timer(*a.timer - 1ms);
        EXPECT_TRUE(early.send.empty());
        EXPECT_EQ(early.timer, a.timer);
        now = *a.timer;
        a = engine_->on_timer(now);
        ASSERT_EQ(a.send.size(), 1u);
        const auto p = sent(a);
        EXPECT_EQ(p.message_type(), DhcpMessageType::Discover);
        EXPECT_EQ(p.xid, 0x5eedu);  // a retransmission keeps the xid
        EXPECT_EQ(p.secs, std::chrono::duration_cast<std::chrono::seconds>(now - t0).count());
    }
    EXPECT_EQ(engine_->state(), S::selecting);
}

TEST_F(DhcpClient, SeededJitterIsUniformWithinOneSecondAndRepeatable) {
    const auto schedule = [](std::uint32_t seed) {
        ClientEngine engine({.mac = kMac}, seeded_random_source(seed));
        std::vector<Duration> jitters;
        auto a = engine.start(t0);
        TimePoint now = t0;
        Duration base = 4s;
        for (int i = 0; i < 400; ++i) {
            jitters.push_back(*a.timer - now - base);
            now = *a.timer;
            a = engine.on_timer(now);
            base = std::min<Duration>(base * 2, 64s);
        }
        return jitters;
    };
    const auto j = schedule(42);
    EXPECT_EQ(j, schedule(42));
    EXPECT_NE(j, schedule(43));
    const auto [lo, hi] = std::minmax_element(j.begin(), j.end());
    EXPECT_GE(*lo, -1s);
    EXPECT_LE(*hi, 1s);
    EXPECT_LT(*lo, -900ms);  // both ends of the range are reached
    EXPECT_GT(*hi, 900ms);
    const auto below = std::count_if(j.begin(), j.end(), [](Duration d) { return d < Duration::zero(); });
    EXPECT_GT(below, 150);  // about half on each side
    EXPECT_LT(below, 250);
}

TEST_F(DhcpClient, GivesUpAtTheTotalTimeoutWithAReason) {
    make({.acquire_timeout = 30s});
    auto a = engine_->start(t0);
    std::vector<TimePoint> deadlines;
    while (a.timer) {
        deadlines.push_back(*a.timer);
        a = engine_->on_timer(*a.timer);
        if (a.send.empty()) break;
    }
    // 4, 4+8, 4+8+16 s, then the timeout (the next DISCOVER would be at 60 s).
    EXPECT_EQ(deadlines, (std::vector<TimePoint>{t0 + 4s, t0 + 12s, t0 + 28s, t0 + 30s}));
    EXPECT_EQ(path(a), (std::vector<S>{S::selecting, S::idle}));
    const auto* failed = event<AcquisitionFailed>(a);
    ASSERT_NE(failed, nullptr);
    EXPECT_EQ(failed->reason, "no DHCPOFFER within 30 s (4 DHCPDISCOVERs sent)");
    EXPECT_EQ(a.timer, std::nullopt);
    EXPECT_EQ(engine_->state(), S::idle);
    // Idle: packets and timers change nothing; start() tries again.
    EXPECT_FALSE(engine_->on_timer(t0 + 100s).ignored.empty());
    const auto again = engine_->start(t0 + 100s);
    EXPECT_EQ(again.send.size(), 1u);
    EXPECT_EQ(again.timer, t0 + 104s);
}

TEST_F(DhcpClient, GivingUpInRequestingNamesTheServerAndAddress) {
    make({.acquire_timeout = 10s});
    const auto discover = engine_->start(t0);
    auto a = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer), t0 + 1s);
    EXPECT_EQ(a.timer, t0 + 5s);
    a = engine_->on_timer(t0 + 5s);
    EXPECT_EQ(a.timer, t0 + 10s);  // the total timeout, before the next REQUEST at 13 s
    a = engine_->on_timer(t0 + 10s);
    const auto* failed = event<AcquisitionFailed>(a);
    ASSERT_NE(failed, nullptr);
    EXPECT_EQ(failed->reason, "no DHCPACK from 198.18.0.1 for 198.18.0.10 within 10 s (2 DHCPREQUESTs sent)");
}

TEST_F(DhcpClient, RequestingFallsBackToInitAfterItsAttempts) {
    const auto discover = engine_->start(t0);
    auto a = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer), t0 + 1s);
    const auto xid = sent(a).xid;
    // REQUESTs at 1, 5, 13 and 29 s; at 61 s (29 + 32) the client starts over.
    for (TimePoint at : {t0 + 5s, t0 + 13s, t0 + 29s}) {
        ASSERT_EQ(a.timer, at);
        a = engine_->on_timer(at);
        ASSERT_EQ(a.send.size(), 1u);
        EXPECT_EQ(sent(a).message_type(), DhcpMessageType::Request);
        EXPECT_EQ(sent(a).xid, xid);
    }
    ASSERT_EQ(a.timer, t0 + 61s);
    a = engine_->on_timer(t0 + 61s);
    EXPECT_EQ(path(a), (std::vector<S>{S::requesting, S::init, S::selecting}));
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(sent(a).message_type(), DhcpMessageType::Discover);
    EXPECT_NE(sent(a).xid, xid);
    EXPECT_EQ(a.timer, t0 + 65s);
}

TEST_F(DhcpClient, BroadcastFlagClientIdAndHostNameAreOptions) {
    make({.client_id = {std::byte{0}, std::byte{'i'}, std::byte{'d'}}, .broadcast_flag = false,
          .host_name = "weft-test"});
    const auto discover = engine_->start(t0);
    const auto p = sent(discover);
    EXPECT_EQ(p.flags, 0);
    EXPECT_EQ(codes(p), (std::vector<int>{53, 61, 12, 55}));
    EXPECT_EQ(option_bytes(p, opt::kClientId), (std::vector<std::byte>{std::byte{0}, std::byte{'i'}, std::byte{'d'}}));
    EXPECT_EQ(p.host_name(), "weft-test");
    EXPECT_EQ(discover.send[0].to, Endpoint(Ipv4Address::broadcast(), 67));  // the flag is not the destination
}

TEST_F(DhcpClient, OfferWaitTakesTheFirstOfferUnlessAnotherGivesTheRememberedAddress) {
    // Without a remembered address: the first offer, when the wait ends.
    make({.offer_wait = 2s});
    auto discover = engine_->start(t0);
    auto a = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer), t0 + 1s);
    EXPECT_TRUE(a.send.empty() && a.ignored.empty());
    EXPECT_EQ(a.timer, t0 + 3s);
    a = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer, kOtherAddress), t0 + 2s);
    EXPECT_NE(a.ignored.find("after the one taken"), std::string::npos);
    a = engine_->on_timer(t0 + 3s);
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(sent(a).requested_ip(), kAddress);

    // Remembering kOtherAddress (REBOOTING gives up at once): its offer wins over an earlier one.
    make({.remembered_address = kOtherAddress, .offer_wait = 2s, .reboot_timeout = 0s});
    a = engine_->start(t0);
    EXPECT_EQ(a.timer, t0);  // the reboot wait is already over
    discover = engine_->on_timer(t0);
    EXPECT_EQ(path(discover), (std::vector<S>{S::rebooting, S::init, S::selecting}));
    EXPECT_EQ(sent(discover).requested_ip(), kOtherAddress);  // DISCOVER suggests it
    a = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer), t0 + 1s);
    a = deliver(*engine_, reply_to(sent(discover), DhcpMessageType::Offer, kOtherAddress), t0 + 2s);
    EXPECT_TRUE(a.ignored.empty());
    EXPECT_EQ(a.timer, t0 + 3s);  // the wait runs from the first offer
    a = engine_->on_timer(t0 + 3s);
    EXPECT_EQ(sent(a).requested_ip(), kOtherAddress);
}

TEST_F(DhcpClient, InitRebootAsksForTheRememberedAddress) {
    make({.remembered_address = kAddress});
    script_->words = {0x0b007, jitter_word(0)};
    auto a = engine_->start(t0);
    EXPECT_EQ(path(a), (std::vector<S>{S::idle, S::init_reboot, S::rebooting}));
    ASSERT_EQ(a.send.size(), 1u);
    EXPECT_EQ(a.send[0].type, DhcpMessageType::Request);
    EXPECT_TRUE(a.send[0].broadcast());
    EXPECT_EQ(a.send[0].from, Endpoint(Ipv4Address::any(), 68));
    const auto p = sent(a);
    expect_client_header(p, 0x0b007);
    EXPECT_EQ(p.ciaddr, Ipv4Address());
    EXPECT_EQ(p.flags, wire::kDhcpFlagBroadcast);
    EXPECT_EQ(codes(p), (std::vector<int>{53, 61, 50, 55}));  // no server id (RFC 2131 4.3.2)
    EXPECT_EQ(p.requested_ip(), kAddress);
    EXPECT_EQ(a.timer, t0 + 4s);

    const auto ack = deliver(*engine_, reply_to(p, DhcpMessageType::Ack), t0 + 1s);
    const auto* acquired = event<LeaseAcquired>(ack);
    ASSERT_NE(acquired, nullptr);
    EXPECT_EQ(acquired->lease.address, kAddress);
    EXPECT_EQ(acquired->lease.start, t0);
}

TEST_F(DhcpClient, InitRebootNakOrSilenceFallsBackToDiscover) {
    make({.remembered_address = kAddress});
    auto a = engine_->start(t0);
    const auto nak = deliver(*engine_, reply_to(sent(a), DhcpMessageType::Nak), t0 + 1s);
    EXPECT_EQ(path(nak), (std::vector<S>{S::rebooting, S::init, S::selecting}));
    EXPECT_EQ(sent(nak).message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(sent(nak).requested_ip(), std::nullopt);  // refused: not suggested again

    // No answer: REQUESTs at 0 and 4 s, then at 10 s (reboot_timeout, before 12 s) DISCOVER.
    make({.remembered_address = kAddress});
    a = engine_->start(t0);
    a = engine_->on_timer(t0 + 4s);
    EXPECT_EQ(sent(a).message_type(), DhcpMessageType::Request);
    EXPECT_EQ(a.timer, t0 + 10s);
    a = engine_->on_timer(t0 + 10s);
    EXPECT_EQ(path(a), (std::vector<S>{S::rebooting, S::init, S::selecting}));
    EXPECT_EQ(sent(a).message_type(), DhcpMessageType::Discover);
    EXPECT_EQ(sent(a).requested_ip(), kAddress);
}

TEST_F(DhcpClient, StartTwiceAndBadArguments) {
    (void)engine_->start(t0);
    const auto again = engine_->start(t0 + 1s);
    EXPECT_EQ(again.ignored, "already started (SELECTING)");
    EXPECT_TRUE(again.send.empty());
    EXPECT_THROW(ClientEngine({}, RandomSource{}), std::invalid_argument);
    EXPECT_THROW(ClientEngine({.request_attempts = 0}, seeded_random_source(1)), std::invalid_argument);
    EXPECT_THROW(ClientEngine({.offer_wait = -1s}, seeded_random_source(1)), std::invalid_argument);
    EXPECT_THROW(ClientEngine({.acquire_timeout = -1s}, seeded_random_source(1)), std::invalid_argument);
    // A timeout too long for the clock saturates instead of wrapping into the past.
    ClientEngine patient({.acquire_timeout = Duration::max()}, seeded_random_source(1));
    const auto a = patient.start(t0 + 1s);
    EXPECT_GT(*a.timer, t0 + 1s);
    EXPECT_EQ(to_string(S::init_reboot), "INIT-REBOOT");
}

}  // namespace
}  // namespace weft::dhcp
