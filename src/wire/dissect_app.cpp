// The application layers of the dissector: DHCP (UDP 67/68), DNS (UDP/TCP 53 and 5353) and
// HTTP heads (TCP payload that begins with a method or "HTTP/").
#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "dissect_detail.hpp"
#include "weft/net/detail/hex.hpp"
#include "weft/wire/byte_reader.hpp"
#include "weft/wire/dhcp.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/http.hpp"

namespace weft::wire::detail {

namespace {

Ipv4Address address_of(std::span<const std::byte> four) {
    return Ipv4Address(std::to_integer<std::uint8_t>(four[0]), std::to_integer<std::uint8_t>(four[1]),
                       std::to_integer<std::uint8_t>(four[2]), std::to_integer<std::uint8_t>(four[3]));
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

constexpr std::size_t kStackHex = 64;

template <DissectSink Sink>
void dhcp_option_value(Sink& sink, std::string_view key, std::uint8_t code, std::span<const std::byte> data) {
    const bool address = code == dhcp_option::kSubnetMask || code == dhcp_option::kBroadcastAddress ||
                         code == dhcp_option::kRequestedIp || code == dhcp_option::kServerId;
    if (code == dhcp_option::kMessageType && data.size() == 1)
        return sink.number(key, std::to_integer<std::uint8_t>(data[0]));
    if (address && data.size() == 4) return sink.address(key, address_of(data));
    if ((code == dhcp_option::kRouter || code == dhcp_option::kDnsServer) && data.size() % 4 == 0) {
        sink.begin_list(key);
        for (std::size_t i = 0; i < data.size(); i += 4) sink.address("", address_of(data.subspan(i, 4)));
        return sink.end_list();
    }
    if (is_number_option(code) && (data.size() == 2 || data.size() == 4)) {
        ByteReader r(data);
        if (data.size() == 2) return sink.number(key, *r.u16());
        return sink.number(key, *r.u32());
    }
    if (data.size() > kStackHex) return sink.plain(key, weft::detail::to_hex(data));
    char hex[2 * kStackHex];  // most option values are short: no string for them
    static constexpr char kDigits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < data.size(); ++i) {
        const auto b = std::to_integer<unsigned>(data[i]);
        hex[2 * i] = kDigits[b >> 4];
        hex[2 * i + 1] = kDigits[b & 0xf];
    }
    sink.plain(key, std::string_view(hex, 2 * data.size()));
}

std::string chaddr_text(const DhcpFixed& fixed) {
    const std::size_t length = std::min<std::size_t>(fixed.hlen, fixed.chaddr.size());
    return weft::detail::to_hex(std::as_bytes(std::span(fixed.chaddr).first(length)), ':');
}

template <DissectSink Sink>
void dns_records(Sink& sink, std::string_view key, const std::vector<DnsRecord>& records) {
    sink.begin_list(key);
    for (const DnsRecord& r : records) {
        sink.begin_object("");
        sink.string("name", r.name.to_text());
        sink.plain("type", dns_type_to_string(r.type));
        sink.plain("class", dns_class_to_string(r.rclass));
        sink.number("ttl", r.ttl);
        if (const auto* txt = std::get_if<DnsTxt>(&r.data)) {
            sink.begin_list("data");
            for (const std::string& s : txt->strings) sink.string("", s);
            sink.end_list();
        } else {
            sink.string("data", dns_rdata_to_string(r.data));
        }
        sink.end_object();
    }
    sink.end_list();
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

// The text, or null when it is empty (a start line cut short).
template <DissectSink Sink>
void text_or_null(Sink& sink, std::string_view key, std::string_view text) {
    if (text.empty()) sink.null(key);
    else sink.string(key, text);
}

}  // namespace

template <DissectSink Sink>
void dissect_dhcp(Sink& sink, std::span<const std::byte> bytes, std::size_t base, bool partial) {
    auto parsed = parse_dhcp(bytes);
    if (!parsed) {
        if (partial) return add_payload(sink, base, bytes.size());
        return add_error(sink, parsed.error(), base);
    }
    const DhcpPacket& p = *parsed;
    // The message is the whole UDP payload: the zeros after the end option are its own.
    sink.begin_layer("dhcp", base, bytes.size());
    sink.number("op", p.op);
    sink.number("xid", p.xid);
    sink.address("ciaddr", p.ciaddr);
    sink.address("yiaddr", p.yiaddr);
    sink.address("siaddr", p.siaddr);
    sink.address("giaddr", p.giaddr);
    sink.plain("chaddr", chaddr_text(p));
    const DhcpOptionView* type = p.find(dhcp_option::kMessageType);
    if (type && type->data.size() == 1)
        sink.plain("message_type", dhcp_message_type_to_string(std::to_integer<std::uint8_t>(type->data[0])));
    else
        sink.null("message_type");
    sink.begin_object("options");
    for (std::size_t i = 0; i < p.options.size(); ++i) {
        const std::uint8_t code = p.options[i].code;
        bool seen = false, again = false;
        for (std::size_t j = 0; j < i && !seen; ++j) seen = p.options[j].code == code;
        if (seen) continue;  // long options split in pieces (RFC 3396) are shown joined, once
        for (std::size_t j = i + 1; j < p.options.size() && !again; ++j) again = p.options[j].code == code;
        char key[32];  // 3 digits at most; sized so the JSON writer's inline copies stay inside
        const auto end = std::to_chars(key, key + sizeof key, code).ptr;
        const std::string_view name(key, static_cast<std::size_t>(end - key));
        if (again) dhcp_option_value(sink, name, code, p.concatenated(code));
        else dhcp_option_value(sink, name, code, p.options[i].data);  // one piece: no copy
    }
    sink.end_object();
}

template <DissectSink Sink>
void dissect_dns(Sink& sink, std::span<const std::byte> bytes, std::size_t base, bool over_tcp,
                 bool partial) {
    std::span<const std::byte> message = bytes;
    std::size_t prefix = 0;
    if (over_tcp) {
        // RFC 1035 section 4.2.2: over TCP each message is preceded by its 2-byte length.
        ByteReader r(bytes);
        auto length = r.u16();
        auto body = length ? r.bytes(*length) : std::nullopt;
        if (!body) {
            if (partial) return add_payload(sink, base, bytes.size());
            return add_error(sink, "dns", base,
                             length ? "TCP length prefix " + std::to_string(*length) + " runs past the segment (have " +
                                          std::to_string(bytes.size() - 2) + " bytes)"
                                    : std::string("truncated TCP length prefix: need 2 bytes, have 1"));
        }
        message = *body;
        prefix = 2;
    }
    auto parsed = parse_dns(message);
    if (!parsed) {
        if (partial) return add_payload(sink, base, bytes.size());
        return add_error(sink, parsed.error(), base + prefix);
    }
    sink.begin_layer("dns", base, prefix + message.size());
    dns_fields(sink, *parsed);
    // Over TCP a segment may carry more than one message; the rest is shown as payload.
    if (over_tcp) add_payload(sink, base + prefix + message.size(), bytes.size() - prefix - message.size());
}

template <DissectSink Sink>
bool dissect_http(Sink& sink, std::span<const std::byte> bytes, std::size_t base) {
    auto head = http_head_prefix(bytes);
    if (!head) return false;
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // Without its empty line the head runs past this frame: all of the bytes are head.
    const std::size_t size = head->head_complete ? http_head_length(text) : bytes.size();
    sink.begin_layer("http", base, size);
    if (head->is_request) {
        sink.plain("kind", "request");
        sink.string("method", head->method);
        if (head->start_line_complete) sink.string("target", head->target);
        else sink.null("target");
        text_or_null(sink, "version", head->version);
    } else {
        sink.plain("kind", "response");
        text_or_null(sink, "version", head->version);
        if (head->status == 0) sink.null("status");
        else sink.number("status", head->status);
    }
    sink.begin_list("headers");
    for (const HttpHeader& h : head->headers) {
        sink.begin_list("");
        sink.string("", h.name);
        sink.string("", h.value);
        sink.end_list();
    }
    sink.end_list();
    add_payload(sink, base + size, bytes.size() - size);
    return true;
}

template <DissectSink Sink>
void dns_fields(Sink& sink, const DnsMessage& m) {
    sink.number("id", m.header.id);
    sink.boolean("qr", m.header.qr);
    sink.boolean("aa", m.header.aa);
    sink.boolean("tc", m.header.tc);
    sink.boolean("rd", m.header.rd);
    sink.boolean("ra", m.header.ra);
    sink.boolean("ad", m.header.ad);
    sink.boolean("cd", m.header.cd);
    sink.number("opcode", m.header.opcode);
    sink.number("rcode", m.header.rcode);
    sink.begin_list("questions");
    for (const DnsQuestion& q : m.questions) {
        sink.begin_object("");
        sink.string("name", q.name.to_text());
        sink.plain("type", dns_type_to_string(q.type));
        sink.plain("class", dns_class_to_string(q.qclass));
        sink.end_object();
    }
    sink.end_list();
    dns_records(sink, "answers", m.answers);
    dns_records(sink, "authority", m.authority);
    dns_records(sink, "additional", m.additional);
}

// The two sinks the dissector is built for (dissect_sink.hpp).
template void dissect_dhcp(TreeSink&, std::span<const std::byte>, std::size_t, bool);
template void dissect_dhcp(JsonSink&, std::span<const std::byte>, std::size_t, bool);
template void dissect_dns(TreeSink&, std::span<const std::byte>, std::size_t, bool, bool);
template void dissect_dns(JsonSink&, std::span<const std::byte>, std::size_t, bool, bool);
template bool dissect_http(TreeSink&, std::span<const std::byte>, std::size_t);
template bool dissect_http(JsonSink&, std::span<const std::byte>, std::size_t);
template void dissect_dhcp(TableSink&, std::span<const std::byte>, std::size_t, bool);
template void dissect_dns(TableSink&, std::span<const std::byte>, std::size_t, bool, bool);
template bool dissect_http(TableSink&, std::span<const std::byte>, std::size_t);
template void dns_fields(TreeSink&, const DnsMessage&);

}  // namespace weft::wire::detail

namespace weft::wire {

DissectValue dns_value(const DnsMessage& m) {
    DissectValue::Object o;
    detail::TreeSink sink(o);
    detail::dns_fields(sink, m);
    return o;
}

}  // namespace weft::wire
