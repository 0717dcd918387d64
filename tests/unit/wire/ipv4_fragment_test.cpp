#include "weft/wire/ipv4_fragment.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace weft::wire {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<std::byte> pattern(std::size_t n, unsigned seed = 1) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::byte((i * 131 + seed) & 0xff);
    return v;
}

Ipv4Packet datagram(std::span<const std::byte> payload, std::uint16_t id = 0x4242) {
    Ipv4Packet p;
    p.identification = id;
    p.protocol = kIpProtocolUdp;
    p.src = Ipv4Address(198, 18, 0, 1);
    p.dst = Ipv4Address(198, 18, 0, 2);
    p.payload = payload;
    return p;
}

Ipv4Packet parsed(const std::vector<std::byte>& bytes) {
    auto p = Ipv4Packet::parse(bytes);
    EXPECT_TRUE(p) << p.error().to_string();
    return *p;
}

TEST(Ipv4Fragment, SeedExample5000At1500) {
    auto payload = pattern(4980);
    auto frags = fragment(datagram(payload), 1500);
    ASSERT_TRUE(frags) << frags.error().to_string();
    ASSERT_EQ(frags->size(), 4u);
    const std::uint16_t totals[] = {1500, 1500, 1500, 560};
    const std::uint16_t offsets[] = {0, 1480, 2960, 4440};
    for (std::size_t i = 0; i < 4; ++i) {
        Ipv4Packet f = parsed((*frags)[i]);
        EXPECT_EQ(f.total_length, totals[i]) << i;
        EXPECT_EQ(f.fragment_offset, offsets[i]) << i;
        EXPECT_EQ(f.more_fragments, i < 3) << i;
        EXPECT_EQ(f.identification, 0x4242);
        EXPECT_TRUE(f.checksum_ok);
        EXPECT_TRUE(std::equal(f.payload.begin(), f.payload.end(), payload.begin() + offsets[i]));
    }
}

TEST(Ipv4Fragment, FitsUnchanged) {
    auto payload = pattern(1480);
    auto frags = fragment(datagram(payload), 1500);
    ASSERT_TRUE(frags);
    ASSERT_EQ(frags->size(), 1u);
    EXPECT_FALSE(parsed(frags->front()).is_fragment());
}

TEST(Ipv4Fragment, DontFragmentIsAnError) {
    auto payload = pattern(4980);
    auto d = datagram(payload);
    d.dont_fragment = true;
    auto frags = fragment(d, 1500);
    ASSERT_FALSE(frags);
    EXPECT_EQ(frags.error().to_string(),
              "ipv4: fragmentation needed but DF set (datagram 5000 bytes, mtu 1500) at offset 6");
}

TEST(Ipv4Fragment, MtuTooSmall) {
    auto payload = pattern(100);
    auto frags = fragment(datagram(payload), 27);
    ASSERT_FALSE(frags);
    EXPECT_EQ(frags.error().reason, "mtu 27 too small for a 20-byte header and 8 bytes of data");
    EXPECT_TRUE(fragment(datagram(payload), 28));
}

TEST(Ipv4Fragment, OnlyCopiedOptionsInLaterFragments) {
    // Router Alert (0x94) is copied, Record Route (7) is not: the first fragment's header is
    // 32 bytes, later ones 24 (Router Alert padded), so their payload sizes differ.
    const std::byte ra[] = {std::byte{0}, std::byte{0}};
    const std::byte rr[] = {std::byte{4}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
    auto payload = pattern(1000);
    auto d = datagram(payload);
    d.options = {{0x94, 4, ra}, {7, 7, rr}};
    auto frags = fragment(d, 300);
    ASSERT_TRUE(frags);
    Ipv4Packet first = parsed(frags->front());
    EXPECT_EQ(first.header_length, 32u);
    EXPECT_EQ(first.payload.size(), 264u);  // (300 - 32) rounded down to 8
    EXPECT_EQ(first.options.size(), 3u);    // RA, RR, EOL padding
    Ipv4Packet second = parsed((*frags)[1]);
    EXPECT_EQ(second.header_length, 24u);
    EXPECT_EQ(second.payload.size(), 272u);  // 300 - 24 = 276 -> 272
    EXPECT_EQ(second.fragment_offset, 264);
    ASSERT_GE(second.options.size(), 1u);
    EXPECT_EQ(second.options[0].type, 0x94);
    std::size_t sum = 0;
    for (const auto& f : *frags) sum += parsed(f).payload.size();
    EXPECT_EQ(sum, 1000u);
}

TEST(Ipv4Fragment, RefragmentingAFragmentKeepsOffsetsAndMf) {
    auto payload = pattern(4980);
    auto frags = fragment(datagram(payload), 1500);
    ASSERT_TRUE(frags);
    Ipv4Packet middle = parsed((*frags)[1]);  // offset 1480, MF set
    auto again = fragment(middle, 600);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->size(), 3u);
    EXPECT_EQ(parsed((*again)[0]).fragment_offset, 1480);
    EXPECT_EQ(parsed((*again)[1]).fragment_offset, 1480 + 576);
    EXPECT_TRUE(parsed((*again)[2]).more_fragments);  // still a middle piece
}

class Reassembly : public ::testing::Test {
protected:
    void SetUp() override {
        payload_ = pattern(4980);
        auto d = datagram(payload_);
        whole_ = d.build();
        auto frags = fragment(d, 1500);
        ASSERT_TRUE(frags);
        fragments_ = std::move(*frags);
    }
    // Feeds fragments in the given order; returns the result of the last add.
    std::optional<std::vector<std::byte>> feed(Reassembler& r, const std::vector<std::size_t>& order) {
        std::optional<std::vector<std::byte>> done;
        for (std::size_t k = 0; k < order.size(); ++k) {
            auto out = r.add(parsed(fragments_[order[k]]), t0_);
            EXPECT_TRUE(out) << out.error().to_string();
            if (*out) {
                EXPECT_EQ(k + 1, order.size()) << "completed before the last fragment";
                done = std::move(**out);
            }
        }
        return done;
    }
    std::vector<std::byte> payload_;
    std::vector<std::byte> whole_;
    std::vector<std::vector<std::byte>> fragments_;
    Clock::time_point t0_{};
};

TEST_F(Reassembly, InOrder) {
    Reassembler r;
    auto done = feed(r, {0, 1, 2, 3});
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole_);
    EXPECT_EQ(r.datagrams_in_flight(), 0u);
    EXPECT_EQ(r.bytes_held(), 0u);
    EXPECT_EQ(r.stats().completed, 1u);
}

TEST_F(Reassembly, Reverse) {
    Reassembler r;
    auto done = feed(r, {3, 2, 1, 0});
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole_);
}

TEST_F(Reassembly, ShuffledManyTimes) {
    std::vector<std::size_t> order = {0, 1, 2, 3};
    std::mt19937 rng(7);
    for (int i = 0; i < 20; ++i) {
        std::shuffle(order.begin(), order.end(), rng);
        Reassembler r;
        auto done = feed(r, order);
        ASSERT_TRUE(done);
        EXPECT_EQ(*done, whole_);
    }
}

TEST_F(Reassembly, Duplicates) {
    Reassembler r;
    for (std::size_t i : {1, 1, 3, 1, 3}) {
        auto out = r.add(parsed(fragments_[i]), t0_);
        ASSERT_TRUE(out);
        EXPECT_FALSE(*out);
    }
    EXPECT_EQ(r.stats().duplicates, 3u);
    auto mid = r.add(parsed(fragments_[2]), t0_);
    ASSERT_TRUE(mid);
    EXPECT_FALSE(*mid);
    auto out = r.add(parsed(fragments_[0]), t0_);
    ASSERT_TRUE(out && *out);
    EXPECT_EQ(**out, whole_);
}

TEST_F(Reassembly, OverlapsFirstArrivalWins) {
    // Cut the same datagram at a different MTU: the pieces overlap the 1500-byte ones.
    auto d = datagram(payload_);
    auto small = fragment(d, 1000);
    ASSERT_TRUE(small);
    // A forged overlapping fragment with different content at offset 1480 arrives first;
    // the genuine bytes that come later must not overwrite it.
    auto evil_payload = pattern(496, 99);
    Ipv4Packet evil = datagram(evil_payload);
    evil.more_fragments = true;
    evil.fragment_offset = 1480;
    auto evil_bytes = evil.build();
    Reassembler r;
    ASSERT_TRUE(r.add(parsed(evil_bytes), t0_));
    std::optional<std::vector<std::byte>> done;
    for (const auto& f : *small) {
        auto out = r.add(parsed(f), t0_);
        ASSERT_TRUE(out);
        if (*out) done = **out;
    }
    for (const auto& f : fragments_) {
        if (done) break;
        auto out = r.add(parsed(f), t0_);
        ASSERT_TRUE(out);
        if (*out) done = **out;
    }
    ASSERT_TRUE(done);
    ASSERT_EQ(done->size(), whole_.size());
    EXPECT_TRUE(std::equal(evil_payload.begin(), evil_payload.end(), done->begin() + 20 + 1480));
    EXPECT_TRUE(std::equal(payload_.begin(), payload_.begin() + 1480, done->begin() + 20));
    EXPECT_GE(r.stats().overlaps, 1u);
}

TEST_F(Reassembly, MissingLastThenExpiry) {
    Reassembler r(ReassemblyLimits{kMaxReassemblyBytes, kMaxReassemblyDatagrams, 30s});
    for (std::size_t i : {0, 1, 2}) ASSERT_FALSE(*r.add(parsed(fragments_[i]), t0_ + 1s));
    EXPECT_EQ(r.datagrams_in_flight(), 1u);
    EXPECT_GT(r.bytes_held(), 3 * 1480u);
    EXPECT_EQ(r.expire(t0_ + 30s), 0u);
    EXPECT_EQ(r.expire(t0_ + 31s), 1u);
    EXPECT_EQ(r.datagrams_in_flight(), 0u);
    EXPECT_EQ(r.bytes_held(), 0u);
    EXPECT_EQ(r.stats().expired, 1u);
    // The late last fragment starts a new, incomplete datagram instead of completing the old.
    ASSERT_FALSE(*r.add(parsed(fragments_[3]), t0_ + 32s));
    EXPECT_EQ(r.datagrams_in_flight(), 1u);
}

TEST_F(Reassembly, FloodStaysUnderCaps) {
    const ReassemblyLimits limits{64 * 1024, 16, 30s};
    Reassembler r(limits);
    auto chunk = pattern(1480);
    for (std::uint32_t id = 0; id < 2000; ++id) {
        Ipv4Packet f = datagram(chunk, static_cast<std::uint16_t>(id));
        f.src = Ipv4Address(10, 0, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id));
        f.more_fragments = true;
        f.fragment_offset = static_cast<std::uint16_t>((id % 40) * 1480);
        auto out = r.add(parsed(f.build()), t0_ + std::chrono::milliseconds(id));
        ASSERT_TRUE(out);
        EXPECT_FALSE(*out);
        ASSERT_LE(r.bytes_held(), limits.max_bytes);
        ASSERT_LE(r.datagrams_in_flight(), limits.max_datagrams);
    }
    EXPECT_GT(r.stats().evicted, 1900u);
    // A genuine datagram still gets through the flood.
    auto done = feed(r, {2, 0, 3, 1});
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, whole_);
}

TEST_F(Reassembly, TinyPieceFloodIsChargedOverhead) {
    // 8-byte fragments of one datagram: each costs its overhead, so the cap bites early.
    const ReassemblyLimits limits{16 * 1024, 16, 30s};
    Reassembler r(limits);
    auto eight = pattern(8);
    for (std::uint16_t k = 0; k < 1000; ++k) {
        Ipv4Packet f = datagram(eight, 7);
        f.more_fragments = true;
        f.fragment_offset = static_cast<std::uint16_t>(k * 16);
        ASSERT_TRUE(r.add(parsed(f.build()), t0_));
        ASSERT_LE(r.bytes_held(), limits.max_bytes);
    }
    EXPECT_GE(r.stats().evicted, 1u);
}

TEST_F(Reassembly, RejectsOversizeAndInconsistent) {
    Reassembler r;
    auto eight = pattern(16);
    Ipv4Packet f = datagram(eight);
    f.more_fragments = true;
    f.fragment_offset = 65528;  // ping of death: ends at 65544 + header
    auto out = r.add(parsed(f.build()), t0_);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().reason,
              "reassembled datagram would exceed 65535 bytes (fragment ends at payload byte 65544)");
    EXPECT_EQ(r.datagrams_in_flight(), 0u);

    auto odd = pattern(13);
    f = datagram(odd);
    f.more_fragments = true;
    out = r.add(parsed(f.build()), t0_);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().reason, "fragment with MF set has 13 payload bytes, not a multiple of 8");

    // Last fragment says the payload ends at 4980; a fragment reaching past it is rejected.
    ASSERT_TRUE(r.add(parsed(fragments_[3]), t0_));
    auto past = pattern(1480);
    f = datagram(past);
    f.more_fragments = true;
    f.fragment_offset = 4440;
    out = r.add(parsed(f.build()), t0_);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().reason, "fragment ends at 5920, past the end 4980 set by the last fragment");
    EXPECT_EQ(r.datagrams_in_flight(), 0u);
    EXPECT_EQ(r.stats().rejected, 3u);
}

TEST_F(Reassembly, NonFragmentPassesThrough) {
    Reassembler r;
    auto small = pattern(100);
    auto bytes = datagram(small).build();
    auto out = r.add(parsed(bytes), t0_);
    ASSERT_TRUE(out && *out);
    EXPECT_EQ(**out, bytes);
}

TEST_F(Reassembly, KeyedBySourceAndId) {
    // Two datagrams with the same id from different sources interleave without mixing.
    auto other_payload = pattern(4980, 5);
    auto other = datagram(other_payload);
    other.src = Ipv4Address(198, 18, 0, 9);
    auto other_whole = other.build();
    auto other_frags = fragment(other, 1500);
    ASSERT_TRUE(other_frags);
    Reassembler r;
    std::optional<std::vector<std::byte>> a, b;
    for (std::size_t i = 0; i < 4; ++i) {
        auto x = r.add(parsed(fragments_[i]), t0_);
        auto y = r.add(parsed((*other_frags)[3 - i]), t0_);
        ASSERT_TRUE(x && y);
        if (*x) a = **x;
        if (*y) b = **y;
    }
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, whole_);
    EXPECT_EQ(*b, other_whole);
}

}  // namespace
}  // namespace weft::wire
