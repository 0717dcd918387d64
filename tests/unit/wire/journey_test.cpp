#include "weft/wire/journey.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "weft/wire/dissect.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/ipv4_fragment.hpp"

namespace weft::wire {
namespace {

std::string field(const DissectedFrame& f, std::string_view layer, std::string_view key) {
    const DissectLayer* l = f.find(layer);
    if (!l) return "<no layer>";
    const DissectValue* v = l->find(key);
    return v ? to_json(*v) : "<no field>";
}

std::vector<DissectedFrame> decode_all(const std::vector<JourneyFrame>& frames) {
    std::vector<DissectedFrame> out;
    for (const auto& f : frames) out.push_back(dissect_frame(f.bytes));
    return out;
}

// Every checksum_ok anywhere in the frame is true (or null in a first fragment); no errors.
void expect_all_checksums_ok(const DissectedFrame& f, std::size_t number) {
    EXPECT_EQ(f.error(), nullptr) << "frame " << number << ": " << to_json(frame_value(f, number));
    for (const DissectLayer& l : f.layers) {
        const DissectValue* ok = l.find("checksum_ok");
        if (!ok) continue;
        const bool first_fragment = l.name != "ipv4" && field(f, "ipv4", "mf") == "true";
        EXPECT_EQ(to_json(*ok), first_fragment ? "null" : "true") << "frame " << number << " layer " << l.name;
    }
}

std::vector<std::string> steps(const std::vector<JourneyFrame>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.push_back(f.step);
    return out;
}

TEST(Journey, TheSeedsFramesInOrder) {
    const auto frames = build_journey();
    EXPECT_EQ(steps(frames), (std::vector<std::string>{"dhcp", "dhcp", "dhcp", "dhcp", "arp", "arp", "dns", "dns",
                                                      "tcp-open", "tcp-open", "tcp-open", "http", "http", "http",
                                                      "http", "http", "tcp-close", "tcp-close", "tcp-close",
                                                      "tcp-close"}));
    for (const auto& f : frames) EXPECT_FALSE(f.note.empty());
    for (std::size_t i = 1; i < frames.size(); ++i) EXPECT_GE(frames[i].time, frames[i - 1].time);
}

TEST(Journey, EveryFrameDecodesWithCorrectChecksums) {
    for (bool segment : {false, true}) {
        for (std::size_t mtu : {68u, 576u, 1500u, 9000u}) {
            const auto decoded = decode_all(build_journey({mtu, segment}));
            for (std::size_t i = 0; i < decoded.size(); ++i) expect_all_checksums_ok(decoded[i], i + 1);
        }
    }
}

TEST(Journey, DhcpLearnsTheSeedsAddresses) {
    const auto d = decode_all(build_journey());
    EXPECT_EQ(field(d[0], "dhcp", "message_type"), "\"DISCOVER\"");
    EXPECT_EQ(field(d[0], "ipv4", "src"), "\"0.0.0.0\"");
    EXPECT_EQ(field(d[0], "ipv4", "dst"), "\"255.255.255.255\"");
    EXPECT_EQ(field(d[0], "ethernet", "dst"), "\"ff:ff:ff:ff:ff:ff\"");
    EXPECT_EQ(field(d[0], "udp", "src_port"), "68");
    EXPECT_EQ(field(d[0], "udp", "dst_port"), "67");
    EXPECT_EQ(field(d[1], "dhcp", "message_type"), "\"OFFER\"");
    EXPECT_EQ(field(d[2], "dhcp", "message_type"), "\"REQUEST\"");
    EXPECT_EQ(field(d[3], "dhcp", "message_type"), "\"ACK\"");
    EXPECT_EQ(field(d[3], "dhcp", "yiaddr"), "\"192.168.1.100\"");
    const DissectValue* options = d[3].find("dhcp")->find("options");
    ASSERT_NE(options, nullptr);
    EXPECT_EQ(to_json(*options->find("1")), "\"255.255.255.0\"");
    EXPECT_EQ(to_json(*options->find("3")), "[\"192.168.1.1\"]");
    EXPECT_EQ(to_json(*options->find("6")), "[\"8.8.8.8\"]");
    // Locally administered MACs only.
    EXPECT_EQ(field(d[0], "ethernet", "src").substr(0, 3), "\"02");
}

TEST(Journey, ArpAndDns) {
    const auto d = decode_all(build_journey());
    EXPECT_EQ(field(d[4], "arp", "op"), "1");
    EXPECT_EQ(field(d[4], "arp", "target_ip"), "\"192.168.1.1\"");
    EXPECT_EQ(field(d[5], "arp", "op"), "2");
    EXPECT_EQ(field(d[5], "arp", "sender_mac"), "\"" + JourneyHosts::kGatewayMac.to_string() + "\"");
    EXPECT_EQ(field(d[6], "dns", "questions"), "[{\"name\":\"www.google.com\",\"type\":\"A\",\"class\":\"IN\"}]");
    EXPECT_EQ(field(d[6], "ipv4", "dst"), "\"8.8.8.8\"");
    EXPECT_EQ(field(d[7], "dns", "answers"),
              "[{\"name\":\"www.google.com\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":300,\"data\":\"172.194.72.105\"}]");
}

TEST(Journey, HandshakeHasNoMssByDefault) {
    const auto d = decode_all(build_journey());
    EXPECT_EQ(field(d[8], "tcp", "flags"), "[\"SYN\"]");
    EXPECT_EQ(field(d[8], "tcp", "src_port"), "51775");
    EXPECT_EQ(field(d[8], "tcp", "dst_port"), "80");
    EXPECT_EQ(field(d[8], "ipv4", "dst"), "\"172.194.72.105\"");
    EXPECT_EQ(field(d[8], "tcp", "options"), "[]");
    EXPECT_EQ(field(d[9], "tcp", "flags"), "[\"SYN\",\"ACK\"]");
    EXPECT_EQ(field(d[10], "tcp", "flags"), "[\"ACK\"]");
}

TEST(Journey, TheGetIsFragmentedAsTheSeedSays) {
    const auto frames = build_journey();
    const auto d = decode_all(frames);
    const std::vector<std::string> lengths = {"1500", "1500", "1500", "560"};
    const std::vector<std::string> offsets = {"0", "1480", "2960", "4440"};
    std::string id;
    for (std::size_t i = 0; i < 4; ++i) {
        const DissectedFrame& f = d[11 + i];
        EXPECT_EQ(field(f, "ipv4", "total_length"), lengths[i]);
        EXPECT_EQ(field(f, "ipv4", "fragment_offset"), offsets[i]);
        EXPECT_EQ(field(f, "ipv4", "df"), "false");
        EXPECT_EQ(field(f, "ipv4", "mf"), i < 3 ? "true" : "false");
        if (i == 0) id = field(f, "ipv4", "id");
        EXPECT_EQ(field(f, "ipv4", "id"), id);
    }
    EXPECT_EQ(field(d[11], "http", "method"), "\"GET\"");
    EXPECT_EQ(field(d[11], "tcp", "checksum_ok"), "null");

    // Reassembled, the datagram is 5000 bytes: a 4980-byte TCP segment with a 4960-byte GET
    // whose checksum is right.
    Reassembler r;
    std::optional<std::vector<std::byte>> whole;
    for (std::size_t i = 11; i < 15; ++i) {
        auto eth = EthernetFrame::parse(frames[i].bytes);
        ASSERT_TRUE(eth);
        auto ip = Ipv4Packet::parse(eth->payload);
        ASSERT_TRUE(ip);
        auto done = r.add(*ip, Reassembler::Clock::time_point{});
        ASSERT_TRUE(done);
        if (*done) whole = std::move(**done);
    }
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->size(), 5000u);
    EthernetFrame e;
    e.type = kEtherTypeIpv4;
    e.payload = *whole;
    const DissectedFrame f = dissect_frame(e.build());
    EXPECT_EQ(field(f, "tcp", "checksum_ok"), "true");
    EXPECT_EQ(field(f, "http", "method"), "\"GET\"");
    EXPECT_EQ(f.find("http")->size, kJourneyRequestSize);
    EXPECT_EQ(journey_http_request().size(), kJourneyRequestSize);

    // And it equals the datagram sent whole over a link that needs no fragmentation.
    const auto unfragmented = build_journey({9000, false});
    auto eth = EthernetFrame::parse(unfragmented[11].bytes);
    ASSERT_TRUE(eth);
    auto ip = Ipv4Packet::parse(eth->payload);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->total_length, 5000u);
    EXPECT_TRUE(std::equal(whole->begin(), whole->end(), eth->payload.begin(), eth->payload.begin() + 5000));
}

TEST(Journey, MtuMovesTheCuts) {
    const auto d = decode_all(build_journey({576, false}));
    std::vector<std::string> offsets;
    for (const auto& f : d)
        if (f.find("ipv4") && field(f, "ipv4", "dst") == "\"172.194.72.105\"" && field(f, "ipv4", "total_length") != "40")
            offsets.push_back(field(f, "ipv4", "fragment_offset"));
    // (576 - 20) / 8 * 8 = 552 bytes per fragment: ceil(4980 / 552) = 10 fragments.
    ASSERT_EQ(offsets.size(), 10u);
    EXPECT_EQ(offsets[1], "552");
    EXPECT_EQ(offsets[9], "4968");
}

TEST(Journey, SegmentModeUsesTheMssAndSetsDf) {
    const auto frames = build_journey({1500, true});
    const auto d = decode_all(frames);
    EXPECT_EQ(field(d[8], "tcp", "options"), "[{\"kind\":2,\"length\":4,\"mss\":1460}]");
    EXPECT_EQ(field(d[9], "tcp", "options"), "[{\"kind\":2,\"length\":4,\"mss\":1460}]");
    std::vector<std::string> lengths;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (frames[i].step != "http" || field(d[i], "ipv4", "src") != "\"192.168.1.100\"") continue;
        lengths.push_back(field(d[i], "ipv4", "total_length"));
        EXPECT_EQ(field(d[i], "ipv4", "df"), "true");
        EXPECT_EQ(field(d[i], "ipv4", "mf"), "false");
    }
    EXPECT_EQ(lengths, (std::vector<std::string>{"1500", "1500", "1500", "620"}));
}

TEST(Journey, MtuOutOfRangeIsRejected) {
    EXPECT_THROW(build_journey({67, false}), std::invalid_argument);
    EXPECT_THROW(build_journey({65536, true}), std::invalid_argument);
    EXPECT_NO_THROW(build_journey({68, true}));
}

}  // namespace
}  // namespace weft::wire
