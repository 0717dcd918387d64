#pragma once
// HashSlots<T>: the open-addressing index under the zone's nodes (NodeTable) and the answer
// memo (AnswerCache). Slots of (64-bit hash, T*), a power of two of them and at most half
// full, linear probing. The items live elsewhere, owned by the caller. A lookup compares the
// full hash before it touches an item, so probing reads only the slots: on a table too big
// for the cache a hit costs the slot and the item, where std::unordered_map walks a bucket,
// a list node and a key allocated apart.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace weft::dns::detail {

template <class T>
class HashSlots {
public:
    /// Room for `capacity` items before the first doubling.
    explicit HashSlots(std::size_t capacity = 8) : slots_(slots_for(capacity)) {}

    /// The item with `hash` that `same(item)` accepts, looking at `max_probes` slots at most;
    /// nullptr when there is none.
    template <class Same>
    T* find(std::uint64_t hash, Same&& same, std::size_t max_probes = kUnbounded) const noexcept {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = hash & mask;
        for (std::size_t probes = 0; probes < max_probes; ++probes, i = (i + 1) & mask) {
            const Slot& slot = slots_[i];
            if (slot.item == nullptr) return nullptr;
            if (slot.hash == hash && same(*slot.item)) return slot.item;
        }
        return nullptr;
    }

    /// Adds `item` (doubling the slots first when it would pass half full). False, and
    /// nothing added, when no free slot lies within `max_probes` of its place.
    bool insert(std::uint64_t hash, T* item, std::size_t max_probes = kUnbounded) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = hash & mask;
        for (std::size_t probes = 0; slots_[i].item != nullptr; ++probes, i = (i + 1) & mask) {
            if (probes + 1 >= max_probes) return false;
        }
        slots_[i] = Slot{hash, item};
        ++size_;
        return true;
    }

    /// Calls f(item) for every item, in slot order.
    template <class F>
    void for_each(F&& f) const {
        for (const Slot& slot : slots_) {
            if (slot.item != nullptr) f(slot.item);
        }
    }

    /// Forgets every item (the caller frees them); keeps the slots' memory.
    void clear() noexcept {
        std::fill(slots_.begin(), slots_.end(), Slot{});
        size_ = 0;
    }

    std::size_t size() const noexcept { return size_; }

    static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

private:
    struct Slot {
        std::uint64_t hash = 0;
        T* item = nullptr;
    };

    static std::size_t slots_for(std::size_t capacity) noexcept {
        std::size_t n = 16;
        while (n < 2 * capacity) n *= 2;
        return n;
    }

    void grow() {
        std::vector<Slot> bigger(slots_.size() * 2);
        const std::size_t mask = bigger.size() - 1;
        for (const Slot& slot : slots_) {
            if (slot.item == nullptr) continue;
            std::size_t i = slot.hash & mask;
            while (bigger[i].item != nullptr) i = (i + 1) & mask;
            bigger[i] = slot;
        }
        slots_ = std::move(bigger);
    }

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

}  // namespace weft::dns::detail
