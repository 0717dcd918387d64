// ARP: the engine's frames and answer rules with bytes alone, then the client on a veth link
// between two namespaces (root), the timeout also under CPU load.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <linux/if_ether.h>

#include "../../io/netns_lab.hpp"
#include "../../io/test_support.hpp"
#include "weft/io/packet_socket.hpp"
#include "weft/io/sleep.hpp"
#include "weft/services/arp/arp_client.hpp"
#include "weft/services/arp/arp_frames.hpp"
#include "weft/socket/interface.hpp"
#include "weft/wire/arp.hpp"
#include "weft/wire/ethernet.hpp"

namespace weft::arp {
namespace {

using namespace std::chrono_literals;

const MacAddress kOurs = MacAddress::parse("02:00:00:00:00:01").value();
const MacAddress kTheirs = MacAddress::parse("02:00:00:00:00:02").value();
const Ipv4Address kOurIp(198, 18, 0, 1);
const Ipv4Address kTheirIp(198, 18, 0, 2);

wire::ArpPacket arp_of(const std::vector<std::byte>& frame, MacAddress* dst = nullptr) {
    auto ethernet = wire::EthernetFrame::parse(frame);
    EXPECT_TRUE(ethernet);
    EXPECT_EQ(ethernet->type, wire::kEtherTypeArp);
    if (dst) *dst = ethernet->dst;
    auto packet = wire::ArpPacket::parse(ethernet->payload);
    EXPECT_TRUE(packet);
    return *packet;
}

std::vector<std::byte> frame_of(const wire::ArpPacket& packet, const MacAddress& from, const MacAddress& to,
                                std::uint16_t type = wire::kEtherTypeArp) {
    const auto body = packet.build();
    wire::EthernetFrame f;
    f.src = from;
    f.dst = to;
    f.type = type;
    f.payload = body;
    return f.build();
}

TEST(ArpFrames, ARequestIsABroadcastWhoHasPaddedToTheMinimum) {
    const auto frame = request_frame(kOurs, kOurIp, kTheirIp);
    EXPECT_EQ(frame.size(), 60u);
    MacAddress dst;
    const auto p = arp_of(frame, &dst);
    EXPECT_TRUE(dst.is_broadcast());
    EXPECT_EQ(p.operation, wire::kArpRequest);
    EXPECT_EQ(p.sender_mac, kOurs);
    EXPECT_EQ(p.sender_ip, kOurIp);
    EXPECT_EQ(p.target_mac, MacAddress());
    EXPECT_EQ(p.target_ip, kTheirIp);
}

TEST(ArpFrames, AProbeHidesItsSenderAndAnAnnouncementNamesItselfTwice) {
    const auto probe = arp_of(probe_frame(kOurs, kTheirIp));
    EXPECT_EQ(probe.sender_ip, Ipv4Address());  // RFC 5227: nobody caches a candidate
    EXPECT_EQ(probe.target_ip, kTheirIp);
    const auto announce = arp_of(announcement_frame(kOurs, kOurIp));
    EXPECT_EQ(announce.operation, wire::kArpRequest);
    EXPECT_EQ(announce.sender_ip, kOurIp);
    EXPECT_EQ(announce.target_ip, kOurIp);
}

TEST(ArpFrames, OnlyTheReplyToOurRequestAnswersIt) {
    const auto request = *wire::ArpPacket::parse(arp_of(request_frame(kOurs, kOurIp, kTheirIp)).build());
    const auto reply = wire::ArpPacket::reply_to(request, kTheirs);
    EXPECT_EQ(reply_from(frame_of(reply, kTheirs, kOurs), kTheirIp, kOurs), kTheirs);
    // Someone else's exchange, the wrong sender, a request, another EtherType, cut bytes: no.
    EXPECT_FALSE(reply_from(frame_of(reply, kTheirs, kOurs), Ipv4Address(198, 18, 0, 3), kOurs));
    auto for_other = reply;
    for_other.target_mac = kTheirs;
    EXPECT_FALSE(reply_from(frame_of(for_other, kTheirs, kOurs), kTheirIp, kOurs));
    EXPECT_FALSE(reply_from(frame_of(request, kOurs, MacAddress::broadcast()), kOurIp, kOurs));
    EXPECT_FALSE(reply_from(frame_of(reply, kTheirs, kOurs, 0x0800), kTheirIp, kOurs));
    auto cut = frame_of(reply, kTheirs, kOurs);
    cut.resize(14 + 20);
    EXPECT_FALSE(reply_from(cut, kTheirIp, kOurs));
}

TEST(ArpFrames, AConflictIsAnyClaimOnTheCandidateButOurOwn) {
    const Ipv4Address candidate(198, 18, 0, 9);
    // A host using it answers, or announces it.
    EXPECT_EQ(conflict_in(announcement_frame(kTheirs, candidate), candidate, kOurs), kTheirs);
    // Another host probing for the same address at the same time.
    EXPECT_EQ(conflict_in(probe_frame(kTheirs, candidate), candidate, kOurs), kTheirs);
    // Our own probe, looped back; unrelated traffic.
    EXPECT_FALSE(conflict_in(probe_frame(kOurs, candidate), candidate, kOurs));
    EXPECT_FALSE(conflict_in(request_frame(kTheirs, kTheirIp, kOurIp), candidate, kOurs));
}

// ---- on a link -------------------------------------------------------------------------

class ArpLab : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        lab_ = test::NetnsLab::create(why);
        if (!lab_) GTEST_SKIP() << why;
    }
    // Runs fn on a thread inside side's namespace (sockets it opens live there).
    template <class F>
    void in(test::NetnsLab::Side side, F fn) {
        test::NetnsLab::on_thread([&] {
            ASSERT_TRUE(lab_->enter(side));
            fn();
        });
    }
    std::string a_if() const { return std::string(test::NetnsLab::interface(test::NetnsLab::a)); }
    std::unique_ptr<test::NetnsLab> lab_;
};

TEST_F(ArpLab, ResolveFindsThePeersMac) {
    MacAddress peer;
    in(test::NetnsLab::b, [&] { peer = interface_info("weft-b").value().mac; });
    in(test::NetnsLab::a, [&] {
        auto found = resolve_blocking(a_if(), kTheirIp);
        ASSERT_TRUE(found) << found.error();
        EXPECT_EQ(found->mac, peer);
        EXPECT_EQ(found->ip, kTheirIp);
        EXPECT_GE(found->requests, 1);
        EXPECT_GT(found->rtt.count(), 0);
    });
}

void expect_timeout_naming_the_address(const std::string& interface) {
    ResolveOptions options;
    options.timeout = 300ms;
    options.interval = 100ms;
    const auto begun = std::chrono::steady_clock::now();
    auto found = resolve_blocking(interface, Ipv4Address(198, 18, 0, 77), options);
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().find("no ARP reply from 198.18.0.77 on weft-a within 0.3 s"), std::string::npos)
        << found.error();
    EXPECT_LT(std::chrono::steady_clock::now() - begun, 5s);  // bounded: not the kernel's, not forever
}

TEST_F(ArpLab, AnAbsentAddressTimesOutNamingIt) {
    in(test::NetnsLab::a, [&] { expect_timeout_naming_the_address(a_if()); });
}

TEST_F(ArpLab, TheTimeoutHoldsUnderCpuLoad) {
    test::BusyLoops load;
    in(test::NetnsLab::a, [&] { expect_timeout_naming_the_address(a_if()); });
}

TEST_F(ArpLab, AProbeFindsTheAddressInUseAndNotAFreeOne) {
    MacAddress peer;
    in(test::NetnsLab::b, [&] { peer = interface_info("weft-b").value().mac; });
    in(test::NetnsLab::a, [&] {
        EventLoop loop;
        const ProbeOptions quick{.probes = 2, .interval = 100ms, .wait_after = 200ms};
        auto used = loop.block_on(probe(loop, a_if(), kTheirIp, quick));
        ASSERT_TRUE(used) << used.error();
        EXPECT_EQ(*used, peer);
        auto free = loop.block_on(probe(loop, a_if(), Ipv4Address(198, 18, 0, 77), quick));
        ASSERT_TRUE(free) << free.error();
        EXPECT_FALSE(free->has_value());
    });
}

TEST_F(ArpLab, AnAnnouncementReachesThePeer) {
    // Side b listens for ARP on a packet socket opened in its namespace; side a announces.
    std::unique_ptr<EventLoop> loop;  // made where the socket is opened, as io's own lab tests do
    std::optional<PacketSocket> listener;
    in(test::NetnsLab::b, [&] {
        loop = std::make_unique<EventLoop>();
        PacketOptions o;
        o.interface = "weft-b";
        o.protocol = ETH_P_ARP;
        auto s = PacketSocket::open(*loop, o);
        ASSERT_TRUE(s) << s.error().message();
        listener.emplace(std::move(*s));
    });
    ASSERT_TRUE(listener);
    loop->stop();
    loop->run();  // binds the loop to this thread: with a stop already asked, it returns at once
    in(test::NetnsLab::a, [&] {
        EventLoop a_loop;
        auto sent = a_loop.block_on(announce(a_loop, a_if(), kOurIp, 2, 10ms));
        ASSERT_TRUE(sent) << sent.error();
    });
    auto heard = [&]() -> Task<std::string> {
        std::array<std::byte, 2048> buf{};
        for (int i = 0; i < 10; ++i) {
            auto got = co_await with_timeout(5s, listener->recv(buf));
            if (!got) co_return "no announcement: " + got.error().message();
            auto frame = wire::EthernetFrame::parse(std::span<const std::byte>(buf).first(got->size));
            if (!frame) continue;
            auto p = wire::ArpPacket::parse(frame->payload);
            if (p && p->sender_ip == kOurIp && p->target_ip == kOurIp && frame->dst.is_broadcast()) co_return "";
        }
        co_return "ten ARP frames and no announcement among them";
    };
    EXPECT_EQ(loop->block_on(heard()), "");
    listener.reset();  // before its loop
}

}  // namespace
}  // namespace weft::arp
