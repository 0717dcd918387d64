#include "weft/wire/icmp.hpp"

#include <algorithm>
#include <string>

#include "weft/wire/byte_reader.hpp"
#include "weft/wire/byte_writer.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "icmp";

}  // namespace

WireResult<IcmpMessage> IcmpMessage::parse(std::span<const std::byte> bytes) {
    ByteReader r(bytes);
    if (r.remaining() < kIcmpHeaderSize)
        return wire_error(kLayer, "truncated header: need 8 bytes, have " + std::to_string(r.remaining()), 0);
    IcmpMessage m;
    m.type = *r.u8();
    m.code = *r.u8();
    m.checksum = *r.u16();
    m.rest = *r.u32();
    m.payload = r.rest();
    // The checksum covers the whole message, so a stored correct one makes the sum zero.
    m.checksum_ok = internet_checksum(bytes) == 0;
    return m;
}

IcmpMessage IcmpMessage::echo_request(std::uint16_t id, std::uint16_t seq, std::span<const std::byte> data) {
    IcmpMessage m;
    m.type = kIcmpEchoRequest;
    m.rest = std::uint32_t{id} << 16 | seq;
    m.payload = data;
    return m;
}

IcmpMessage IcmpMessage::echo_reply_to(const IcmpMessage& request) {
    IcmpMessage m = request;
    m.type = kIcmpEchoReply;
    m.code = 0;
    return m;
}

IcmpMessage IcmpMessage::destination_unreachable(std::uint8_t code, std::span<const std::byte> quote,
                                                 std::uint16_t next_hop_mtu) {
    IcmpMessage m;
    m.type = kIcmpDestinationUnreachable;
    m.code = code;
    // Only "fragmentation needed" defines the low half; elsewhere the field is unused (zero).
    m.rest = code == kIcmpFragmentationNeeded ? next_hop_mtu : 0;
    m.payload = quote;
    return m;
}

IcmpMessage IcmpMessage::time_exceeded(std::uint8_t code, std::span<const std::byte> quote) {
    IcmpMessage m;
    m.type = kIcmpTimeExceeded;
    m.code = code;
    m.payload = quote;
    return m;
}

void IcmpMessage::append_to(std::vector<std::byte>& out, ChecksumMode mode) const {
    const std::size_t start = out.size();
    ByteWriter w(out);
    w.u8(type);
    w.u8(code);
    w.u16(mode == ChecksumMode::keep ? checksum : 0);
    w.u32(rest);
    w.bytes(payload);
    if (mode == ChecksumMode::compute) w.patch_u16(start + 2, internet_checksum(std::span(out).subspan(start)));
}

std::vector<std::byte> IcmpMessage::build(ChecksumMode mode) const {
    std::vector<std::byte> out;
    out.reserve(kIcmpHeaderSize + payload.size());
    append_to(out, mode);
    return out;
}

std::span<const std::byte> icmp_quote(std::span<const std::byte> datagram) noexcept {
    // Trust the IHL only as far as the bytes go: a garbled header still yields a bounded quote.
    std::size_t hlen = 20;
    if (!datagram.empty()) hlen = std::max<std::size_t>(20, (static_cast<std::size_t>(datagram[0]) & 0x0f) * 4);
    return datagram.first(std::min(datagram.size(), hlen + 8));
}

}  // namespace weft::wire
