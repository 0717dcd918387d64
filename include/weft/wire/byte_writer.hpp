#pragma once
// ByteWriter: appends big-endian fields to a byte vector, and patches them afterwards
// (lengths and checksums are often known only once the rest is written).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace weft::wire {

class ByteWriter {
public:
    explicit ByteWriter(std::vector<std::byte>& out) noexcept : out_(out) {}

    std::size_t size() const noexcept { return out_.size(); }

    void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
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
