#pragma once
// ByteReader: a bounds-checked cursor over untrusted bytes, big-endian (network order).
//
// Every read checks the remaining length first and fails without moving when it is short, so
// a parser written over a ByteReader cannot read past its span. Reads return std::optional;
// parsers turn an empty optional into a WireError naming the field. Reads, skip and seek are
// [[nodiscard]]: an unchecked one is a bounds check skipped.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace weft::wire {

/// A bounds-checked big-endian cursor over bytes: each read fails, without moving, when too
/// few bytes remain.
class ByteReader {
public:
    /// A cursor at the start of `bytes`, which must outlive it.
    explicit constexpr ByteReader(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}

    /// Bytes read (or skipped) so far: the cursor's position.
    constexpr std::size_t offset() const noexcept { return pos_; }
    /// Bytes left after the cursor.
    constexpr std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
    /// True at the end.
    constexpr bool empty() const noexcept { return pos_ == bytes_.size(); }
    /// All the bytes, whatever the position.
    constexpr std::span<const std::byte> whole() const noexcept { return bytes_; }
    /// The bytes after the cursor.
    constexpr std::span<const std::byte> rest() const noexcept { return bytes_.subspan(pos_); }

    ///@{
    /// The next 1, 2 or 4 bytes as a big-endian number; nullopt (and no move) when fewer remain.
    [[nodiscard]] constexpr std::optional<std::uint8_t> u8() noexcept {
        if (remaining() < 1) return std::nullopt;
        return static_cast<std::uint8_t>(bytes_[pos_++]);
    }
    [[nodiscard]] constexpr std::optional<std::uint16_t> u16() noexcept {
        if (remaining() < 2) return std::nullopt;
        std::uint16_t v = static_cast<std::uint16_t>(at(0) << 8 | at(1));
        pos_ += 2;
        return v;
    }
    [[nodiscard]] constexpr std::optional<std::uint32_t> u32() noexcept {
        if (remaining() < 4) return std::nullopt;
        std::uint32_t v = std::uint32_t{at(0)} << 24 | std::uint32_t{at(1)} << 16 |
                          std::uint32_t{at(2)} << 8 | at(3);
        pos_ += 4;
        return v;
    }
    ///@}
    /// The next n bytes as a view into the input.
    [[nodiscard]] constexpr std::optional<std::span<const std::byte>> bytes(std::size_t n) noexcept {
        if (remaining() < n) return std::nullopt;
        auto v = bytes_.subspan(pos_, n);
        pos_ += n;
        return v;
    }
    /// Moves past n bytes; false (and no move) when fewer remain.
    [[nodiscard]] constexpr bool skip(std::size_t n) noexcept {
        if (remaining() < n) return false;
        pos_ += n;
        return true;
    }
    /// Moves to an absolute offset within the span; false (and no move) past the end.
    [[nodiscard]] constexpr bool seek(std::size_t offset) noexcept {
        if (offset > bytes_.size()) return false;
        pos_ = offset;
        return true;
    }

private:
    constexpr std::uint8_t at(std::size_t i) const noexcept {
        return static_cast<std::uint8_t>(bytes_[pos_ + i]);
    }
    std::span<const std::byte> bytes_;
    std::size_t pos_ = 0;
};

}  // namespace weft::wire
