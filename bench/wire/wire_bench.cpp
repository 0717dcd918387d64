// weft wire/ codecs: decode and encode of each layer, and whole frames decoded layer by
// layer. Every decode reads the fields a packet handler would (the same ones tins_bench.cpp
// reads through libtins) and hands them to benchmark::DoNotOptimize.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "frames.hpp"
#include "weft/wire/arp.hpp"
#include "weft/wire/dhcp.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/http.hpp"
#include "weft/wire/icmp.hpp"
#include "weft/wire/ipv4.hpp"
#include "weft/wire/tcp.hpp"
#include "weft/wire/udp.hpp"

namespace {

using namespace weft::wire;
using weft::bench::from_hex;
using weft::bench::kEthHeader;
using weft::bench::kIpv4Header;
using weft::bench::kUdpHeader;
using Bytes = std::vector<std::byte>;

const Bytes& tcp_frame() { static const Bytes b = from_hex(weft::bench::kTcpHttpFrameHex); return b; }
const Bytes& arp_frame() { static const Bytes b = from_hex(weft::bench::kArpFrameHex); return b; }
const Bytes& dns_frame() { static const Bytes b = from_hex(weft::bench::kDnsFrameHex); return b; }
const Bytes& dhcp_frame() { static const Bytes b = from_hex(weft::bench::kDhcpFrameHex); return b; }
const Bytes& icmp_echo() { static const Bytes b = from_hex(weft::bench::kIcmpEchoHex); return b; }

std::span<const std::byte> ip_of(const Bytes& frame) { return std::span(frame).subspan(kEthHeader); }
std::span<const std::byte> l4_of(const Bytes& frame) { return ip_of(frame).subspan(kIpv4Header); }
std::span<const std::byte> udp_payload_of(const Bytes& frame) { return l4_of(frame).subspan(kUdpHeader); }

void fail(benchmark::State& state, const WireError& e) { state.SkipWithError(e.to_string().c_str()); }

// ---- the fields read per layer (the same ones tins_bench.cpp reads) ----

void read(const EthernetFrame& e) {
    benchmark::DoNotOptimize(e.dst);
    benchmark::DoNotOptimize(e.src);
    benchmark::DoNotOptimize(e.type);
}
void read(const Ipv4Packet& p) {
    benchmark::DoNotOptimize(p.src);
    benchmark::DoNotOptimize(p.dst);
    benchmark::DoNotOptimize(p.ttl);
    benchmark::DoNotOptimize(p.protocol);
    benchmark::DoNotOptimize(p.identification);
    benchmark::DoNotOptimize(p.total_length);
}
void read(const TcpSegment& s) {
    benchmark::DoNotOptimize(s.src_port);
    benchmark::DoNotOptimize(s.dst_port);
    benchmark::DoNotOptimize(s.seq);
    benchmark::DoNotOptimize(s.ack);
    benchmark::DoNotOptimize(s.flags);
    benchmark::DoNotOptimize(s.window);
    benchmark::DoNotOptimize(s.options.size());
    benchmark::DoNotOptimize(s.payload.size());
}
void read(const UdpDatagram& d) {
    benchmark::DoNotOptimize(d.src_port);
    benchmark::DoNotOptimize(d.dst_port);
    benchmark::DoNotOptimize(d.payload.size());
}

// ---- decode, one layer at a time (each over its own bytes inside the frame) ----

void BM_decode_ethernet(benchmark::State& state) {
    const auto& f = tcp_frame();
    for (auto _ : state) {
        auto e = EthernetFrame::parse(f);
        if (!e) return fail(state, e.error());
        read(*e);
    }
}
BENCHMARK(BM_decode_ethernet)->Name("decode/ethernet");

void BM_decode_arp(benchmark::State& state) {
    const auto bytes = std::span(arp_frame()).subspan(kEthHeader);
    for (auto _ : state) {
        auto a = ArpPacket::parse(bytes);
        if (!a) return fail(state, a.error());
        benchmark::DoNotOptimize(a->operation);
        benchmark::DoNotOptimize(a->sender_mac);
        benchmark::DoNotOptimize(a->sender_ip);
        benchmark::DoNotOptimize(a->target_ip);
    }
}
BENCHMARK(BM_decode_arp)->Name("decode/arp");

void BM_decode_ipv4(benchmark::State& state) {
    const auto bytes = ip_of(tcp_frame());
    for (auto _ : state) {
        auto p = Ipv4Packet::parse(bytes);
        if (!p) return fail(state, p.error());
        read(*p);
        benchmark::DoNotOptimize(p->checksum_ok);
    }
}
BENCHMARK(BM_decode_ipv4)->Name("decode/ipv4");

void BM_decode_icmp(benchmark::State& state) {
    const auto& bytes = icmp_echo();
    for (auto _ : state) {
        auto m = IcmpMessage::parse(bytes);
        if (!m) return fail(state, m.error());
        benchmark::DoNotOptimize(m->type);
        benchmark::DoNotOptimize(m->id());
        benchmark::DoNotOptimize(m->seq());
        benchmark::DoNotOptimize(m->checksum_ok);
    }
}
BENCHMARK(BM_decode_icmp)->Name("decode/icmp");

void BM_decode_udp(benchmark::State& state) {
    const auto bytes = l4_of(dns_frame());
    for (auto _ : state) {
        auto d = UdpDatagram::parse(bytes);
        if (!d) return fail(state, d.error());
        read(*d);
    }
}
BENCHMARK(BM_decode_udp)->Name("decode/udp");

void BM_decode_tcp(benchmark::State& state) {
    const auto bytes = l4_of(tcp_frame());
    for (auto _ : state) {
        auto s = TcpSegment::parse(bytes);
        if (!s) return fail(state, s.error());
        read(*s);
    }
}
BENCHMARK(BM_decode_tcp)->Name("decode/tcp_options");

void BM_decode_dhcp(benchmark::State& state) {
    const auto bytes = udp_payload_of(dhcp_frame());
    for (auto _ : state) {
        auto p = parse_dhcp(bytes);
        if (!p) return fail(state, p.error());
        benchmark::DoNotOptimize(p->xid);
        benchmark::DoNotOptimize(p->message_type());
        benchmark::DoNotOptimize(p->options.size());
    }
}
BENCHMARK(BM_decode_dhcp)->Name("decode/dhcp");

void BM_decode_dns(benchmark::State& state) {
    const auto bytes = udp_payload_of(dns_frame());
    for (auto _ : state) {
        auto m = parse_dns(bytes);
        if (!m) return fail(state, m.error());
        benchmark::DoNotOptimize(m->header.id);
        benchmark::DoNotOptimize(m->questions.size());
        benchmark::DoNotOptimize(m->answers.size());
        benchmark::DoNotOptimize(m->authority.size());
        benchmark::DoNotOptimize(m->additional.size());
    }
}
BENCHMARK(BM_decode_dns)->Name("decode/dns_compressed");

void BM_decode_http(benchmark::State& state) {
    const auto tcp = TcpSegment::parse(l4_of(tcp_frame())).value();
    const std::string_view text(reinterpret_cast<const char*>(tcp.payload.data()), tcp.payload.size());
    for (auto _ : state) {
        HttpRequestHead head;
        auto r = parse_http_request_head(text, head);
        if (r.status != HttpParseStatus::complete) return fail(state, r.error);
        benchmark::DoNotOptimize(head.method.size());
        benchmark::DoNotOptimize(head.target.size());
        benchmark::DoNotOptimize(head.headers.size());
    }
}
BENCHMARK(BM_decode_http)->Name("decode/http_head");

// ---- whole frames, every layer decoded ----

void BM_decode_frame_tcp(benchmark::State& state) {
    const auto& f = tcp_frame();
    for (auto _ : state) {
        auto e = EthernetFrame::parse(f);
        if (!e) return fail(state, e.error());
        auto p = Ipv4Packet::parse(e->payload);
        if (!p) return fail(state, p.error());
        auto s = TcpSegment::parse(p->payload);
        if (!s) return fail(state, s.error());
        read(*e);
        read(*p);
        read(*s);
    }
}
BENCHMARK(BM_decode_frame_tcp)->Name("frame/eth_ipv4_tcp/weft");

void BM_decode_frame_http(benchmark::State& state) {
    const auto& f = tcp_frame();
    for (auto _ : state) {
        auto e = EthernetFrame::parse(f);
        if (!e) return fail(state, e.error());
        auto p = Ipv4Packet::parse(e->payload);
        if (!p) return fail(state, p.error());
        auto s = TcpSegment::parse(p->payload);
        if (!s) return fail(state, s.error());
        HttpRequestHead head;
        auto r = parse_http_request_head(
            std::string_view(reinterpret_cast<const char*>(s->payload.data()), s->payload.size()), head);
        if (r.status != HttpParseStatus::complete) return fail(state, r.error);
        read(*e);
        read(*p);
        read(*s);
        benchmark::DoNotOptimize(head.method.size());
        benchmark::DoNotOptimize(head.headers.size());
    }
}
BENCHMARK(BM_decode_frame_http)->Name("frame/eth_ipv4_tcp_http/weft");

void BM_decode_frame_arp(benchmark::State& state) {
    const auto& f = arp_frame();
    for (auto _ : state) {
        auto e = EthernetFrame::parse(f);
        if (!e) return fail(state, e.error());
        auto a = ArpPacket::parse(e->payload);
        if (!a) return fail(state, a.error());
        read(*e);
        benchmark::DoNotOptimize(a->operation);
        benchmark::DoNotOptimize(a->sender_ip);
        benchmark::DoNotOptimize(a->target_ip);
    }
}
BENCHMARK(BM_decode_frame_arp)->Name("frame/eth_arp/weft");

void BM_decode_frame_dns(benchmark::State& state) {
    const auto& f = dns_frame();
    for (auto _ : state) {
        auto e = EthernetFrame::parse(f);
        if (!e) return fail(state, e.error());
        auto p = Ipv4Packet::parse(e->payload);
        if (!p) return fail(state, p.error());
        auto d = UdpDatagram::parse(p->payload);
        if (!d) return fail(state, d.error());
        auto m = parse_dns(d->payload);
        if (!m) return fail(state, m.error());
        read(*e);
        read(*p);
        read(*d);
        benchmark::DoNotOptimize(m->header.id);
        benchmark::DoNotOptimize(m->answers.size());
    }
}
BENCHMARK(BM_decode_frame_dns)->Name("frame/eth_ipv4_udp_dns/weft");

// ---- encode, one layer at a time, into a reused buffer (append_to), checksums computed ----

void BM_encode_ethernet(benchmark::State& state) {
    const auto e = EthernetFrame::parse(tcp_frame()).value();
    Bytes out;
    for (auto _ : state) {
        out.clear();
        e.append_to(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_ethernet)->Name("encode/ethernet");

void BM_encode_arp(benchmark::State& state) {
    const auto a = ArpPacket::parse(std::span(arp_frame()).subspan(kEthHeader)).value();
    Bytes out;
    for (auto _ : state) {
        out.clear();
        a.append_to(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_arp)->Name("encode/arp");

void BM_encode_ipv4(benchmark::State& state) {
    const auto p = Ipv4Packet::parse(ip_of(tcp_frame())).value();
    Bytes out;
    for (auto _ : state) {
        out.clear();
        p.append_to(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_ipv4)->Name("encode/ipv4");

void BM_encode_icmp(benchmark::State& state) {
    const auto m = IcmpMessage::parse(icmp_echo()).value();
    Bytes out;
    for (auto _ : state) {
        out.clear();
        m.append_to(out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_icmp)->Name("encode/icmp");

void BM_encode_udp(benchmark::State& state) {
    const auto d = UdpDatagram::parse(l4_of(dns_frame())).value();
    const auto ip = Ipv4Packet::parse(ip_of(dns_frame())).value();
    Bytes out;
    for (auto _ : state) {
        out.clear();
        d.append_to(out, ip.src, ip.dst);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_udp)->Name("encode/udp");

void BM_encode_tcp(benchmark::State& state) {
    const auto s = TcpSegment::parse(l4_of(tcp_frame())).value();
    const auto ip = Ipv4Packet::parse(ip_of(tcp_frame())).value();
    Bytes out;
    for (auto _ : state) {
        out.clear();
        s.append_to(out, ip.src, ip.dst);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_tcp)->Name("encode/tcp_options");

void BM_encode_dhcp(benchmark::State& state) {
    const auto m = DhcpMessage::from_packet(parse_dhcp(udp_payload_of(dhcp_frame())).value());
    for (auto _ : state) {
        auto out = build_dhcp(m);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_dhcp)->Name("encode/dhcp");

void BM_encode_dns(benchmark::State& state) {
    const auto m = parse_dns(udp_payload_of(dns_frame())).value();
    for (auto _ : state) {
        auto out = build_dns(m);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_encode_dns)->Name("encode/dns_compressed");

void BM_encode_http(benchmark::State& state) {
    const HttpHeader headers[] = {{"Host", "www.google.com"}, {"User-Agent", "weft"}, {"Accept", "*/*"}};
    for (auto _ : state) {
        auto out = serialize_http_request_head("GET", "/", headers);
        benchmark::DoNotOptimize(out->data());
    }
}
BENCHMARK(BM_encode_http)->Name("encode/http_head");

void BM_encode_frame_tcp(benchmark::State& state) {
    const auto& f = tcp_frame();
    const auto e = EthernetFrame::parse(f).value();
    const auto p = Ipv4Packet::parse(e.payload).value();
    const auto s = TcpSegment::parse(p.payload).value();
    Bytes segment, datagram, frame;
    for (auto _ : state) {
        segment.clear();
        datagram.clear();
        frame.clear();
        s.append_to(segment, p.src, p.dst);
        Ipv4Packet ip = p;
        ip.payload = segment;
        ip.append_to(datagram);
        EthernetFrame eth = e;
        eth.payload = datagram;
        eth.append_to(frame);
        benchmark::DoNotOptimize(frame.data());
    }
}
BENCHMARK(BM_encode_frame_tcp)->Name("frame_encode/eth_ipv4_tcp/weft");

}  // namespace

BENCHMARK_MAIN();
