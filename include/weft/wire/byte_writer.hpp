#pragma once
// ByteWriter: appends big-endian fields to a byte vector, and patches them afterwards
// (lengths and checksums are often known only once the rest is written).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace weft::wire {

/// Appends big-endian fields to a byte vector it does not own.
class ByteWriter {
public:
    /// Appends to `out`, which must outlive the writer.
    explicit ByteWriter(std::vector<std::byte>& out) noexcept : out_(out) {}

    /// The vector's size: the offset the next field is written at.
    std::size_t size() const noexcept { return out_.size(); }

    ///@{
    /// Appends a 1, 2 or 4-byte number, big-endian.
    void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    ///@}
    /// Appends the bytes as they are.
    void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    /// Appends n zero bytes.
    void zeros(std::size_t n) { out_.insert(out_.end(), n, std::byte{0}); }

    /// Overwrites two bytes at `offset` (which must already be written).
    void patch_u16(std::size_t offset, std::uint16_t v) noexcept {
        out_[offset] = std::byte(v >> 8);
        out_[offset + 1] = std::byte(v & 0xff);
    }

private:
    std::vector<std::byte>& out_;
};

}  // namespace weft::wire
