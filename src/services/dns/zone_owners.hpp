#pragma once
// What the zone-wide checks keep per owner name while a zone is read: how many records the
// name has, the lines of its CNAME and of its first other record, and a chain through its
// records for finding duplicates.
//
// A million-record zone has up to a million names, so the table is flat: an open-addressing
// index of 64-bit name hashes over a vector of states. No key is stored; a hash match is
// confirmed against the name of the state's first record, which the caller holds anyway.
// (std::unordered_map<std::string, ...> spent most of a large zone's parse in allocation
// and cache misses.)

#include <cstddef>
#include <cstdint>
#include <vector>

#include "weft/wire/dns.hpp"

namespace weft::dns::detail {

struct OwnerState {
    std::uint32_t first = 0;     ///< index in the records of the first record kept at the name
    std::uint32_t last = 0;      ///< and of the last; OwnerTable::next_record links them
    std::uint32_t count = 0;     ///< records kept at the name
    std::size_t cname_line = 0;  ///< line of its CNAME, 0 when none
    std::size_t other_line = 0;  ///< line of its first record of another type, 0 when none
};

class OwnerTable {
public:
    /// The state of `name`, whose key hashes to `hash`. A name not seen before gets a new
    /// state with count 0 whose first record is to be `new_index` (the caller appends that
    /// record before it looks up another name).
    OwnerState& find_or_add(const wire::DnsName& name, std::uint64_t hash, const std::vector<wire::DnsRecord>& records,
                            std::uint32_t new_index);

    /// Appends record `index` (its data hashing to `data_hash`) to `state`'s chain. Records
    /// must be added in increasing index order.
    void add_record(OwnerState& state, std::uint32_t index, std::uint64_t data_hash);

    /// The record after `index` at the same name (meaningful only while `index` is not the
    /// state's last), and the data hash of `index`.
    std::uint32_t next_record(std::uint32_t index) const noexcept { return next_[index]; }
    std::uint64_t data_hash(std::uint32_t index) const noexcept { return data_hash_[index]; }

private:
    void grow();

    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t state = 0;  // index into states_ plus one; 0 is an empty slot
    };
    std::vector<Slot> slots_;  // capacity a power of two, at most half full
    std::vector<OwnerState> states_;
    std::vector<std::uint32_t> next_;       // per record: the next record at its name
    std::vector<std::uint64_t> data_hash_;  // per record: hash of (type, canonical data)
};

}  // namespace weft::dns::detail
