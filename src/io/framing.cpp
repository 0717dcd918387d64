// Framing codecs: every read of the prefix or the search for a delimiter is bounded by the
// buffer's readable bytes, and every length by its named limit.

#include "weft/io/framing.hpp"

#include <limits>

namespace weft {

FrameError frame_too_large(std::size_t size, std::size_t limit) {
    return {IoErrc::frame_too_large,
            "frame of " + std::to_string(size) + " bytes exceeds the " + std::to_string(limit) + "-byte limit"};
}

LengthPrefixCodec::LengthPrefixCodec(PrefixSize prefix, std::size_t max_frame) noexcept
    : prefix_(prefix), max_frame_(max_frame) {}

DecodeResult LengthPrefixCodec::decode(Buffer& in) const noexcept {
    const auto bytes = in.readable();
    const auto prefix = static_cast<std::size_t>(prefix_);
    if (bytes.size() < prefix) return std::optional<Frame>{};
    std::size_t length = 0;
    for (std::size_t i = 0; i < prefix; ++i) length = length << 8 | std::to_integer<std::size_t>(bytes[i]);
    // Refuse at the prefix: waiting for an oversize payload would buffer what the cap forbids.
    if (length > max_frame_) {
        try {
            return Unexpected(frame_too_large(length, max_frame_));
        } catch (...) {
            return Unexpected(FrameError{IoErrc::frame_too_large, {}});
        }
    }
    if (bytes.size() - prefix < length) return std::optional<Frame>{};
    const Frame frame = bytes.subspan(prefix, length);
    in.consume(prefix + length);  // the bytes stay in place until the next write
    return std::optional<Frame>{frame};
}

Expected<void, FrameError> LengthPrefixCodec::encode(std::span<const std::byte> payload, Buffer& out) const {
    const auto prefix = static_cast<std::size_t>(prefix_);
    const std::size_t fits = prefix == 2 ? std::numeric_limits<std::uint16_t>::max()
                                         : std::numeric_limits<std::uint32_t>::max();
    const std::size_t limit = std::min(max_frame_, fits);
    if (payload.size() > limit) return Unexpected(frame_too_large(payload.size(), limit));
    std::byte header[4];
    for (std::size_t i = 0; i < prefix; ++i)
        header[i] = static_cast<std::byte>(payload.size() >> (8 * (prefix - 1 - i)));
    out.append(std::span<const std::byte>(header, prefix));
    out.append(payload);
    return {};
}

LineCodec::LineCodec(std::string delimiter, std::size_t max_line)
    : delimiter_(delimiter.empty() ? std::string("\n") : std::move(delimiter)), max_line_(max_line) {}

DecodeResult LineCodec::decode(Buffer& in) const noexcept {
    const auto delimiter = std::as_bytes(std::span(delimiter_.data(), delimiter_.size()));
    const auto at = in.find(delimiter);
    // A line is too long when max_line bytes came without a delimiter, or when the
    // delimiter only came after them.
    if ((at && *at > max_line_) || (!at && in.readable_bytes() > max_line_ + delimiter.size() - 1)) {
        try {
            return Unexpected(FrameError{IoErrc::line_too_long, "line of more than " + std::to_string(max_line_) +
                                                                    " bytes without a delimiter"});
        } catch (...) {
            return Unexpected(FrameError{IoErrc::line_too_long, {}});
        }
    }
    if (!at) return std::optional<Frame>{};
    const Frame line = in.readable().first(*at);
    in.consume(*at + delimiter.size());
    return std::optional<Frame>{line};
}

Expected<void, FrameError> LineCodec::encode(std::span<const std::byte> line, Buffer& out) const {
    if (line.size() > max_line_)
        return Unexpected(FrameError{IoErrc::line_too_long, "line of " + std::to_string(line.size()) +
                                                                " bytes exceeds the " + std::to_string(max_line_) +
                                                                "-byte limit"});
    out.append(line);
    out.append(delimiter_);
    return {};
}

Task<Result<std::string_view>> read_line(TcpStream& stream, Buffer& buffer, std::size_t max_line) {
    // Bytes already searched for a '\n' are not searched again: appending keeps their offset
    // from the start of the readable bytes, so a long line arriving in many reads costs O(n).
    std::size_t searched = 0;
    for (;;) {
        const std::string_view text = buffer.readable_text();
        if (const std::size_t lf = text.find('\n', searched); lf != std::string_view::npos) {
            const std::size_t end = lf > 0 && text[lf - 1] == '\r' ? lf - 1 : lf;
            if (end > max_line) co_return Unexpected(std::error_code(IoErrc::line_too_long));
            buffer.consume(lf + 1);  // the bytes stay in place until the next write
            co_return text.substr(0, end);
        }
        // No '\n' yet: max_line bytes and a '\r' may still be waiting for one; more may not.
        if (!text.empty() && text.size() - 1 > max_line) co_return Unexpected(std::error_code(IoErrc::line_too_long));
        searched = text.size();
        auto n = co_await stream.read_some(buffer);
        if (!n) co_return Unexpected(n.error());
        if (*n == 0) co_return Unexpected(std::error_code(IoErrc::eof));
    }
}

}  // namespace weft
