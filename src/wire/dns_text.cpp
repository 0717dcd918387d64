// Presentation (text) forms of DNS types, classes and record data, as dig prints them
// except that names carry no trailing dot (weft's JSON convention, see DESIGN.md).

#include <cstdio>
#include <iterator>

#include "weft/net/detail/hex.hpp"
#include "weft/wire/dns.hpp"

namespace weft::wire {
namespace {

// TXT strings are quoted; quote and backslash are escaped, other non-printables as \DDD so
// that the text is unambiguous and one line.
std::string quote_txt(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20 || u >= 0x7f) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

}  // namespace

std::string dns_type_to_string(DnsType type) {
    switch (type) {
    case DnsType::A: return "A";
    case DnsType::NS: return "NS";
    case DnsType::CNAME: return "CNAME";
    case DnsType::SOA: return "SOA";
    case DnsType::PTR: return "PTR";
    case DnsType::HINFO: return "HINFO";
    case DnsType::MX: return "MX";
    case DnsType::TXT: return "TXT";
    case DnsType::AAAA: return "AAAA";
    case DnsType::SRV: return "SRV";
    case DnsType::NAPTR: return "NAPTR";
    case DnsType::OPT: return "OPT";
    case DnsType::DS: return "DS";
    case DnsType::RRSIG: return "RRSIG";
    case DnsType::NSEC: return "NSEC";
    case DnsType::DNSKEY: return "DNSKEY";
    case DnsType::NSEC3: return "NSEC3";
    case DnsType::SVCB: return "SVCB";
    case DnsType::HTTPS: return "HTTPS";
    case DnsType::AXFR: return "AXFR";
    case DnsType::ANY: return "ANY";
    case DnsType::CAA: return "CAA";
    }
    return "TYPE" + std::to_string(static_cast<unsigned>(type));
}

std::string dns_class_to_string(DnsClass cls) {
    switch (cls) {
    case DnsClass::IN: return "IN";
    case DnsClass::CH: return "CH";
    case DnsClass::HS: return "HS";
    case DnsClass::NONE: return "NONE";
    case DnsClass::ANY: return "ANY";
    }
    return "CLASS" + std::to_string(static_cast<unsigned>(cls));
}

std::string dns_rcode_to_string(std::uint16_t rcode) {
    // Indexed by value: 0-10 are contiguous (RFC 1035 4.1.1, RFC 2136 2.2). 16 is BADVERS
    // only once EDNS widens the rcode; the header's 4 bits alone cannot hold it.
    static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                             "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                             "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode < std::size(kNames)) return kNames[rcode];
    if (rcode == 16) return "BADVERS";
    return "RCODE" + std::to_string(rcode);
}

// The same encoder as every other hex in weft (MAC addresses, the dissector's fields).
std::string dns_hex(std::span<const std::byte> bytes) { return weft::detail::to_hex(bytes); }

std::string dns_rdata_to_string(const DnsRdata& data) {
    struct Visitor {
        std::string operator()(const DnsRaw& d) const { return dns_hex(d.data); }
        std::string operator()(const DnsA& d) const { return d.address.to_string(); }
        std::string operator()(const DnsAaaa& d) const { return d.address.to_string(); }
        std::string operator()(const DnsNs& d) const { return d.name.to_text(); }
        std::string operator()(const DnsCname& d) const { return d.name.to_text(); }
        std::string operator()(const DnsPtr& d) const { return d.name.to_text(); }
        std::string operator()(const DnsSoa& d) const {
            return d.mname.to_text() + ' ' + d.rname.to_text() + ' ' + std::to_string(d.serial) + ' ' +
                   std::to_string(d.refresh) + ' ' + std::to_string(d.retry) + ' ' +
                   std::to_string(d.expire) + ' ' + std::to_string(d.minimum);
        }
        std::string operator()(const DnsMx& d) const {
            return std::to_string(d.preference) + ' ' + d.exchange.to_text();
        }
        std::string operator()(const DnsTxt& d) const {
            std::string out;
            for (const auto& s : d.strings) {
                if (!out.empty()) out.push_back(' ');
                out += quote_txt(s);
            }
            return out;
        }
        std::string operator()(const DnsSrv& d) const {
            return std::to_string(d.priority) + ' ' + std::to_string(d.weight) + ' ' +
                   std::to_string(d.port) + ' ' + d.target.to_text();
        }
        std::string operator()(const DnsOpt& d) const {
            // OPT has no presentation form; its options' wire bytes stand in for it.
            std::string out;
            for (const auto& o : d.options) {
                std::byte head[4] = {std::byte(o.code >> 8), std::byte(o.code & 0xff),
                                     std::byte(o.data.size() >> 8 & 0xff), std::byte(o.data.size() & 0xff)};
                out += dns_hex(head) + dns_hex(o.data);
            }
            return out;
        }
    };
    return std::visit(Visitor{}, data);
}

}  // namespace weft::wire
