#include "weft/wire/arp.hpp"

#include <string>

#include "weft/wire/byte_reader.hpp"
#include "weft/wire/byte_writer.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "arp";
constexpr std::uint16_t kHardwareEthernet = 1;
constexpr std::uint16_t kProtocolIpv4 = 0x0800;

MacAddress read_mac(ByteReader& r) {
    MacAddress::Bytes m{};
    for (auto& b : m) b = *r.u8();
    return MacAddress(m);
}

}  // namespace

WireResult<ArpPacket> ArpPacket::parse(std::span<const std::byte> bytes) {
    ByteReader r(bytes);
    // Check the fixed part first: the address lengths must be known before the rest is sized.
    if (r.remaining() < 8)
        return wire_error(kLayer, "truncated header: need 8 bytes, have " + std::to_string(r.remaining()), 0);
    const std::uint16_t htype = *r.u16();
    if (htype != kHardwareEthernet)
        return wire_error(kLayer, "unsupported hardware type " + std::to_string(htype) + ": only Ethernet (1)", 0);
    const std::uint16_t ptype = *r.u16();
    if (ptype != kProtocolIpv4)
        return wire_error(kLayer, "unsupported protocol type " + std::to_string(ptype) + ": only IPv4 (2048)", 2);
    const std::uint8_t hlen = *r.u8();
    if (hlen != 6)
        return wire_error(kLayer, "bad hardware address length " + std::to_string(hlen) + ": Ethernet needs 6", 4);
    const std::uint8_t plen = *r.u8();
    if (plen != 4)
        return wire_error(kLayer, "bad protocol address length " + std::to_string(plen) + ": IPv4 needs 4", 5);
    ArpPacket p;
    p.operation = *r.u16();
    if (r.remaining() < kArpPacketSize - 8)
        return wire_error(kLayer, "truncated addresses: need 28 bytes, have " + std::to_string(bytes.size()), 8);
    p.sender_mac = read_mac(r);
    p.sender_ip = Ipv4Address(*r.u32());
    p.target_mac = read_mac(r);
    p.target_ip = Ipv4Address(*r.u32());
    return p;
}

ArpPacket ArpPacket::request(const MacAddress& sender_mac, Ipv4Address sender_ip, Ipv4Address target_ip) {
    return ArpPacket{kArpRequest, sender_mac, sender_ip, MacAddress(), target_ip};
}

ArpPacket ArpPacket::reply_to(const ArpPacket& request, const MacAddress& mac) {
    // RFC 826: the responder swaps the sender and target fields and fills in its own MAC.
    return ArpPacket{kArpReply, mac, request.target_ip, request.sender_mac, request.sender_ip};
}

void ArpPacket::append_to(std::vector<std::byte>& out) const {
    ByteWriter w(out);
    w.u16(kHardwareEthernet);
    w.u16(kProtocolIpv4);
    w.u8(6);
    w.u8(4);
    w.u16(operation);
    for (std::uint8_t b : sender_mac.to_bytes()) w.u8(b);
    w.u32(sender_ip.to_uint());
    for (std::uint8_t b : target_mac.to_bytes()) w.u8(b);
    w.u32(target_ip.to_uint());
}

std::vector<std::byte> ArpPacket::build() const {
    std::vector<std::byte> out;
    out.reserve(kArpPacketSize);
    append_to(out);
    return out;
}

}  // namespace weft::wire
