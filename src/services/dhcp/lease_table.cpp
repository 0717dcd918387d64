// LeaseTable: entries per address, an index per client, and an ordered index of when each
// address becomes free, so that choosing, binding and reusing are O(log n) in the entries.
#include "weft/services/dhcp/lease_table.hpp"

#include <algorithm>

namespace weft::dhcp {

WallTime LeaseTable::free_since(const Entry& e) noexcept {
    // A declined address carries no lease; otherwise free once both the lease and any hold
    // (offer) are over.
    return e.state == State::declined ? e.held_until : std::max(e.lease_end, e.held_until);
}

LeaseTable::Entry& LeaseTable::entry(Key address) {
    auto [it, added] = entries_.try_emplace(address);
    if (added) by_free_since_.emplace(free_since(it->second), address);
    return it->second;
}

void LeaseTable::forget(Key address) {
    by_free_since_.erase({free_since(entries_.at(address)), address});
}

void LeaseTable::remember(Key address) {
    by_free_since_.emplace(free_since(entries_.at(address)), address);
}

void LeaseTable::detach(Key address, WallTime now) {
    Entry& e = entries_.at(address);
    forget(address);
    if (auto it = by_client_.find(e.client); it != by_client_.end() && it->second == address) by_client_.erase(it);
    e.client = ClientKey{};
    // Whatever the client had here ends now: the address is free for anyone.
    if (e.state != State::declined) {
        e.state = State::released;
        e.lease_end = std::min(e.lease_end, now);
        e.held_until = std::min(e.held_until, now);
    }
    remember(address);
}

std::size_t LeaseTable::restore(std::span<const LeaseRecord> records) {
    std::size_t skipped = 0;
    for (const auto& r : records) {
        if (!range_.contains(r.address)) {
            ++skipped;
            continue;
        }
        const Key key = r.address.to_uint();
        Entry& e = entry(key);
        forget(key);
        if (!e.client.empty()) by_client_.erase(e.client);
        e = Entry{};
        e.mac = r.mac;
        switch (r.event) {
        case LeaseEvent::lease: e.state = State::bound; e.lease_end = r.time; break;
        case LeaseEvent::release: e.state = State::released; e.lease_end = r.time; break;
        case LeaseEvent::decline: e.state = State::declined; e.held_until = r.time; break;
        }
        if (r.event != LeaseEvent::decline && !r.client.empty()) {
            // The later record wins: a client named earlier on another address leaves it.
            if (auto it = by_client_.find(r.client); it != by_client_.end()) detach(it->second, WallTime{});
            e.client = r.client;
            by_client_[r.client] = key;
        }
        remember(key);
    }
    return skipped;
}

const LeaseTable::Entry* LeaseTable::find(Ipv4Address address) const noexcept {
    auto it = entries_.find(address.to_uint());
    return it == entries_.end() ? nullptr : &it->second;
}

std::optional<Ipv4Address> LeaseTable::address_of(const ClientKey& client) const noexcept {
    auto it = by_client_.find(client);
    if (it == by_client_.end()) return std::nullopt;
    return Ipv4Address(it->second);
}

bool LeaseTable::available_to(Ipv4Address address, const ClientKey& client, WallTime now) const noexcept {
    if (!range_.contains(address)) return false;
    const Entry* e = find(address);
    if (e == nullptr) return true;
    if (e->state != State::declined && !client.empty() && e->client == client) return true;
    return free_since(*e) <= now;
}

std::optional<Ipv4Address> LeaseTable::choose(const ClientKey& client, std::optional<Ipv4Address> requested,
                                              WallTime now) const {
    // (a) The client's own address, current or past.
    if (auto mine = address_of(client); mine && available_to(*mine, client, now)) return mine;
    // (b) What it asks for.
    if (requested && available_to(*requested, client, now)) return requested;
    // (c) Never handed out: the cursor only moves forward since entries are never removed.
    while (fresh_ <= range_.last.to_uint() && entries_.contains(static_cast<Key>(fresh_))) ++fresh_;
    if (fresh_ <= range_.last.to_uint()) return Ipv4Address(static_cast<Key>(fresh_));
    // (d) Free for the longest time.
    if (!by_free_since_.empty() && by_free_since_.begin()->first <= now)
        return Ipv4Address(by_free_since_.begin()->second);
    return std::nullopt;
}

void LeaseTable::reserve(Ipv4Address address, const ClientKey& client, const MacAddress& mac, WallTime until) {
    const Key key = address.to_uint();
    if (auto it = by_client_.find(client); it != by_client_.end() && it->second != key)
        detach(it->second, WallTime{});  // not reached through choose(): (a) comes first
    Entry& e = entry(key);
    forget(key);
    if (e.client != client) {
        // Taken over from an old client (its lease long over) or never used: an offer only.
        if (!e.client.empty()) by_client_.erase(e.client);
        e = Entry{};
        e.client = client;
        e.state = State::offered;
    }
    e.mac = mac;
    e.held_until = std::max(e.held_until, until);
    by_client_[client] = key;
    remember(key);
}

void LeaseTable::drop_reservation(const ClientKey& client, WallTime now) {
    auto it = by_client_.find(client);
    if (it == by_client_.end()) return;
    const Key key = it->second;
    forget(key);
    Entry& e = entries_.at(key);
    e.held_until = std::min(e.held_until, now);
    remember(key);
}

std::vector<LeaseRecord> LeaseTable::bind(Ipv4Address address, const ClientKey& client, const MacAddress& mac,
                                          WallTime until, WallTime now) {
    std::vector<LeaseRecord> changes;
    const Key key = address.to_uint();
    if (auto it = by_client_.find(client); it != by_client_.end() && it->second != key) {
        // One binding per client: its previous address goes back to the pool, durably when
        // the file knew it as the client's.
        const Key old = it->second;
        const Entry& before = entries_.at(old);
        if (before.state == State::bound || before.state == State::released)
            changes.push_back({LeaseEvent::release, Ipv4Address(old), ClientKey{}, before.mac, now});
        detach(old, now);
    }
    Entry& e = entry(key);
    forget(key);
    if (!e.client.empty() && e.client != client) by_client_.erase(e.client);
    e = Entry{client, mac, State::bound, until, WallTime{}};
    by_client_[client] = key;
    remember(key);
    changes.push_back({LeaseEvent::lease, address, client, mac, until});
    return changes;
}

std::optional<LeaseRecord> LeaseTable::release(Ipv4Address address, const ClientKey& client, WallTime now) {
    const Key key = address.to_uint();
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.client != client || it->second.state != State::bound) return std::nullopt;
    forget(key);
    Entry& e = it->second;
    e.state = State::released;
    e.lease_end = std::min(e.lease_end, now);
    e.held_until = WallTime{};
    remember(key);
    return LeaseRecord{LeaseEvent::release, address, client, e.mac, e.lease_end};
}

std::optional<LeaseRecord> LeaseTable::decline(Ipv4Address address, const ClientKey& client, WallTime until) {
    const Key key = address.to_uint();
    auto it = entries_.find(key);
    if (it == entries_.end() || client.empty() || it->second.client != client ||
        it->second.state == State::released)
        return std::nullopt;
    forget(key);
    by_client_.erase(client);
    Entry& e = it->second;
    e = Entry{ClientKey{}, e.mac, State::declined, WallTime{}, until};
    remember(key);
    return LeaseRecord{LeaseEvent::decline, address, ClientKey{}, e.mac, until};
}

std::vector<LeaseRecord> LeaseTable::records(WallTime now) const {
    std::vector<LeaseRecord> out;
    out.reserve(entries_.size());
    for (const auto& [key, e] : entries_) {
        switch (e.state) {
        case State::offered: break;
        case State::bound: out.push_back({LeaseEvent::lease, Ipv4Address(key), e.client, e.mac, e.lease_end}); break;
        case State::released:
            out.push_back({LeaseEvent::release, Ipv4Address(key), e.client, e.mac, e.lease_end});
            break;
        case State::declined:
            if (e.held_until > now) out.push_back({LeaseEvent::decline, Ipv4Address(key), ClientKey{}, e.mac, e.held_until});
            break;
        }
    }
    std::sort(out.begin(), out.end(), [](const LeaseRecord& a, const LeaseRecord& b) { return a.address < b.address; });
    return out;
}

}  // namespace weft::dhcp
