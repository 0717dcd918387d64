// The link, network and transport layers of the dissector: Ethernet (802.1Q), ARP, IPv4 with
// fragments, ICMP, UDP, TCP; then the hand-off to DHCP, DNS and HTTP (dissect_app.cpp).
#include <optional>
#include <string>

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

namespace {

using detail::add_error;
using detail::add_payload;
using detail::DissectSink;
using detail::JsonSink;
using detail::TreeSink;

constexpr bool is_dns_port(std::uint16_t port) noexcept { return port == 53 || port == 5353; }
constexpr bool is_dhcp_port(std::uint16_t port) noexcept {
    return port == kDhcpServerPort || port == kDhcpClientPort;
}

// A checksum that could not be checked (a first fragment lacks bytes it covers) is null.
template <DissectSink Sink>
void checksum_ok(Sink& sink, std::optional<bool> ok) {
    if (ok) sink.boolean("checksum_ok", *ok);
    else sink.null("checksum_ok");
}

// What follows a transport header: the application layer the ports (or for HTTP the first
// bytes) name, else a payload layer. `partial`: the first fragment of a datagram.
template <DissectSink Sink>
void dissect_udp_data(Sink& sink, std::uint16_t src, std::uint16_t dst, std::span<const std::byte> data,
                      std::size_t base, bool partial) {
    if (data.empty()) return;
    if (is_dhcp_port(src) || is_dhcp_port(dst)) return detail::dissect_dhcp(sink, data, base, partial);
    if (is_dns_port(src) || is_dns_port(dst)) return detail::dissect_dns(sink, data, base, false, partial);
    add_payload(sink, base, data.size());
}

template <DissectSink Sink>
void dissect_tcp_data(Sink& sink, std::uint16_t src, std::uint16_t dst, std::span<const std::byte> data,
                      std::size_t base, bool partial) {
    if (data.empty()) return;
    if (is_dns_port(src) || is_dns_port(dst)) return detail::dissect_dns(sink, data, base, true, partial);
    if (detail::dissect_http(sink, data, base)) return;
    add_payload(sink, base, data.size());
}

template <DissectSink Sink>
void tcp_options(Sink& sink, const TcpSegment& tcp) {
    sink.begin_list("options");
    for (const TcpOption& o : tcp.options) {
        sink.begin_object("");
        sink.number("kind", o.kind);
        sink.number("length", o.length);
        switch (o.kind) {
        case kTcpOptionMss: sink.number("mss", o.mss); break;
        case kTcpOptionWindowScale: sink.number("wscale", o.window_scale); break;
        case kTcpOptionTimestamps:
            sink.number("tsval", o.ts_value);
            sink.number("tsecr", o.ts_echo);
            break;
        default: break;
        }
        sink.end_object();
    }
    sink.end_list();
}

// The flag names in bit order, as tcp_flag_names() gives them, without its vector.
template <DissectSink Sink>
void tcp_flags(Sink& sink, std::uint16_t flags) {
    static constexpr std::string_view kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"};
    sink.begin_list("flags");
    for (std::size_t i = 0; i < std::size(kNames); ++i)
        if (flags & (1u << i)) sink.plain("", kNames[i]);
    sink.end_list();
}

// `checksum_ok` is null in a first fragment: the checksum covers bytes this frame lacks.
template <DissectSink Sink>
void dissect_tcp(Sink& sink, const Ipv4Packet& ip, std::size_t base, bool fragment) {
    auto parsed = TcpSegment::parse(ip.payload);
    if (!parsed) return add_error(sink, parsed.error(), base);
    const TcpSegment& tcp = *parsed;
    sink.begin_layer("tcp", base, tcp.header_length);
    sink.number("src_port", tcp.src_port);
    sink.number("dst_port", tcp.dst_port);
    sink.number("seq", tcp.seq);
    sink.number("ack", tcp.ack);
    sink.number("header_length", static_cast<std::int64_t>(tcp.header_length));
    tcp_flags(sink, tcp.flags);
    sink.number("window", tcp.window);
    sink.number("checksum", tcp.checksum);
    checksum_ok(sink, fragment ? std::nullopt : std::optional<bool>(tcp.checksum_ok(ip.src, ip.dst)));
    tcp_options(sink, tcp);
    dissect_tcp_data(sink, tcp.src_port, tcp.dst_port, tcp.payload, base + tcp.header_length, fragment);
}

template <DissectSink Sink>
void dissect_udp(Sink& sink, const Ipv4Packet& ip, std::size_t base, bool fragment) {
    // UdpDatagram::parse insists that the length field fits the span, which a first fragment
    // never satisfies; there the 8 header bytes are read as they are.
    std::uint16_t src = 0, dst = 0, length = 0, checksum = 0;
    std::span<const std::byte> data;
    std::optional<bool> ok;
    if (fragment) {
        ByteReader r(ip.payload);
        auto s = r.u16(), d = r.u16(), n = r.u16(), c = r.u16();
        if (!c) {
            return add_error(sink, "udp", base,
                             "truncated header: need 8 bytes, have " + std::to_string(ip.payload.size()));
        }
        src = *s, dst = *d, length = *n, checksum = *c;
        data = r.rest();
        if (checksum == 0) ok = true;  // the sender computed none: nothing to verify
    } else {
        auto parsed = UdpDatagram::parse(ip.payload);
        if (!parsed) return add_error(sink, parsed.error(), base);
        src = parsed->src_port, dst = parsed->dst_port, length = parsed->length, checksum = parsed->checksum;
        data = parsed->payload;
        ok = parsed->checksum_ok(ip.src, ip.dst);
    }
    sink.begin_layer("udp", base, kUdpHeaderSize);
    sink.number("src_port", src);
    sink.number("dst_port", dst);
    sink.number("length", length);
    sink.number("checksum", checksum);
    checksum_ok(sink, ok);
    dissect_udp_data(sink, src, dst, data, base + kUdpHeaderSize, fragment);
}

template <DissectSink Sink>
void dissect_icmp(Sink& sink, const Ipv4Packet& ip, std::size_t base, bool fragment) {
    auto parsed = IcmpMessage::parse(ip.payload);
    if (!parsed) return add_error(sink, parsed.error(), base);
    const IcmpMessage& icmp = *parsed;
    sink.begin_layer("icmp", base, kIcmpHeaderSize);
    sink.number("type", icmp.type);
    sink.number("code", icmp.code);
    sink.number("checksum", icmp.checksum);
    checksum_ok(sink, fragment ? std::nullopt : std::optional<bool>(icmp.checksum_ok));
    if (icmp.is_echo()) {
        sink.number("id", icmp.id());
        sink.number("seq", icmp.seq());
    }
    add_payload(sink, base + kIcmpHeaderSize, icmp.payload.size());
}

template <DissectSink Sink>
void dissect_ipv4(Sink& sink, std::span<const std::byte> bytes, std::size_t base) {
    auto parsed = Ipv4Packet::parse(bytes);
    if (!parsed) return add_error(sink, parsed.error(), base);
    const Ipv4Packet& ip = *parsed;
    sink.begin_layer("ipv4", base, ip.header_length);
    sink.address("src", ip.src);
    sink.address("dst", ip.dst);
    sink.number("header_length", static_cast<std::int64_t>(ip.header_length));
    sink.number("total_length", ip.total_length);
    sink.number("id", ip.identification);
    sink.boolean("df", ip.dont_fragment);
    sink.boolean("mf", ip.more_fragments);
    sink.number("fragment_offset", ip.fragment_offset);
    sink.number("ttl", ip.ttl);
    sink.number("protocol", ip.protocol);
    sink.number("checksum", ip.checksum);
    sink.boolean("checksum_ok", ip.checksum_ok);
    sink.begin_list("options");
    for (const Ipv4Option& o : ip.options) {
        sink.begin_object("");
        sink.number("type", o.type);
        sink.number("length", o.length);
        sink.end_object();
    }
    sink.end_list();

    const std::size_t payload_at = base + ip.header_length;
    // Later fragments hold the middle of some transport segment: nothing to name in them.
    if (ip.fragment_offset != 0) return add_payload(sink, payload_at, ip.payload.size());
    const bool fragment = ip.more_fragments;
    switch (ip.protocol) {
    case kIpProtocolTcp: return dissect_tcp(sink, ip, payload_at, fragment);
    case kIpProtocolUdp: return dissect_udp(sink, ip, payload_at, fragment);
    case kIpProtocolIcmp: return dissect_icmp(sink, ip, payload_at, fragment);
    default: return add_payload(sink, payload_at, ip.payload.size());
    }
}

template <DissectSink Sink>
void dissect_arp(Sink& sink, std::span<const std::byte> bytes, std::size_t base) {
    auto parsed = ArpPacket::parse(bytes);
    if (!parsed) return add_error(sink, parsed.error(), base);
    sink.begin_layer("arp", base, kArpPacketSize);
    sink.number("op", parsed->operation);
    sink.address("sender_mac", parsed->sender_mac);
    sink.address("sender_ip", parsed->sender_ip);
    sink.address("target_mac", parsed->target_mac);
    sink.address("target_ip", parsed->target_ip);
    // Whatever follows the 28 bytes is Ethernet padding, not payload.
}

}  // namespace

template <detail::DissectSink Sink>
void detail::dissect(std::span<const std::byte> bytes, std::uint32_t linktype, Sink& sink) {
    if (linktype != kLinktypeEthernet) {
        return add_error(sink, "ethernet", 0,
                         "link type " + std::to_string(linktype) + " is not Ethernet (1): not decoded");
    }
    auto eth = EthernetFrame::parse(bytes);
    if (!eth) return add_error(sink, eth.error(), 0);
    sink.begin_layer("ethernet", 0, eth->header_length);
    sink.address("dst", eth->dst);
    sink.address("src", eth->src);
    sink.number("type", eth->type);
    if (eth->vlan) sink.number("vlan", eth->vlan->id);
    const std::size_t base = eth->header_length;
    switch (eth->type) {
    case kEtherTypeIpv4: return dissect_ipv4(sink, eth->payload, base);
    case kEtherTypeArp: return dissect_arp(sink, eth->payload, base);
    default: return add_payload(sink, base, eth->payload.size());
    }
}

template void detail::dissect(std::span<const std::byte>, std::uint32_t, TreeSink&);
template void detail::dissect(std::span<const std::byte>, std::uint32_t, JsonSink&);
template void detail::dissect(std::span<const std::byte>, std::uint32_t, detail::TableSink&);

DissectedFrame dissect_frame(std::span<const std::byte> bytes, std::size_t original_length,
                             std::uint32_t linktype) {
    DissectedFrame frame;
    frame.length = bytes.size();
    frame.original_length = original_length == 0 ? bytes.size() : original_length;
    detail::TreeSink sink(frame);
    detail::dissect(bytes, linktype, sink);
    return frame;
}

void append_frame_json(std::string& out, std::size_t number, std::span<const std::byte> bytes,
                       std::size_t original_length, std::uint32_t linktype) {
    detail::JsonSink sink(out, number, bytes.size(), original_length == 0 ? bytes.size() : original_length);
    detail::dissect(bytes, linktype, sink);
    sink.finish();
}

void append_frame_table(std::string& out, std::size_t number, std::span<const std::byte> bytes,
                        std::size_t original_length, std::uint32_t linktype) {
    detail::TableSink sink(out, number, bytes.size(), original_length == 0 ? bytes.size() : original_length);
    detail::dissect(bytes, linktype, sink);
    sink.finish();
}

}  // namespace weft::wire
