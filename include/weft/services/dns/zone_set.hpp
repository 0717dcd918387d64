#pragma once
// ZoneSet: the zones an authoritative server holds, indexed for answering.
//
//   std::vector<weft::dns::Zone> zones = ...;            // from load_zone_file
//   auto set = weft::dns::ZoneSet::build(std::move(zones));
//   if (!set) { std::cerr << set.error() << '\n'; }      // "zone example.test. is given twice"
//
// Names are looked up by their canonical key (wire::dns_name_key: the wire form, ASCII
// lower-cased), so a query matches whatever its case. Each zone maps every owner name to its
// node (the records grouped into RRsets by type), and every name between an owner and the
// apex that owns nothing itself (an empty non-terminal, RFC 8020) to an empty node, so that
// such a name answers NODATA, not NXDOMAIN. A ZoneSet is immutable once built: the server's
// threads read it without locks.

#include <array>
#include <cstddef>
#include <deque>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weft/expected.hpp"
#include "weft/services/dns/detail/hash_slots.hpp"
#include "weft/services/dns/zone.hpp"
#include "weft/wire/dns.hpp"

namespace weft::dns {

/// The records of one name and type, in file order, with one TTL (RFC 2181 section 5.2: the
/// lowest TTL given wins when a file disagrees).
struct RRset {
    /// The type every record of the set has.
    wire::DnsType type = wire::DnsType::A;
    /// The set's TTL in seconds, the lowest of its records' (every record is served with it).
    std::uint32_t ttl = 0;
    /// The records, in file order.
    std::vector<wire::DnsRecord> records;
};

/// A name in a zone and what it owns (nothing, for an empty non-terminal).
struct ZoneNode {
    /// The node's name: the apex or the first record's owner as written (case kept); rebuilt from
    /// the key, so lower-cased, for an empty non-terminal.
    wire::DnsName name;
    /// One RRset per type; empty for an empty non-terminal.
    std::vector<RRset> rrsets;

    /// The RRset of `type`, or nullptr.
    const RRset* find(wire::DnsType type) const noexcept;
};

/// The nodes of one zone by name key: a HashSlots index over nodes kept in a deque, each
/// node's key inside its own memory when short (most are), so a lookup touches the probed
/// slot and the node. (The bench's 40,000-name zone spent 12% of the server's cycles in
/// std::unordered_map's find; 7% with this.)
class NodeTable {
public:
    NodeTable() = default;
    /// Moves the nodes; their addresses stay valid (they live in a deque).
    NodeTable(NodeTable&&) noexcept = default;
    /// Move assignment, as the move constructor.
    NodeTable& operator=(NodeTable&&) noexcept = default;

    /// The node whose name key (wire::dns_name_key) is `key`, or nullptr.
    const ZoneNode* find(std::string_view key) const noexcept;
    /// The node whose name key is `key`, mutable (while building), or nullptr.
    ZoneNode* find(std::string_view key) noexcept;
    /// The node of `key`, made with `name` when new; second: whether it was new.
    std::pair<ZoneNode*, bool> emplace(std::string_view key, const wire::DnsName& name);
    /// The number of nodes, empty non-terminals included.
    std::size_t size() const noexcept { return entries_.size(); }

    /// Every node, in the order they were made.
    template <class F>
    void for_each(F&& f) {
        for (auto& e : entries_) f(e.node);
    }

private:
    struct Entry {
        static constexpr std::size_t kInline = 46;  // most names' keys: no second allocation
        ZoneNode node;
        std::array<char, kInline> inline_key{};
        std::uint8_t inline_size = 0;
        std::string long_key;  // when the key is longer than kInline
        std::string_view key() const noexcept {
            return long_key.empty() ? std::string_view(inline_key.data(), inline_size) : std::string_view(long_key);
        }
    };
    Entry* lookup(std::string_view key) const noexcept;

    std::deque<Entry> entries_;  // stable addresses
    detail::HashSlots<Entry> slots_;
};

/// One zone, indexed.
struct IndexedZone {
    /// The zone's apex (its origin).
    wire::DnsName apex;
    /// The apex's name key (wire::dns_name_key), as find() and find_zone() compare.
    std::string apex_key;
    NodeTable nodes;             ///< by name key; the apex is always there
    const RRset* soa = nullptr;  ///< the apex SOA (a zone always has one)

    /// The node whose name key is `key`, or nullptr (the name does not exist in this zone).
    const ZoneNode* find(std::string_view key) const noexcept { return nodes.find(key); }
};

/// Heterogeneous lookup: find a std::string key with a std::string_view, no allocation.
struct KeyHash {
    /// Enables heterogeneous lookup in the unordered containers using it.
    using is_transparent = void;
    /// The hash of `key`, equal for a std::string and a std::string_view with the same characters.
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
};

/// The zones a server answers from, each indexed by name key; made by build(), immutable after, so
/// any number of threads may read one at once (DnsServer shares it through a shared_ptr).
class ZoneSet {
public:
    /// Indexes `zones`. Fails, naming the zone (and the record), when two zones have the same
    /// apex, a zone has no SOA at its apex, a record lies outside its zone, a name is over 255
    /// bytes or has an empty or long label, or an NS, CNAME, PTR, SOA, MX or SRV record's data
    /// is not in its typed form (parse_zone's zones always pass; these guard zones built
    /// in code).
    static Expected<ZoneSet, std::string> build(std::vector<Zone> zones);

    /// Moves the zones; pointers to IndexedZone, ZoneNode and RRset stay valid.
    ZoneSet(ZoneSet&&) noexcept = default;
    /// Move assignment, as the move constructor.
    ZoneSet& operator=(ZoneSet&&) noexcept = default;

    /// The zone whose apex is the longest suffix of the name with key `key` (at a label
    /// boundary), or nullptr when the name is outside every zone.
    const IndexedZone* find_zone(std::string_view key) const noexcept;

    /// The number of zones.
    std::size_t size() const noexcept { return zones_.size(); }
    /// Every zone, in the order given to build().
    const std::vector<std::unique_ptr<IndexedZone>>& zones() const noexcept { return zones_; }

private:
    ZoneSet() = default;
    std::vector<std::unique_ptr<IndexedZone>> zones_;
    std::unordered_map<std::string, const IndexedZone*, KeyHash, std::equal_to<>> by_apex_;
};

/// The key of the name one label up (the root's parent is the root): the key without its
/// first label.
std::string_view parent_key(std::string_view key) noexcept;
/// Whether the name with key `key` is `ancestor_key`'s name or below it.
bool key_is_at_or_below(std::string_view key, std::string_view ancestor_key) noexcept;

}  // namespace weft::dns
