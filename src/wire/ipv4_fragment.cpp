#include "weft/wire/ipv4_fragment.hpp"

#include <algorithm>
#include <string>

namespace weft::wire {
namespace {

constexpr const char* kLayer = "ipv4";
constexpr std::size_t kMaxFragmentOffset = 0x1fff * 8;  // 13 bits of 8-byte units

std::string num(std::size_t n) { return std::to_string(n); }

}  // namespace

WireResult<std::vector<std::vector<std::byte>>> fragment(const Ipv4Packet& datagram, std::size_t mtu) {
    const std::size_t first_hlen = datagram.built_header_length();
    const std::size_t total = first_hlen + datagram.payload.size();
    std::vector<std::vector<std::byte>> out;
    if (total <= mtu) {
        out.push_back(datagram.build());
        return out;
    }
    if (datagram.dont_fragment)
        return wire_error(kLayer, "fragmentation needed but DF set (datagram " + num(total) + " bytes, mtu " +
                                      num(mtu) + ")", 6);

    // Later fragments carry only the options marked "copied" (RFC 791 3.1); EOL and NOP have
    // the flag clear, so they go too, and the header is re-padded when built.
    Ipv4Packet later = datagram;
    later.options.clear();
    for (const auto& o : datagram.options)
        if (o.copied()) later.options.push_back(o);
    const std::size_t later_hlen = later.built_header_length();

    // Every fragment but the last must carry a multiple of 8 bytes (the offset unit).
    const std::size_t hlen_max = std::max(first_hlen, later_hlen);
    if (mtu < hlen_max + 8)
        return wire_error(kLayer, "mtu " + num(mtu) + " too small for a " + num(hlen_max) +
                                      "-byte header and 8 bytes of data", 0);
    const std::size_t first_chunk = (mtu - first_hlen) / 8 * 8;
    const std::size_t later_chunk = (mtu - later_hlen) / 8 * 8;

    const auto payload = datagram.payload;
    out.reserve(1 + (payload.size() - std::min(first_chunk, payload.size()) + later_chunk - 1) / later_chunk);
    for (std::size_t offset = 0; offset < payload.size();) {
        Ipv4Packet piece = offset == 0 ? datagram : later;
        const std::size_t n = std::min(offset == 0 ? first_chunk : later_chunk, payload.size() - offset);
        // Only reachable when re-fragmenting a fragment that already sat near the top.
        if (datagram.fragment_offset + offset > kMaxFragmentOffset)
            return wire_error(kLayer, "fragment offset " + num(datagram.fragment_offset + offset) +
                                          " does not fit the 13-bit offset field", 6);
        piece.fragment_offset = static_cast<std::uint16_t>(datagram.fragment_offset + offset);
        // Only the last piece inherits MF: a datagram that was itself a middle fragment keeps it.
        piece.more_fragments = offset + n < payload.size() || datagram.more_fragments;
        piece.payload = payload.subspan(offset, n);
        out.push_back(piece.build());
        offset += n;
    }
    return out;
}

void Reassembler::drop(Entries::iterator it) {
    bytes_held_ -= it->second.charged;
    entries_.erase(it);
}

bool Reassembler::evict_oldest_except(const Key& keep) {
    // A linear scan: entries are capped at max_datagrams, and eviction only happens under
    // pressure, so an ordered index by age would cost more in the common case than it saves.
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (!(it->first == keep) && (oldest == entries_.end() || it->second.first_seen < oldest->second.first_seen))
            oldest = it;
    if (oldest == entries_.end()) return false;
    drop(oldest);
    ++stats_.evicted;
    return true;
}

std::size_t Reassembler::expire(Clock::time_point now) {
    std::size_t n = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (now - it->second.first_seen >= limits_.timeout) {
            auto victim = it++;
            drop(victim);
            ++n;
        } else {
            ++it;
        }
    }
    stats_.expired += n;
    return n;
}

std::size_t Reassembler::insert(Entry& entry, std::size_t start, std::span<const std::byte> data) {
    // Store only the parts of [start, end) that no held piece covers (first arrival wins):
    // walk the held pieces that intersect and fill the gaps between them.
    const std::size_t end = start + data.size();
    std::size_t cur = start;
    std::size_t added = 0;
    auto it = entry.pieces.upper_bound(start);
    if (it != entry.pieces.begin()) {
        auto prev = std::prev(it);
        cur = std::max(cur, std::min(end, prev->first + prev->second.size()));
    }
    while (cur < end) {
        it = entry.pieces.lower_bound(cur);
        const std::size_t gap_end = it == entry.pieces.end() ? end : std::min(end, it->first);
        if (gap_end > cur) {
            auto bytes = data.subspan(cur - start, gap_end - cur);
            entry.pieces.emplace(cur, std::vector<std::byte>(bytes.begin(), bytes.end()));
            added += bytes.size();
            const std::size_t charge = bytes.size() + kReassemblyPieceOverhead;
            entry.charged += charge;
            bytes_held_ += charge;
        }
        if (it == entry.pieces.end() || it->first >= end) break;
        cur = it->first + it->second.size();
    }
    entry.received += added;
    return added;
}

std::vector<std::byte> Reassembler::assemble(const Entry& entry) const {
    std::vector<std::byte> out(entry.first_header);
    out.reserve(entry.first_header.size() + *entry.end);
    for (const auto& [offset, bytes] : entry.pieces) out.insert(out.end(), bytes.begin(), bytes.end());
    // The whole datagram: new total length, MF and offset cleared (DF and the reserved bit
    // are kept as the first fragment had them), checksum recomputed.
    const std::size_t total = out.size();
    out[2] = std::byte(total >> 8);
    out[3] = std::byte(total & 0xff);
    out[6] &= std::byte{0xc0};
    out[7] = std::byte{0};
    out[10] = out[11] = std::byte{0};
    const std::uint16_t c = internet_checksum(std::span(out).first(entry.first_header.size()));
    out[10] = std::byte(c >> 8);
    out[11] = std::byte(c & 0xff);
    return out;
}

WireResult<std::optional<std::vector<std::byte>>> Reassembler::add(const Ipv4Packet& packet,
                                                                    Clock::time_point now) {
    using Done = std::optional<std::vector<std::byte>>;
    // The raw header when parsed, else one built from the fields (the caller made the struct).
    auto header_bytes = [&packet] {
        if (!packet.header.empty()) return std::vector<std::byte>(packet.header.begin(), packet.header.end());
        Ipv4Packet bare = packet;
        bare.payload = {};
        return bare.build();
    };
    if (!packet.is_fragment()) {
        std::vector<std::byte> whole = header_bytes();
        whole.insert(whole.end(), packet.payload.begin(), packet.payload.end());
        return Done(std::move(whole));
    }
    const std::size_t start = packet.fragment_offset;
    const std::size_t end = start + packet.payload.size();
    if (packet.more_fragments && packet.payload.size() % 8 != 0) {
        ++stats_.rejected;
        return wire_error(kLayer, "fragment with MF set has " + num(packet.payload.size()) +
                                      " payload bytes, not a multiple of 8", 2);
    }
    expire(now);

    const Key key{packet.src.to_uint(), packet.dst.to_uint(), packet.identification, packet.protocol};
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        while (entries_.size() >= limits_.max_datagrams && evict_oldest_except(key)) {
        }
        if (entries_.size() >= limits_.max_datagrams) return Done();  // max_datagrams is 0
        it = entries_.emplace(key, Entry{}).first;
        it->second.first_seen = now;
        it->second.charged = kReassemblyDatagramOverhead;
        bytes_held_ += kReassemblyDatagramOverhead;
    }
    Entry& entry = it->second;

    // Consistency: a datagram never passes 65535 bytes (the "ping of death"), and once the
    // last fragment has fixed the end, nothing may reach past it or move it.
    const std::size_t min_hlen = entry.first_header.empty() ? kIpv4MinHeaderSize : entry.first_header.size();
    std::string problem;
    if (min_hlen + end > kIpv4MaxDatagramSize)
        problem = "reassembled datagram would exceed 65535 bytes (fragment ends at payload byte " + num(end) + ")";
    else if (entry.end && end > *entry.end)
        problem = "fragment ends at " + num(end) + ", past the end " + num(*entry.end) + " set by the last fragment";
    else if (entry.end && !packet.more_fragments && end != *entry.end)
        problem = "second last fragment ends at " + num(end) + ", the first ended at " + num(*entry.end);
    else if (!packet.more_fragments && !entry.pieces.empty() && std::prev(entry.pieces.end())->first +
                                                                        std::prev(entry.pieces.end())->second.size() > end)
        problem = "last fragment ends at " + num(end) + " but bytes beyond it were received";
    if (!problem.empty()) {
        drop(it);
        ++stats_.rejected;
        return wire_error(kLayer, problem, 6);
    }

    if (!packet.more_fragments) entry.end = end;
    if (start == 0 && entry.first_header.empty()) {
        entry.first_header = header_bytes();
        entry.charged += entry.first_header.size();
        bytes_held_ += entry.first_header.size();
        if (entry.first_header.size() + entry.end.value_or(0) > kIpv4MaxDatagramSize) {
            drop(it);
            ++stats_.rejected;
            return wire_error(kLayer, "reassembled datagram would exceed 65535 bytes", 6);
        }
    }
    const std::size_t added = insert(entry, start, packet.payload);
    if (added == 0 && !packet.payload.empty()) ++stats_.duplicates;
    else if (added < packet.payload.size()) ++stats_.overlaps;

    // Stay within the byte cap: older datagrams go first; if this one alone is too big for
    // the cap it can never complete, so it goes too.
    while (bytes_held_ > limits_.max_bytes && evict_oldest_except(key)) {
    }
    if (bytes_held_ > limits_.max_bytes) {
        drop(it);
        ++stats_.evicted;
        return Done();
    }

    if (entry.end && entry.received == *entry.end && !entry.first_header.empty()) {
        std::vector<std::byte> whole = assemble(entry);
        drop(it);
        ++stats_.completed;
        return Done(std::move(whole));
    }
    return Done();
}

}  // namespace weft::wire
