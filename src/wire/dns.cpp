#include "weft/wire/dns.hpp"

#include <algorithm>
#include <cstring>

#include "dns_detail.hpp"
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

// The errors live out of the hot path, as in tcp.cpp: building their strings is the only slow
// part of them, and keeping it out of line keeps the decoding loops small.
[[gnu::cold, gnu::noinline]] WireError header_error(std::size_t have) {
    return {kLayer, "truncated header: " + need_have(kDnsHeaderSize, have), 0};
}
[[gnu::cold, gnu::noinline]] WireError question_error(std::size_t have, std::size_t at) {
    return {kLayer, "truncated question: type and class " + need_have(4, have), at};
}
[[gnu::cold, gnu::noinline]] WireError record_error(std::size_t have, std::size_t at) {
    return {kLayer, "truncated record: type, class, ttl and rdlength " + need_have(10, have), at};
}
[[gnu::cold, gnu::noinline]] WireError rdlength_error(std::uint16_t rdlen, std::size_t have, std::size_t at) {
    return {kLayer,
            "rdlength " + std::to_string(rdlen) + " runs past the end of the message (" + std::to_string(have) +
                " bytes left)",
            at};
}
[[gnu::cold, gnu::noinline]] WireError fixed_size_error(DnsType type, std::size_t want, std::size_t have,
                                                        std::size_t at) {
    return {kLayer,
            dns_type_to_string(type) + " rdata must be " + std::to_string(want) + " bytes, have " +
                std::to_string(have),
            at};
}
[[gnu::cold, gnu::noinline]] WireError field_error(const char* what, std::size_t need, std::size_t have,
                                                   std::size_t at) {
    return {kLayer, std::string("truncated ") + what + ": " + need_have(need, have), at};
}
[[gnu::cold, gnu::noinline]] WireError trailing_error(DnsType type, std::size_t extra, std::size_t at) {
    return {kLayer, std::to_string(extra) + " unexpected bytes after " + dns_type_to_string(type) + " rdata", at};
}
[[gnu::cold, gnu::noinline]] WireError txt_error(std::size_t n, std::size_t at) {
    return {kLayer, "TXT string of " + std::to_string(n) + " bytes runs past the end of the rdata", at};
}
[[gnu::cold, gnu::noinline]] WireError option_error(std::uint16_t code, std::uint16_t olen, std::size_t at) {
    return {kLayer,
            "EDNS option " + std::to_string(code) + " length " + std::to_string(olen) +
                " runs past the end of the rdata",
            at};
}
// A name cut by the rdata end reads as "truncated": say which field cut it.
[[gnu::cold, gnu::noinline]] void rdata_name_error(WireError& error, const char* what) {
    if (error.reason.starts_with("truncated name"))
        error.reason = std::string(what) + " name runs past the end of the rdata";
}

// A cursor over one record's rdata. Its reader spans the message up to the rdata's end and
// starts at the rdata: a name read through it may point anywhere before it in the message,
// but its in-place bytes must stay inside the rdata. Each read fails with a WireError that
// names `what` and moves on only when it succeeds.
struct RdataReader {
    ByteReader r;
    WireError& error;

    bool name(const char* what, DnsName& out) {
        std::size_t pos = r.offset();
        if (!detail::read_dns_name_into(r.whole(), pos, out, error)) {
            rdata_name_error(error, what);
            return false;
        }
        return r.seek(pos);  // a name's end is never past the bytes it was read from
    }
    bool u16(const char* what, std::uint16_t& out) {
        auto v = r.u16();
        if (!v) return error = field_error(what, 2, r.remaining(), r.offset()), false;
        out = *v;
        return true;
    }
    bool u32(const char* what, std::uint32_t& out) {
        auto v = r.u32();
        if (!v) return error = field_error(what, 4, r.remaining(), r.offset()), false;
        out = *v;
        return true;
    }
    // Rdata must be used up exactly: bytes left over mean the record is not what its type says.
    bool done(DnsType type) {
        if (!r.empty()) return error = trailing_error(type, r.remaining(), r.offset()), false;
        return true;
    }

    bool decode(DnsType type, DnsRdata& data);
};

// Decodes the whole rdata, typed by `type`, into `data`. The data is built in place, in the
// record that keeps it: nothing decoded is moved from a temporary to its record. On error
// `data` may hold part of what was read.
bool RdataReader::decode(DnsType type, DnsRdata& data) {
    const std::size_t start = r.offset();
    const std::size_t len = r.remaining();
    auto fixed = [&](std::size_t want) {
        if (len == want) return true;
        return error = fixed_size_error(type, want, len, start), false;
    };
    switch (type) {
    case DnsType::A: {
        if (!fixed(4)) return false;
        data.emplace<DnsA>(DnsA{Ipv4Address(*r.u32())});  // braces: clang 14 has no parenthesised aggregate init
        return true;
    }
    case DnsType::AAAA: {
        if (!fixed(16)) return false;
        Ipv6Address::Bytes a{};
        std::memcpy(a.data(), r.rest().data(), a.size());
        data.emplace<DnsAaaa>(DnsAaaa{Ipv6Address(a)});
        return true;
    }
    case DnsType::NS:
        return name("rdata", data.emplace<DnsNs>().name) && done(type);
    case DnsType::CNAME:
        return name("rdata", data.emplace<DnsCname>().name) && done(type);
    case DnsType::PTR:
        return name("rdata", data.emplace<DnsPtr>().name) && done(type);
    case DnsType::SOA: {
        DnsSoa& soa = data.emplace<DnsSoa>();
        return name("SOA mname", soa.mname) && name("SOA rname", soa.rname) &&
               u32("SOA rdata", soa.serial) && u32("SOA rdata", soa.refresh) &&
               u32("SOA rdata", soa.retry) && u32("SOA rdata", soa.expire) &&
               u32("SOA rdata", soa.minimum) && done(type);
    }
    case DnsType::MX: {
        DnsMx& mx = data.emplace<DnsMx>();
        return u16("MX preference", mx.preference) && name("MX exchange", mx.exchange) && done(type);
    }
    case DnsType::TXT: {
        DnsTxt& txt = data.emplace<DnsTxt>();
        while (!r.empty()) {
            const std::size_t at = r.offset();
            const std::uint8_t n = *r.u8();
            auto s = r.bytes(n);
            if (!s) return error = txt_error(n, at), false;
            txt.strings.emplace_back(reinterpret_cast<const char*>(s->data()), n);
        }
        return true;
    }
    case DnsType::SRV: {
        DnsSrv& srv = data.emplace<DnsSrv>();
        // RFC 2782 forbids compressing the target; reading one anyway is harmless.
        return u16("SRV rdata", srv.priority) && u16("SRV rdata", srv.weight) &&
               u16("SRV rdata", srv.port) && name("SRV target", srv.target) && done(type);
    }
    case DnsType::OPT: {
        DnsOpt& opt = data.emplace<DnsOpt>();
        while (!r.empty()) {
            std::uint16_t code = 0, olen = 0;
            if (!u16("EDNS option code", code)) return false;
            const std::size_t len_at = r.offset();
            if (!u16("EDNS option length", olen)) return false;
            auto value = r.bytes(olen);
            if (!value) return error = option_error(code, olen, len_at), false;
            opt.options.push_back({code, {value->begin(), value->end()}});
        }
        return true;
    }
    default: {
        auto bytes = r.rest();
        data.emplace<DnsRaw>().data.assign(bytes.begin(), bytes.end());
        return true;
    }
    }
}

// Decodes the record at `pos` into `rec` and moves `pos` past it.
bool parse_record(std::span<const std::byte> msg, std::size_t& pos, DnsRecord& rec, WireError& error) {
    if (!detail::read_dns_name_into(msg, pos, rec.name, error)) return false;
    ByteReader r(msg);
    if (!r.seek(pos) || r.remaining() < 10)
        return error = record_error(left(pos, msg.size()), pos), false;
    rec.type = static_cast<DnsType>(*r.u16());
    rec.rclass = static_cast<DnsClass>(*r.u16());
    rec.ttl = *r.u32();
    const std::size_t len_at = r.offset();
    const std::uint16_t rdlen = *r.u16();
    if (r.remaining() < rdlen) return error = rdlength_error(rdlen, r.remaining(), len_at), false;
    // The rdata's reader ends where the rdata does.
    RdataReader rdata{ByteReader(msg.first(r.offset() + rdlen)), error};
    if (!rdata.r.seek(r.offset()) || !rdata.decode(rec.type, rec.data)) return false;
    pos = r.offset() + rdlen;
    return true;
}

bool parse_section(std::span<const std::byte> msg, std::size_t& pos, std::size_t count,
                   std::vector<DnsRecord>& out, WireError& error) {
    // Reserve only what the bytes left could hold: the count itself is untrusted.
    out.reserve(std::min(count, (msg.size() - pos) / kMinRecordSize));
    for (std::size_t i = 0; i < count; ++i)
        if (!parse_record(msg, pos, out.emplace_back(), error)) return false;
    return true;
}

// Decodes the whole message into `m`, each entry where it is kept (emplace_back, then
// filled): nothing decoded is moved from one object to another.
bool parse_message(std::span<const std::byte> bytes, DnsMessage& m, WireError& error) {
    ByteReader r(bytes);
    if (r.remaining() < kDnsHeaderSize) return error = header_error(r.remaining()), false;
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
        DnsQuestion& question = m.questions.emplace_back();
        if (!detail::read_dns_name_into(bytes, pos, question.name, error)) return false;
        ByteReader q(bytes);
        if (!q.seek(pos) || q.remaining() < 4) return error = question_error(left(pos, bytes.size()), pos), false;
        question.type = static_cast<DnsType>(*q.u16());
        question.qclass = static_cast<DnsClass>(*q.u16());
        pos += 4;
    }
    return parse_section(bytes, pos, h.ancount, m.answers, error) &&
           parse_section(bytes, pos, h.nscount, m.authority, error) &&
           parse_section(bytes, pos, h.arcount, m.additional, error);
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
    // The message is decoded inside the result that returns it (one return, so no move).
    WireResult<DnsMessage> result = DnsMessage{};
    if (WireError error; !parse_message(bytes, *result, error)) result = Unexpected(std::move(error));
    return result;
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
