// DNS: parse; every name's text form reads back to the same name; every record's text form
// is produced; parse -> build (compressed) -> parse gives the same message (names compared
// case-insensitively, as DNS does: compression may point at a differently cased suffix);
// the size-limited build stays within its limit and parses.
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/wire/dns.hpp"

using namespace weft::wire;
using weft::fuzz::check;

namespace {

void check_name(const DnsName& n) {
    check(n.wire_length() <= kDnsMaxNameLength, "parsed name within 255 bytes");
    for (const auto& l : n.labels) check(!l.empty() && l.size() <= kDnsMaxLabelLength, "parsed label 1-63 bytes");
    auto back = DnsName::from_text(n.to_text());
    check(back.has_value(), "a name's text form parses");
    check(*back == n, "dns name text round trip");
    for (std::size_t i = 0; i < n.labels.size(); ++i)
        check(back->labels[i] == n.labels[i], "dns name text round trip keeps case");
}

void check_names(const DnsRdata& d) {
    std::visit(
        [](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, DnsNs> || std::is_same_v<T, DnsCname> || std::is_same_v<T, DnsPtr>)
                check_name(r.name);
            else if constexpr (std::is_same_v<T, DnsSoa>) {
                check_name(r.mname);
                check_name(r.rname);
            } else if constexpr (std::is_same_v<T, DnsMx>)
                check_name(r.exchange);
            else if constexpr (std::is_same_v<T, DnsSrv>)
                check_name(r.target);
        },
        d);
}

bool same_records(const std::vector<DnsRecord>& a, const std::vector<DnsRecord>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i].name == b[i].name) || a[i].type != b[i].type || a[i].rclass != b[i].rclass ||
            a[i].ttl != b[i].ttl || !(a[i].data == b[i].data))
            return false;
    return true;
}

bool same_header(const DnsHeader& a, const DnsHeader& b) {
    return a.id == b.id && a.qr == b.qr && a.opcode == b.opcode && a.aa == b.aa && a.tc == b.tc && a.rd == b.rd &&
           a.ra == b.ra && a.z == b.z && a.ad == b.ad && a.cd == b.cd && a.rcode == b.rcode &&
           a.qdcount == b.qdcount && a.ancount == b.ancount && a.nscount == b.nscount && a.arcount == b.arcount;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto m = parse_dns(input);
    if (!m) return 0;
    (void)m->edns();
    (void)m->full_rcode();
    for (const auto& q : m->questions) {
        check_name(q.name);
        (void)dns_type_to_string(q.type);
        (void)dns_class_to_string(q.qclass);
    }
    for (const auto* section : {&m->answers, &m->authority, &m->additional})
        for (const auto& r : *section) {
            check_name(r.name);
            check_names(r.data);
            (void)dns_rdata_to_string(r.data);
            (void)edns_from_record(r);
        }

    const auto bytes = build_dns(*m);
    auto n = parse_dns(bytes);
    check(n.has_value(), "rebuilt message parses");
    check(same_header(m->header, n->header), "dns header round trip");
    check(m->questions.size() == n->questions.size(), "dns question count round trip");
    for (std::size_t i = 0; i < m->questions.size(); ++i)
        check(m->questions[i].name == n->questions[i].name && m->questions[i].type == n->questions[i].type &&
                  m->questions[i].qclass == n->questions[i].qclass,
              "dns question round trip");
    check(same_records(m->answers, n->answers), "dns answers round trip");
    check(same_records(m->authority, n->authority), "dns authority round trip");
    check(same_records(m->additional, n->additional), "dns additional round trip");

    // The size-limited build: never over its limit, always a message parse_dns accepts
    // (whole records only), and the same bytes as build_dns when everything fits.
    for (std::size_t limit : {std::size_t{12}, std::size_t{512}, bytes.size() / 2, bytes.size()}) {
        const auto cut = build_dns(*m, limit);
        check(cut.size() <= limit, "size-limited build within its limit");
        if (limit >= kDnsHeaderSize) check(parse_dns(cut).has_value(), "size-limited build parses");
        if (limit >= bytes.size()) check(cut == bytes, "size-limited build of a message that fits is build_dns");
    }
    return 0;
}
