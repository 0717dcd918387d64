// Classic pcap reading and writing, and the reader's entry point; pcapng blocks are decoded
// in pcapng.cpp.

#include "weft/wire/pcap.hpp"

#include <algorithm>
#include <string>

#include "pcap_detail.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "pcap";
constexpr std::size_t kGlobalHeaderSize = 24;
constexpr std::size_t kRecordHeaderSize = 16;

// The magic read as a big-endian number, for each byte order and precision.
constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicMicroSwapped = 0xd4c3b2a1;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kMagicNanoSwapped = 0x4d3cb2a1;

void put_le16(std::vector<std::byte>& out, std::uint16_t v) {
    out.push_back(std::byte(v & 0xff));
    out.push_back(std::byte(v >> 8));
}

void put_le32(std::vector<std::byte>& out, std::uint32_t v) {
    put_le16(out, static_cast<std::uint16_t>(v));
    put_le16(out, static_cast<std::uint16_t>(v >> 16));
}

}  // namespace

WireResult<PcapReader> PcapReader::open(std::span<const std::byte> file) {
    PcapReader reader(file);
    if (file.size() < 4)
        return wire_error(kLayer, "not a pcap or pcapng file: " + std::to_string(file.size()) + " bytes", 0);
    const std::uint32_t magic = detail::load_u32(file, 0, true);
    if (magic == detail::kPcapngSectionHeader) {
        reader.format_ = CaptureFormat::pcapng;
        auto next = reader.read_section_header(0);
        if (!next) return Unexpected(next.error());
        reader.pos_ = *next;
        return reader;
    }
    switch (magic) {
        case kMagicMicro: reader.big_endian_ = true; break;
        case kMagicNano: reader.big_endian_ = true; reader.precision_ = TimestampPrecision::nano; break;
        case kMagicMicroSwapped: reader.big_endian_ = false; break;
        case kMagicNanoSwapped: reader.big_endian_ = false; reader.precision_ = TimestampPrecision::nano; break;
        default: return wire_error(kLayer, "not a pcap or pcapng file: bad magic", 0);
    }
    if (file.size() < kGlobalHeaderSize)
        return wire_error(kLayer, "truncated global header: need 24 bytes, have " + std::to_string(file.size()), 0);
    // Version, thiszone and sigfigs are not needed to read records: writers disagree on them.
    reader.snaplen_ = detail::load_u32(file, 16, reader.big_endian_);
    // The upper bits of the link type field carry FCS information in newer files.
    reader.linktype_ = detail::load_u32(file, 20, reader.big_endian_) & 0xffff;
    reader.pos_ = kGlobalHeaderSize;
    return reader;
}

std::uint32_t PcapReader::linktype() const noexcept {
    if (format_ == CaptureFormat::pcap) return linktype_;
    return interfaces_.empty() ? 0 : interfaces_.front().linktype;
}

std::uint32_t PcapReader::snaplen() const noexcept {
    if (format_ == CaptureFormat::pcap) return snaplen_;
    return interfaces_.empty() ? 0 : interfaces_.front().snaplen;
}

WireResult<std::optional<PcapRecord>> PcapReader::next() {
    return format_ == CaptureFormat::pcap ? next_pcap() : next_pcapng();
}

WireResult<std::optional<PcapRecord>> PcapReader::next_pcap() {
    const std::size_t left = file_.size() - pos_;
    if (left == 0) return std::optional<PcapRecord>();
    if (left < kRecordHeaderSize)
        return wire_error(kLayer, "truncated record header: need 16 bytes, have " + std::to_string(left), pos_);
    const std::uint32_t seconds = detail::load_u32(file_, pos_, big_endian_);
    const std::uint32_t fraction = detail::load_u32(file_, pos_ + 4, big_endian_);
    const std::uint32_t caplen = detail::load_u32(file_, pos_ + 8, big_endian_);
    const std::uint32_t origlen = detail::load_u32(file_, pos_ + 12, big_endian_);
    // Check the claimed length against the cap before anything is sized by it.
    if (caplen > kMaxPcapRecordBytes)
        return wire_error(kLayer, "absurd captured length " + std::to_string(caplen) + " (cap " +
                                      std::to_string(kMaxPcapRecordBytes) + ")", pos_ + 8);
    if (caplen > left - kRecordHeaderSize)
        return wire_error(kLayer, "truncated record: captured length " + std::to_string(caplen) + ", have " +
                                      std::to_string(left - kRecordHeaderSize), pos_ + 8);
    PcapRecord record;
    const std::int64_t unit = precision_ == TimestampPrecision::nano ? 1 : 1000;
    record.timestamp = std::chrono::seconds(seconds) + std::chrono::nanoseconds(std::int64_t{fraction} * unit);
    record.data = file_.subspan(pos_ + kRecordHeaderSize, caplen);
    record.original_length = origlen;
    record.linktype = linktype_;
    record.offset = pos_;
    pos_ += kRecordHeaderSize + caplen;
    return std::optional<PcapRecord>(record);
}

PcapWriter::PcapWriter(std::vector<std::byte>& out, std::uint32_t linktype, TimestampPrecision precision,
                       std::uint32_t snaplen)
    : out_(out), precision_(precision), snaplen_(snaplen) {
    put_le32(out_, precision == TimestampPrecision::nano ? kMagicNano : kMagicMicro);
    put_le16(out_, 2);  // version 2.4, what every reader expects
    put_le16(out_, 4);
    put_le32(out_, 0);  // thiszone: timestamps are UTC
    put_le32(out_, 0);  // sigfigs
    put_le32(out_, snaplen);
    put_le32(out_, linktype);
}

void PcapWriter::write(std::chrono::nanoseconds timestamp, std::span<const std::byte> data,
                       std::uint32_t original_length) {
    const std::int64_t ns = std::max<std::int64_t>(0, timestamp.count());
    const std::int64_t fraction = ns % 1'000'000'000;
    const auto caplen = static_cast<std::uint32_t>(std::min<std::size_t>(data.size(), snaplen_));
    put_le32(out_, static_cast<std::uint32_t>(ns / 1'000'000'000));
    put_le32(out_, static_cast<std::uint32_t>(precision_ == TimestampPrecision::nano ? fraction : fraction / 1000));
    put_le32(out_, caplen);
    put_le32(out_, original_length != 0 ? original_length : static_cast<std::uint32_t>(data.size()));
    out_.insert(out_.end(), data.begin(), data.begin() + caplen);
}

}  // namespace weft::wire
