// Zone files: any bytes as master-file text, with small limits, read twice (no origin, and
// with an origin and a default TTL). A failure is one line naming a line of the input. A
// success is a zone a server can serve: one SOA, at the origin; every owner at or below it;
// class IN, TTLs within 2^31-1; no CNAME beside other data; no record twice; the limits
// kept. Every record builds into a DNS message that parses back to the same record, and the
// zone printed as text (names escaped) parses back to the same records.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/services/dns/zone.hpp"

using namespace weft::wire;
using weft::dns::Zone;
using weft::dns::ZoneParseOptions;
using weft::fuzz::check;

namespace {

constexpr std::size_t kMaxRecords = 64;
constexpr std::size_t kMaxPerName = 16;
constexpr std::size_t kMaxLine = 2048;

// The oracle for "at or below": walk the canonical key's labels (length-prefixed) and
// compare the tail at each boundary. Written apart from the parser's own check on purpose.
bool below(const DnsName& name, const DnsName& apex) {
    const std::string k = dns_name_key(name), a = dns_name_key(apex);
    for (std::size_t at = 0; at < k.size(); at += 1 + static_cast<unsigned char>(k[at]))
        if (k.compare(at, std::string::npos, a) == 0) return true;
    return false;
}

bool same_record(const DnsRecord& a, const DnsRecord& b) {
    return a.name == b.name && a.type == b.type && a.rclass == b.rclass && a.ttl == b.ttl && a.data == b.data;
}

bool type_matches(const DnsRecord& rr) {
    switch (rr.type) {
    case DnsType::A: return std::holds_alternative<DnsA>(rr.data);
    case DnsType::AAAA: return std::holds_alternative<DnsAaaa>(rr.data);
    case DnsType::NS: return std::holds_alternative<DnsNs>(rr.data);
    case DnsType::CNAME: return std::holds_alternative<DnsCname>(rr.data);
    case DnsType::SOA: return std::holds_alternative<DnsSoa>(rr.data);
    case DnsType::PTR: return std::holds_alternative<DnsPtr>(rr.data);
    case DnsType::MX: return std::holds_alternative<DnsMx>(rr.data);
    case DnsType::TXT: return std::holds_alternative<DnsTxt>(rr.data);
    case DnsType::SRV: return std::holds_alternative<DnsSrv>(rr.data);
    default: return false;
    }
}

// A name as master-file text, absolute: to_text escapes '.', '\' and non-printables; the
// characters the master-file syntax gives a meaning ('; ( ) "' anywhere, '@' and '$') get a
// backslash too, which from_text reads back as the character itself.
std::string zone_text(const DnsName& name) {
    std::string out;
    for (char c : name.to_text()) {
        if (c == ';' || c == '(' || c == ')' || c == '"' || c == '@' || c == '$') out.push_back('\\');
        out.push_back(c);
    }
    if (out != ".") out.push_back('.');
    return out;
}

std::string rdata_text(const DnsRdata& data) {
    if (const auto* d = std::get_if<DnsNs>(&data)) return zone_text(d->name);
    if (const auto* d = std::get_if<DnsCname>(&data)) return zone_text(d->name);
    if (const auto* d = std::get_if<DnsPtr>(&data)) return zone_text(d->name);
    if (const auto* d = std::get_if<DnsMx>(&data)) return std::to_string(d->preference) + " " + zone_text(d->exchange);
    if (const auto* d = std::get_if<DnsSrv>(&data))
        return std::to_string(d->priority) + " " + std::to_string(d->weight) + " " + std::to_string(d->port) + " " +
               zone_text(d->target);
    if (const auto* d = std::get_if<DnsSoa>(&data))
        return zone_text(d->mname) + " " + zone_text(d->rname) + " " + std::to_string(d->serial) + " " +
               std::to_string(d->refresh) + " " + std::to_string(d->retry) + " " + std::to_string(d->expire) + " " +
               std::to_string(d->minimum);
    return dns_rdata_to_string(data);  // A, AAAA, TXT (quoted and escaped)
}

void check_failure(const weft::dns::ZoneError& e, std::string_view text) {
    check(!e.message.empty(), "a zone error has a message");
    check(e.message.find('\n') == std::string::npos, "a zone error is one line");
    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    check(e.line <= lines, "a zone error's line is in the input");
}

void check_zone(const Zone& zone) {
    check(!zone.records.empty() && zone.records.size() <= kMaxRecords, "zone record count within the limit");
    std::size_t soas = 0;
    // Per owner key: the types seen, and the records (for the duplicate check).
    std::map<std::string, std::vector<const DnsRecord*>> by_name;
    for (const auto& rr : zone.records) {
        check(type_matches(rr), "record data matches its type");
        check(rr.rclass == DnsClass::IN, "class IN");
        check(rr.ttl <= 0x7fffffff, "TTL within 2^31-1");
        check(below(rr.name, zone.origin), "owner at or below the origin");
        if (rr.type == DnsType::SOA) {
            ++soas;
            check(rr.name == zone.origin, "the SOA is at the origin");
        }
        if (const auto* t = std::get_if<DnsTxt>(&rr.data)) {
            check(!t->strings.empty(), "TXT has a string");
            for (const auto& s : t->strings) check(s.size() <= 255, "TXT string within 255 bytes");
        }
        auto& same = by_name[dns_name_key(rr.name)];
        for (const auto* other : same) {
            check(!(other->type == rr.type && other->data == rr.data), "no record twice");
            // RFC 1034 3.6.2: nothing else beside a CNAME, not even a second CNAME.
            check(other->type != DnsType::CNAME && rr.type != DnsType::CNAME, "a CNAME is alone at its name");
        }
        same.push_back(&rr);
        check(same.size() <= kMaxPerName, "records per name within the limit");
    }
    check(soas == 1, "exactly one SOA");

    // Each record through the wire codec.
    for (const auto& rr : zone.records) {
        DnsMessage m;
        m.header.qr = true;
        m.answers.push_back(rr);
        const auto bytes = build_dns(m);
        auto back = parse_dns(bytes);
        check(back.has_value(), "a zone record builds into a message that parses");
        check(back->answers.size() == 1 && same_record(back->answers[0], rr), "zone record wire round trip");
    }

    // The zone as text, every name absolute, parses back to the same records in order.
    std::string text = "$ORIGIN .\n";
    for (const auto& rr : zone.records)
        text += zone_text(rr.name) + " " + std::to_string(rr.ttl) + " IN " + dns_type_to_string(rr.type) + " " +
                rdata_text(rr.data) + "\n";
    ZoneParseOptions loose;
    loose.limits.max_line_length = 1 << 20;  // escapes make a printed line up to 4x longer
    auto again = weft::dns::parse_zone(text, loose);
    check(again.has_value(), "a printed zone parses");
    check(again->origin == zone.origin, "printed zone keeps its origin");
    check(again->records.size() == zone.records.size(), "printed zone keeps its record count");
    for (std::size_t i = 0; i < zone.records.size(); ++i)
        check(same_record(again->records[i], zone.records[i]), "printed zone keeps each record");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = weft::fuzz::as_text(data, size);
    ZoneParseOptions options;
    options.limits.max_line_length = kMaxLine;
    options.limits.max_records = kMaxRecords;
    options.limits.max_records_per_name = kMaxPerName;
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1) {
            options.origin = DnsName::from_text("example.test").value();
            options.default_ttl = 300;
        }
        auto zone = weft::dns::parse_zone(text, options);
        if (!zone) {
            check_failure(zone.error(), text);
            continue;
        }
        check_zone(*zone);
        if (options.origin) check(zone->origin == *options.origin, "the origin option is the zone's origin");
    }
    return 0;
}
