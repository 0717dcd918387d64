#include "weft/services/dhcp/link_frames.hpp"

#include <atomic>

#include "weft/wire/ethernet.hpp"
#include "weft/wire/ipv4.hpp"
#include "weft/wire/udp.hpp"

namespace weft::dhcp {

namespace {
constexpr std::uint8_t kProtocolUdp = 17;
std::atomic<std::uint16_t> next_ip_id{1};
}  // namespace

std::vector<std::byte> udp_frame(const MacAddress& src_mac, const MacAddress& dst_mac, const Endpoint& from,
                                 const Endpoint& to, std::span<const std::byte> payload) {
    wire::UdpDatagram udp;
    udp.src_port = from.port();
    udp.dst_port = to.port();
    udp.payload = payload;
    const std::vector<std::byte> datagram = udp.build(from.address().v4(), to.address().v4());
    wire::Ipv4Packet ip;
    ip.identification = next_ip_id.fetch_add(1, std::memory_order_relaxed);
    ip.ttl = 64;
    ip.protocol = kProtocolUdp;
    ip.src = from.address().v4();
    ip.dst = to.address().v4();
    ip.payload = datagram;
    const std::vector<std::byte> packet = ip.build();
    wire::EthernetFrame frame;
    frame.src = src_mac;
    frame.dst = dst_mac;
    frame.type = wire::kEtherTypeIpv4;
    frame.payload = packet;
    return frame.build();
}

std::optional<UdpInFrame> udp_in(std::span<const std::byte> bytes, std::uint16_t port) {
    auto frame = wire::EthernetFrame::parse(bytes);
    if (!frame || frame->type != wire::kEtherTypeIpv4) return std::nullopt;
    auto ip = wire::Ipv4Packet::parse(frame->payload);
    if (!ip || !ip->checksum_ok || ip->protocol != kProtocolUdp || ip->is_fragment()) return std::nullopt;
    auto udp = wire::UdpDatagram::parse(ip->payload);
    // The UDP checksum is not checked: a datagram sent by a local process over a veth or a
    // NIC with offload reaches a packet socket before it is filled in (only its pseudo-header
    // part is there; TP_STATUS_CSUMNOTREADY says so), and udhcpc and dhclient skip it too.
    // The DHCP parser checks every field it reads.
    if (!udp || udp->dst_port != port) return std::nullopt;
    return UdpInFrame{frame->src, Endpoint(ip->src, udp->src_port), Endpoint(ip->dst, udp->dst_port), udp->payload};
}

}  // namespace weft::dhcp
