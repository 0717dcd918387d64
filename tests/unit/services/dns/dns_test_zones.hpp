#pragma once
// Zones and query helpers shared by the DNS engine and server tests.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "weft/services/dns/answer.hpp"
#include "weft/services/dns/zone.hpp"
#include "weft/services/dns/zone_set.hpp"
#include "weft/wire/dns.hpp"

namespace weft::dns::test {

// example.test: data of every type, CNAME chains (in zone, out of zone, looping, dangling),
// an empty non-terminal (deep, b.deep), and a delegation (sub) with in-child glue.
inline constexpr std::string_view kExampleZone = R"($ORIGIN example.test.
$TTL 300
@        IN SOA ns1 hostmaster ( 2026120601 ; serial
                                 3600 600 86400
                                 60 )       ; negative TTL
@        NS    ns1
@        NS    ns2.example.test.
@        MX    10 mail
ns1      A     198.18.0.53
ns2      A     198.18.0.54
         AAAA  2001:db8::54
www      A     198.18.0.10
www      AAAA  2001:db8::10
mail     A     198.18.0.25
alias    CNAME www
chain    CNAME alias
outside  CNAME www.elsewhere.test.
loop1    CNAME loop2
loop2    CNAME loop1
dangling CNAME nothere
_http._tcp SRV 0 5 80 www
txt      TXT   "hello world" "second"
ptr      PTR   www
a.b.deep A     198.18.0.99
sub      NS    ns.sub
sub      NS    ns.other.test.
ns.sub   A     198.18.0.77
)";

inline Zone parse_or_fail(std::string_view text) {
    ZoneParseOptions options;
    options.file_name = "test.zone";
    auto zone = parse_zone(text, options);
    if (!zone) ADD_FAILURE() << zone.error().to_string();
    return zone ? std::move(*zone) : Zone{};
}

inline std::shared_ptr<const ZoneSet> zones_of(std::vector<std::string_view> texts) {
    std::vector<Zone> zones;
    for (auto t : texts) zones.push_back(parse_or_fail(t));
    auto set = ZoneSet::build(std::move(zones));
    if (!set) {
        ADD_FAILURE() << set.error();
        return nullptr;
    }
    return std::make_shared<const ZoneSet>(std::move(*set));
}

struct QuerySpec {
    std::string name;
    wire::DnsType type = wire::DnsType::A;
    bool edns = false;
    std::uint16_t payload = 1232;
    bool dnssec_ok = false;
    std::uint16_t id = 0x4242;
    wire::DnsClass qclass = wire::DnsClass::IN;
};

inline std::vector<std::byte> make_query(const QuerySpec& spec) {
    wire::DnsMessage q;
    q.header.id = spec.id;
    q.header.rd = true;
    q.questions.push_back({wire::DnsName::from_text(spec.name).value(), spec.type, spec.qclass});
    if (spec.edns) {
        wire::DnsEdns e;
        e.udp_payload_size = spec.payload;
        e.dnssec_ok = spec.dnssec_ok;
        q.additional.push_back(wire::make_opt_record(e));
    }
    return wire::build_dns(q);
}

/// Names of a section's records as text, in order ("www.example.test A").
inline std::vector<std::string> summary(const std::vector<wire::DnsRecord>& section) {
    std::vector<std::string> out;
    for (const auto& r : section) out.push_back(r.name.to_text() + " " + wire::dns_type_to_string(r.type));
    return out;
}

}  // namespace weft::dns::test
