#pragma once
// LeaseTable: the server's memory of its pool, one entry per address it has ever handed out,
// and the allocation rules of RFC 2131 section 4.3.1. Pure: no clock, no file; every call
// takes `now`, and the calls that change durable state return the LeaseRecords to persist.
//
// An address is available to a client when it is that client's (offered, bound, expired or
// released, but not declined), or when nobody holds it: any lease over, any offer or
// quarantine over. So an expired or released address stays its old client's until someone
// else needs it, which is how a returning client gets the same address back.
//
// Choosing an address for a client (choose()): (a) the one it has or had, (b) the one it asks
// for if available, (c) one never handed out, in order from the start of the range, (d) the
// one free for the longest time. Preferring never-used addresses over reusing old ones keeps
// old clients' addresses for them as long as the pool allows.
//
// Invariant: a client is tied to at most one address and an address to at most one client;
// address_of(c) == a exactly when find(a)->client == c.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weft/services/dhcp/lease.hpp"
#include "weft/services/dhcp/server_config.hpp"

namespace weft::dhcp {

/// The server's pool state and the RFC 2131 4.3.1 allocation rules, without clock or file (see
/// the header comment). Not thread-safe: the engine's loop owns it.
class LeaseTable {
public:
    /// What an entry's address is doing now (with its times: see Entry).
    enum class State : std::uint8_t {
        offered,   ///< reserved by an OFFER until held_until; never ACKed to this client
        bound,     ///< ACKed until lease_end (expired when lease_end <= now, still remembered)
        released,  ///< given back at lease_end; client remembered (or empty: forgotten)
        declined,  ///< put aside until held_until; no client
    };
    /// What the table knows of one address handed out at least once.
    struct Entry {
        /// The client tied to the address; empty when none (declined, or a release forgotten).
        ClientKey client;
        /// The client's chaddr as a MAC, for records and people.
        MacAddress mac;
        /// What the address is doing; read it with lease_end and held_until.
        State state = State::offered;
        WallTime lease_end{};   ///< bound: expiry; released: when it was given back
        WallTime held_until{};  ///< offer reservation or decline quarantine end
    };

    /// An empty table for the addresses of `range`: every one never handed out.
    explicit LeaseTable(AddressRange range) : range_(range), fresh_(range.first.to_uint()) {}

    /// Loads what a lease file holds (one record per address, as parse_lease_log returns).
    /// Records outside the range are skipped (the pool shrank) and counted in the result. A
    /// client named on two addresses keeps the later record's.
    std::size_t restore(std::span<const LeaseRecord> records);

    /// The pool the table hands out.
    const AddressRange& range() const noexcept { return range_; }
    /// The entry of `address`, or nullptr when it was never handed out (or is outside the range).
    /// Valid until the table next changes.
    const Entry* find(Ipv4Address address) const noexcept;
    /// The address tied to `client` (offered, bound, expired or released), or nullopt.
    std::optional<Ipv4Address> address_of(const ClientKey& client) const noexcept;
    /// In the range and usable by `client` at `now` (see the header comment).
    bool available_to(Ipv4Address address, const ClientKey& client, WallTime now) const noexcept;

    /// The address to offer `client` by rules (a)-(d), or nullopt when the pool is full.
    std::optional<Ipv4Address> choose(const ClientKey& client, std::optional<Ipv4Address> requested,
                                      WallTime now) const;

    /// Reserves `address` (which choose() gave) for `client` until `until`. Not durable: an
    /// offer lost in a crash only frees the address.
    void reserve(Ipv4Address address, const ClientKey& client, const MacAddress& mac, WallTime until);
    /// Ends the client's offer reservation (it chose another server); its binding, if any, stays.
    void drop_reservation(const ClientKey& client, WallTime now);
    /// Binds `address` to `client` until `until`. Precondition: available_to(address, client, now).
    /// Returns the records to persist: a release of the client's previous address when it
    /// moves, then the lease.
    std::vector<LeaseRecord> bind(Ipv4Address address, const ClientKey& client, const MacAddress& mac,
                                  WallTime until, WallTime now);
    /// The client gives back its bound address; nullopt (nothing changes) when it is not the
    /// client's bound address.
    std::optional<LeaseRecord> release(Ipv4Address address, const ClientKey& client, WallTime now);
    /// The client says `address` (offered or bound to it) is in use by another host: nobody
    /// gets it until `until`. nullopt when the address is not the client's.
    std::optional<LeaseRecord> decline(Ipv4Address address, const ClientKey& client, WallTime until);

    /// The durable state, one record per address in address order, for compacting the lease
    /// file: bindings (expired ones too, so clients get their address back after a restart),
    /// releases, and declines still in quarantine. Offers are not durable.
    std::vector<LeaseRecord> records(WallTime now) const;

    /// Addresses handed out at least once (entries).
    std::size_t entry_count() const noexcept { return entries_.size(); }
    /// Addresses of the range never handed out.
    std::uint64_t never_used_count() const noexcept { return range_.size() - entries_.size(); }

private:
    using Key = std::uint32_t;
    static WallTime free_since(const Entry& e) noexcept;
    Entry& entry(Key address);          // creates a free entry when absent
    void forget(Key address);           // before an entry changes: out of the free-since index
    void remember(Key address);         // after: back in
    void detach(Key address, WallTime now);  // the entry's client leaves it (moves elsewhere)

    AddressRange range_;
    std::unordered_map<Key, Entry> entries_;
    std::unordered_map<ClientKey, Key, ClientKeyHash> by_client_;
    /// Every entry by the time it became (or becomes) free for anyone: begin() is the oldest.
    std::set<std::pair<WallTime, Key>> by_free_since_;
    /// Addresses below this have all been handed out once (have entries); mutable because
    /// choose() skips over entries made by restore() or by requests for a specific address.
    mutable std::uint64_t fresh_;
};

}  // namespace weft::dhcp
