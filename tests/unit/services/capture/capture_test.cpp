// Capture: tcpdump expressions compiled by libpcap and checked with libpcap's own BPF
// interpreter; then a capture on a veth link between two namespaces (root).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include "../../io/netns_lab.hpp"
#include "weft/services/arp/arp_client.hpp"
#include "weft/services/arp/arp_frames.hpp"
#include "weft/services/capture/bpf_filter.hpp"
#include "weft/services/capture/capture.hpp"
#include "weft/wire/arp.hpp"
#include "weft/wire/ethernet.hpp"

namespace weft::capture {
namespace {

using namespace std::chrono_literals;

// Runs `program` on `frame` the way the kernel would (libpcap's interpreter has the same
// semantics): the snap length it keeps, 0 for a frame it drops.
unsigned run_filter(const std::vector<sock_filter>& program, const std::vector<std::byte>& frame) {
    std::vector<bpf_insn> insns;
    for (const auto& f : program) insns.push_back(bpf_insn{f.code, f.jt, f.jf, f.k});
    const auto* bytes = reinterpret_cast<const u_char*>(frame.data());
    return bpf_filter(insns.data(), bytes, static_cast<u_int>(frame.size()), static_cast<u_int>(frame.size()));
}

const MacAddress kA = MacAddress::parse("02:00:00:00:00:0a").value();

std::vector<std::byte> arp_frame() { return arp::request_frame(kA, Ipv4Address(198, 18, 0, 1), Ipv4Address(198, 18, 0, 2)); }

std::vector<std::byte> udp_frame(std::uint16_t port) {
    // Ethernet + IPv4 (20) + UDP (8), checksums left zero: the filter reads fields only.
    std::vector<std::byte> f(14 + 28, std::byte{0});
    f[12] = std::byte{0x08};
    f[14] = std::byte{0x45};
    f[16] = std::byte{0};
    f[17] = std::byte{28};
    f[22] = std::byte{64};
    f[23] = std::byte{17};  // UDP
    f[36] = std::byte(port >> 8);
    f[37] = std::byte(port & 0xff);
    return f;
}

TEST(BpfFilter, CompilesTcpdumpExpressionsThatSelectTheRightFrames) {
    auto arp = compile_filter("arp");
    ASSERT_TRUE(arp) << arp.error();
    EXPECT_GT(run_filter(*arp, arp_frame()), 0u);
    EXPECT_EQ(run_filter(*arp, udp_frame(53)), 0u);
    auto dns = compile_filter("udp dst port 53");
    ASSERT_TRUE(dns) << dns.error();
    EXPECT_GT(run_filter(*dns, udp_frame(53)), 0u);
    EXPECT_EQ(run_filter(*dns, udp_frame(54)), 0u);
    EXPECT_EQ(run_filter(*dns, arp_frame()), 0u);
    auto all = compile_filter("");
    ASSERT_TRUE(all);
    EXPECT_GT(run_filter(*all, arp_frame()), 0u);
}

TEST(BpfFilter, ABadExpressionIsNamed) {
    auto bad = compile_filter("tcp prot 80");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().rfind("invalid filter 'tcp prot 80': ", 0), 0u) << bad.error();
    EXPECT_FALSE(compile_filter("port 99999"));
}

TEST(CaptureLab, SeesTheExchangeThroughItsFilterAndStopsAtItsCount) {
    std::string why;
    auto lab = test::NetnsLab::create(why);
    if (!lab) GTEST_SKIP() << why;
    std::unique_ptr<EventLoop> loop;
    std::unique_ptr<Capture> cap;
    test::NetnsLab::on_thread([&] {
        ASSERT_TRUE(lab->enter(test::NetnsLab::b));
        loop = std::make_unique<EventLoop>();
        CaptureOptions options;
        options.interface = "weft-b";
        options.filter = compile_filter("arp").value();
        options.count = 2;
        options.immediate = true;
        auto opened = Capture::open(*loop, options);
        ASSERT_TRUE(opened) << opened.error();
        cap = std::move(*opened);
    });
    ASSERT_TRUE(cap);
    loop->stop();
    loop->run();  // the loop is this thread's from here
    // Side a asks for b's MAC (ARP, which the filter passes) after b's capture is open.
    std::thread asker([&] {
        test::NetnsLab::on_thread([&] {
            ASSERT_TRUE(lab->enter(test::NetnsLab::a));
            auto found = arp::resolve_blocking("weft-a", Ipv4Address(198, 18, 0, 2));
            EXPECT_TRUE(found) << found.error();
        });
    });
    std::vector<std::uint16_t> operations;
    auto stats = loop->block_on(cap->run([&](const CapturedFrame& frame) {
        auto ethernet = wire::EthernetFrame::parse(frame.data);
        ASSERT_TRUE(ethernet);
        auto packet = wire::ArpPacket::parse(ethernet->payload);
        ASSERT_TRUE(packet);
        operations.push_back(packet->operation);
        EXPECT_GT(frame.timestamp.time_since_epoch().count(), 0);
    }));
    asker.join();
    ASSERT_TRUE(stats) << stats.error();
    EXPECT_EQ(stats->captured, 2u);  // stopped by the count
    EXPECT_EQ(operations, (std::vector<std::uint16_t>{wire::kArpRequest, wire::kArpReply}));
    EXPECT_EQ(stats->dropped, 0u);
    cap.reset();  // before its loop
}

}  // namespace
}  // namespace weft::capture
