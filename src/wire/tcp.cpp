#include "weft/wire/tcp.hpp"

#include <stdexcept>
#include <string>

#include "weft/wire/byte_reader.hpp"
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

// Decodes the value of a known kind whose length was checked; `o.data` holds the value.
void decode_value(TcpOption& o) {
    ByteReader v(o.data);
    switch (o.kind) {
        case kTcpOptionMss: o.mss = *v.u16(); break;
        case kTcpOptionWindowScale: o.window_scale = *v.u8(); break;
        case kTcpOptionTimestamps:
            o.ts_value = *v.u32();
            o.ts_echo = *v.u32();
            break;
        case kTcpOptionSack:
            while (!v.empty()) {
                const std::uint32_t left = *v.u32();
                o.sack.push_back({left, *v.u32()});
            }
            break;
        default: break;
    }
}

// Options fill the header after byte 20; at most 40 bytes, so the list (and any SACK
// blocks) is bounded by the header, not by a length the peer claims.
WireResult<std::vector<TcpOption>> parse_options(std::span<const std::byte> bytes, std::size_t base) {
    std::vector<TcpOption> options;
    ByteReader r(bytes);
    while (!r.empty()) {
        const std::size_t at = base + r.offset();
        TcpOption o;
        o.kind = *r.u8();
        if (o.kind == kTcpOptionEnd || o.kind == kTcpOptionNop) {
            options.push_back(o);
            if (o.kind == kTcpOptionEnd) break;  // the rest is padding
            continue;
        }
        auto length = r.u8();
        if (!length) return wire_error(kLayer, "option " + num(o.kind) + " truncated: no length byte", at);
        o.length = *length;
        if (o.length < 2)
            return wire_error(kLayer, "option " + num(o.kind) + " has length " + num(o.length) + ", less than 2",
                              at + 1);
        auto data = r.bytes(o.length - 2u);
        if (!data)
            return wire_error(kLayer, "option " + num(o.kind) + " length " + num(o.length) +
                                          " runs past the header (" + num(r.remaining() + 2) + " bytes left)", at + 1);
        o.data = *data;
        const std::size_t want = fixed_length(o.kind);
        if (want != 0 && o.length != want)
            return wire_error(kLayer, std::string(option_name(o.kind)) + " option has length " + num(o.length) +
                                          ", expected " + num(want), at + 1);
        if (o.kind == kTcpOptionSack && (o.length < 10 || (o.length - 2) % 8 != 0))
            return wire_error(kLayer, "SACK option length " + num(o.length) + " is not 2 + 8n", at + 1);
        decode_value(o);
        options.push_back(std::move(o));
    }
    return options;
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
TcpOption tcp_sack_option(std::vector<SackBlock> blocks) {
    TcpOption o = with_kind(kTcpOptionSack, static_cast<std::uint8_t>(2 + 8 * blocks.size()));
    o.sack = std::move(blocks);
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
    ByteReader r(bytes);
    if (r.remaining() < kTcpMinHeaderSize)
        return wire_error(kLayer, "truncated header: need 20 bytes, have " + num(r.remaining()), 0);
    TcpSegment s;
    s.src_port = *r.u16();
    s.dst_port = *r.u16();
    s.seq = *r.u32();
    s.ack = *r.u32();
    const std::uint16_t offset_flags = *r.u16();
    const std::size_t data_offset = offset_flags >> 12;
    s.header_length = data_offset * 4;
    s.reserved = static_cast<std::uint8_t>((offset_flags >> 9) & 0x7);
    s.flags = offset_flags & 0x1ff;
    if (data_offset < 5)
        return wire_error(kLayer, "bad data offset " + num(data_offset) + " (" + num(s.header_length) +
                                      " bytes), minimum 5", 12);
    if (s.header_length > bytes.size())
        return wire_error(kLayer, "truncated header: need " + num(s.header_length) + " bytes (data offset " +
                                      num(data_offset) + "), have " + num(bytes.size()), 12);
    s.window = *r.u16();
    s.checksum = *r.u16();
    s.urgent = *r.u16();
    auto options = parse_options(bytes.subspan(kTcpMinHeaderSize, s.header_length - kTcpMinHeaderSize),
                                 kTcpMinHeaderSize);
    if (!options) return Unexpected(options.error());
    s.options = std::move(*options);
    s.payload = bytes.subspan(s.header_length);
    s.bytes = bytes;
    return s;
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
