#pragma once
// IPv4 fragmentation (RFC 791 section 3.2) and reassembly with bounded memory.

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "weft/wire/ipv4.hpp"

namespace weft::wire {

/// Splits `datagram` (header fields, options and payload) into fragments of at most `mtu`
/// bytes each, serialized. Each carries (mtu - its header length) rounded down to a multiple
/// of 8 payload bytes; later fragments keep only options whose copy flag is set. A datagram
/// that fits is returned as one unchanged packet. A fragment may be fragmented again (offsets
/// add up, the last piece keeps its MF). Errors: DF set and too big, mtu too small for a
/// header plus 8 bytes.
WireResult<std::vector<std::vector<std::byte>>> fragment(const Ipv4Packet& datagram, std::size_t mtu);

inline constexpr std::size_t kMaxReassemblyBytes = 4 * 1024 * 1024;  ///< like Linux's ipfrag_high_thresh
inline constexpr std::size_t kMaxReassemblyDatagrams = 256;  ///< incomplete datagrams held at once
inline constexpr std::chrono::seconds kReassemblyTimeout{30};        ///< like Linux's ipfrag_time
///@{
/// Bookkeeping charged per stored piece and per datagram, so that a flood of tiny fragments
/// pays for the memory it really costs and not just for its payload bytes.
inline constexpr std::size_t kReassemblyPieceOverhead = 64;
inline constexpr std::size_t kReassemblyDatagramOverhead = 256;
///@}

/// Caps on what a Reassembler holds: the peer controls how many fragments arrive.
struct ReassemblyLimits {
    std::size_t max_bytes = kMaxReassemblyBytes;          ///< all datagrams in flight together
    std::size_t max_datagrams = kMaxReassemblyDatagrams;  ///< incomplete datagrams at once
    std::chrono::steady_clock::duration timeout = kReassemblyTimeout;  ///< from the first fragment
};

/// A Reassembler's counters.
struct ReassemblyStats {
    std::size_t completed = 0;    ///< datagrams returned whole
    std::size_t expired = 0;      ///< dropped incomplete after the timeout
    std::size_t evicted = 0;      ///< dropped to stay within max_bytes / max_datagrams
    std::size_t duplicates = 0;   ///< fragments that brought no new byte
    std::size_t overlaps = 0;     ///< fragments that overlapped bytes already held
    std::size_t rejected = 0;     ///< fragments add() answered with an error
};

/// Reassembles fragmented datagrams keyed by (src, dst, protocol, identification).
///
/// Overlap policy: the first bytes to arrive win. A later fragment only fills the holes that
/// remain; bytes already held are never rewritten. That is deterministic, cheap (no compare),
/// and defeats the classic overlap evasion where a later fragment rewrites a transport header
/// that a filter has already inspected (RFC 1858). Rejecting overlaps that differ in content
/// would also work but needs the old bytes compared and a rule for which datagram to keep.
///
/// Time comes in as `now` on every call (no clock is read inside), so behaviour is a pure
/// function of the inputs and tests are deterministic. Not thread-safe: one per receive path.
class Reassembler {
public:
    using Clock = std::chrono::steady_clock;  ///< the clock of the `now` arguments

    /// A reassembler holding at most what `limits` allow.
    explicit Reassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

    /// Feeds one parsed packet. Returns the whole datagram (header of the first fragment with
    /// MF clear, offset 0, lengths and checksum recomputed, then the payload) when this packet
    /// completes it, or when it was not a fragment at all; std::nullopt while pieces are
    /// missing. Errors, with the packet ignored: a non-last fragment whose payload is not a
    /// multiple of 8. Errors that also drop the datagram's state: it would exceed 65535 bytes,
    /// or it contradicts the end set by the last fragment.
    WireResult<std::optional<std::vector<std::byte>>> add(const Ipv4Packet& packet, Clock::time_point now);

    /// Drops incomplete datagrams whose first fragment is `timeout` old; returns how many.
    std::size_t expire(Clock::time_point now);

    /// Incomplete datagrams held now.
    std::size_t datagrams_in_flight() const noexcept { return entries_.size(); }
    /// Bytes charged against max_bytes (payload, headers and per-piece overhead).
    std::size_t bytes_held() const noexcept { return bytes_held_; }
    /// The counters since construction.
    const ReassemblyStats& stats() const noexcept { return stats_; }

private:
    struct Key {
        std::uint32_t src = 0;
        std::uint32_t dst = 0;
        std::uint16_t identification = 0;
        std::uint8_t protocol = 0;
        auto operator<=>(const Key&) const = default;
    };
    struct Entry {
        Clock::time_point first_seen;
        std::vector<std::byte> first_header;       ///< of the offset-0 fragment, once seen
        std::map<std::size_t, std::vector<std::byte>> pieces;  ///< by offset, never overlapping
        std::size_t received = 0;                  ///< payload bytes held
        std::optional<std::size_t> end;            ///< payload length, once the last fragment came
        std::size_t charged = 0;                   ///< what this entry adds to bytes_held_
    };
    using Entries = std::map<Key, Entry>;

    void drop(Entries::iterator it);
    bool evict_oldest_except(const Key& keep);
    std::size_t insert(Entry& entry, std::size_t start, std::span<const std::byte> data);
    std::vector<std::byte> assemble(const Entry& entry) const;

    ReassemblyLimits limits_;
    Entries entries_;
    std::size_t bytes_held_ = 0;
    ReassemblyStats stats_;
};

}  // namespace weft::wire
