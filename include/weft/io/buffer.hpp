#pragma once
// Buffer: a growable byte buffer with three regions, muduo's layout:
//
//   | prependable | readable (data not yet consumed) | writable (free space) |
//   0         read_index                       write_index              capacity
//
// Reading consumes from the front; appending writes at the back; a few bytes at the front
// stay free so a length prefix can be put before data already appended. Space is reclaimed
// by moving the readable bytes to the front before growing, so a buffer that is drained as
// fast as it fills never grows.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"

namespace weft {

/// A growable byte buffer: read from the front, append at the back, prepend a header (see the
/// layout at the top of buffer.hpp). Not thread-safe; owned by one connection.
class Buffer {
public:
    static constexpr std::size_t kPrependable = 8;     ///< Bytes kept free in front for prepend().
    static constexpr std::size_t kInitialSize = 1024;  ///< The writable space a new buffer has.
    /// read_from's stack overflow area: one readv takes up to this much beyond the free space,
    /// so an idle connection's buffer can stay small and a busy one still reads in big chunks.
    static constexpr std::size_t kExtraReadSize = 65536;

    /// An empty buffer with `initial_size` writable bytes (and kPrependable in front).
    explicit Buffer(std::size_t initial_size = kInitialSize);

    /// Bytes appended and not yet consumed.
    std::size_t readable_bytes() const noexcept { return write_index_ - read_index_; }
    /// Free space at the back, before the buffer has to compact or grow.
    std::size_t writable_bytes() const noexcept { return storage_.size() - write_index_; }
    /// Free space in front of the readable bytes (at least kPrependable).
    std::size_t prependable_bytes() const noexcept { return read_index_; }
    /// No readable bytes.
    bool empty() const noexcept { return readable_bytes() == 0; }

    /// The unread bytes; valid until the buffer is next written to.
    std::span<const std::byte> readable() const noexcept {
        return {storage_.data() + read_index_, readable_bytes()};
    }
    /// readable() as characters; valid as long.
    std::string_view readable_text() const noexcept {
        return {reinterpret_cast<const char*>(storage_.data() + read_index_), readable_bytes()};
    }
    /// The free space at the back; write into it, then commit() what was written.
    std::span<std::byte> writable() noexcept { return {storage_.data() + write_index_, writable_bytes()}; }

    /// Drops the first n readable bytes (all of them when n is larger).
    void consume(std::size_t n) noexcept;
    /// Drops every readable byte; the whole buffer becomes writable again.
    void consume_all() noexcept { read_index_ = write_index_ = kPrependable; }
    /// Marks n bytes of writable() as readable. Precondition: n <= writable_bytes().
    void commit(std::size_t n) noexcept { write_index_ += n; }
    /// Makes room for at least n writable bytes (compacting first, growing if needed).
    void ensure_writable(std::size_t n);

    ///@{
    /// Copies data after the readable bytes, compacting or growing as needed. Throws
    /// std::bad_alloc only.
    void append(std::span<const std::byte> data);
    void append(std::string_view text);
    ///@}
    /// Puts data in front of the readable bytes. Precondition: data.size() <= prependable_bytes().
    void prepend(std::span<const std::byte> data) noexcept;

    /// Offset of the first occurrence of `needle` in the readable bytes, searching from
    /// `from`; nullopt when absent.
    std::optional<std::size_t> find(std::span<const std::byte> needle, std::size_t from = 0) const noexcept;

    /// One readv() into the free space plus a 64 KiB stack area (appended when used).
    /// Returns the count read, 0 at EOF, or the errno (EAGAIN included: the caller decides).
    Result<std::size_t> read_from(int fd);

    /// Bytes allocated (for memory accounting in tests and stats).
    std::size_t capacity() const noexcept { return storage_.size(); }
    /// Gives memory back when the buffer is empty and larger than its initial size.
    void shrink_if_empty() noexcept;

private:
    std::vector<std::byte> storage_;
    std::size_t read_index_ = kPrependable;
    std::size_t write_index_ = kPrependable;
};

}  // namespace weft
