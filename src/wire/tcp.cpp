#include "weft/wire/tcp.hpp"

#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

#include "weft/wire/byte_writer.hpp"
#include "weft/wire/ipv4.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "tcp";

std::string num(std::size_t n) { return std::to_string(n); }

const char* option_name(std::uint8_t kind) {
    switch (kind) {
        case kTcpOptionMss: return "MSS";
        case kTcpOptionWindowScale: return "window scale";
        case kTcpOptionSackPermitted: return "SACK permitted";
        case kTcpOptionSack: return "SACK";
        case kTcpOptionTimestamps: return "timestamps";
        default: return "unknown";
    }
}

// The length each known kind must have (0: not fixed or not known).
std::size_t fixed_length(std::uint8_t kind) {
    switch (kind) {
        case kTcpOptionMss: return 4;
        case kTcpOptionWindowScale: return 3;
        case kTcpOptionSackPermitted: return 2;
        case kTcpOptionTimestamps: return 10;
        default: return 0;
    }
}

std::uint16_t load_u16(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1]));
}
std::uint32_t load_u32(const std::byte* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}

// The errors live out of the hot path: building their strings is the only slow part.
[[gnu::cold, gnu::noinline]] WireError no_length_error(std::uint8_t kind, std::size_t at) {
    return {kLayer, "option " + num(kind) + " truncated: no length byte", at};
}
[[gnu::cold, gnu::noinline]] WireError short_length_error(std::uint8_t kind, std::uint8_t length, std::size_t at) {
    return {kLayer, "option " + num(kind) + " has length " + num(length) + ", less than 2", at + 1};
}
[[gnu::cold, gnu::noinline]] WireError past_header_error(std::uint8_t kind, std::uint8_t length, std::size_t left,
                                                         std::size_t at) {
    return {kLayer, "option " + num(kind) + " length " + num(length) + " runs past the header (" + num(left) +
                        " bytes left)", at + 1};
}
[[gnu::cold, gnu::noinline]] WireError wrong_length_error(std::uint8_t kind, std::uint8_t length, std::size_t at) {
    return {kLayer, std::string(option_name(kind)) + " option has length " + num(length) + ", expected " +
                        num(fixed_length(kind)), at + 1};
}
[[gnu::cold, gnu::noinline]] WireError sack_length_error(std::uint8_t length, std::size_t at) {
    return {kLayer, "SACK option length " + num(length) + " is not 2 + 8n", at + 1};
}
[[gnu::cold, gnu::noinline]] WireError short_segment_error(std::size_t have) {
    return {kLayer, "truncated header: need 20 bytes, have " + num(have), 0};
}
[[gnu::cold, gnu::noinline]] WireError data_offset_error(std::size_t data_offset) {
    return {kLayer, "bad data offset " + num(data_offset) + " (" + num(data_offset * 4) + " bytes), minimum 5", 12};
}
[[gnu::cold, gnu::noinline]] WireError past_segment_error(std::size_t data_offset, std::size_t have) {
    return {kLayer, "truncated header: need " + num(data_offset * 4) + " bytes (data offset " + num(data_offset) +
                        "), have " + num(have), 12};
}

// Options fill the header after byte 20: at most 40 bytes, so at most 40 entries (NOPs),
// which is the capacity of TcpOptions: the list is bounded by the header, not by a length
// the peer claims. Every read below is checked against `n`, the option bytes in the header.
// `base` is where the options start in the segment, so that errors point at the byte.
bool parse_options(std::span<const std::byte> bytes, std::size_t base, TcpOptions& options, WireError& error) {
    static_assert(kTcpMaxHeaderSize - kTcpMinHeaderSize <= TcpOptions::capacity());
    const std::byte* p = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        const auto kind = std::to_integer<std::uint8_t>(p[i]);
        TcpOption& o = options.emplace_back_unchecked();
        o.kind = kind;
        if (kind == kTcpOptionEnd || kind == kTcpOptionNop) {
            ++i;
            if (kind == kTcpOptionEnd) break;  // the rest is padding
            continue;
        }
        const std::size_t at = base + i;
        if (n - i < 2) return error = no_length_error(kind, at), false;
        const auto length = std::to_integer<std::uint8_t>(p[i + 1]);
        o.length = length;
        if (length < 2) return error = short_length_error(kind, length, at), false;
        if (length > n - i) return error = past_header_error(kind, length, n - i, at), false;
        const std::byte* v = p + i + 2;
        o.data = std::span<const std::byte>(v, length - 2u);
        i += length;
        switch (kind) {
            case kTcpOptionMss:
                if (length != 4) return error = wrong_length_error(kind, length, at), false;
                o.mss = load_u16(v);
                break;
            case kTcpOptionWindowScale:
                if (length != 3) return error = wrong_length_error(kind, length, at), false;
                o.window_scale = std::to_integer<std::uint8_t>(v[0]);
                break;
            case kTcpOptionSackPermitted:
                if (length != 2) return error = wrong_length_error(kind, length, at), false;
                break;
            case kTcpOptionTimestamps:
                if (length != 10) return error = wrong_length_error(kind, length, at), false;
                o.ts_value = load_u32(v);
                o.ts_echo = load_u32(v + 4);
                break;
            case kTcpOptionSack:
                // 2 + 8n with n >= 1; n <= 4 follows from the 40-byte bound.
                if (length < 10 || (length - 2) % 8 != 0) return error = sack_length_error(length, at), false;
                for (std::size_t b = 0; b + 8 <= length - 2u; b += 8)
                    o.sack.push_back({load_u32(v + b), load_u32(v + b + 4)});
                break;
            default: break;
        }
    }
    return true;
}

std::size_t option_size(const TcpOption& o) noexcept {
    switch (o.kind) {
        case kTcpOptionEnd:
        case kTcpOptionNop: return 1;
        case kTcpOptionSack: return 2 + 8 * o.sack.size();
        default: {
            const std::size_t fixed = fixed_length(o.kind);
            return fixed != 0 ? fixed : 2 + o.data.size();
        }
    }
}

void write_option(ByteWriter& w, const TcpOption& o) {
    w.u8(o.kind);
    if (o.kind == kTcpOptionEnd || o.kind == kTcpOptionNop) return;
    w.u8(static_cast<std::uint8_t>(option_size(o)));
    switch (o.kind) {
        case kTcpOptionMss: w.u16(o.mss); break;
        case kTcpOptionWindowScale: w.u8(o.window_scale); break;
        case kTcpOptionSackPermitted: break;
        case kTcpOptionTimestamps:
            w.u32(o.ts_value);
            w.u32(o.ts_echo);
            break;
        case kTcpOptionSack:
            for (const auto& b : o.sack) {
                w.u32(b.left);
                w.u32(b.right);
            }
            break;
        default: w.bytes(o.data); break;
    }
}

TcpOption with_kind(std::uint8_t kind, std::uint8_t length) {
    TcpOption o;
    o.kind = kind;
    o.length = length;
    return o;
}

}  // namespace

std::vector<const char*> tcp_flag_names(std::uint16_t flags) {
    static constexpr const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"};
    std::vector<const char*> names;
    for (std::size_t i = 0; i < 9; ++i)
        if (flags & (1u << i)) names.push_back(kNames[i]);
    return names;
}

TcpOption tcp_end_option() { return with_kind(kTcpOptionEnd, 1); }
TcpOption tcp_nop_option() { return with_kind(kTcpOptionNop, 1); }
TcpOption tcp_mss_option(std::uint16_t mss) {
    TcpOption o = with_kind(kTcpOptionMss, 4);
    o.mss = mss;
    return o;
}
TcpOption tcp_window_scale_option(std::uint8_t shift) {
    TcpOption o = with_kind(kTcpOptionWindowScale, 3);
    o.window_scale = shift;
    return o;
}
TcpOption tcp_sack_permitted_option() { return with_kind(kTcpOptionSackPermitted, 2); }
TcpOption tcp_sack_option(SackBlocks blocks) {
    TcpOption o = with_kind(kTcpOptionSack, static_cast<std::uint8_t>(2 + 8 * blocks.size()));
    o.sack = blocks;
    return o;
}
TcpOption tcp_timestamps_option(std::uint32_t value, std::uint32_t echo) {
    TcpOption o = with_kind(kTcpOptionTimestamps, 10);
    o.ts_value = value;
    o.ts_echo = echo;
    return o;
}
TcpOption tcp_raw_option(std::uint8_t kind, std::span<const std::byte> data) {
    TcpOption o = with_kind(kind, static_cast<std::uint8_t>(2 + data.size()));
    o.data = data;
    return o;
}

WireResult<TcpSegment> TcpSegment::parse(std::span<const std::byte> bytes) {
    // One result, filled in place and returned by name (every return names `out`): the
    // segment and its inline options are never copied.
    WireResult<TcpSegment> out{TcpSegment{}};
    if (bytes.size() < kTcpMinHeaderSize) {
        out = Unexpected(short_segment_error(bytes.size()));
        return out;
    }
    const std::byte* p = bytes.data();
    const std::uint16_t offset_flags = load_u16(p + 12);
    const std::size_t data_offset = offset_flags >> 12;
    if (data_offset < 5) {
        out = Unexpected(data_offset_error(data_offset));
        return out;
    }
    if (data_offset * 4 > bytes.size()) {
        out = Unexpected(past_segment_error(data_offset, bytes.size()));
        return out;
    }
    TcpSegment& s = *out;
    s.src_port = load_u16(p);
    s.dst_port = load_u16(p + 2);
    s.seq = load_u32(p + 4);
    s.ack = load_u32(p + 8);
    s.header_length = data_offset * 4;
    s.reserved = static_cast<std::uint8_t>((offset_flags >> 9) & 0x7);
    s.flags = offset_flags & 0x1ff;
    s.window = load_u16(p + 14);
    s.checksum = load_u16(p + 16);
    s.urgent = load_u16(p + 18);
    s.payload = bytes.subspan(s.header_length);
    s.bytes = bytes;
    if (s.header_length > kTcpMinHeaderSize) {
        WireError error;
        if (!parse_options(bytes.subspan(kTcpMinHeaderSize, s.header_length - kTcpMinHeaderSize), kTcpMinHeaderSize,
                           s.options, error)) {
            out = Unexpected(std::move(error));
            return out;
        }
    }
    return out;
}

bool TcpSegment::checksum_ok(Ipv4Address src, Ipv4Address dst) const noexcept {
    // Unlike UDP, TCP has no "no checksum" value: zero is checked like any other.
    return transport_checksum(src, dst, kIpProtocolTcp, bytes) == 0;
}

std::size_t TcpSegment::built_header_length() const noexcept {
    std::size_t n = 0;
    for (const auto& o : options) n += option_size(o);
    return kTcpMinHeaderSize + (n + 3) / 4 * 4;
}

void TcpSegment::append_to(std::vector<std::byte>& out, Ipv4Address src, Ipv4Address dst,
                           ChecksumMode mode) const {
    const std::size_t hlen = built_header_length();
    if (hlen > kTcpMaxHeaderSize)
        throw std::length_error("tcp: options take " + num(hlen - kTcpMinHeaderSize) + " bytes, at most 40 fit");
    if (hlen + payload.size() > 65535)
        throw std::length_error("tcp: segment of " + num(hlen + payload.size()) + " bytes exceeds 65535");
    const std::size_t start = out.size();
    ByteWriter w(out);
    w.u16(src_port);
    w.u16(dst_port);
    w.u32(seq);
    w.u32(ack);
    w.u16(static_cast<std::uint16_t>(hlen / 4 << 12 | (reserved & 0x7) << 9 | (flags & 0x1ff)));
    w.u16(window);
    w.u16(mode == ChecksumMode::keep ? checksum : 0);
    w.u16(urgent);
    for (const auto& o : options) write_option(w, o);
    // Zero bytes are EOL: padding to the 32-bit boundary the data offset counts in.
    w.zeros(start + hlen - out.size());
    w.bytes(payload);
    if (mode == ChecksumMode::compute)
        w.patch_u16(start + 16, transport_checksum(src, dst, kIpProtocolTcp, std::span(out).subspan(start)));
}

std::vector<std::byte> TcpSegment::build(Ipv4Address src, Ipv4Address dst, ChecksumMode mode) const {
    std::vector<std::byte> out;
    out.reserve(kTcpMaxHeaderSize + payload.size());
    append_to(out, src, dst, mode);
    return out;
}

}  // namespace weft::wire
