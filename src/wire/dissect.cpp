// The link, network and transport layers of the dissector: Ethernet (802.1Q), ARP, IPv4 with
// fragments, ICMP, UDP, TCP; then the hand-off to DHCP, DNS and HTTP (dissect_app.cpp).
#include <optional>

#include "dissect_detail.hpp"
#include "weft/wire/arp.hpp"
#include "weft/wire/byte_reader.hpp"
#include "weft/wire/dhcp.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/icmp.hpp"
#include "weft/wire/ipv4.hpp"
#include "weft/wire/pcap.hpp"
#include "weft/wire/tcp.hpp"
#include "weft/wire/udp.hpp"

namespace weft::wire {

namespace detail {

DissectLayer& add_layer(DissectedFrame& frame, const char* name, std::size_t offset, std::size_t size) {
    DissectLayer& l = frame.layers.emplace_back();
    l.name = name;
    l.offset = offset;
    l.size = size;
    return l;
}

void add(DissectLayer& layer, const char* name, DissectValue value) {
    layer.fields.push_back(DissectField{name, std::move(value)});
}

void add_error(DissectedFrame& frame, const char* at, std::size_t offset, std::string reason) {
    DissectLayer& l = add_layer(frame, "error", offset, 0);
    add(l, "at", at);
    add(l, "offset", std::uint64_t{offset});
    add(l, "reason", std::move(reason));
}

void add_error(DissectedFrame& frame, const WireError& error, std::size_t base) {
    add_error(frame, error.layer, base + error.offset, error.reason);
}

void add_payload(DissectedFrame& frame, std::size_t offset, std::size_t length) {
    if (length == 0) return;
    add(add_layer(frame, "payload", offset, length), "length", std::uint64_t{length});
}

}  // namespace detail

namespace {

using detail::add;
using detail::add_error;
using detail::add_layer;
using detail::add_payload;

constexpr bool is_dns_port(std::uint16_t port) noexcept { return port == 53 || port == 5353; }
constexpr bool is_dhcp_port(std::uint16_t port) noexcept {
    return port == kDhcpServerPort || port == kDhcpClientPort;
}

// What follows a transport header: the application layer the ports (or for HTTP the first
// bytes) name, else a payload layer. `partial`: the first fragment of a datagram.
void dissect_udp_data(DissectedFrame& frame, std::uint16_t src, std::uint16_t dst,
                      std::span<const std::byte> data, std::size_t base, bool partial) {
    if (data.empty()) return;
    if (is_dhcp_port(src) || is_dhcp_port(dst)) return detail::dissect_dhcp(frame, data, base, partial);
    if (is_dns_port(src) || is_dns_port(dst)) return detail::dissect_dns(frame, data, base, false, partial);
    add_payload(frame, base, data.size());
}

void dissect_tcp_data(DissectedFrame& frame, std::uint16_t src, std::uint16_t dst,
                      std::span<const std::byte> data, std::size_t base, bool partial) {
    if (data.empty()) return;
    if (is_dns_port(src) || is_dns_port(dst)) return detail::dissect_dns(frame, data, base, true, partial);
    if (detail::dissect_http(frame, data, base)) return;
    add_payload(frame, base, data.size());
}

DissectValue::List tcp_options(const TcpSegment& tcp) {
    DissectValue::List list;
    for (const TcpOption& o : tcp.options) {
        DissectValue::Object obj{{"kind", unsigned{o.kind}}, {"length", unsigned{o.length}}};
        switch (o.kind) {
        case kTcpOptionMss: obj.push_back({"mss", unsigned{o.mss}}); break;
        case kTcpOptionWindowScale: obj.push_back({"wscale", unsigned{o.window_scale}}); break;
        case kTcpOptionTimestamps:
            obj.push_back({"tsval", o.ts_value});
            obj.push_back({"tsecr", o.ts_echo});
            break;
        default: break;
        }
        list.emplace_back(std::move(obj));
    }
    return list;
}

// `checksum_ok` is null in a first fragment: the checksum covers bytes this frame lacks.
void dissect_tcp(DissectedFrame& frame, const Ipv4Packet& ip, std::size_t base, bool fragment) {
    auto parsed = TcpSegment::parse(ip.payload);
    if (!parsed) return add_error(frame, parsed.error(), base);
    const TcpSegment& tcp = *parsed;
    DissectLayer& l = add_layer(frame, "tcp", base, tcp.header_length);
    add(l, "src_port", unsigned{tcp.src_port});
    add(l, "dst_port", unsigned{tcp.dst_port});
    add(l, "seq", tcp.seq);
    add(l, "ack", tcp.ack);
    add(l, "header_length", std::uint64_t{tcp.header_length});
    DissectValue::List flags;
    for (const char* name : tcp_flag_names(tcp.flags)) flags.emplace_back(name);
    add(l, "flags", std::move(flags));
    add(l, "window", unsigned{tcp.window});
    add(l, "checksum", unsigned{tcp.checksum});
    add(l, "checksum_ok", fragment ? DissectValue() : DissectValue(tcp.checksum_ok(ip.src, ip.dst)));
    add(l, "options", tcp_options(tcp));
    dissect_tcp_data(frame, tcp.src_port, tcp.dst_port, tcp.payload, base + tcp.header_length, fragment);
}

void dissect_udp(DissectedFrame& frame, const Ipv4Packet& ip, std::size_t base, bool fragment) {
    // UdpDatagram::parse insists that the length field fits the span, which a first fragment
    // never satisfies; there the 8 header bytes are read as they are.
    std::uint16_t src = 0, dst = 0, length = 0, checksum = 0;
    std::span<const std::byte> data;
    std::optional<bool> ok;
    if (fragment) {
        ByteReader r(ip.payload);
        auto s = r.u16(), d = r.u16(), n = r.u16(), c = r.u16();
        if (!c) {
            return add_error(frame, "udp", base,
                             "truncated header: need 8 bytes, have " + std::to_string(ip.payload.size()));
        }
        src = *s, dst = *d, length = *n, checksum = *c;
        data = r.rest();
        if (checksum == 0) ok = true;  // the sender computed none: nothing to verify
    } else {
        auto parsed = UdpDatagram::parse(ip.payload);
        if (!parsed) return add_error(frame, parsed.error(), base);
        src = parsed->src_port, dst = parsed->dst_port, length = parsed->length, checksum = parsed->checksum;
        data = parsed->payload;
        ok = parsed->checksum_ok(ip.src, ip.dst);
    }
    DissectLayer& l = add_layer(frame, "udp", base, kUdpHeaderSize);
    add(l, "src_port", unsigned{src});
    add(l, "dst_port", unsigned{dst});
    add(l, "length", unsigned{length});
    add(l, "checksum", unsigned{checksum});
    add(l, "checksum_ok", ok ? DissectValue(*ok) : DissectValue());
    dissect_udp_data(frame, src, dst, data, base + kUdpHeaderSize, fragment);
}

void dissect_icmp(DissectedFrame& frame, const Ipv4Packet& ip, std::size_t base, bool fragment) {
    auto parsed = IcmpMessage::parse(ip.payload);
    if (!parsed) return add_error(frame, parsed.error(), base);
    const IcmpMessage& icmp = *parsed;
    DissectLayer& l = add_layer(frame, "icmp", base, kIcmpHeaderSize);
    add(l, "type", unsigned{icmp.type});
    add(l, "code", unsigned{icmp.code});
    add(l, "checksum", unsigned{icmp.checksum});
    add(l, "checksum_ok", fragment ? DissectValue() : DissectValue(icmp.checksum_ok));
    if (icmp.is_echo()) {
        add(l, "id", unsigned{icmp.id()});
        add(l, "seq", unsigned{icmp.seq()});
    }
    add_payload(frame, base + kIcmpHeaderSize, icmp.payload.size());
}

void dissect_ipv4(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base) {
    auto parsed = Ipv4Packet::parse(bytes);
    if (!parsed) return add_error(frame, parsed.error(), base);
    const Ipv4Packet& ip = *parsed;
    DissectLayer& l = add_layer(frame, "ipv4", base, ip.header_length);
    add(l, "src", ip.src.to_string());
    add(l, "dst", ip.dst.to_string());
    add(l, "header_length", std::uint64_t{ip.header_length});
    add(l, "total_length", unsigned{ip.total_length});
    add(l, "id", unsigned{ip.identification});
    add(l, "df", ip.dont_fragment);
    add(l, "mf", ip.more_fragments);
    add(l, "fragment_offset", unsigned{ip.fragment_offset});
    add(l, "ttl", unsigned{ip.ttl});
    add(l, "protocol", unsigned{ip.protocol});
    add(l, "checksum", unsigned{ip.checksum});
    add(l, "checksum_ok", ip.checksum_ok);
    DissectValue::List options;
    for (const Ipv4Option& o : ip.options)
        options.emplace_back(DissectValue::Object{{"type", unsigned{o.type}}, {"length", unsigned{o.length}}});
    add(l, "options", std::move(options));

    const std::size_t payload_at = base + ip.header_length;
    // Later fragments hold the middle of some transport segment: nothing to name in them.
    if (ip.fragment_offset != 0) return add_payload(frame, payload_at, ip.payload.size());
    const bool fragment = ip.more_fragments;
    switch (ip.protocol) {
    case kIpProtocolTcp: return dissect_tcp(frame, ip, payload_at, fragment);
    case kIpProtocolUdp: return dissect_udp(frame, ip, payload_at, fragment);
    case kIpProtocolIcmp: return dissect_icmp(frame, ip, payload_at, fragment);
    default: return add_payload(frame, payload_at, ip.payload.size());
    }
}

void dissect_arp(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base) {
    auto parsed = ArpPacket::parse(bytes);
    if (!parsed) return add_error(frame, parsed.error(), base);
    DissectLayer& l = add_layer(frame, "arp", base, kArpPacketSize);
    add(l, "op", unsigned{parsed->operation});
    add(l, "sender_mac", parsed->sender_mac.to_string());
    add(l, "sender_ip", parsed->sender_ip.to_string());
    add(l, "target_mac", parsed->target_mac.to_string());
    add(l, "target_ip", parsed->target_ip.to_string());
    // Whatever follows the 28 bytes is Ethernet padding, not payload.
}

}  // namespace

DissectedFrame dissect_frame(std::span<const std::byte> bytes, std::size_t original_length,
                             std::uint32_t linktype) {
    DissectedFrame frame;
    frame.length = bytes.size();
    frame.original_length = original_length == 0 ? bytes.size() : original_length;
    if (linktype != kLinktypeEthernet) {
        add_error(frame, "ethernet", 0,
                  "link type " + std::to_string(linktype) + " is not Ethernet (1): not decoded");
        return frame;
    }
    auto eth = EthernetFrame::parse(bytes);
    if (!eth) {
        add_error(frame, eth.error(), 0);
        return frame;
    }
    DissectLayer& l = add_layer(frame, "ethernet", 0, eth->header_length);
    add(l, "dst", eth->dst.to_string());
    add(l, "src", eth->src.to_string());
    add(l, "type", unsigned{eth->type});
    if (eth->vlan) add(l, "vlan", unsigned{eth->vlan->id});
    const std::size_t base = eth->header_length;
    switch (eth->type) {
    case kEtherTypeIpv4: dissect_ipv4(frame, eth->payload, base); break;
    case kEtherTypeArp: dissect_arp(frame, eth->payload, base); break;
    default: add_payload(frame, base, eth->payload.size()); break;
    }
    return frame;
}

}  // namespace weft::wire
