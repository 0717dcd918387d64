#pragma once
// TCP segments (RFC 9293): header, flags, options (RFC 7323 window scale and timestamps,
// RFC 2018 SACK) and the checksum over the IPv4 pseudo-header.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/wire/checksum.hpp"
#include "weft/wire/inline_list.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

inline constexpr std::size_t kTcpMinHeaderSize = 20;  ///< no options
inline constexpr std::size_t kTcpMaxHeaderSize = 60;  ///< data offset is 4 bits of 32-bit words
/// 40 option bytes hold at most 40 options (one-byte NOPs): the cap of TcpSegment::options.
inline constexpr std::size_t kTcpMaxOptions = kTcpMaxHeaderSize - kTcpMinHeaderSize;
/// A SACK option of 2 + 8n bytes fits in 40 for n <= 4.
inline constexpr std::size_t kTcpMaxSackBlocks = 4;

///@{
/// Flag bits as they sit in the 9 low bits of bytes 12-13.
inline constexpr std::uint16_t kTcpFin = 0x001;
inline constexpr std::uint16_t kTcpSyn = 0x002;
inline constexpr std::uint16_t kTcpRst = 0x004;
inline constexpr std::uint16_t kTcpPsh = 0x008;
inline constexpr std::uint16_t kTcpAck = 0x010;
inline constexpr std::uint16_t kTcpUrg = 0x020;
inline constexpr std::uint16_t kTcpEce = 0x040;
inline constexpr std::uint16_t kTcpCwr = 0x080;
inline constexpr std::uint16_t kTcpNs = 0x100;
///@}

/// The names of the set flags in the order FIN SYN RST PSH ACK URG ECE CWR NS.
std::vector<const char*> tcp_flag_names(std::uint16_t flags);

///@{
/// Option kinds weft decodes (RFC 9293, RFC 7323, RFC 2018).
inline constexpr std::uint8_t kTcpOptionEnd = 0;
inline constexpr std::uint8_t kTcpOptionNop = 1;
inline constexpr std::uint8_t kTcpOptionMss = 2;
inline constexpr std::uint8_t kTcpOptionWindowScale = 3;
inline constexpr std::uint8_t kTcpOptionSackPermitted = 4;
inline constexpr std::uint8_t kTcpOptionSack = 5;
inline constexpr std::uint8_t kTcpOptionTimestamps = 8;
///@}

/// One SACK block: a range of sequence numbers the receiver holds (RFC 2018).
struct SackBlock {
    std::uint32_t left = 0;   ///< first sequence number of the block
    std::uint32_t right = 0;  ///< one past the last
    bool operator==(const SackBlock&) const = default;  ///< same edges
};

/// The blocks of one SACK option, stored inline (at most 4 fit in the header). A plain
/// value: unlike InlineList it copies all four slots, so TcpOption stays trivially copyable.
class SackBlocks {
public:
    ///@{
    /// The container types; iterators are pointers.
    using value_type = SackBlock;
    using iterator = SackBlock*;
    using const_iterator = const SackBlock*;
    ///@}

    SackBlocks() = default;
    /// Throws std::length_error for more than 4 blocks.
    SackBlocks(std::initializer_list<SackBlock> blocks) {
        for (const SackBlock& b : blocks) push_back(b);
    }

    /// 4: the most blocks an option holds.
    static constexpr std::size_t capacity() noexcept { return kTcpMaxSackBlocks; }
    /// The blocks it holds.
    std::size_t size() const noexcept { return count_; }
    /// No blocks.
    bool empty() const noexcept { return count_ == 0; }
    ///@{
    /// The blocks as a range, in option order.
    SackBlock* begin() noexcept { return blocks_.data(); }
    SackBlock* end() noexcept { return blocks_.data() + count_; }
    const SackBlock* begin() const noexcept { return blocks_.data(); }
    const SackBlock* end() const noexcept { return blocks_.data() + count_; }
    ///@}
    ///@{
    /// Block i, unchecked (precondition i < size()).
    SackBlock& operator[](std::size_t i) noexcept { return blocks_[i]; }
    const SackBlock& operator[](std::size_t i) const noexcept { return blocks_[i]; }
    ///@}

    /// Throws std::length_error past 4 blocks.
    void push_back(const SackBlock& b) {
        if (count_ == kTcpMaxSackBlocks) throw std::length_error("tcp: a SACK option holds at most 4 blocks");
        blocks_[count_++] = b;
    }
    /// Drops every block.
    void clear() noexcept { count_ = 0; }

    /// The same blocks in the same order.
    friend bool operator==(const SackBlocks& a, const SackBlocks& b) noexcept {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    std::array<SackBlock, kTcpMaxSackBlocks> blocks_{};
    std::uint8_t count_ = 0;
};

/// One option. Known kinds have their value decoded into the matching field; every kind
/// also keeps its raw value bytes in `data`. Building writes known kinds from the fields and
/// unknown kinds from `data`. A plain value (no heap): parsing a segment never allocates.
struct TcpOption {
    std::uint8_t kind = kTcpOptionNop;  ///< kTcpOptionMss, ...; any value is kept
    std::uint8_t length = 1;            ///< as stored (1 for EOL and NOP); build() recomputes it
    std::span<const std::byte> data;    ///< the value bytes after kind and length
    std::uint16_t mss = 0;              ///< kind 2
    std::uint8_t window_scale = 0;      ///< kind 3 (shift count)
    SackBlocks sack;                    ///< kind 5 (1 to 4 blocks)
    std::uint32_t ts_value = 0;         ///< kind 8 TSval
    std::uint32_t ts_echo = 0;          ///< kind 8 TSecr
};

/// The options of one segment, in order, stored inline.
using TcpOptions = InlineList<TcpOption, kTcpMaxOptions>;

///@{
/// An option of each known kind, ready to add to TcpSegment::options (length set as
/// build() writes it).
TcpOption tcp_end_option();
TcpOption tcp_nop_option();
TcpOption tcp_mss_option(std::uint16_t mss);
TcpOption tcp_window_scale_option(std::uint8_t shift);
TcpOption tcp_sack_permitted_option();
TcpOption tcp_sack_option(SackBlocks blocks);
TcpOption tcp_timestamps_option(std::uint32_t value, std::uint32_t echo);
///@}
/// Any kind, value written as given (`data` must outlive the build).
TcpOption tcp_raw_option(std::uint8_t kind, std::span<const std::byte> data);

/// A TCP segment: header fields, options and payload.
struct TcpSegment {
    std::uint16_t src_port = 0;         ///< the sender's port
    std::uint16_t dst_port = 0;         ///< the receiver's port
    std::uint32_t seq = 0;              ///< sequence number of the first payload byte (or of SYN/FIN)
    std::uint32_t ack = 0;              ///< the next sequence number expected, when ACK is set
    std::uint16_t flags = 0;            ///< kTcp* bits
    std::uint8_t reserved = 0;          ///< the 3 reserved bits, kept as seen
    std::uint16_t window = 0;           ///< receive window, before any window scaling
    std::uint16_t checksum = 0;         ///< as stored; build() computes it unless told to keep
    std::uint16_t urgent = 0;           ///< urgent pointer, meaningful with URG
    TcpOptions options;                 ///< in order, EOL included; padding after EOL is not
    std::size_t header_length = 0;     ///< data offset * 4, as parsed
    std::span<const std::byte> payload; ///< after the header: the rest of the span
    std::span<const std::byte> bytes;   ///< the whole segment as parsed (what the checksum covers)

    /// True when `flag` (a kTcp* bit) is set.
    constexpr bool has(std::uint16_t flag) const noexcept { return (flags & flag) != 0; }

    /// Decodes a segment that is all of `bytes` (TCP has no length of its own: pass the IPv4
    /// payload). Errors: truncated, data offset < 5 or past the span, option length < 2 or
    /// past the header, a known option with the wrong length.
    static WireResult<TcpSegment> parse(std::span<const std::byte> bytes);

    /// Verifies a parsed segment against the IPv4 pseudo-header.
    bool checksum_ok(Ipv4Address src, Ipv4Address dst) const noexcept;

    /// 20 + options padded to 4 bytes: the header length build() writes.
    std::size_t built_header_length() const noexcept;

    /// Appends header, options (zero-padded to 4 bytes) and payload with the data offset and
    /// checksum computed (unless ChecksumMode::keep). Throws std::length_error for options
    /// over 40 bytes or a segment over 65535 bytes.
    void append_to(std::vector<std::byte>& out, Ipv4Address src, Ipv4Address dst,
                   ChecksumMode mode = ChecksumMode::compute) const;
    /// append_to() into a new vector.
    std::vector<std::byte> build(Ipv4Address src, Ipv4Address dst, ChecksumMode mode = ChecksumMode::compute) const;
};

}  // namespace weft::wire
