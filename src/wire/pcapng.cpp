// pcapng (draft-ietf-opsawg-pcapng): section headers, interface descriptions, enhanced and
// simple packet blocks. Every other block type is skipped by its length.

#include <string>

#include "pcap_detail.hpp"
#include "weft/wire/pcap.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "pcapng";
constexpr std::uint32_t kInterfaceDescription = 1;
constexpr std::uint32_t kSimplePacket = 3;
constexpr std::uint32_t kEnhancedPacket = 6;
constexpr std::uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr std::size_t kBlockOverhead = 12;  // type, total length, trailing total length
constexpr std::uint16_t kOptionEnd = 0;
constexpr std::uint16_t kOptionTsresol = 9;
constexpr std::uint16_t kOptionTsoffset = 14;

std::string num(std::size_t n) { return std::to_string(n); }

constexpr std::size_t pad4(std::size_t n) { return (n + 3) / 4 * 4; }

// Timestamp units to nanoseconds. if_tsresol is 10^-n, or 2^-n with the top bit set.
// Unsigned arithmetic: an absurd timestamp gives a wrong time, never undefined behaviour.
std::uint64_t to_nanoseconds(std::uint64_t units, std::uint8_t tsresol) {
    const unsigned n = tsresol & 0x7f;
    if (tsresol & 0x80) {
        const std::uint64_t seconds = units >> n;
        std::uint64_t fraction = units & ((std::uint64_t{1} << n) - 1);
        // Drop low bits first where the fraction times 10^9 could overflow 64 bits.
        const unsigned drop = n > 30 ? n - 30 : 0;
        fraction >>= drop;
        return seconds * 1'000'000'000u + ((fraction * 1'000'000'000u) >> (n - drop));
    }
    std::uint64_t scale = 1;
    if (n <= 9) {
        for (unsigned i = n; i < 9; ++i) scale *= 10;
        return units * scale;
    }
    for (unsigned i = 9; i < n; ++i) scale *= 10;
    return units / scale;
}

}  // namespace

WireResult<std::size_t> PcapReader::read_section_header(std::size_t at) {
    // The byte-order magic comes before the length can be read in the right order.
    if (file_.size() - at < 28)
        return wire_error(kLayer, "truncated section header: need 28 bytes, have " + num(file_.size() - at), at);
    const std::uint32_t bom = detail::load_u32(file_, at + 8, true);
    if (bom == kByteOrderMagic) big_endian_ = true;
    else if (bom == __builtin_bswap32(kByteOrderMagic)) big_endian_ = false;
    else return wire_error(kLayer, "bad byte-order magic in section header", at + 8);
    const std::uint16_t major = detail::load_u16(file_, at + 12, big_endian_);
    if (major != 1)
        return wire_error(kLayer, "unsupported version " + num(major) + "." +
                                      num(detail::load_u16(file_, at + 14, big_endian_)), at + 12);
    interfaces_.clear();  // interface ids are per section
    const std::uint32_t length = detail::load_u32(file_, at + 4, big_endian_);
    if (length < 28 || length % 4 != 0 || length > kMaxPcapngBlockBytes || length > file_.size() - at)
        return wire_error(kLayer, "bad section header length " + num(length), at + 4);
    if (detail::load_u32(file_, at + length - 4, big_endian_) != length)
        return wire_error(kLayer, "trailing block length does not match " + num(length), at + length - 4);
    return at + length;
}

WireResult<PcapReader::Interface> PcapReader::read_interface(std::span<const std::byte> body,
                                                               std::size_t at) const {
    if (body.size() < 8) return wire_error(kLayer, "truncated interface description", at);
    Interface iface;
    iface.linktype = detail::load_u16(body, 0, big_endian_);
    iface.snaplen = detail::load_u32(body, 4, big_endian_);
    // Options: code, length, value padded to 4 bytes; until opt_endofopt or the body's end.
    std::size_t pos = 8;
    while (body.size() - pos >= 4) {
        const std::uint16_t code = detail::load_u16(body, pos, big_endian_);
        const std::uint16_t length = detail::load_u16(body, pos + 2, big_endian_);
        if (code == kOptionEnd) break;
        if (pad4(length) > body.size() - pos - 4)
            return wire_error(kLayer, "interface option " + num(code) + " length " + num(length) +
                                          " runs past the block", at + pos + 2);
        if (code == kOptionTsresol && length >= 1) {
            iface.tsresol = static_cast<std::uint8_t>(body[pos + 4]);
            const unsigned n = iface.tsresol & 0x7f;
            if ((iface.tsresol & 0x80) ? n > 63 : n > 19)
                return wire_error(kLayer, "unsupported if_tsresol " + num(iface.tsresol), at + pos + 4);
        } else if (code == kOptionTsoffset && length >= 8) {
            iface.tsoffset = static_cast<std::int64_t>(detail::load_u64(body, pos + 4, big_endian_));
        }
        pos += 4 + pad4(length);
    }
    return iface;
}

WireResult<std::optional<PcapRecord>> PcapReader::next_pcapng() {
    // Walk blocks until one holds a packet; the position only moves past a block once it
    // decoded cleanly, so an error repeats on the next call.
    while (pos_ < file_.size()) {
        const std::size_t at = pos_;
        const std::size_t left = file_.size() - at;
        if (left < kBlockOverhead)
            return wire_error(kLayer, "truncated block header: need 12 bytes, have " + num(left), at);
        const std::uint32_t type = detail::load_u32(file_, at, big_endian_);
        if (type == detail::kPcapngSectionHeader) {
            auto next = read_section_header(at);
            if (!next) return Unexpected(next.error());
            pos_ = *next;
            continue;
        }
        const std::uint32_t length = detail::load_u32(file_, at + 4, big_endian_);
        if (length < kBlockOverhead || length % 4 != 0)
            return wire_error(kLayer, "bad block length " + num(length) + " (type " + num(type) + ")", at + 4);
        if (length > kMaxPcapngBlockBytes)
            return wire_error(kLayer, "absurd block length " + num(length) + " (cap " + num(kMaxPcapngBlockBytes) +
                                          ")", at + 4);
        if (length > left)
            return wire_error(kLayer, "truncated block: length " + num(length) + ", have " + num(left), at + 4);
        if (detail::load_u32(file_, at + length - 4, big_endian_) != length)
            return wire_error(kLayer, "trailing block length does not match " + num(length), at + length - 4);
        const auto body = file_.subspan(at + 8, length - kBlockOverhead);

        if (type == kInterfaceDescription) {
            auto iface = read_interface(body, at + 8);
            if (!iface) return Unexpected(iface.error());
            interfaces_.push_back(*iface);
            if (interfaces_.size() == 1)
                precision_ = iface->tsresol == 9 ? TimestampPrecision::nano : TimestampPrecision::micro;
        } else if (type == kEnhancedPacket) {
            if (body.size() < 20) return wire_error(kLayer, "truncated enhanced packet block", at + 8);
            const std::uint32_t id = detail::load_u32(body, 0, big_endian_);
            if (id >= interfaces_.size())
                return wire_error(kLayer, "packet names interface " + num(id) + ", only " +
                                              num(interfaces_.size()) + " defined", at + 8);
            const std::uint64_t units = std::uint64_t{detail::load_u32(body, 4, big_endian_)} << 32 |
                                        detail::load_u32(body, 8, big_endian_);
            const std::uint32_t caplen = detail::load_u32(body, 12, big_endian_);
            if (caplen > kMaxPcapRecordBytes)
                return wire_error(kLayer, "absurd captured length " + num(caplen) + " (cap " +
                                              num(kMaxPcapRecordBytes) + ")", at + 20);
            if (caplen > body.size() - 20)
                return wire_error(kLayer, "captured length " + num(caplen) + " runs past the block", at + 20);
            const Interface& iface = interfaces_[id];
            PcapRecord record;
            record.timestamp = std::chrono::nanoseconds(static_cast<std::int64_t>(
                to_nanoseconds(units, iface.tsresol) + static_cast<std::uint64_t>(iface.tsoffset) * 1'000'000'000u));
            record.data = body.subspan(20, caplen);
            record.original_length = detail::load_u32(body, 16, big_endian_);
            record.linktype = iface.linktype;
            record.offset = at;
            pos_ = at + length;
            return std::optional<PcapRecord>(record);
        } else if (type == kSimplePacket) {
            // No timestamp and no captured length: the data is min(original, snaplen), and
            // never more than the block holds.
            if (body.size() < 4) return wire_error(kLayer, "truncated simple packet block", at + 8);
            if (interfaces_.empty())
                return wire_error(kLayer, "simple packet block before any interface description", at);
            const std::uint32_t origlen = detail::load_u32(body, 0, big_endian_);
            std::size_t caplen = std::min<std::size_t>(origlen, body.size() - 4);
            if (interfaces_[0].snaplen != 0) caplen = std::min<std::size_t>(caplen, interfaces_[0].snaplen);
            if (caplen > kMaxPcapRecordBytes)
                return wire_error(kLayer, "absurd captured length " + num(caplen) + " (cap " +
                                              num(kMaxPcapRecordBytes) + ")", at + 8);
            PcapRecord record;
            record.data = body.subspan(4, caplen);
            record.original_length = origlen;
            record.linktype = interfaces_[0].linktype;
            record.offset = at;
            pos_ = at + length;
            return std::optional<PcapRecord>(record);
        }
        pos_ = at + length;  // IDB done, or a block type this reader does not need
    }
    return std::optional<PcapRecord>();
}

}  // namespace weft::wire
