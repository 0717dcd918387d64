// Building DNS messages: the plain serialiser and the size-limited one that truncates
// (RFC 1035 4.2.1, RFC 2181 section 9, RFC 6891 section 7).

#include <algorithm>
#include <limits>

#include "weft/wire/byte_writer.hpp"
#include "weft/wire/dns.hpp"

namespace weft::wire {
namespace {

std::uint16_t clamp16(std::size_t n) {
    return static_cast<std::uint16_t>(std::min<std::size_t>(n, std::numeric_limits<std::uint16_t>::max()));
}

void write_rdata(ByteWriter& w, DnsNameCompressor& names, const DnsRdata& data) {
    struct Visitor {
        ByteWriter& w;
        DnsNameCompressor& names;
        void operator()(const DnsRaw& d) { w.bytes(d.data); }
        void operator()(const DnsA& d) {
            for (auto b : d.address.to_bytes()) w.u8(b);
        }
        void operator()(const DnsAaaa& d) {
            for (auto b : d.address.to_bytes()) w.u8(b);
        }
        void operator()(const DnsNs& d) { names.write(w, d.name); }
        void operator()(const DnsCname& d) { names.write(w, d.name); }
        void operator()(const DnsPtr& d) { names.write(w, d.name); }
        void operator()(const DnsSoa& d) {
            names.write(w, d.mname);
            names.write(w, d.rname);
            for (auto v : {d.serial, d.refresh, d.retry, d.expire, d.minimum}) w.u32(v);
        }
        void operator()(const DnsMx& d) {
            w.u16(d.preference);
            names.write(w, d.exchange);
        }
        void operator()(const DnsTxt& d) {
            for (const auto& s : d.strings) {
                std::size_t n = std::min<std::size_t>(s.size(), 255);
                w.u8(static_cast<std::uint8_t>(n));
                w.bytes(std::as_bytes(std::span(s.data(), n)));
            }
        }
        void operator()(const DnsSrv& d) {
            w.u16(d.priority);
            w.u16(d.weight);
            w.u16(d.port);
            write_dns_name(w, d.target);  // never compressed (RFC 2782)
        }
        void operator()(const DnsOpt& d) {
            for (const auto& o : d.options) {
                w.u16(o.code);
                w.u16(clamp16(o.data.size()));
                w.bytes(std::span(o.data).first(clamp16(o.data.size())));
            }
        }
    };
    std::visit(Visitor{w, names}, data);
}

void write_header(ByteWriter& w, const DnsHeader& h, const DnsMessage& m) {
    w.u16(h.id);
    w.u8(static_cast<std::uint8_t>((h.qr ? 0x80 : 0) | (h.opcode & 0x0f) << 3 | (h.aa ? 0x04 : 0) |
                                   (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0)));
    w.u8(static_cast<std::uint8_t>((h.ra ? 0x80 : 0) | (h.z ? 0x40 : 0) | (h.ad ? 0x20 : 0) |
                                   (h.cd ? 0x10 : 0) | (h.rcode & 0x0f)));
    w.u16(clamp16(m.questions.size()));
    w.u16(clamp16(m.answers.size()));
    w.u16(clamp16(m.authority.size()));
    w.u16(clamp16(m.additional.size()));
}

void write_question(ByteWriter& w, DnsNameCompressor& names, const DnsQuestion& q) {
    names.write(w, q.name);
    w.u16(static_cast<std::uint16_t>(q.type));
    w.u16(static_cast<std::uint16_t>(q.qclass));
}

void write_record(ByteWriter& w, DnsNameCompressor& names, const DnsRecord& rec) {
    names.write(w, rec.name);
    w.u16(static_cast<std::uint16_t>(rec.type));
    w.u16(static_cast<std::uint16_t>(rec.rclass));
    w.u32(rec.ttl);
    // rdlength is known only once the (compressed) rdata is written.
    std::size_t len_at = w.size();
    w.u16(0);
    write_rdata(w, names, rec.data);
    w.patch_u16(len_at, clamp16(w.size() - len_at - 2));
}

}  // namespace

std::vector<std::byte> build_dns(const DnsMessage& message) {
    std::vector<std::byte> out;
    ByteWriter w(out);
    DnsNameCompressor names;
    write_header(w, message.header, message);
    for (const auto& q : message.questions) write_question(w, names, q);
    for (const auto* section : {&message.answers, &message.authority, &message.additional})
        for (const auto& rec : *section) write_record(w, names, rec);
    return out;
}

std::vector<std::byte> build_dns(const DnsMessage& message, std::size_t max_size) {
    std::vector<std::byte> full = build_dns(message);
    if (full.size() <= max_size) return full;
    if (max_size < kDnsHeaderSize) return {};

    // Lay the message out once more with the OPT records set aside, noting where each
    // question and record ends. Compression only points backwards, so every prefix of this
    // layout is byte for byte what building just that prefix would give: dropping records
    // from the end cannot change the size of those kept.
    std::vector<std::byte> layout;
    ByteWriter w(layout);
    DnsNameCompressor names;
    write_header(w, message.header, message);
    for (const auto& q : message.questions) write_question(w, names, q);
    const std::size_t questions_end = layout.size();
    std::vector<const DnsRecord*> records;  // answers, authority, additional minus OPT
    std::vector<std::size_t> ends;          // ends[i]: where records[i] ends in `layout`
    std::vector<const DnsRecord*> opts;
    for (const auto* section : {&message.answers, &message.authority, &message.additional})
        for (const auto& rec : *section) {
            if (section == &message.additional && rec.type == DnsType::OPT) {
                opts.push_back(&rec);
                continue;
            }
            write_record(w, names, rec);
            records.push_back(&rec);
            ends.push_back(layout.size());
        }

    // RFC 6891 section 7: a truncated response still carries the OPT record, so its size is
    // reserved first. Sized uncompressed (fresh compressor, owner written in full): when
    // appended after the kept records it can only come out the same or smaller.
    std::size_t opt_size = 0;
    for (const auto* opt : opts) {
        std::vector<std::byte> scratch;
        ByteWriter sw(scratch);
        DnsNameCompressor none;
        write_dns_name(sw, opt->name);
        sw.zeros(10);
        write_rdata(sw, none, opt->data);
        opt_size += scratch.size();
    }
    // When not even the question and OPT fit, OPT goes, then the question: a header with TC
    // is the least that still tells the client to retry over TCP.
    const bool keep_questions = questions_end <= max_size;
    const bool dropped_opt = !opts.empty() && (!keep_questions || questions_end + opt_size > max_size);
    if (dropped_opt) {
        opts.clear();
        opt_size = 0;
    }
    std::size_t kept = 0;  // the longest prefix of `records` that fits with the OPT records
    if (keep_questions)
        while (kept < records.size() && ends[kept] + opt_size <= max_size) ++kept;

    DnsMessage cut;
    cut.header = message.header;
    if (keep_questions) cut.questions = message.questions;
    const std::size_t n_answers = message.answers.size(), n_authority = message.authority.size();
    for (std::size_t i = 0; i < kept; ++i) {
        auto& section = i < n_answers ? cut.answers : i < n_answers + n_authority ? cut.authority : cut.additional;
        section.push_back(*records[i]);
    }
    for (const auto* opt : opts) cut.additional.push_back(*opt);
    // RFC 2181 section 9: TC means part of the answer is missing, not that some additional
    // data was left out; records dropped only from the additional section leave TC as it
    // was, so a resolver uses the response instead of retrying over TCP. Everything else
    // dropped (a question, the OPT record, an answer or authority record) sets it.
    const bool lost_required = !keep_questions || dropped_opt || kept < n_answers + n_authority;
    if (lost_required) cut.header.tc = true;
    return build_dns(cut);
}

}  // namespace weft::wire
