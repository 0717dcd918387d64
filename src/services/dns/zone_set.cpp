// Indexing zones for lookup by name key (see the header).

#include "weft/services/dns/zone_set.hpp"

#include <algorithm>
#include <span>
#include <variant>

namespace weft::dns {

const RRset* ZoneNode::find(wire::DnsType type) const noexcept {
    for (const auto& set : rrsets) {
        if (set.type == type) return &set;
    }
    return nullptr;
}

NodeTable::Entry* NodeTable::lookup(std::string_view key) const noexcept {
    return slots_.find(std::hash<std::string_view>{}(key), [&](const Entry& e) { return e.key() == key; });
}

const ZoneNode* NodeTable::find(std::string_view key) const noexcept {
    const Entry* e = lookup(key);
    return e ? &e->node : nullptr;
}

ZoneNode* NodeTable::find(std::string_view key) noexcept {
    Entry* e = lookup(key);
    return e ? &e->node : nullptr;
}

std::pair<ZoneNode*, bool> NodeTable::emplace(std::string_view key, const wire::DnsName& name) {
    if (Entry* e = lookup(key)) return {&e->node, false};
    Entry& e = entries_.emplace_back();
    e.node.name = name;
    if (key.size() <= Entry::kInline) {
        std::copy(key.begin(), key.end(), e.inline_key.begin());
        e.inline_size = static_cast<std::uint8_t>(key.size());
    } else {
        e.long_key.assign(key);
    }
    slots_.insert(std::hash<std::string_view>{}(key), &e);  // unbounded probes: always added
    return {&e.node, true};
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

bool valid_name(const wire::DnsName& name) noexcept {
    if (name.wire_length() > wire::kDnsMaxNameLength) return false;
    for (const auto& label : name.labels) {
        if (label.empty() || label.size() > wire::kDnsMaxLabelLength) return false;
    }
    return true;
}

// What the engine relies on, for zones that did not come from parse_zone: names within the
// limits, and the types it looks into (NS, CNAME, SOA; MX, SRV, PTR for their names) in their
// typed form. Returns what is wrong, or an empty string.
std::string check_record(const wire::DnsRecord& r) {
    const std::string what = r.name.to_text() + " " + wire::dns_type_to_string(r.type);
    if (!valid_name(r.name)) return what + ": the owner name is over 255 bytes or has a bad label";
    using wire::DnsType;
    bool typed = true;
    const wire::DnsName* names[2] = {nullptr, nullptr};
    switch (r.type) {
        case DnsType::NS: typed = std::holds_alternative<wire::DnsNs>(r.data); break;
        case DnsType::CNAME: typed = std::holds_alternative<wire::DnsCname>(r.data); break;
        case DnsType::PTR: typed = std::holds_alternative<wire::DnsPtr>(r.data); break;
        case DnsType::SOA: typed = std::holds_alternative<wire::DnsSoa>(r.data); break;
        case DnsType::MX: typed = std::holds_alternative<wire::DnsMx>(r.data); break;
        case DnsType::SRV: typed = std::holds_alternative<wire::DnsSrv>(r.data); break;
        default: break;
    }
    if (!typed) return what + ": its data is not in the typed form";
    if (const auto* d = std::get_if<wire::DnsNs>(&r.data)) names[0] = &d->name;
    if (const auto* d = std::get_if<wire::DnsCname>(&r.data)) names[0] = &d->name;
    if (const auto* d = std::get_if<wire::DnsPtr>(&r.data)) names[0] = &d->name;
    if (const auto* d = std::get_if<wire::DnsMx>(&r.data)) names[0] = &d->exchange;
    if (const auto* d = std::get_if<wire::DnsSrv>(&r.data)) names[0] = &d->target;
    if (const auto* d = std::get_if<wire::DnsSoa>(&r.data)) {
        names[0] = &d->mname;
        names[1] = &d->rname;
    }
    for (const auto* n : names) {
        if (n != nullptr && !valid_name(*n)) return what + ": a name in its data is over 255 bytes or has a bad label";
    }
    return {};
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
        nodes.emplace(indexed->apex_key, zone.origin);
        if (!valid_name(zone.origin)) return Unexpected(std::string("zone origin is over 255 bytes or has a bad label"));
        for (auto& record : zone.records) {
            if (auto wrong = check_record(record); !wrong.empty()) {
                return Unexpected("zone " + zone.origin.to_text() + ".: " + wrong);
            }
            if (!key_is_at_or_below(wire::dns_name_key(record.name), indexed->apex_key)) {
                return Unexpected("zone " + zone.origin.to_text() + ".: " + record.name.to_text() + " is outside it");
            }
            std::string key = wire::dns_name_key(record.name);
            // Empty non-terminals: every name between this owner and the apex exists.
            for (std::string_view up = parent_key(key);
                 up.size() > indexed->apex_key.size() && key_is_at_or_below(up, indexed->apex_key);
                 up = parent_key(up)) {
                if (nodes.find(up) != nullptr) break;  // and so does everything above it
                nodes.emplace(up, name_of_key(up));
            }
            auto [found, fresh] = nodes.emplace(key, record.name);
            auto& node = *found;
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
        nodes.for_each([](ZoneNode& node) {
            for (auto& s : node.rrsets) {
                for (auto& r : s.records) r.ttl = s.ttl;
            }
        });
        indexed->soa = nodes.find(indexed->apex_key)->find(wire::DnsType::SOA);
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
