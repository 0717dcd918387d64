#include "weft/services/arp/arp_frames.hpp"

#include "weft/wire/arp.hpp"
#include "weft/wire/ethernet.hpp"

namespace weft::arp {

namespace {

std::vector<std::byte> broadcast(const MacAddress& from, const wire::ArpPacket& packet) {
    const std::vector<std::byte> body = packet.build();
    wire::EthernetFrame frame;
    frame.dst = MacAddress::broadcast();
    frame.src = from;
    frame.type = wire::kEtherTypeArp;
    frame.payload = body;
    return frame.build();  // padded to the 60-byte minimum, as a NIC would
}

// The ARP packet inside an Ethernet frame, if that is what it holds.
std::optional<wire::ArpPacket> arp_in(std::span<const std::byte> bytes) {
    auto frame = wire::EthernetFrame::parse(bytes);
    if (!frame || frame->type != wire::kEtherTypeArp) return std::nullopt;
    auto packet = wire::ArpPacket::parse(frame->payload);
    if (!packet) return std::nullopt;
    return *packet;
}

}  // namespace

std::vector<std::byte> request_frame(const MacAddress& sender_mac, Ipv4Address sender_ip, Ipv4Address target) {
    return broadcast(sender_mac, wire::ArpPacket::request(sender_mac, sender_ip, target));
}

std::vector<std::byte> probe_frame(const MacAddress& mac, Ipv4Address candidate) {
    return broadcast(mac, wire::ArpPacket::request(mac, Ipv4Address(), candidate));
}

std::vector<std::byte> announcement_frame(const MacAddress& mac, Ipv4Address address) {
    return broadcast(mac, wire::ArpPacket::request(mac, address, address));
}

std::optional<MacAddress> reply_from(std::span<const std::byte> frame, Ipv4Address target, const MacAddress& our_mac) {
    const auto packet = arp_in(frame);
    if (!packet || packet->operation != wire::kArpReply) return std::nullopt;
    if (packet->sender_ip != target || packet->target_mac != our_mac) return std::nullopt;
    return packet->sender_mac;
}

std::optional<MacAddress> conflict_in(std::span<const std::byte> frame, Ipv4Address candidate,
                                      const MacAddress& our_mac) {
    const auto packet = arp_in(frame);
    if (!packet || packet->sender_mac == our_mac) return std::nullopt;  // our own, looped back
    if (packet->sender_ip == candidate) return packet->sender_mac;
    const bool probe = packet->operation == wire::kArpRequest && packet->sender_ip == Ipv4Address();
    if (probe && packet->target_ip == candidate) return packet->sender_mac;
    return std::nullopt;
}

}  // namespace weft::arp
