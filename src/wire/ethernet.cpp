#include "weft/wire/ethernet.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include "weft/wire/byte_writer.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "ethernet";

// Slicing-by-4 tables for the reflected CRC-32: table[0] is the classic byte-at-a-time table,
// table[k][b] is the CRC of byte b followed by k zero bytes. Four lookups per 32-bit word
// run about 3x faster than one lookup per byte, for 4 KiB of tables built at compile time.
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_crc_tables() {
    std::array<std::array<std::uint32_t, 256>, 4> t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t c = b;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[0][b] = c;
    }
    for (std::uint32_t b = 0; b < 256; ++b)
        for (std::size_t k = 1; k < 4; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    return t;
}
constexpr auto kCrcTables = make_crc_tables();

MacAddress read_mac(const std::byte* b) noexcept {
    MacAddress::Bytes m;
    std::memcpy(m.data(), b, m.size());
    return MacAddress(m);
}

std::uint16_t load_u16(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1]));
}

[[gnu::cold, gnu::noinline]] WireError short_fcs_frame_error(std::size_t have) {
    return {kLayer, "truncated frame: need " + std::to_string(kEthernetHeaderSize + kEthernetFcsSize) +
                        " bytes with FCS, have " + std::to_string(have), 0};
}
[[gnu::cold, gnu::noinline]] WireError short_header_error(std::size_t have) {
    return {kLayer, "truncated header: need 14 bytes, have " + std::to_string(have), 0};
}
[[gnu::cold, gnu::noinline]] WireError short_vlan_error(std::size_t have) {
    return {kLayer, "truncated 802.1Q tag: need 4 bytes, have " + std::to_string(have), kEthernetHeaderSize};
}

void write_mac(ByteWriter& w, const MacAddress& mac) {
    for (std::uint8_t b : mac.to_bytes()) w.u8(b);
}

}  // namespace

std::string ether_type_to_string(std::uint16_t type) {
    char text[sizeof "0xffff"];
    std::snprintf(text, sizeof text, "0x%04x", unsigned{type});
    return text;
}

std::uint32_t crc32(std::span<const std::byte> bytes) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    std::size_t n = bytes.size();
    std::uint32_t c = 0xffffffffu;
    while (n >= 4) {
        // Reflected CRC: the first byte meets the low bits, so the word is little-endian.
        c ^= std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
             std::uint32_t{p[3]} << 24;
        c = kCrcTables[3][c & 0xff] ^ kCrcTables[2][(c >> 8) & 0xff] ^
            kCrcTables[1][(c >> 16) & 0xff] ^ kCrcTables[0][c >> 24];
        p += 4;
        n -= 4;
    }
    while (n-- > 0) c = kCrcTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

WireResult<EthernetFrame> EthernetFrame::parse(std::span<const std::byte> bytes, Fcs fcs) {
    // One result, filled in place and returned by name (every return names `out`).
    WireResult<EthernetFrame> out{EthernetFrame{}};
    EthernetFrame& f = *out;
    std::span<const std::byte> frame = bytes;
    if (fcs == Fcs::present) {
        // The FCS covers everything before it and is sent least significant byte first.
        if (bytes.size() < kEthernetHeaderSize + kEthernetFcsSize) {
            out = Unexpected(short_fcs_frame_error(bytes.size()));
            return out;
        }
        frame = bytes.first(bytes.size() - kEthernetFcsSize);
        const std::byte* t = bytes.data() + frame.size();
        const std::uint32_t stored = std::uint32_t{std::to_integer<std::uint8_t>(t[0])} |
                                     std::uint32_t{std::to_integer<std::uint8_t>(t[1])} << 8 |
                                     std::uint32_t{std::to_integer<std::uint8_t>(t[2])} << 16 |
                                     std::uint32_t{std::to_integer<std::uint8_t>(t[3])} << 24;
        f.fcs = stored;
        f.fcs_ok = stored == crc32(frame);
    }
    if (frame.size() < kEthernetHeaderSize) {
        out = Unexpected(short_header_error(frame.size()));
        return out;
    }
    const std::byte* h = frame.data();
    f.dst = read_mac(h);
    f.src = read_mac(h + 6);
    f.type = load_u16(h + 12);
    std::size_t header_length = kEthernetHeaderSize;
    if (f.type == kEtherTypeVlan) {
        // 802.1Q: TCI (PCP 3 bits, DEI 1 bit, VID 12 bits), then the inner EtherType.
        if (frame.size() - kEthernetHeaderSize < kVlanTagSize) {
            out = Unexpected(short_vlan_error(frame.size() - kEthernetHeaderSize));
            return out;
        }
        const std::uint16_t tci = load_u16(h + 14);
        f.vlan = VlanTag{static_cast<std::uint16_t>(tci & 0x0fff), static_cast<std::uint8_t>(tci >> 13),
                         (tci & 0x1000) != 0};
        f.type = load_u16(h + 16);
        header_length += kVlanTagSize;
    }
    f.header_length = header_length;
    f.payload = frame.subspan(header_length);
    return out;
}

void EthernetFrame::append_to(std::vector<std::byte>& out, bool pad, Fcs fcs) const {
    const std::size_t start = out.size();
    ByteWriter w(out);
    write_mac(w, dst);
    write_mac(w, src);
    if (vlan) {
        w.u16(kEtherTypeVlan);
        w.u16(static_cast<std::uint16_t>((vlan->pcp & 0x7) << 13 | (vlan->dei ? 0x1000 : 0) | (vlan->id & 0x0fff)));
    }
    w.u16(type);
    w.bytes(payload);
    // Short frames are padded on the wire; receivers rely on the upper layer's own length.
    const std::size_t written = out.size() - start;
    if (pad && written < kEthernetMinFrameSize) w.zeros(kEthernetMinFrameSize - written);
    if (fcs == Fcs::present) {
        const std::uint32_t crc = crc32(std::span(out).subspan(start));
        w.u32(__builtin_bswap32(crc));
    }
}

std::vector<std::byte> EthernetFrame::build(bool pad, Fcs fcs) const {
    std::vector<std::byte> out;
    out.reserve(header_length + payload.size() + kEthernetMinFrameSize);
    append_to(out, pad, fcs);
    return out;
}

}  // namespace weft::wire
