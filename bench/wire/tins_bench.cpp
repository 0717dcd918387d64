// The same frames decoded (and the TCP frame encoded) by libtins, the C++ packet library
// weft measures itself against. Each benchmark reads the fields wire_bench.cpp reads.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include <tins/tins.h>

#include "frames.hpp"

namespace {

using weft::bench::from_hex;
using Bytes = std::vector<std::byte>;

const Bytes& tcp_frame() { static const Bytes b = from_hex(weft::bench::kTcpHttpFrameHex); return b; }
const Bytes& arp_frame() { static const Bytes b = from_hex(weft::bench::kArpFrameHex); return b; }
const Bytes& dns_frame() { static const Bytes b = from_hex(weft::bench::kDnsFrameHex); return b; }
const Bytes& dhcp_frame() { static const Bytes b = from_hex(weft::bench::kDhcpFrameHex); return b; }

const std::uint8_t* data(const Bytes& b) { return reinterpret_cast<const std::uint8_t*>(b.data()); }
std::uint32_t size(const Bytes& b) { return static_cast<std::uint32_t>(b.size()); }

void read(const Tins::EthernetII& e) {
    benchmark::DoNotOptimize(e.dst_addr());
    benchmark::DoNotOptimize(e.src_addr());
    benchmark::DoNotOptimize(e.payload_type());
}
void read(const Tins::IP& p) {
    benchmark::DoNotOptimize(p.src_addr());
    benchmark::DoNotOptimize(p.dst_addr());
    benchmark::DoNotOptimize(p.ttl());
    benchmark::DoNotOptimize(p.protocol());
    benchmark::DoNotOptimize(p.id());
    benchmark::DoNotOptimize(p.tot_len());
}

void BM_tins_frame_tcp(benchmark::State& state) {
    const auto& f = tcp_frame();
    for (auto _ : state) {
        Tins::EthernetII eth(data(f), size(f));
        const auto& ip = eth.rfind_pdu<Tins::IP>();
        const auto& tcp = eth.rfind_pdu<Tins::TCP>();
        read(eth);
        read(ip);
        benchmark::DoNotOptimize(tcp.sport());
        benchmark::DoNotOptimize(tcp.dport());
        benchmark::DoNotOptimize(tcp.seq());
        benchmark::DoNotOptimize(tcp.ack_seq());
        benchmark::DoNotOptimize(tcp.flags());
        benchmark::DoNotOptimize(tcp.window());
        benchmark::DoNotOptimize(tcp.options().size());
        benchmark::DoNotOptimize(tcp.inner_pdu() ? tcp.inner_pdu()->size() : 0);
    }
}
BENCHMARK(BM_tins_frame_tcp)->Name("frame/eth_ipv4_tcp/libtins");

void BM_tins_frame_arp(benchmark::State& state) {
    const auto& f = arp_frame();
    for (auto _ : state) {
        Tins::EthernetII eth(data(f), size(f));
        const auto& arp = eth.rfind_pdu<Tins::ARP>();
        read(eth);
        benchmark::DoNotOptimize(arp.opcode());
        benchmark::DoNotOptimize(arp.sender_ip_addr());
        benchmark::DoNotOptimize(arp.target_ip_addr());
    }
}
BENCHMARK(BM_tins_frame_arp)->Name("frame/eth_arp/libtins");

void BM_tins_frame_dns(benchmark::State& state) {
    const auto& f = dns_frame();
    for (auto _ : state) {
        Tins::EthernetII eth(data(f), size(f));
        const auto& ip = eth.rfind_pdu<Tins::IP>();
        const auto& udp = eth.rfind_pdu<Tins::UDP>();
        // libtins leaves UDP payloads raw; DNS is parsed on request, as its docs show.
        auto dns = eth.rfind_pdu<Tins::RawPDU>().to<Tins::DNS>();
        read(eth);
        read(ip);
        benchmark::DoNotOptimize(udp.sport());
        benchmark::DoNotOptimize(udp.dport());
        benchmark::DoNotOptimize(dns.id());
        // weft decodes every record; make libtins do the same.
        benchmark::DoNotOptimize(dns.queries().size());
        benchmark::DoNotOptimize(dns.answers().size());
        benchmark::DoNotOptimize(dns.authority().size());
        benchmark::DoNotOptimize(dns.additional().size());
    }
}
BENCHMARK(BM_tins_frame_dns)->Name("frame/eth_ipv4_udp_dns/libtins");

void BM_tins_decode_dhcp(benchmark::State& state) {
    const auto& f = dhcp_frame();
    const std::size_t at = weft::bench::kEthHeader + weft::bench::kIpv4Header + weft::bench::kUdpHeader;
    for (auto _ : state) {
        Tins::DHCP dhcp(data(f) + at, static_cast<std::uint32_t>(f.size() - at));
        benchmark::DoNotOptimize(dhcp.xid());
        benchmark::DoNotOptimize(dhcp.type());
        benchmark::DoNotOptimize(dhcp.options().size());
    }
}
BENCHMARK(BM_tins_decode_dhcp)->Name("decode/dhcp/libtins");

void BM_tins_encode_frame_tcp(benchmark::State& state) {
    const auto& f = tcp_frame();
    Tins::EthernetII eth(data(f), size(f));
    for (auto _ : state) {
        auto out = eth.serialize();  // recomputes lengths and the IPv4 and TCP checksums
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_tins_encode_frame_tcp)->Name("frame_encode/eth_ipv4_tcp/libtins");

}  // namespace
