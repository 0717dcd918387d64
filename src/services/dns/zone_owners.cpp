#include "zone_owners.hpp"

namespace weft::dns::detail {

OwnerState& OwnerTable::find_or_add(const wire::DnsName& name, std::uint64_t hash,
                                    const std::vector<wire::DnsRecord>& records, std::uint32_t new_index) {
    if ((states_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    // Linear probing: with the table at most half full a probe run stays short.
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        Slot& slot = slots_[i];
        if (slot.state == 0) {
            slot.hash = hash;
            states_.push_back(OwnerState{new_index, new_index, 0, 0, 0});
            slot.state = static_cast<std::uint32_t>(states_.size());
            return states_.back();
        }
        if (slot.hash == hash) {
            OwnerState& state = states_[slot.state - 1];
            // Names equal ignoring case exactly when their keys are equal, so this confirms
            // the hash without keeping the key.
            if (records[state.first].name == name) return state;
        }
    }
}

void OwnerTable::add_record(OwnerState& state, std::uint32_t index, std::uint64_t data_hash) {
    if (next_.size() <= index) {
        next_.resize(index + 1);
        data_hash_.resize(index + 1);
    }
    data_hash_[index] = data_hash;
    if (state.count != 0) next_[state.last] = index;
    state.last = index;
    ++state.count;
}

void OwnerTable::grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2);
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.state == 0) continue;
        std::size_t i = s.hash & mask;
        while (slots_[i].state != 0) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

}  // namespace weft::dns::detail
