// ResponseWriter: zone records to response bytes (see the header).

#include "response_writer.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <variant>

namespace weft::dns::detail {
namespace {

constexpr std::size_t kOptSize = 11;  // root name, type, class, TTL, rdlength 0

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

ResponseWriter::ResponseWriter(std::vector<std::byte>& out, std::size_t limit) : out_(out), limit_(limit) {
    out_.clear();
    out_.reserve(std::min<std::size_t>(limit, 4096));
    suffixes_.reserve(16);
    keys_.reserve(512);
}

void ResponseWriter::header(std::uint16_t id, std::uint8_t opcode, bool aa, bool rd, bool cd, std::uint8_t rcode) {
    out_.resize(wire::kDnsHeaderSize);
    out_[0] = std::byte(id >> 8);
    out_[1] = std::byte(id & 0xff);
    out_[2] = std::byte(0x80 | (opcode & 0x0f) << 3 | (aa ? 0x04 : 0) | (rd ? 0x01 : 0));
    out_[3] = std::byte((cd ? 0x10 : 0) | (rcode & 0x0f));
}

void ResponseWriter::question(const wire::DnsQuestion& q) {
    name(q.name);
    w_.u16(static_cast<std::uint16_t>(q.type));
    w_.u16(static_cast<std::uint16_t>(q.qclass));
    out_[5] = std::byte{1};
}

void ResponseWriter::reserve_opt(std::uint16_t payload, std::uint8_t extended_rcode, bool dnssec_ok) {
    opt_room_ = kOptSize;
    opt_payload_ = payload;
    opt_extended_rcode_ = extended_rcode;
    opt_dnssec_ok_ = dnssec_ok;
}

// Compression (RFC 1035 section 4.1.4): the longest suffix already in the message becomes a
// pointer; the labels before it are written and remembered as new suffixes.
void ResponseWriter::name(const wire::DnsName& n) {
    const auto& labels = n.labels;
    // The lower-cased wire form of the whole name; suffix i starts at starts[i].
    std::array<char, wire::kDnsMaxNameLength + 1> key;
    std::array<std::uint16_t, 128> starts{};
    std::size_t size = 0;
    for (std::size_t i = 0; i < labels.size() && i < starts.size(); ++i) {
        starts[i] = static_cast<std::uint16_t>(size);
        key[size++] = static_cast<char>(labels[i].size());
        for (char c : labels[i]) key[size++] = lower(c);
    }
    key[size++] = 0;
    const std::string_view whole(key.data(), size);

    std::size_t match_label = labels.size();  // the root: nothing to point at
    std::uint16_t match_offset = 0;
    for (std::size_t i = 0; i < labels.size() && match_label == labels.size(); ++i) {
        const auto suffix = whole.substr(starts[i]);
        for (const auto& s : suffixes_) {
            if (s.key_size == suffix.size() && std::memcmp(keys_.data() + s.key_at, suffix.data(), suffix.size()) == 0) {
                match_label = i;
                match_offset = s.offset;
                break;
            }
        }
    }
    for (std::size_t i = 0; i < match_label; ++i) {
        const std::size_t at = out_.size();
        if (at <= wire::kDnsMaxPointerOffset && suffixes_.size() < kMaxSuffixes) {
            const auto suffix = whole.substr(starts[i]);
            suffixes_.push_back({static_cast<std::uint16_t>(at), static_cast<std::uint16_t>(keys_.size()),
                                 static_cast<std::uint16_t>(suffix.size())});
            keys_.insert(keys_.end(), suffix.begin(), suffix.end());
        }
        w_.u8(static_cast<std::uint8_t>(labels[i].size()));
        w_.bytes(std::as_bytes(std::span(labels[i].data(), labels[i].size())));
    }
    if (match_label < labels.size()) {
        w_.u16(static_cast<std::uint16_t>(0xc000 | match_offset));
    } else {
        w_.u8(0);
    }
}

bool ResponseWriter::record(Section section, const wire::DnsName& owner, const wire::DnsRecord& rec) {
    if (closed_) return false;
    const std::size_t start = out_.size();
    const std::size_t suffixes = suffixes_.size();
    const std::size_t keys = keys_.size();
    name(owner);
    w_.u16(static_cast<std::uint16_t>(rec.type));
    w_.u16(static_cast<std::uint16_t>(rec.rclass));
    w_.u32(rec.ttl);
    const std::size_t length_at = out_.size();
    w_.u16(0);
    struct Rdata {
        ResponseWriter& w;
        void operator()(const wire::DnsRaw& d) { w.w_.bytes(d.data); }
        void operator()(const wire::DnsA& d) {
            for (auto b : d.address.to_bytes()) w.w_.u8(b);
        }
        void operator()(const wire::DnsAaaa& d) {
            for (auto b : d.address.to_bytes()) w.w_.u8(b);
        }
        void operator()(const wire::DnsNs& d) { w.name(d.name); }
        void operator()(const wire::DnsCname& d) { w.name(d.name); }
        void operator()(const wire::DnsPtr& d) { w.name(d.name); }
        void operator()(const wire::DnsSoa& d) {
            w.name(d.mname);
            w.name(d.rname);
            for (auto v : {d.serial, d.refresh, d.retry, d.expire, d.minimum}) w.w_.u32(v);
        }
        void operator()(const wire::DnsMx& d) {
            w.w_.u16(d.preference);
            w.name(d.exchange);
        }
        void operator()(const wire::DnsTxt& d) {
            for (const auto& s : d.strings) {
                const std::size_t n = std::min<std::size_t>(s.size(), 255);
                w.w_.u8(static_cast<std::uint8_t>(n));
                w.w_.bytes(std::as_bytes(std::span(s.data(), n)));
            }
        }
        void operator()(const wire::DnsSrv& d) {
            w.w_.u16(d.priority);
            w.w_.u16(d.weight);
            w.w_.u16(d.port);
            wire::write_dns_name(w.w_, d.target);  // never compressed (RFC 2782), nor a pointer target
        }
        void operator()(const wire::DnsOpt&) {}  // OPT goes through reserve_opt
    };
    std::visit(Rdata{*this}, rec.data);
    w_.patch_u16(length_at, static_cast<std::uint16_t>(out_.size() - length_at - 2));
    if (out_.size() + opt_room_ > limit_) {
        out_.resize(start);
        suffixes_.resize(suffixes);
        keys_.resize(keys);
        closed_ = true;
        if (section != Section::additional) truncated_ = true;
        return false;
    }
    ++counts_[static_cast<std::size_t>(section)];
    return true;
}

void ResponseWriter::finish() {
    std::uint16_t additional = counts_[2];
    if (opt_room_ != 0) {
        w_.u8(0);
        w_.u16(static_cast<std::uint16_t>(wire::DnsType::OPT));
        w_.u16(opt_payload_);
        w_.u8(opt_extended_rcode_);
        w_.u8(0);  // version 0
        w_.u16(opt_dnssec_ok_ ? 0x8000 : 0);
        w_.u16(0);
        ++additional;
    }
    w_.patch_u16(6, counts_[0]);
    w_.patch_u16(8, counts_[1]);
    w_.patch_u16(10, additional);
    if (truncated_) out_[2] |= std::byte{0x02};
}

}  // namespace weft::dns::detail
