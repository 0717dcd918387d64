// The DNS answer engine: any bytes as a query to a fixed set of zones (data of every type,
// CNAME chains and loops, a delegation with glue, an RRset too big for UDP). The first byte
// picks the transport and the server's EDNS size, the rest is the query. Invariants: a
// response comes exactly when the header is whole and QR is clear; it parses; it has the
// query's ID and QR set; over UDP it is never larger than 512 bytes without OPT, nor than
// the server's EDNS size with it; the per-thread memo gives the same bytes as the engine.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/services/dns/answer.hpp"
#include "weft/services/dns/zone.hpp"
#include "weft/services/dns/zone_set.hpp"
#include "weft/wire/dns.hpp"

using namespace weft;
using weft::fuzz::check;

namespace {

constexpr const char* kZone = R"($ORIGIN example.test.
$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
@ NS ns2.example.test.
@ MX 10 mail
ns1 A 198.18.0.53
ns2 A 198.18.0.54
ns2 AAAA 2001:db8::54
www A 198.18.0.10
www AAAA 2001:db8::10
mail A 198.18.0.25
alias CNAME www
chain CNAME alias
outside CNAME www.elsewhere.test.
loop1 CNAME loop2
loop2 CNAME loop1
_sip._udp SRV 0 5 5060 www
txt TXT "hello" "world"
ptr PTR www
a.b.deep A 198.18.0.99
sub NS ns.sub
sub NS ns.other.test.
ns.sub A 198.18.0.77
)";

const dns::ZoneSet& zones() {
    static const std::unique_ptr<dns::ZoneSet> set = [] {
        std::string text = kZone;
        for (int i = 0; i < 30; ++i) text += "big TXT \"" + std::string(60, 'x') + std::to_string(i) + "\"\n";
        std::vector<dns::Zone> list;
        list.push_back(dns::parse_zone(text).value());
        return std::make_unique<dns::ZoneSet>(dns::ZoneSet::build(std::move(list)).value());
    }();
    return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto control = data[0];
    const auto query = fuzz::as_bytes(data + 1, size - 1);
    dns::AnswerOptions options;
    options.transport = (control & 1) ? dns::QueryTransport::tcp : dns::QueryTransport::udp;
    options.edns_payload = (control & 2) ? 4096 : 1232;

    std::vector<std::byte> response;
    const bool answered = dns::answer_query(zones(), query, options, response);
    const bool expect = query.size() >= wire::kDnsHeaderSize && (std::to_integer<unsigned>(query[2]) & 0x80) == 0;
    check(answered == expect, "a response exactly for a whole header without QR");
    if (!answered) {
        check(response.empty(), "no response bytes when there is no response");
        return 0;
    }
    auto parsed = wire::parse_dns(response);
    check(parsed.has_value(), "the response parses");
    check(parsed->header.qr, "QR is set");
    check(response[0] == query[0] && response[1] == query[1], "the ID is the query's");
    if (options.transport == dns::QueryTransport::udp) {
        const bool has_opt = parsed->edns().has_value();
        check(response.size() <= (has_opt ? options.edns_payload : 512u), "within the UDP size limit");
        if (has_opt) check(parsed->edns()->udp_payload_size == options.edns_payload, "OPT has the server's size");
    }

    // The memo (one per thread, as the server keeps it) answers byte for byte the same.
    static dns::AnswerCache cache(64);
    static std::vector<std::byte> out(65535);
    const std::size_t n = cache.answer(zones(), query, options, out);
    check(n == response.size() && fuzz::same(std::span(out).first(n), response), "the memo gives the engine's bytes");
    return 0;
}
