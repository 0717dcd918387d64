// Buffer: see the header for the layout.

#include "weft/io/buffer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <sys/uio.h>

#include "weft/io/syscalls.hpp"

namespace weft {

Buffer::Buffer(std::size_t initial_size) : storage_(kPrependable + initial_size) {}

void Buffer::consume(std::size_t n) noexcept {
    if (n >= readable_bytes()) {
        consume_all();  // resetting both indices keeps the whole buffer writable
        return;
    }
    read_index_ += n;
}

void Buffer::ensure_writable(std::size_t n) {
    if (writable_bytes() >= n) return;
    const std::size_t readable = readable_bytes();
    if (prependable_bytes() - kPrependable + writable_bytes() >= n) {
        // Enough space once the consumed front is reclaimed: move the data, don't grow.
        std::memmove(storage_.data() + kPrependable, storage_.data() + read_index_, readable);
        read_index_ = kPrependable;
        write_index_ = kPrependable + readable;
        return;
    }
    // Grow geometrically so a stream of small appends stays amortised O(1).
    storage_.resize(std::max(storage_.size() * 2, write_index_ + n));
}

void Buffer::append(std::span<const std::byte> data) {
    ensure_writable(data.size());
    if (!data.empty()) std::memcpy(storage_.data() + write_index_, data.data(), data.size());
    write_index_ += data.size();
}

void Buffer::append(std::string_view text) { append(std::as_bytes(std::span(text.data(), text.size()))); }

void Buffer::prepend(std::span<const std::byte> data) noexcept {
    read_index_ -= data.size();
    if (!data.empty()) std::memcpy(storage_.data() + read_index_, data.data(), data.size());
}

std::optional<std::size_t> Buffer::find(std::span<const std::byte> needle, std::size_t from) const noexcept {
    const auto hay = readable();
    if (needle.empty() || from >= hay.size()) return std::nullopt;
    const auto it = std::search(hay.begin() + static_cast<std::ptrdiff_t>(from), hay.end(), needle.begin(), needle.end());
    if (it == hay.end()) return std::nullopt;
    return static_cast<std::size_t>(it - hay.begin());
}

Result<std::size_t> Buffer::read_from(int fd) {
    // Read into the free space and, past it, into a stack area: one syscall takes a large
    // burst without the buffer having to be large in advance (the muduo trick).
    std::array<std::byte, kExtraReadSize> extra;
    const std::size_t writable = writable_bytes();
    std::array<iovec, 2> vec{{{storage_.data() + write_index_, writable}, {extra.data(), extra.size()}}};
    // When the buffer already has 64 KiB free, the extra area would add little.
    const int count = writable < extra.size() ? 2 : 1;
    auto n = detail::retry_eintr([&] { return ::readv(fd, vec.data(), count); });
    if (!n) return Unexpected(n.error());
    const auto got = static_cast<std::size_t>(*n);
    if (got <= writable) {
        write_index_ += got;
    } else {
        write_index_ = storage_.size();
        append(std::span<const std::byte>(extra.data(), got - writable));
    }
    return got;
}

void Buffer::shrink_if_empty() noexcept {
    if (!empty() || storage_.size() <= kPrependable + kInitialSize) return;
    try {
        std::vector<std::byte>(kPrependable + kInitialSize).swap(storage_);
    } catch (...) {
        return;  // keeping the larger buffer is fine
    }
    consume_all();
}

}  // namespace weft
