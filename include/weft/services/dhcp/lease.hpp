#pragma once
// What the DHCP server remembers about an address, shared by the engine (server_engine.hpp),
// its table (lease_table.hpp) and the lease file (lease_file.hpp, lease_store.hpp).
//
// The server's time is WallTime, wall-clock seconds (std::chrono::sys_seconds), not
// steady_clock (the client engine's TimePoint): a lease outlives the process, so its expiry
// is written to disk as Unix seconds and must mean the same after a restart or a reboot. The cost: a wall-clock jump shortens or lengthens leases, as it does
// for Kea and dnsmasq. The engine never reads a clock itself; callers pass `now`, so tests use
// any time they like.

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp {

/// Wall-clock seconds: expiries are stored as Unix time.
using WallTime = std::chrono::sys_seconds;

/// The current wall-clock time in whole seconds, for adapters (engines take `now` as input).
WallTime wall_clock_now() noexcept;

/// The longest client identifier kept (option 61 is one instance, at most 255 bytes); a longer
/// identity is refused rather than cut, so two clients can never share a key by truncation.
inline constexpr std::size_t kMaxClientIdSize = 255;

/// Who a client is (RFC 2131 section 4.2): its client identifier (option 61) when it sends
/// one, else its hardware type and address (htype + the first hlen bytes of chaddr). The two
/// kinds never compare equal, even when a client identifier holds the client's MAC.
/// An empty key means "no client" (a declined address).
class ClientKey {
public:
    /// Where the identity came from: option 61, or htype + chaddr. Its value is the first byte of raw().
    enum class Kind : std::uint8_t { client_id = 0, hardware = 1 };

    ClientKey() = default;
    /// `id` must be 1..kMaxClientIdSize bytes; nullopt otherwise.
    static std::optional<ClientKey> from_client_id(std::span<const std::byte> id);
    /// `chaddr` must be 1..16 bytes; nullopt otherwise.
    static std::optional<ClientKey> from_hardware(std::uint8_t htype, std::span<const std::uint8_t> chaddr);
    /// The identity of the client that sent `packet`: option 61, else htype + chaddr[0..hlen).
    /// nullopt when it has neither (hlen 0 and no option 61) or when option 61 is too long.
    static std::optional<ClientKey> of(const wire::DhcpPacket& packet);

    /// "id:" or "hw:" and the bytes in lower-case hex (for hw the first byte is htype):
    /// "hw:01020000000001", "id:ff00000001". "-" for the empty key.
    std::string to_text() const;
    /// The inverse of to_text ("-" gives the empty key); nullopt for anything else.
    static std::optional<ClientKey> parse(std::string_view text);

    /// The empty key: "no client" (a declined address, a forgotten release).
    bool empty() const noexcept { return raw_.empty(); }
    /// The key's kind (client_id for the empty key).
    Kind kind() const noexcept { return raw_.empty() ? Kind::client_id : static_cast<Kind>(raw_[0]); }
    /// The identifying bytes: the client identifier, or htype followed by the hardware address.
    std::span<const std::byte> bytes() const noexcept;
    /// The kind byte then the bytes: what hashing and comparison use.
    const std::string& raw() const noexcept { return raw_; }

    /// Compares raw(): kind first, then the bytes (equal only for the same kind and bytes).
    auto operator<=>(const ClientKey&) const = default;

private:
    explicit ClientKey(std::string raw) : raw_(std::move(raw)) {}
    std::string raw_;
};

/// The hash of a ClientKey, for unordered containers.
struct ClientKeyHash {
    /// Hashes raw(), consistent with ClientKey's equality.
    std::size_t operator()(const ClientKey& key) const noexcept { return std::hash<std::string>{}(key.raw()); }
};

/// One change to an address, as the engine reports it and the lease file stores it.
enum class LeaseEvent : std::uint8_t {
    lease,    ///< bound to `client` until `time` (an ACK; an expired lease is still remembered)
    release,  ///< free since `time`; `client` is remembered (empty: forgotten) so it gets it back
    decline,  ///< unusable until `time` (a client found it in use, RFC 2131 section 4.3.3)
};

/// "lease", "release", "decline".
std::string_view lease_event_name(LeaseEvent event) noexcept;

/// One address's state, or one change to it: the lease file is a sequence of these and the
/// last one per address wins.
struct LeaseRecord {
    LeaseEvent event = LeaseEvent::lease;  ///< what happened to the address (and what `time` means)
    Ipv4Address address;  ///< the address concerned, inside the server's range
    ClientKey client;  ///< empty for decline
    MacAddress mac;    ///< the client's chaddr as a MAC (all zero when not Ethernet), for people
    WallTime time{};  ///< lease: expiry; release: when; decline: end of the quarantine

    /// Every field equal.
    bool operator==(const LeaseRecord&) const = default;
};

}  // namespace weft::dhcp
