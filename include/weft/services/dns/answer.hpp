#pragma once
// The answer engine of the authoritative server: query bytes in, response bytes out, as a
// pure function of the zones and the query. No sockets, no clock, no state: the server's
// UDP and TCP paths, the tests and the fuzzer all call the same function.
//
//   auto zones = weft::dns::ZoneSet::build(...).value();
//   std::vector<std::byte> response;
//   if (weft::dns::answer_query(zones, query, {.transport = weft::dns::QueryTransport::udp}, response))
//       send(response);
//
// What it answers (RFC 1034 section 4.3.2, RFC 1035, shared/CLI.md "DNS"):
// - data at the name: AA set, the RRset in the answer section (ANY: every RRset);
// - a name that does not exist: NXDOMAIN, the zone's SOA in authority (RFC 2308), with the
//   negative TTL min(SOA TTL, SOA minimum); a name that exists without the type: NODATA
//   (NOERROR, empty answer, the SOA in authority); an empty non-terminal is NODATA;
// - a CNAME at the name (and a type other than CNAME asked): the CNAME, then the chase
//   goes on at its target while the target is in the same zone (at most 16 links, no loop);
//   the rcode is that of the last name (RFC 6604);
// - a name at or below a delegation (NS records below the apex, of a child zone this
//   server does not hold): a referral, AA clear, the child's NS RRset in authority and the
//   addresses of its name servers found in the zone (glue) in additional; when glue that the
//   referral needs (a name server inside the child zone, RFC 9471) does not fit, TC is set;
//   DS at the delegation itself is answered here, by the parent (RFC 4035 section 3.1.4.1);
// - NS, MX and SRV answers: the targets' A and AAAA records from the zone in additional;
// - a name outside every zone: REFUSED, AA clear; class other than IN, AXFR and IXFR:
//   REFUSED; an opcode other than QUERY: NOTIMP; a query that is not exactly one question,
//   or does not parse: FORMERR; EDNS version other than 0: BADVERS (RFC 6891);
// - a message that is not a query (QR set) or whose header is cut short: no response at all,
//   so two servers cannot bounce errors at each other forever.
// Owner names equal to the question are written as a compression pointer to it, so the answer
// keeps the case the query used (a name's case is not its identity, RFC 4343, but resolvers
// that use 0x20 case randomisation check it). EDNS(0): a query with OPT gets OPT back with
// the server's payload size and the DO bit echoed. Size: over UDP at most 512 bytes, or
// min(the requestor's EDNS payload size, the server's) when the query has OPT (never less
// than 512); over TCP 65535. A response over the limit loses whole records from the end and
// sets TC (the rules of wire::build_dns with a size limit), and is complete over TCP.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "weft/services/dns/detail/hash_slots.hpp"
#include "weft/services/dns/zone_set.hpp"

namespace weft::dns {

/// The transport a query came over: it sets the response's size limit (UDP: 512 bytes, or the
/// EDNS payload size; TCP: 65535) and whether a truncated response can be completed.
enum class QueryTransport { udp, tcp };

/// How answer_query sizes its response.
struct AnswerOptions {
    /// The transport the query came over (sets the size limit, see QueryTransport).
    QueryTransport transport = QueryTransport::udp;
    /// The payload size this server advertises in its OPT and accepts at most (RFC 6891;
    /// 1232 is the DNS flag day 2020 value that avoids IP fragmentation).
    std::uint16_t edns_payload = 1232;
};

/// Writes the response to `query` into `response` (cleared first). Returns false, leaving
/// `response` empty, when the message gets no response (see the header comment).
bool answer_query(const ZoneSet& zones, std::span<const std::byte> query, const AnswerOptions& options,
                  std::vector<std::byte>& response);

/// A memo of answer_query for one thread: a query that differs from an earlier one only in
/// its ID and in the case of its name gets the earlier response, with the ID and the
/// question's bytes copied from the new query. The result is byte for byte what
/// answer_query gives (the tests compare them); only the plain shape of query that clients
/// send is memoised (one question, no compression, at most an OPT), everything else goes to
/// answer_query. The memo holds at most `max_entries` responses and is emptied when full, so
/// a flood of distinct names costs bounded memory; its hash is keyed with a random secret, so
/// names cannot be chosen to collide. One memo serves one ZoneSet (it does not see a zone
/// change: make a new one). Not thread-safe: one per thread.
class AnswerCache {
public:
    /// An empty memo holding at most `max_entries` responses (emptied whole when full), with a
    /// fresh random hash key.
    explicit AnswerCache(std::size_t max_entries = 16 * 1024);
    ~AnswerCache();
    AnswerCache(const AnswerCache&) = delete;
    AnswerCache& operator=(const AnswerCache&) = delete;

    /// Like answer_query, writing into `out` (at least 65535 bytes for TCP, kMaxDatagram for
    /// UDP is plenty); returns the response size, 0 for no response.
    std::size_t answer(const ZoneSet& zones, std::span<const std::byte> query, const AnswerOptions& options,
                       std::span<std::byte> out);

    /// Queries answered from the memo since construction.
    std::size_t hits() const noexcept { return hits_; }
    /// Queries that went to answer_query (not memoisable, or not seen before) since construction.
    std::size_t misses() const noexcept { return misses_; }

private:
    // Entries are single heap blocks, the key then the response, indexed by a keyed hash
    // (HashSlots): a hit costs the probed slot and one block.
    void clear() noexcept;

    detail::HashSlots<std::byte> slots_;
    std::uint64_t seed0_ = 0, seed1_ = 0;  // the hash's secret key (SipHash-1-3)
    std::size_t max_entries_;
    std::vector<std::byte> scratch_;
    std::size_t hits_ = 0, misses_ = 0;
};

}  // namespace weft::dns
