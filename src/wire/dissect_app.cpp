// The application layers of the dissector: DHCP (UDP 67/68), DNS (UDP/TCP 53 and 5353) and
// HTTP heads (TCP payload that begins with a method or "HTTP/").
#include <algorithm>
#include <string_view>

#include "dissect_detail.hpp"
#include "weft/net/detail/hex.hpp"
#include "weft/wire/byte_reader.hpp"
#include "weft/wire/dhcp.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/http.hpp"

namespace weft::wire::detail {

namespace {

std::string address_text(std::span<const std::byte> four) {
    return Ipv4Address(std::to_integer<std::uint8_t>(four[0]), std::to_integer<std::uint8_t>(four[1]),
                       std::to_integer<std::uint8_t>(four[2]), std::to_integer<std::uint8_t>(four[3]))
        .to_string();
}

// Options whose value is a time in seconds or a size: printed as numbers (RFC 2132).
bool is_number_option(std::uint8_t code) noexcept {
    switch (code) {
    case 2:   // time offset
    case 13:  // boot file size
    case 22:  // maximum datagram reassembly size
    case 24:  // path MTU aging timeout
    case 26:  // interface MTU
    case 35:  // ARP cache timeout
    case 38:  // TCP keepalive interval
    case dhcp_option::kLeaseTime:
    case dhcp_option::kMaxMessageSize:
    case dhcp_option::kRenewalTime:
    case dhcp_option::kRebindingTime: return true;
    default: return false;
    }
}

DissectValue dhcp_option_value(std::uint8_t code, std::span<const std::byte> data) {
    const bool address = code == dhcp_option::kSubnetMask || code == dhcp_option::kBroadcastAddress ||
                         code == dhcp_option::kRequestedIp || code == dhcp_option::kServerId;
    if (code == dhcp_option::kMessageType && data.size() == 1) return unsigned{std::to_integer<std::uint8_t>(data[0])};
    if (address && data.size() == 4) return address_text(data);
    if ((code == dhcp_option::kRouter || code == dhcp_option::kDnsServer) && data.size() % 4 == 0) {
        DissectValue::List list;
        for (std::size_t i = 0; i < data.size(); i += 4) list.emplace_back(address_text(data.subspan(i, 4)));
        return list;
    }
    if (is_number_option(code) && (data.size() == 2 || data.size() == 4)) {
        ByteReader r(data);
        if (data.size() == 2) return unsigned{*r.u16()};
        return *r.u32();
    }
    return weft::detail::to_hex(data);
}

std::string chaddr_text(const DhcpFixed& fixed) {
    const std::size_t length = std::min<std::size_t>(fixed.hlen, fixed.chaddr.size());
    return weft::detail::to_hex(std::as_bytes(std::span(fixed.chaddr).first(length)), ':');
}

DissectValue::List dns_records(const std::vector<DnsRecord>& records) {
    DissectValue::List list;
    for (const DnsRecord& r : records) {
        DissectValue data;
        if (const auto* txt = std::get_if<DnsTxt>(&r.data)) {
            DissectValue::List strings;
            for (const std::string& s : txt->strings) strings.emplace_back(s);
            data = std::move(strings);
        } else {
            data = dns_rdata_to_string(r.data);
        }
        list.emplace_back(DissectValue::Object{{"name", r.name.to_text()},
                                               {"type", dns_type_to_string(r.type)},
                                               {"class", dns_class_to_string(r.rclass)},
                                               {"ttl", r.ttl},
                                               {"data", std::move(data)}});
    }
    return list;
}

// Where the head ends (after its empty line) in the same line logic as http_head_prefix.
std::size_t http_head_length(std::string_view text) {
    std::size_t pos = 0;
    for (;;) {
        std::size_t lf = text.find('\n', pos);
        if (lf == std::string_view::npos) return text.size();
        std::string_view line = text.substr(pos, lf - pos);
        pos = lf + 1;
        if (line.empty() || line == "\r") return pos;
    }
}

}  // namespace

void dissect_dhcp(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base, bool partial) {
    auto parsed = parse_dhcp(bytes);
    if (!parsed) {
        if (partial) return add_payload(frame, base, bytes.size());
        return add_error(frame, parsed.error(), base);
    }
    const DhcpPacket& p = *parsed;
    // The message is the whole UDP payload: the zeros after the end option are its own.
    DissectLayer& l = add_layer(frame, "dhcp", base, bytes.size());
    add(l, "op", unsigned{p.op});
    add(l, "xid", p.xid);
    add(l, "ciaddr", p.ciaddr.to_string());
    add(l, "yiaddr", p.yiaddr.to_string());
    add(l, "siaddr", p.siaddr.to_string());
    add(l, "giaddr", p.giaddr.to_string());
    add(l, "chaddr", chaddr_text(p));
    const DhcpOptionView* type = p.find(dhcp_option::kMessageType);
    add(l, "message_type", type && type->data.size() == 1
                               ? DissectValue(dhcp_message_type_to_string(std::to_integer<std::uint8_t>(type->data[0])))
                               : DissectValue());
    DissectValue::Object options;
    for (const DhcpOptionView& o : p.options) {
        std::string key = std::to_string(o.code);
        bool seen = false;
        for (const DissectField& f : options) seen = seen || f.name == key;
        if (seen) continue;  // long options split in pieces (RFC 3396) are shown joined, once
        std::vector<std::byte> joined = p.concatenated(o.code);
        options.push_back({std::move(key), dhcp_option_value(o.code, joined)});
    }
    add(l, "options", std::move(options));
}

void dissect_dns(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base, bool over_tcp,
                 bool partial) {
    std::span<const std::byte> message = bytes;
    std::size_t prefix = 0;
    if (over_tcp) {
        // RFC 1035 section 4.2.2: over TCP each message is preceded by its 2-byte length.
        ByteReader r(bytes);
        auto length = r.u16();
        auto body = length ? r.bytes(*length) : std::nullopt;
        if (!body) {
            if (partial) return add_payload(frame, base, bytes.size());
            return add_error(frame, "dns", base,
                             length ? "TCP length prefix " + std::to_string(*length) + " runs past the segment (have " +
                                          std::to_string(bytes.size() - 2) + " bytes)"
                                    : std::string("truncated TCP length prefix: need 2 bytes, have 1"));
        }
        message = *body;
        prefix = 2;
    }
    auto parsed = parse_dns(message);
    if (!parsed) {
        if (partial) return add_payload(frame, base, bytes.size());
        return add_error(frame, parsed.error(), base + prefix);
    }
    const DnsMessage& m = *parsed;
    DissectLayer& l = add_layer(frame, "dns", base, prefix + message.size());
    DissectValue value = dns_value(m);
    l.fields = std::move(std::get<DissectValue::Object>(value.value));
    // Over TCP a segment may carry more than one message; the rest is shown as payload.
    if (over_tcp) add_payload(frame, base + prefix + message.size(), bytes.size() - prefix - message.size());
}

bool dissect_http(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base) {
    auto head = http_head_prefix(bytes);
    if (!head) return false;
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // Without its empty line the head runs past this frame: all of the bytes are head.
    const std::size_t size = head->head_complete ? http_head_length(text) : bytes.size();
    DissectLayer& l = add_layer(frame, "http", base, size);
    auto text_or_null = [](std::string_view s) { return s.empty() ? DissectValue() : DissectValue(std::string(s)); };
    if (head->is_request) {
        add(l, "kind", "request");
        add(l, "method", std::string(head->method));
        add(l, "target", head->start_line_complete ? DissectValue(std::string(head->target)) : DissectValue());
        add(l, "version", text_or_null(head->version));
    } else {
        add(l, "kind", "response");
        add(l, "version", text_or_null(head->version));
        add(l, "status", head->status == 0 ? DissectValue() : DissectValue(head->status));
    }
    DissectValue::List headers;
    for (const HttpHeader& h : head->headers)
        headers.emplace_back(DissectValue::List{std::string(h.name), std::string(h.value)});
    add(l, "headers", std::move(headers));
    add_payload(frame, base + size, bytes.size() - size);
    return true;
}

}  // namespace weft::wire::detail

namespace weft::wire {

DissectValue dns_value(const DnsMessage& m) {
    DissectValue::Object o;
    o.push_back({"id", unsigned{m.header.id}});
    o.push_back({"qr", m.header.qr});
    o.push_back({"aa", m.header.aa});
    o.push_back({"tc", m.header.tc});
    o.push_back({"rd", m.header.rd});
    o.push_back({"ra", m.header.ra});
    o.push_back({"ad", m.header.ad});
    o.push_back({"cd", m.header.cd});
    o.push_back({"opcode", unsigned{m.header.opcode}});
    o.push_back({"rcode", unsigned{m.header.rcode}});
    DissectValue::List questions;
    for (const DnsQuestion& q : m.questions)
        questions.emplace_back(DissectValue::Object{{"name", q.name.to_text()},
                                                    {"type", dns_type_to_string(q.type)},
                                                    {"class", dns_class_to_string(q.qclass)}});
    o.push_back({"questions", std::move(questions)});
    o.push_back({"answers", detail::dns_records(m.answers)});
    o.push_back({"authority", detail::dns_records(m.authority)});
    o.push_back({"additional", detail::dns_records(m.additional)});
    return o;
}

}  // namespace weft::wire
