#include "weft/wire/ipv4.hpp"

#include <stdexcept>
#include <string>

#include "weft/wire/byte_reader.hpp"
#include "weft/wire/byte_writer.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "ipv4";

std::string num(std::size_t n) { return std::to_string(n); }

// Options sit between byte 20 and the header length; `base` is where they start in the
// datagram so that errors point at the offending byte. At most 40 bytes, so at most 40
// entries: the vector's size is bounded by the header, not by anything the peer claims.
WireResult<std::vector<Ipv4Option>> parse_options(std::span<const std::byte> bytes, std::size_t base) {
    std::vector<Ipv4Option> options;
    ByteReader r(bytes);
    while (!r.empty()) {
        const std::size_t at = base + r.offset();
        const std::uint8_t type = *r.u8();
        if (type == kIpv4OptionEnd) {
            options.push_back({type, 1, {}});
            break;  // what follows EOL is padding
        }
        if (type == kIpv4OptionNop) {
            options.push_back({type, 1, {}});
            continue;
        }
        auto length = r.u8();
        if (!length)
            return wire_error(kLayer, "option " + num(type) + " truncated: no length byte", at);
        if (*length < 2)
            return wire_error(kLayer, "option " + num(type) + " has length " + num(*length) + ", less than 2", at + 1);
        auto data = r.bytes(*length - 2u);
        if (!data)
            return wire_error(kLayer, "option " + num(type) + " length " + num(*length) + " runs past the header (" +
                                          num(r.remaining() + 2) + " bytes left)", at + 1);
        options.push_back({type, *length, *data});
    }
    return options;
}

std::size_t options_size(const std::vector<Ipv4Option>& options) noexcept {
    std::size_t n = 0;
    for (const auto& o : options)
        n += (o.type == kIpv4OptionEnd || o.type == kIpv4OptionNop) ? 1 : 2 + o.data.size();
    return n;
}

}  // namespace

WireResult<Ipv4Packet> Ipv4Packet::parse(std::span<const std::byte> bytes) {
    ByteReader r(bytes);
    if (r.remaining() < kIpv4MinHeaderSize)
        return wire_error(kLayer, "truncated header: need 20 bytes, have " + num(r.remaining()), 0);
    Ipv4Packet p;
    const std::uint8_t version_ihl = *r.u8();
    if (version_ihl >> 4 != 4) return wire_error(kLayer, "bad version " + num(version_ihl >> 4) + ", expected 4", 0);
    p.header_length = std::size_t{version_ihl & 0x0fu} * 4;
    if (p.header_length < kIpv4MinHeaderSize)
        return wire_error(kLayer, "bad header length " + num(p.header_length) + " (IHL " +
                                      num(version_ihl & 0x0f) + "), minimum 20", 0);
    if (p.header_length > bytes.size())
        return wire_error(kLayer, "truncated header: need " + num(p.header_length) + " bytes (IHL " +
                                      num(version_ihl & 0x0f) + "), have " + num(bytes.size()), 0);
    p.tos = *r.u8();
    p.total_length = *r.u16();
    if (p.total_length < p.header_length)
        return wire_error(kLayer, "total length " + num(p.total_length) + " is less than the header length " +
                                      num(p.header_length), 2);
    if (p.total_length > bytes.size())
        return wire_error(kLayer, "truncated datagram: total length " + num(p.total_length) + ", have " +
                                      num(bytes.size()), 2);
    p.identification = *r.u16();
    const std::uint16_t flags_offset = *r.u16();
    p.reserved_flag = (flags_offset & 0x8000) != 0;
    p.dont_fragment = (flags_offset & 0x4000) != 0;
    p.more_fragments = (flags_offset & 0x2000) != 0;
    p.fragment_offset = static_cast<std::uint16_t>((flags_offset & 0x1fff) * 8);
    p.ttl = *r.u8();
    p.protocol = *r.u8();
    p.checksum = *r.u16();
    p.src = Ipv4Address(*r.u32());
    p.dst = Ipv4Address(*r.u32());
    p.header = bytes.first(p.header_length);
    p.checksum_ok = internet_checksum(p.header) == 0;
    auto options = parse_options(p.header.subspan(kIpv4MinHeaderSize), kIpv4MinHeaderSize);
    if (!options) return Unexpected(options.error());
    p.options = std::move(*options);
    p.payload = bytes.subspan(p.header_length, p.total_length - p.header_length);
    return p;
}

std::size_t Ipv4Packet::built_header_length() const noexcept {
    return kIpv4MinHeaderSize + (options_size(options) + 3) / 4 * 4;
}

void Ipv4Packet::append_to(std::vector<std::byte>& out, ChecksumMode mode) const {
    // Validate before writing anything, so a throw leaves `out` as it was.
    const std::size_t hlen = built_header_length();
    if (hlen > kIpv4MaxHeaderSize)
        throw std::length_error("ipv4: options take " + num(options_size(options)) + " bytes, at most 40 fit");
    if (hlen + payload.size() > kIpv4MaxDatagramSize)
        throw std::length_error("ipv4: datagram of " + num(hlen + payload.size()) + " bytes exceeds 65535");
    if (fragment_offset % 8 != 0)
        throw std::invalid_argument("ipv4: fragment offset " + num(fragment_offset) + " is not a multiple of 8");
    const std::size_t start = out.size();
    ByteWriter w(out);
    w.u8(static_cast<std::uint8_t>(0x40 | hlen / 4));
    w.u8(tos);
    w.u16(static_cast<std::uint16_t>(hlen + payload.size()));
    w.u16(identification);
    w.u16(static_cast<std::uint16_t>((reserved_flag ? 0x8000 : 0) | (dont_fragment ? 0x4000 : 0) |
                                     (more_fragments ? 0x2000 : 0) | fragment_offset / 8));
    w.u8(ttl);
    w.u8(protocol);
    w.u16(mode == ChecksumMode::keep ? checksum : 0);
    w.u32(src.to_uint());
    w.u32(dst.to_uint());
    for (const auto& o : options) {
        w.u8(o.type);
        if (o.type == kIpv4OptionEnd || o.type == kIpv4OptionNop) continue;
        w.u8(static_cast<std::uint8_t>(2 + o.data.size()));
        w.bytes(o.data);
    }
    // Pad with EOL (zero) bytes to the 32-bit boundary the IHL counts in.
    w.zeros(start + hlen - out.size());
    if (mode == ChecksumMode::compute)
        w.patch_u16(start + 10, internet_checksum(std::span(out).subspan(start, hlen)));
    w.bytes(payload);
}

std::vector<std::byte> Ipv4Packet::build(ChecksumMode mode) const {
    std::vector<std::byte> out;
    out.reserve(kIpv4MaxHeaderSize + payload.size());
    append_to(out, mode);
    return out;
}

}  // namespace weft::wire
