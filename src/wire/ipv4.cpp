#include "weft/wire/ipv4.hpp"

#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

#include "weft/wire/byte_writer.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "ipv4";

std::string num(std::size_t n) { return std::to_string(n); }

std::uint16_t load_u16(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1]));
}
std::uint32_t load_native_u32(const std::byte* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
std::uint32_t load_u32(const std::byte* p) noexcept {
    const std::uint32_t v = load_native_u32(p);
    return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}

// Whether a 20-byte header (no options) sums to 0xffff: five 32-bit adds and a fold. The
// one's complement sum does not depend on byte order (RFC 1071 2(B)) and 0xffff reads the
// same both ways, so the words are added as the host loads them.
bool plain_header_checksum_ok(const std::byte* h) noexcept {
    const std::uint64_t sum = std::uint64_t{load_native_u32(h)} + load_native_u32(h + 4) + load_native_u32(h + 8) +
                              load_native_u32(h + 12) + load_native_u32(h + 16);
    return checksum_fold(sum) == 0xffff;
}

// The errors live out of the hot path: building their strings is the only slow part.
[[gnu::cold, gnu::noinline]] WireError no_length_error(std::uint8_t type, std::size_t at) {
    return {kLayer, "option " + num(type) + " truncated: no length byte", at};
}
[[gnu::cold, gnu::noinline]] WireError short_length_error(std::uint8_t type, std::uint8_t length, std::size_t at) {
    return {kLayer, "option " + num(type) + " has length " + num(length) + ", less than 2", at + 1};
}
[[gnu::cold, gnu::noinline]] WireError past_header_error(std::uint8_t type, std::uint8_t length, std::size_t left,
                                                         std::size_t at) {
    return {kLayer, "option " + num(type) + " length " + num(length) + " runs past the header (" + num(left) +
                        " bytes left)", at + 1};
}
[[gnu::cold, gnu::noinline]] WireError short_datagram_error(std::size_t have) {
    return {kLayer, "truncated header: need 20 bytes, have " + num(have), 0};
}
[[gnu::cold, gnu::noinline]] WireError version_error(std::uint8_t version_ihl) {
    return {kLayer, "bad version " + num(version_ihl >> 4) + ", expected 4", 0};
}
[[gnu::cold, gnu::noinline]] WireError ihl_error(std::uint8_t version_ihl) {
    return {kLayer, "bad header length " + num(std::size_t{version_ihl & 0x0fu} * 4) + " (IHL " +
                        num(version_ihl & 0x0f) + "), minimum 20", 0};
}
[[gnu::cold, gnu::noinline]] WireError past_span_error(std::uint8_t version_ihl, std::size_t have) {
    return {kLayer, "truncated header: need " + num(std::size_t{version_ihl & 0x0fu} * 4) + " bytes (IHL " +
                        num(version_ihl & 0x0f) + "), have " + num(have), 0};
}
[[gnu::cold, gnu::noinline]] WireError total_below_header_error(std::size_t total, std::size_t header) {
    return {kLayer, "total length " + num(total) + " is less than the header length " + num(header), 2};
}
[[gnu::cold, gnu::noinline]] WireError total_past_span_error(std::size_t total, std::size_t have) {
    return {kLayer, "truncated datagram: total length " + num(total) + ", have " + num(have), 2};
}

// Options sit between byte 20 and the header length; `base` is where they start in the
// datagram so that errors point at the offending byte. At most 40 bytes, so at most 40
// entries, the capacity of Ipv4Options: the list is bounded by the header, not by anything
// the peer claims. Every read is checked against `n`, the option bytes in the header.
bool parse_options(std::span<const std::byte> bytes, std::size_t base, Ipv4Options& options, WireError& error) {
    static_assert(kIpv4MaxHeaderSize - kIpv4MinHeaderSize <= Ipv4Options::capacity());
    const std::byte* p = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        const std::size_t at = base + i;
        const auto type = std::to_integer<std::uint8_t>(p[i]);
        Ipv4Option& o = options.emplace_back_unchecked();
        o.type = type;
        if (type == kIpv4OptionEnd) break;  // what follows EOL is padding
        if (type == kIpv4OptionNop) {
            ++i;
            continue;
        }
        if (n - i < 2) return error = no_length_error(type, at), false;
        const auto length = std::to_integer<std::uint8_t>(p[i + 1]);
        if (length < 2) return error = short_length_error(type, length, at), false;
        if (length > n - i) return error = past_header_error(type, length, n - i, at), false;
        o.length = length;
        o.data = std::span<const std::byte>(p + i + 2, length - 2u);
        i += length;
    }
    return true;
}

std::size_t options_size(const Ipv4Options& options) noexcept {
    std::size_t n = 0;
    for (const auto& o : options)
        n += (o.type == kIpv4OptionEnd || o.type == kIpv4OptionNop) ? 1 : 2 + o.data.size();
    return n;
}

}  // namespace

WireResult<Ipv4Packet> Ipv4Packet::parse(std::span<const std::byte> bytes) {
    // One result, filled in place and returned by name (every return names `out`): the
    // packet and its inline options are never copied.
    WireResult<Ipv4Packet> out{Ipv4Packet{}};
    if (bytes.size() < kIpv4MinHeaderSize) {
        out = Unexpected(short_datagram_error(bytes.size()));
        return out;
    }
    const std::byte* h = bytes.data();
    const auto version_ihl = std::to_integer<std::uint8_t>(h[0]);
    const std::size_t header_length = std::size_t{version_ihl & 0x0fu} * 4;
    const std::uint16_t total_length = load_u16(h + 2);
    if (version_ihl >> 4 != 4) {
        out = Unexpected(version_error(version_ihl));
        return out;
    }
    if (header_length < kIpv4MinHeaderSize) {
        out = Unexpected(ihl_error(version_ihl));
        return out;
    }
    if (header_length > bytes.size()) {
        out = Unexpected(past_span_error(version_ihl, bytes.size()));
        return out;
    }
    if (total_length < header_length) {
        out = Unexpected(total_below_header_error(total_length, header_length));
        return out;
    }
    if (total_length > bytes.size()) {
        out = Unexpected(total_past_span_error(total_length, bytes.size()));
        return out;
    }
    Ipv4Packet& p = *out;
    p.header_length = header_length;
    p.tos = std::to_integer<std::uint8_t>(h[1]);
    p.total_length = total_length;
    p.identification = load_u16(h + 4);
    const std::uint16_t flags_offset = load_u16(h + 6);
    p.reserved_flag = (flags_offset & 0x8000) != 0;
    p.dont_fragment = (flags_offset & 0x4000) != 0;
    p.more_fragments = (flags_offset & 0x2000) != 0;
    p.fragment_offset = static_cast<std::uint16_t>((flags_offset & 0x1fff) * 8);
    p.ttl = std::to_integer<std::uint8_t>(h[8]);
    p.protocol = std::to_integer<std::uint8_t>(h[9]);
    p.checksum = load_u16(h + 10);
    p.src = Ipv4Address(load_u32(h + 12));
    p.dst = Ipv4Address(load_u32(h + 16));
    p.header = bytes.first(header_length);
    p.payload = bytes.subspan(header_length, total_length - header_length);
    if (header_length == kIpv4MinHeaderSize) {
        p.checksum_ok = plain_header_checksum_ok(h);
        return out;
    }
    p.checksum_ok = internet_checksum(p.header) == 0;
    WireError error;
    if (!parse_options(p.header.subspan(kIpv4MinHeaderSize), kIpv4MinHeaderSize, p.options, error))
        out = Unexpected(std::move(error));
    return out;
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
