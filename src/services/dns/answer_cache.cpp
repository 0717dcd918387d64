// AnswerCache: answer_query memoised on the shape of query clients send (see answer.hpp).
//
// Why it is exact: answer_query's response depends on the question (compared by name key,
// type and class), RD and CD (echoed), whether the query has OPT, its DO bit and the size
// limit it implies, the transport and the server's EDNS size (AnswerOptions). The key holds
// all of those. The ID and the question's bytes are the only parts of the response copied
// from the query, and they are patched in:
// the question is written uncompressed at offset 12 and every owner name equal to it is a
// pointer to it, so copying the new query's name bytes over it also gives the answer the new
// query's case.

#include <algorithm>
#include <array>
#include <cstring>

#include "weft/services/dns/answer.hpp"

#include <sys/random.h>

#include "keyed_hash.hpp"

namespace weft::dns {
namespace {

std::uint16_t u16_at(std::span<const std::byte> b, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[at]) << 8) | std::to_integer<unsigned>(b[at + 1]));
}

// Key bytes: lower-cased name in wire form, type, class, flags, size limit, the server's
// EDNS size.
struct QueryKey {
    std::array<char, wire::kDnsMaxNameLength + 10> bytes{};
    std::size_t size = 0;
    std::size_t name_end = 0;  // offset just past the question's name in the query

    std::string_view view() const noexcept { return {bytes.data(), size}; }
};

// Reads a query of the plain shape, or says no (then answer_query decides everything).
bool plain_query_key(std::span<const std::byte> q, const AnswerOptions& options, QueryKey& key) noexcept {
    if (q.size() < wire::kDnsHeaderSize + 5) return false;
    const auto flags = std::to_integer<std::uint8_t>(q[2]);
    if ((flags & 0xf8) != 0) return false;  // a response, or an opcode other than QUERY
    if (u16_at(q, 4) != 1 || u16_at(q, 6) != 0 || u16_at(q, 8) != 0 || u16_at(q, 10) > 1) return false;
    std::size_t at = wire::kDnsHeaderSize;
    std::size_t n = 0;
    for (;;) {
        if (at >= q.size()) return false;
        const auto len = std::to_integer<std::uint8_t>(q[at]);
        if (len > wire::kDnsMaxLabelLength) return false;  // a pointer or a reserved type
        if (at + 1 + len > q.size() || n + 1 + len > wire::kDnsMaxNameLength) return false;
        key.bytes[n++] = static_cast<char>(len);
        for (std::size_t i = 0; i < len; ++i) {
            auto c = std::to_integer<char>(q[at + 1 + i]);
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            key.bytes[n++] = c;
        }
        at += 1 + len;
        if (len == 0) break;
    }
    key.name_end = at;
    if (at + 4 > q.size()) return false;
    for (std::size_t i = 0; i < 4; ++i) key.bytes[n++] = std::to_integer<char>(q[at + i]);  // type, class
    at += 4;
    bool edns = false, dnssec_ok = false;
    std::size_t limit = options.transport == QueryTransport::tcp ? 65535 : 512;
    if (u16_at(q, 10) == 1) {
        // Only an OPT of version 0 (BADVERS and anything else take the full path).
        if (at + 11 > q.size() || q[at] != std::byte{0} || u16_at(q, at + 1) != 41) return false;
        if (q[at + 6] != std::byte{0}) return false;
        const std::size_t payload = u16_at(q, at + 3);
        dnssec_ok = (std::to_integer<unsigned>(q[at + 7]) & 0x80) != 0;
        const std::size_t rdlength = u16_at(q, at + 9);
        at += 11;
        // The options must tile the rdata exactly, as parse_dns demands (else FORMERR, which
        // the full path gives).
        const std::size_t end = at + rdlength;
        if (end > q.size()) return false;
        while (at < end) {
            if (at + 4 > end || at + 4 + u16_at(q, at + 2) > end) return false;
            at += 4 + u16_at(q, at + 2);
        }
        edns = true;
        if (options.transport == QueryTransport::udp) {
            limit = std::max<std::size_t>(512, std::min<std::size_t>(payload, options.edns_payload));
        }
    }
    if (at != q.size()) return false;  // trailing bytes, or an OPT that overruns
    const auto flags2 = std::to_integer<std::uint8_t>(q[3]);
    key.bytes[n++] = static_cast<char>((flags & 0x01) | ((flags2 & 0x10) ? 0x02 : 0) | (edns ? 0x04 : 0) |
                                       (dnssec_ok ? 0x08 : 0) |
                                       (options.transport == QueryTransport::tcp ? 0x10 : 0));
    key.bytes[n++] = static_cast<char>(limit >> 8);
    key.bytes[n++] = static_cast<char>(limit & 0xff);
    // The server's own size goes into its OPT: part of the response, so part of the key
    // (the fuzzer found two settings sharing one memo).
    key.bytes[n++] = static_cast<char>(options.edns_payload >> 8);
    key.bytes[n++] = static_cast<char>(options.edns_payload & 0xff);
    key.size = n;
    return true;
}

// An entry's block: the key's size (2 bytes), the response's size (4), the key, the response.
constexpr std::size_t kEntryHeader = 6;

std::size_t entry_key_size(const std::byte* e) noexcept {
    return std::to_integer<std::size_t>(e[0]) | (std::to_integer<std::size_t>(e[1]) << 8);
}
std::size_t entry_response_size(const std::byte* e) noexcept {
    std::uint32_t n;
    std::memcpy(&n, e + 2, 4);
    return n;
}

// A lookup gives up after this many slots (and an insert does not store): with a keyed hash
// and a table at most half full, runs are short; the cap bounds the worst case anyway.
constexpr std::size_t kMaxProbes = 32;

}  // namespace

detail::HashKey detail::HashKey::random() noexcept {
    std::uint64_t words[2] = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};  // if getrandom fails
    std::size_t got = 0;
    while (got < sizeof words) {
        const ssize_t n = ::getrandom(reinterpret_cast<char*>(words) + got, sizeof words - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    return {words[0], words[1]};
}

// The slots start small and double with the entries, so a server whose clients ask a few
// hundred names probes a few kilobytes, not the whole capacity.
AnswerCache::AnswerCache(std::size_t max_entries)
    : slots_(std::min<std::size_t>(std::max<std::size_t>(max_entries, 1), 256)),
      max_entries_(std::max<std::size_t>(max_entries, 1)) {
    const auto seed = detail::HashKey::random();
    seed0_ = seed.k0;
    seed1_ = seed.k1;
}

AnswerCache::~AnswerCache() { clear(); }

void AnswerCache::clear() noexcept {
    slots_.for_each([](std::byte* entry) { delete[] entry; });
    slots_.clear();
}

std::size_t AnswerCache::answer(const ZoneSet& zones, std::span<const std::byte> query, const AnswerOptions& options,
                                std::span<std::byte> out) {
    QueryKey key;
    const bool plain = plain_query_key(query, options, key);
    const std::uint64_t hash = plain ? detail::siphash13({seed0_, seed1_}, key.view()) : 0;
    if (plain) {
        const std::byte* entry = slots_.find(
            hash,
            [&](const std::byte& e) {
                return entry_key_size(&e) == key.size && std::memcmp(&e + kEntryHeader, key.bytes.data(), key.size) == 0;
            },
            kMaxProbes);
        if (entry != nullptr) {
            const std::size_t size = entry_response_size(entry);
            if (size > out.size()) return 0;
            std::memcpy(out.data(), entry + kEntryHeader + key.size, size);
            std::memcpy(out.data(), query.data(), 2);  // the ID
            std::memcpy(out.data() + wire::kDnsHeaderSize, query.data() + wire::kDnsHeaderSize,
                        key.name_end - wire::kDnsHeaderSize);  // the question's name, its case
            ++hits_;
            return size;
        }
    }
    ++misses_;
    if (!answer_query(zones, query, options, scratch_)) return 0;
    if (scratch_.size() > out.size()) return 0;
    std::memcpy(out.data(), scratch_.data(), scratch_.size());
    // Keep it only when the response starts with the question, as the patching assumes
    // (key.name_end is meaningful only for a plain query).
    const bool has_question = plain && scratch_.size() >= key.name_end + 4 && u16_at(scratch_, 4) == 1 &&
                              std::equal(scratch_.begin() + wire::kDnsHeaderSize,
                                         scratch_.begin() + static_cast<std::ptrdiff_t>(key.name_end),
                                         query.begin() + wire::kDnsHeaderSize);
    if (has_question) {
        if (slots_.size() >= max_entries_) clear();  // a flood of distinct names: start over
        auto* entry = new std::byte[kEntryHeader + key.size + scratch_.size()];
        entry[0] = std::byte(key.size & 0xff);
        entry[1] = std::byte(key.size >> 8);
        const auto response_size = static_cast<std::uint32_t>(scratch_.size());
        std::memcpy(entry + 2, &response_size, 4);
        std::memcpy(entry + kEntryHeader, key.bytes.data(), key.size);
        std::memcpy(entry + kEntryHeader + key.size, scratch_.data(), scratch_.size());
        if (!slots_.insert(hash, entry, kMaxProbes)) delete[] entry;  // crowded: answered, not kept
    }
    return scratch_.size();
}

}  // namespace weft::dns
