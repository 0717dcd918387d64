#include "weft/wire/dns.hpp"

#include <algorithm>

#include "weft/wire/byte_reader.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "dns";
// The smallest question is the root name (1 byte) plus type and class; the smallest record
// adds TTL and rdlength. Used to bound what the header counts may make us reserve.
constexpr std::size_t kMinQuestionSize = 1 + 4;
constexpr std::size_t kMinRecordSize = 1 + 10;

std::string need_have(std::size_t need, std::size_t have) {
    return "need " + std::to_string(need) + " bytes, have " + std::to_string(have);
}

// Bytes from pos up to end; 0 when pos is already past it.
constexpr std::size_t left(std::size_t pos, std::size_t end) noexcept { return pos < end ? end - pos : 0; }

std::vector<std::byte> copy_bytes(std::span<const std::byte> b) { return {b.begin(), b.end()}; }

// Reads a name inside rdata [start, end): pointers may reach anywhere before it in the
// message, but the in-place bytes must stay inside the rdata.
WireResult<DnsName> rdata_name(std::span<const std::byte> msg, std::size_t& pos, std::size_t end,
                               const char* what) {
    auto read = read_dns_name(msg.first(end), pos);
    if (!read) {
        WireError e = read.error();
        // A name cut by the rdata end reads as "truncated": say which field cut it.
        if (e.reason.starts_with("truncated name"))
            e.reason = std::string(what) + " name runs past the end of the rdata";
        return Unexpected(std::move(e));
    }
    pos = read->end;
    return std::move(read->name);
}

WireResult<std::uint32_t> rdata_u32(std::span<const std::byte> msg, std::size_t& pos,
                                    std::size_t end, const char* what) {
    ByteReader r(msg.first(end));
    if (!r.seek(pos) || r.remaining() < 4)
        return wire_error(kLayer, std::string("truncated ") + what + ": " + need_have(4, left(pos, end)), pos);
    pos += 4;
    return *r.u32();
}

WireResult<std::uint16_t> rdata_u16(std::span<const std::byte> msg, std::size_t& pos,
                                    std::size_t end, const char* what) {
    ByteReader r(msg.first(end));
    if (!r.seek(pos) || r.remaining() < 2)
        return wire_error(kLayer, std::string("truncated ") + what + ": " + need_have(2, left(pos, end)), pos);
    pos += 2;
    return *r.u16();
}

// Rdata must be used up exactly: bytes left over mean the record is not what its type says.
WireResult<DnsRdata> expect_end(DnsRdata data, std::size_t pos, std::size_t end, DnsType type) {
    if (pos != end)
        return wire_error(kLayer,
                          std::to_string(end - pos) + " unexpected bytes after " +
                              dns_type_to_string(type) + " rdata",
                          pos);
    return data;
}

WireResult<DnsRdata> parse_rdata(std::span<const std::byte> msg, DnsType type, std::size_t start,
                                 std::size_t len) {
    std::size_t pos = start;
    const std::size_t end = start + len;
    auto fixed = [&](std::size_t want) -> WireResult<std::span<const std::byte>> {
        if (len != want)
            return wire_error(kLayer,
                              dns_type_to_string(type) + " rdata must be " + std::to_string(want) +
                                  " bytes, have " + std::to_string(len),
                              start);
        return msg.subspan(start, len);
    };
    switch (type) {
    case DnsType::A: {
        auto b = fixed(4);
        if (!b) return Unexpected(b.error());
        auto u = [&](std::size_t i) { return static_cast<std::uint8_t>((*b)[i]); };
        return DnsRdata{DnsA{Ipv4Address(u(0), u(1), u(2), u(3))}};
    }
    case DnsType::AAAA: {
        auto b = fixed(16);
        if (!b) return Unexpected(b.error());
        Ipv6Address::Bytes a{};
        for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<std::uint8_t>((*b)[i]);
        return DnsRdata{DnsAaaa{Ipv6Address(a)}};
    }
    case DnsType::NS:
    case DnsType::CNAME:
    case DnsType::PTR: {
        auto name = rdata_name(msg, pos, end, "rdata");
        if (!name) return Unexpected(name.error());
        DnsRdata d = type == DnsType::NS      ? DnsRdata{DnsNs{std::move(*name)}}
                     : type == DnsType::CNAME ? DnsRdata{DnsCname{std::move(*name)}}
                                              : DnsRdata{DnsPtr{std::move(*name)}};
        return expect_end(std::move(d), pos, end, type);
    }
    case DnsType::SOA: {
        DnsSoa soa;
        auto m = rdata_name(msg, pos, end, "SOA mname");
        if (!m) return Unexpected(m.error());
        auto r = rdata_name(msg, pos, end, "SOA rname");
        if (!r) return Unexpected(r.error());
        soa.mname = std::move(*m);
        soa.rname = std::move(*r);
        std::uint32_t* fields[] = {&soa.serial, &soa.refresh, &soa.retry, &soa.expire, &soa.minimum};
        for (auto* f : fields) {
            auto v = rdata_u32(msg, pos, end, "SOA rdata");
            if (!v) return Unexpected(v.error());
            *f = *v;
        }
        return expect_end(DnsRdata{std::move(soa)}, pos, end, type);
    }
    case DnsType::MX: {
        auto pref = rdata_u16(msg, pos, end, "MX preference");
        if (!pref) return Unexpected(pref.error());
        auto name = rdata_name(msg, pos, end, "MX exchange");
        if (!name) return Unexpected(name.error());
        return expect_end(DnsRdata{DnsMx{*pref, std::move(*name)}}, pos, end, type);
    }
    case DnsType::TXT: {
        DnsTxt txt;
        while (pos < end) {
            std::size_t n = static_cast<std::uint8_t>(msg[pos]);
            if (end - pos - 1 < n)
                return wire_error(kLayer,
                                  "TXT string of " + std::to_string(n) +
                                      " bytes runs past the end of the rdata",
                                  pos);
            txt.strings.emplace_back(reinterpret_cast<const char*>(msg.data()) + pos + 1, n);
            pos += 1 + n;
        }
        return DnsRdata{std::move(txt)};
    }
    case DnsType::SRV: {
        DnsSrv srv;
        std::uint16_t* fields[] = {&srv.priority, &srv.weight, &srv.port};
        for (auto* f : fields) {
            auto v = rdata_u16(msg, pos, end, "SRV rdata");
            if (!v) return Unexpected(v.error());
            *f = *v;
        }
        // RFC 2782 forbids compressing the target; reading one anyway is harmless.
        auto name = rdata_name(msg, pos, end, "SRV target");
        if (!name) return Unexpected(name.error());
        srv.target = std::move(*name);
        return expect_end(DnsRdata{std::move(srv)}, pos, end, type);
    }
    case DnsType::OPT: {
        DnsOpt opt;
        while (pos < end) {
            auto code = rdata_u16(msg, pos, end, "EDNS option code");
            if (!code) return Unexpected(code.error());
            std::size_t len_at = pos;
            auto olen = rdata_u16(msg, pos, end, "EDNS option length");
            if (!olen) return Unexpected(olen.error());
            if (end - pos < *olen)
                return wire_error(kLayer,
                                  "EDNS option " + std::to_string(*code) + " length " +
                                      std::to_string(*olen) + " runs past the end of the rdata",
                                  len_at);
            opt.options.push_back({*code, copy_bytes(msg.subspan(pos, *olen))});
            pos += *olen;
        }
        return DnsRdata{std::move(opt)};
    }
    default:
        return DnsRdata{DnsRaw{copy_bytes(msg.subspan(start, len))}};
    }
}

WireResult<DnsRecord> parse_record(std::span<const std::byte> msg, std::size_t& pos) {
    auto name = read_dns_name(msg, pos);
    if (!name) return Unexpected(name.error());
    pos = name->end;
    ByteReader r(msg);
    if (!r.seek(pos) || r.remaining() < 10)
        return wire_error(kLayer,
                          "truncated record: type, class, ttl and rdlength " + need_have(10, left(pos, msg.size())), pos);
    DnsRecord rec;
    rec.name = std::move(name->name);
    rec.type = static_cast<DnsType>(*r.u16());
    rec.rclass = static_cast<DnsClass>(*r.u16());
    rec.ttl = *r.u32();
    std::size_t len_at = r.offset();
    std::uint16_t rdlen = *r.u16();
    if (r.remaining() < rdlen)
        return wire_error(kLayer,
                          "rdlength " + std::to_string(rdlen) + " runs past the end of the message (" +
                              std::to_string(r.remaining()) + " bytes left)",
                          len_at);
    auto data = parse_rdata(msg, rec.type, r.offset(), rdlen);
    if (!data) return Unexpected(data.error());
    rec.data = std::move(*data);
    pos = r.offset() + rdlen;
    return rec;
}

WireResult<void> parse_section(std::span<const std::byte> msg, std::size_t& pos, std::size_t count,
                               std::vector<DnsRecord>& out) {
    // Reserve only what the bytes left could hold: the count itself is untrusted.
    out.reserve(std::min(count, (msg.size() - pos) / kMinRecordSize));
    for (std::size_t i = 0; i < count; ++i) {
        auto rec = parse_record(msg, pos);
        if (!rec) return Unexpected(rec.error());
        out.push_back(std::move(*rec));
    }
    return {};
}

}  // namespace

std::optional<DnsEdns> DnsMessage::edns() const {
    for (const auto& rec : additional)
        if (rec.type == DnsType::OPT) return edns_from_record(rec);
    return std::nullopt;
}

std::uint16_t DnsMessage::full_rcode() const {
    std::uint16_t rcode = header.rcode;
    if (auto e = edns()) rcode = static_cast<std::uint16_t>(rcode | e->extended_rcode << 4);
    return rcode;
}

WireResult<DnsMessage> parse_dns(std::span<const std::byte> bytes) {
    ByteReader r(bytes);
    if (r.remaining() < kDnsHeaderSize)
        return wire_error(kLayer, "truncated header: " + need_have(kDnsHeaderSize, r.remaining()), 0);
    DnsMessage m;
    DnsHeader& h = m.header;
    h.id = *r.u16();
    std::uint8_t b2 = *r.u8();
    std::uint8_t b3 = *r.u8();
    h.qr = b2 & 0x80;
    h.opcode = static_cast<std::uint8_t>(b2 >> 3 & 0x0f);
    h.aa = b2 & 0x04;
    h.tc = b2 & 0x02;
    h.rd = b2 & 0x01;
    h.ra = b3 & 0x80;
    h.z = b3 & 0x40;
    h.ad = b3 & 0x20;
    h.cd = b3 & 0x10;
    h.rcode = b3 & 0x0f;
    h.qdcount = *r.u16();
    h.ancount = *r.u16();
    h.nscount = *r.u16();
    h.arcount = *r.u16();

    std::size_t pos = r.offset();
    m.questions.reserve(std::min<std::size_t>(h.qdcount, (bytes.size() - pos) / kMinQuestionSize));
    for (std::size_t i = 0; i < h.qdcount; ++i) {
        auto name = read_dns_name(bytes, pos);
        if (!name) return Unexpected(name.error());
        pos = name->end;
        ByteReader q(bytes);
        if (!q.seek(pos) || q.remaining() < 4)
            return wire_error(kLayer, "truncated question: type and class " + need_have(4, left(pos, bytes.size())),
                              pos);
        DnsQuestion question{std::move(name->name), static_cast<DnsType>(*q.u16()),
                             static_cast<DnsClass>(*q.u16())};
        m.questions.push_back(std::move(question));
        pos += 4;
    }
    if (auto s = parse_section(bytes, pos, h.ancount, m.answers); !s) return Unexpected(s.error());
    if (auto s = parse_section(bytes, pos, h.nscount, m.authority); !s) return Unexpected(s.error());
    if (auto s = parse_section(bytes, pos, h.arcount, m.additional); !s) return Unexpected(s.error());
    return m;
}

DnsRecord make_opt_record(const DnsEdns& edns) {
    DnsRecord rec;
    rec.type = DnsType::OPT;
    rec.rclass = static_cast<DnsClass>(edns.udp_payload_size);
    rec.ttl = std::uint32_t{edns.extended_rcode} << 24 | std::uint32_t{edns.version} << 16 |
              (edns.dnssec_ok ? 0x8000u : 0u) | (edns.z & 0x7fffu);
    rec.data = DnsOpt{edns.options};
    return rec;
}

std::optional<DnsEdns> edns_from_record(const DnsRecord& record) {
    if (record.type != DnsType::OPT) return std::nullopt;
    DnsEdns e;
    e.udp_payload_size = static_cast<std::uint16_t>(record.rclass);
    e.extended_rcode = static_cast<std::uint8_t>(record.ttl >> 24);
    e.version = static_cast<std::uint8_t>(record.ttl >> 16);
    e.dnssec_ok = record.ttl & 0x8000u;
    e.z = static_cast<std::uint16_t>(record.ttl & 0x7fffu);
    if (const auto* opt = std::get_if<DnsOpt>(&record.data)) e.options = opt->options;
    return e;
}

}  // namespace weft::wire
