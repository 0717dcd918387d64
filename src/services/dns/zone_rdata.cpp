// Record data of the supported types from master-file fields (RFC 1035 section 3.3 and 3.4,
// RFC 3596 for AAAA, RFC 2782 for SRV), and the canonical form duplicates are found by.
#include <utility>

#include "zone_fields.hpp"

namespace weft::dns::detail {
namespace {

using wire::DnsType;

// A type's fields, in order, as error messages list them.
std::string_view layout_of(DnsType type) noexcept {
    switch (type) {
    case DnsType::A: return "address";
    case DnsType::AAAA: return "address";
    case DnsType::NS: return "name server";
    case DnsType::CNAME: return "canonical name";
    case DnsType::PTR: return "name";
    case DnsType::MX: return "preference exchange";
    case DnsType::SOA: return "mname rname serial refresh retry expire minimum";
    case DnsType::SRV: return "priority weight port target";
    default: return "";
    }
}

std::size_t field_count(DnsType type) noexcept {
    switch (type) {
    case DnsType::MX: return 2;
    case DnsType::SOA: return 7;
    case DnsType::SRV: return 4;
    default: return 1;
    }
}

// Every byte of RDATA is counted by a 16-bit RDLENGTH.
constexpr std::size_t kMaxRdataLength = 65535;
constexpr std::size_t kMaxCharacterString = 255;

Expected<wire::DnsRdata, std::string> parse_txt(std::span<const ZoneField> fields) {
    wire::DnsTxt txt;
    std::size_t rdata_length = 0;
    for (const auto& f : fields) {
        auto s = decode_zone_string(f.text, "TXT string");
        if (!s) return Unexpected(s.error());
        if (s->size() > kMaxCharacterString)
            return Unexpected("TXT string " + quote_field(f.text) + " is " + std::to_string(s->size()) +
                              " bytes, over the 255 a string can hold: split it into several quoted strings");
        rdata_length += 1 + s->size();
        if (rdata_length > kMaxRdataLength)
            return Unexpected("TXT data is over " + std::to_string(kMaxRdataLength) + " bytes");
        txt.strings.push_back(std::move(*s));
    }
    return wire::DnsRdata{std::move(txt)};
}

Expected<wire::DnsRdata, std::string> parse_fixed(DnsType type, std::span<const ZoneField> f, const ZoneNames& names) {
    // Each field is checked in order, so the first bad one is the one reported.
    switch (type) {
    case DnsType::A: {
        auto a = Ipv4Address::parse(f[0].text);
        if (!a) return Unexpected("A record: " + a.error().message);  // quotes the address
        return wire::DnsRdata{wire::DnsA{*a}};
    }
    case DnsType::AAAA: {
        // A scope ("%eth0") names an interface of this host: meaningless in served data.
        if (f[0].text.find('%') != std::string_view::npos)
            return Unexpected("AAAA record: address " + quote_field(f[0].text) + " has a scope ('%'), which DNS data cannot carry");
        auto a = Ipv6Address::parse(f[0].text);
        if (!a) return Unexpected("AAAA record: " + a.error().message);
        return wire::DnsRdata{wire::DnsAaaa{*a}};
    }
    case DnsType::NS: {
        auto n = names.resolve(f[0], "NS name server");
        if (!n) return Unexpected(n.error());
        return wire::DnsRdata{wire::DnsNs{std::move(*n)}};
    }
    case DnsType::CNAME: {
        auto n = names.resolve(f[0], "CNAME canonical name");
        if (!n) return Unexpected(n.error());
        return wire::DnsRdata{wire::DnsCname{std::move(*n)}};
    }
    case DnsType::PTR: {
        auto n = names.resolve(f[0], "PTR name");
        if (!n) return Unexpected(n.error());
        return wire::DnsRdata{wire::DnsPtr{std::move(*n)}};
    }
    case DnsType::MX: {
        auto pref = parse_zone_number(f[0].text, "MX preference", 65535);
        if (!pref) return Unexpected(pref.error());
        auto n = names.resolve(f[1], "MX exchange");
        if (!n) return Unexpected(n.error());
        return wire::DnsRdata{wire::DnsMx{static_cast<std::uint16_t>(*pref), std::move(*n)}};
    }
    case DnsType::SOA: {
        auto mname = names.resolve(f[0], "SOA mname");
        if (!mname) return Unexpected(mname.error());
        auto rname = names.resolve(f[1], "SOA rname");
        if (!rname) return Unexpected(rname.error());
        auto serial = parse_zone_number(f[2].text, "SOA serial", 0xffffffff);
        if (!serial) return Unexpected(serial.error());
        // The timers are durations: BIND and NSD take units there too ("1d", "2w").
        auto refresh = parse_zone_ttl(f[3].text, "SOA refresh", 0xffffffff);
        if (!refresh) return Unexpected(refresh.error());
        auto retry = parse_zone_ttl(f[4].text, "SOA retry", 0xffffffff);
        if (!retry) return Unexpected(retry.error());
        auto expire = parse_zone_ttl(f[5].text, "SOA expire", 0xffffffff);
        if (!expire) return Unexpected(expire.error());
        auto minimum = parse_zone_ttl(f[6].text, "SOA minimum", 0xffffffff);
        if (!minimum) return Unexpected(minimum.error());
        return wire::DnsRdata{wire::DnsSoa{std::move(*mname), std::move(*rname), *serial, *refresh, *retry, *expire,
                                           *minimum}};
    }
    case DnsType::SRV: {
        auto priority = parse_zone_number(f[0].text, "SRV priority", 65535);
        if (!priority) return Unexpected(priority.error());
        auto weight = parse_zone_number(f[1].text, "SRV weight", 65535);
        if (!weight) return Unexpected(weight.error());
        auto port = parse_zone_number(f[2].text, "SRV port", 65535);
        if (!port) return Unexpected(port.error());
        auto target = names.resolve(f[3], "SRV target");
        if (!target) return Unexpected(target.error());
        return wire::DnsRdata{wire::DnsSrv{static_cast<std::uint16_t>(*priority), static_cast<std::uint16_t>(*weight),
                                           static_cast<std::uint16_t>(*port), std::move(*target)}};
    }
    default:
        return Unexpected("type " + wire::dns_type_to_string(type) + " is not supported");
    }
}

void append_u16(std::string& out, std::uint32_t v) {
    out.push_back(static_cast<char>(v >> 8 & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
}

void append_u32(std::string& out, std::uint32_t v) {
    append_u16(out, v >> 16);
    append_u16(out, v & 0xffff);
}

}  // namespace

Expected<wire::DnsRdata, std::string> parse_zone_rdata(DnsType type, std::span<const ZoneField> fields,
                                                       const ZoneNames& names) {
    const std::string type_name = wire::dns_type_to_string(type);
    if (type == DnsType::TXT) {
        if (fields.empty()) return Unexpected(std::string("TXT record needs at least one string"));
        return parse_txt(fields);
    }
    const std::size_t want = field_count(type);
    if (fields.size() < want)
        return Unexpected(type_name + " record needs " + std::to_string(want) + (want == 1 ? " field (" : " fields (") +
                          std::string(layout_of(type)) + "), got " + std::to_string(fields.size()));
    if (fields.size() > want)
        return Unexpected(type_name + " record has an extra field " + quote_field(fields[want].text) + " after its " +
                          std::string(layout_of(type)));
    return parse_fixed(type, fields, names);
}

void append_canonical_rdata(std::string& out, const wire::DnsRdata& data) {
    // The variant's index first: data of two types never compare equal.
    out.push_back(static_cast<char>(data.index()));
    struct Visitor {
        std::string& out;
        void operator()(const wire::DnsRaw& d) const {
            for (std::byte b : d.data) out.push_back(static_cast<char>(b));
        }
        void operator()(const wire::DnsA& d) const { append_u32(out, d.address.to_uint()); }
        void operator()(const wire::DnsAaaa& d) const {
            for (auto b : d.address.to_bytes()) out.push_back(static_cast<char>(b));
        }
        void operator()(const wire::DnsNs& d) const { out += wire::dns_name_key(d.name); }
        void operator()(const wire::DnsCname& d) const { out += wire::dns_name_key(d.name); }
        void operator()(const wire::DnsPtr& d) const { out += wire::dns_name_key(d.name); }
        void operator()(const wire::DnsSoa& d) const {
            out += wire::dns_name_key(d.mname);
            out += wire::dns_name_key(d.rname);
            for (auto v : {d.serial, d.refresh, d.retry, d.expire, d.minimum}) append_u32(out, v);
        }
        void operator()(const wire::DnsMx& d) const {
            append_u16(out, d.preference);
            out += wire::dns_name_key(d.exchange);
        }
        void operator()(const wire::DnsTxt& d) const {
            // Length-prefixed, so "ab" "c" and "a" "bc" differ. Strings are at most 255 bytes here.
            for (const auto& s : d.strings) {
                out.push_back(static_cast<char>(s.size() & 0xff));
                out += s;
            }
        }
        void operator()(const wire::DnsSrv& d) const {
            append_u16(out, d.priority);
            append_u16(out, d.weight);
            append_u16(out, d.port);
            out += wire::dns_name_key(d.target);
        }
        void operator()(const wire::DnsOpt& d) const {
            for (const auto& o : d.options) {
                append_u16(out, o.code);
                append_u16(out, static_cast<std::uint32_t>(o.data.size()));
                for (std::byte b : o.data) out.push_back(static_cast<char>(b));
            }
        }
    };
    std::visit(Visitor{out}, data);
}

}  // namespace weft::dns::detail
