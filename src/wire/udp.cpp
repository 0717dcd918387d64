#include "weft/wire/udp.hpp"

#include <stdexcept>
#include <string>

#include "weft/wire/byte_reader.hpp"
#include "weft/wire/byte_writer.hpp"
#include "weft/wire/ipv4.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "udp";

}  // namespace

WireResult<UdpDatagram> UdpDatagram::parse(std::span<const std::byte> bytes) {
    ByteReader r(bytes);
    if (r.remaining() < kUdpHeaderSize)
        return wire_error(kLayer, "truncated header: need 8 bytes, have " + std::to_string(r.remaining()), 0);
    UdpDatagram d;
    d.src_port = *r.u16();
    d.dst_port = *r.u16();
    d.length = *r.u16();
    d.checksum = *r.u16();
    if (d.length < kUdpHeaderSize)
        return wire_error(kLayer, "length " + std::to_string(d.length) + " is less than the 8-byte header", 4);
    if (d.length > bytes.size())
        return wire_error(kLayer, "truncated datagram: length " + std::to_string(d.length) + ", have " +
                                      std::to_string(bytes.size()), 4);
    d.bytes = bytes.first(d.length);
    d.payload = d.bytes.subspan(kUdpHeaderSize);
    return d;
}

bool UdpDatagram::checksum_ok(Ipv4Address src, Ipv4Address dst) const noexcept {
    if (checksum == 0) return true;
    return transport_checksum(src, dst, kIpProtocolUdp, bytes) == 0;
}

void UdpDatagram::append_to(std::vector<std::byte>& out, Ipv4Address src, Ipv4Address dst,
                            ChecksumMode mode) const {
    const std::size_t total = kUdpHeaderSize + payload.size();
    if (total > 65535)
        throw std::length_error("udp: datagram of " + std::to_string(total) + " bytes exceeds 65535");
    const std::size_t start = out.size();
    ByteWriter w(out);
    w.u16(src_port);
    w.u16(dst_port);
    w.u16(static_cast<std::uint16_t>(total));
    w.u16(mode == ChecksumMode::keep ? checksum : 0);
    w.bytes(payload);
    if (mode == ChecksumMode::compute) {
        std::uint16_t c = transport_checksum(src, dst, kIpProtocolUdp, std::span(out).subspan(start));
        // 0 on the wire means "no checksum"; the one's complement twin 0xffff says the same sum.
        if (c == 0) c = 0xffff;
        w.patch_u16(start + 6, c);
    }
}

std::vector<std::byte> UdpDatagram::build(Ipv4Address src, Ipv4Address dst, ChecksumMode mode) const {
    std::vector<std::byte> out;
    out.reserve(kUdpHeaderSize + payload.size());
    append_to(out, src, dst, mode);
    return out;
}

}  // namespace weft::wire
