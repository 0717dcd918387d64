// Indexing zones for lookup by name key (see the header).

#include "weft/services/dns/zone_set.hpp"

#include <algorithm>
#include <span>

namespace weft::dns {

const RRset* ZoneNode::find(wire::DnsType type) const noexcept {
    for (const auto& set : rrsets) {
        if (set.type == type) return &set;
    }
    return nullptr;
}

const ZoneNode* IndexedZone::find(std::string_view key) const noexcept {
    auto it = nodes.find(key);
    return it == nodes.end() ? nullptr : &it->second;
}

std::string_view parent_key(std::string_view key) noexcept {
    if (key.size() <= 1) return key;
    const std::size_t skip = 1 + static_cast<std::uint8_t>(key[0]);
    return skip < key.size() ? key.substr(skip) : key.substr(key.size() - 1);
}

bool key_is_at_or_below(std::string_view key, std::string_view ancestor_key) noexcept {
    // Walk the labels: a plain ends_with could match inside a label ("\x01xtest" vs "test").
    for (;;) {
        if (key.size() < ancestor_key.size()) return false;
        if (key.size() == ancestor_key.size()) return key == ancestor_key;
        const auto parent = parent_key(key);
        if (parent.size() == key.size()) return false;
        key = parent;
    }
}

namespace {

// The name a key stands for (lower-cased, as the key is): for the empty non-terminals, which
// no record names.
wire::DnsName name_of_key(std::string_view key) {
    auto read = wire::read_dns_name(std::as_bytes(std::span(key.data(), key.size())), 0);
    return read ? std::move(read->name) : wire::DnsName{};
}

}  // namespace

Expected<ZoneSet, std::string> ZoneSet::build(std::vector<Zone> zones) {
    ZoneSet set;
    for (auto& zone : zones) {
        auto indexed = std::make_unique<IndexedZone>();
        indexed->apex = zone.origin;
        indexed->apex_key = wire::dns_name_key(zone.origin);
        if (set.by_apex_.count(indexed->apex_key) != 0) {
            return Unexpected(std::string("zone ") + zone.origin.to_text() + ". is given twice");
        }
        auto& nodes = indexed->nodes;
        nodes.emplace(indexed->apex_key, ZoneNode{zone.origin, {}});
        for (auto& record : zone.records) {
            std::string key = wire::dns_name_key(record.name);
            // Empty non-terminals: every name between this owner and the apex exists.
            for (std::string_view up = parent_key(key);
                 up.size() > indexed->apex_key.size() && key_is_at_or_below(up, indexed->apex_key);
                 up = parent_key(up)) {
                if (nodes.find(up) != nodes.end()) break;  // and so does everything above it
                nodes.emplace(std::string(up), ZoneNode{name_of_key(up), {}});
            }
            auto [it, fresh] = nodes.try_emplace(std::move(key), ZoneNode{record.name, {}});
            auto& node = it->second;
            if (!fresh && node.rrsets.empty()) node.name = record.name;  // the file's case
            RRset* rrset = nullptr;
            for (auto& s : node.rrsets) {
                if (s.type == record.type) rrset = &s;
            }
            if (rrset == nullptr) {
                node.rrsets.push_back(RRset{record.type, record.ttl, {}});
                rrset = &node.rrsets.back();
            }
            rrset->ttl = std::min(rrset->ttl, record.ttl);
            rrset->records.push_back(std::move(record));
        }
        // One TTL per RRset on the wire too.
        for (auto& [key, node] : nodes) {
            for (auto& s : node.rrsets) {
                for (auto& r : s.records) r.ttl = s.ttl;
            }
        }
        indexed->soa = nodes.at(indexed->apex_key).find(wire::DnsType::SOA);
        if (indexed->soa == nullptr) {
            return Unexpected(std::string("zone ") + zone.origin.to_text() + ". has no SOA record at its apex");
        }
        set.by_apex_.emplace(indexed->apex_key, indexed.get());
        set.zones_.push_back(std::move(indexed));
    }
    return set;
}

const IndexedZone* ZoneSet::find_zone(std::string_view key) const noexcept {
    for (;;) {
        auto it = by_apex_.find(key);
        if (it != by_apex_.end()) return it->second;
        const auto parent = parent_key(key);
        if (parent.size() == key.size()) return nullptr;  // the root, and no root zone
        key = parent;
    }
}

}  // namespace weft::dns
