#pragma once
// Capture files from memory: classic pcap (micro- and nanosecond, either byte order) read and
// written, pcapng (SHB, IDB, EPB, SPB; other blocks skipped) read. No file I/O here: the
// caller reads the file into memory and hands over a span, which must outlive the reader.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::uint32_t kLinktypeEthernet = 1;  ///< LINKTYPE_ETHERNET
/// The largest captured record accepted (tcpdump's default snaplen); anything above is a
/// corrupt length, not a packet.
inline constexpr std::size_t kMaxPcapRecordBytes = 256 * 1024;
/// The largest pcapng block accepted: a maximal packet plus generous room for options.
inline constexpr std::size_t kMaxPcapngBlockBytes = kMaxPcapRecordBytes + 64 * 1024;

/// The two capture file formats read: classic pcap and pcapng.
enum class CaptureFormat { pcap, pcapng };
/// Timestamps in microseconds or nanoseconds (classic pcap: the magic says which).
enum class TimestampPrecision { micro, nano };

/// One captured packet as a file holds it.
struct PcapRecord {
    std::chrono::nanoseconds timestamp{0};  ///< since the Unix epoch (0 for pcapng SPB)
    std::span<const std::byte> data;        ///< the captured bytes, a view into the file
    std::uint32_t original_length = 0;      ///< the length on the wire
    std::uint32_t linktype = 0;             ///< LINKTYPE_* of the interface (1 = Ethernet)
    std::size_t offset = 0;                 ///< where the record's header starts in the file
};

/// Reads the records of a classic pcap or a pcapng file held in memory, one next() at a
/// time; records are views into the file, which must outlive the reader.
class PcapReader {
public:
    /// Checks the file header (pcap global header, or the first pcapng section header).
    /// Errors: "not a pcap or pcapng file" (bad magic), truncated header, bad byte-order
    /// magic, unsupported pcapng major version.
    static WireResult<PcapReader> open(std::span<const std::byte> file);

    /// The next packet record, std::nullopt at the clean end of the file. Errors (offsets are
    /// file offsets): truncated record or block, captured length over kMaxPcapRecordBytes,
    /// bad block length, an EPB naming an undefined interface. After an error the reader
    /// stays where it was, so calling next() again returns the same error.
    WireResult<std::optional<PcapRecord>> next();

    /// Classic pcap or pcapng.
    CaptureFormat format() const noexcept { return format_; }
    /// The byte order of the file (of the current section for pcapng).
    bool big_endian() const noexcept { return big_endian_; }
    /// Classic pcap: as the magic says. pcapng: nano when the first interface has 10^-9.
    TimestampPrecision precision() const noexcept { return precision_; }
    /// Classic pcap: from the global header. pcapng: of the first interface (0 before it).
    std::uint32_t linktype() const noexcept;
    /// The longest record the capture kept, as linktype(): from the global header, or of the
    /// first pcapng interface (0 before it).
    std::uint32_t snaplen() const noexcept;
    /// The file offset of the next record.
    std::size_t offset() const noexcept { return pos_; }

private:
    struct Interface {
        std::uint32_t linktype = 0;
        std::uint32_t snaplen = 0;
        std::uint8_t tsresol = 6;   ///< RFC pcapng if_tsresol: 10^-n, or 2^-n with the top bit
        std::int64_t tsoffset = 0;  ///< seconds added to every timestamp
    };

    explicit PcapReader(std::span<const std::byte> file) : file_(file) {}
    WireResult<std::optional<PcapRecord>> next_pcap();
    WireResult<std::optional<PcapRecord>> next_pcapng();
    WireResult<std::size_t> read_section_header(std::size_t at);
    WireResult<Interface> read_interface(std::span<const std::byte> body, std::size_t at) const;

    std::span<const std::byte> file_;
    std::size_t pos_ = 0;
    CaptureFormat format_ = CaptureFormat::pcap;
    bool big_endian_ = false;
    TimestampPrecision precision_ = TimestampPrecision::micro;
    std::uint32_t linktype_ = 0;  // classic pcap
    std::uint32_t snaplen_ = 0;   // classic pcap
    std::vector<Interface> interfaces_;  // pcapng, of the current section
};

/// Writes a classic pcap file, little-endian, into `out`: the global header at construction,
/// then one record per write(). `out` must outlive the writer.
class PcapWriter {
public:
    /// Writes the global header: `linktype` (1 = Ethernet), the timestamp precision (magic
    /// 0xa1b2c3d4 micro, 0xa1b23c4d nano) and `snaplen`.
    explicit PcapWriter(std::vector<std::byte>& out, std::uint32_t linktype = kLinktypeEthernet,
                        TimestampPrecision precision = TimestampPrecision::micro,
                        std::uint32_t snaplen = kMaxPcapRecordBytes);

    /// Appends one record. Bytes past the snaplen are not written (the original length keeps
    /// the full size); `original_length` 0 means data.size(). Negative timestamps become 0.
    void write(std::chrono::nanoseconds timestamp, std::span<const std::byte> data,
               std::uint32_t original_length = 0);

private:
    std::vector<std::byte>& out_;
    TimestampPrecision precision_;
    std::uint32_t snaplen_;
};

}  // namespace weft::wire
