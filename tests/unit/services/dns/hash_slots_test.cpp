// HashSlots: the open-addressing index under the zone's nodes and the answer memo.

#include "weft/services/dns/detail/hash_slots.hpp"

#include <deque>

#include <gtest/gtest.h>

namespace weft::dns::detail {
namespace {

TEST(HashSlots, FindsEveryItemAcrossDoublings) {
    HashSlots<int> slots(1);
    std::deque<int> items;
    for (int i = 0; i < 5000; ++i) {
        items.push_back(i);
        ASSERT_TRUE(slots.insert(static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL, &items.back()));
    }
    EXPECT_EQ(slots.size(), 5000u);
    for (int i = 0; i < 5000; ++i) {
        const int* got = slots.find(static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL, [&](const int& v) { return v == i; });
        ASSERT_NE(got, nullptr) << i;
        EXPECT_EQ(*got, i);
    }
    EXPECT_EQ(slots.find(12345, [](const int&) { return true; }), nullptr) << "a hash never inserted";
    int count = 0;
    slots.for_each([&](int*) { ++count; });
    EXPECT_EQ(count, 5000);
    slots.clear();
    EXPECT_EQ(slots.size(), 0u);
    EXPECT_EQ(slots.find(0, [](const int&) { return true; }), nullptr);
}

// Items with one hash sit in one run: the probe cap bounds both the search and the insert.
TEST(HashSlots, TheProbeCapBoundsACrowdedRun) {
    HashSlots<int> slots(64);
    std::deque<int> items;
    for (int i = 0; i < 8; ++i) {
        items.push_back(i);
        ASSERT_TRUE(slots.insert(7, &items.back(), 8));
    }
    items.push_back(8);
    EXPECT_FALSE(slots.insert(7, &items.back(), 8)) << "a ninth item with the same hash is past the cap";
    EXPECT_EQ(slots.size(), 8u);
    EXPECT_NE(slots.find(7, [](const int& v) { return v == 7; }, 8), nullptr);
    EXPECT_EQ(slots.find(7, [](const int& v) { return v == 7; }, 4), nullptr) << "the eighth is beyond 4 probes";
    EXPECT_TRUE(slots.insert(7, &items.back())) << "no cap: it goes further on";
}

}  // namespace
}  // namespace weft::dns::detail
