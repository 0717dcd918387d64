#pragma once
// Framing: cutting a TCP byte stream into messages (TCP keeps no boundaries, the seed's
// "sticky packets"). Two codecs, each with a cap on what the peer controls:
//
//   LengthPrefixCodec codec(PrefixSize::u32, 1 << 20);  // big-endian length, then payload
//   LineCodec lines("\n", 8192);                       // text up to a delimiter
//
// decode(Buffer&) answers one of three things: a whole frame (a view into the buffer, valid
// until the buffer is next written to; the frame's bytes are consumed), "need more"
// (nullopt), or a FrameError naming the limit — then the stream is unusable and the caller
// closes it. Frames split or merged arbitrarily by the sender come out whole.
//
// read_frame(stream, buffer, codec) is the coroutine form: it reads until a frame is whole.
// For text, read_line(stream, buffer) gives each line as a string_view without its "\n" or
// "\r\n", and as_text(frame) views any frame as text:
//
//   weft::Buffer in;
//   while (auto line = co_await weft::read_line(conn, in))   // ends with IoErrc::eof
//       std::cout << *line << '\n';

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "weft/expected.hpp"
#include "weft/io/buffer.hpp"
#include "weft/io/io_error.hpp"
#include "weft/io/task.hpp"
#include "weft/io/tcp_stream.hpp"

namespace weft {

/// Why a stream could not be framed: a code to test and a sentence to show,
/// e.g. "frame of 70000 bytes exceeds the 65536-byte limit".
struct FrameError {
    std::error_code code;  ///< IoErrc::frame_too_large, IoErrc::line_too_long, IoErrc::eof or an I/O errno.
    std::string message;   ///< One line for a log or the peer.
};

using Frame = std::span<const std::byte>;  ///< A frame's bytes: a view into the Buffer it was cut from.
/// A frame, nullopt for "need more bytes", or why the stream cannot be framed.
using DecodeResult = Expected<std::optional<Frame>, FrameError>;

/// The width of LengthPrefixCodec's big-endian length prefix, in bytes.
enum class PrefixSize : std::uint8_t { u16 = 2, u32 = 4 };

/// Frames as a big-endian length (2 or 4 bytes) followed by that many payload bytes.
class LengthPrefixCodec {
public:
    static constexpr std::size_t kDefaultMaxFrame = 65536;  ///< The default cap on a payload.

    /// Frames with a `prefix`-byte length; a payload over `max_frame` bytes is an error.
    explicit LengthPrefixCodec(PrefixSize prefix = PrefixSize::u32, std::size_t max_frame = kDefaultMaxFrame) noexcept;

    /// The next payload; IoErrc::frame_too_large as soon as a prefix announces more than
    /// max_frame (before any of the payload is buffered).
    DecodeResult decode(Buffer& in) const noexcept;
    /// Appends prefix + payload; IoErrc::frame_too_large when the payload is over the limit
    /// or does not fit the prefix.
    Expected<void, FrameError> encode(std::span<const std::byte> payload, Buffer& out) const;

    /// The cap on a payload, in bytes.
    std::size_t max_frame() const noexcept { return max_frame_; }

private:
    PrefixSize prefix_;
    std::size_t max_frame_;
};

/// Frames as text up to a delimiter.
class LineCodec {
public:
    static constexpr std::size_t kDefaultMaxLine = 8192;  ///< The default cap on a line.

    /// Lines end at `delimiter` (an empty one is taken as "\n") and may not exceed
    /// `max_line` bytes.
    explicit LineCodec(std::string delimiter = "\n", std::size_t max_line = kDefaultMaxLine);

    /// The next line without its delimiter; IoErrc::line_too_long when max_line bytes arrived
    /// without one.
    DecodeResult decode(Buffer& in) const noexcept;
    /// Appends line + delimiter; IoErrc::line_too_long over the limit.
    Expected<void, FrameError> encode(std::span<const std::byte> line, Buffer& out) const;

    /// The cap on a line, in bytes.
    std::size_t max_line() const noexcept { return max_line_; }

private:
    std::string delimiter_;
    std::size_t max_line_;
};

/// A frame's bytes as text: no copy, valid as long as the frame is.
inline std::string_view as_text(Frame frame) noexcept {
    return {reinterpret_cast<const char*>(frame.data()), frame.size()};
}

/// The message for an oversize frame: "frame of 70000 bytes exceeds the 65536-byte limit".
FrameError frame_too_large(std::size_t size, std::size_t limit);

/// Reads from `stream` into `buffer` until `codec` yields a frame. nullopt at a clean EOF
/// between frames; IoErrc::eof when the peer closed mid-frame; I/O errors as they come.
/// The frame is a view into `buffer`, valid until the buffer is next written to.
template <class Codec>
Task<DecodeResult> read_frame(TcpStream& stream, Buffer& buffer, const Codec& codec) {
    for (;;) {
        DecodeResult frame = codec.decode(buffer);
        if (!frame || *frame) co_return frame;
        auto n = co_await stream.read_some(buffer);
        if (!n) co_return Unexpected(FrameError{n.error(), n.error().message()});
        if (*n == 0) {
            if (buffer.empty()) co_return std::optional<Frame>{};
            co_return Unexpected(FrameError{IoErrc::eof, "connection closed in the middle of a frame (" +
                                                             std::to_string(buffer.readable_bytes()) +
                                                             " bytes pending)"});
        }
    }
}

/// Reads from `stream` into `buffer` until a line is whole and returns it without its "\n"
/// or "\r\n" (a lone "\r" elsewhere is kept). The view points into `buffer`: valid until the
/// buffer is next written to (the next read_line or read into it); copy what must outlive
/// that. Errors: IoErrc::line_too_long when more than `max_line` bytes (terminator not
/// counted) come without a "\n" — the stream is then unusable, as with LineCodec;
/// IoErrc::eof when the peer closed first: buffer.empty() tells a clean end from a last line
/// left unterminated (its bytes stay in `buffer`); I/O errors as they come.
[[nodiscard]] Task<Result<std::string_view>> read_line(TcpStream& stream, Buffer& buffer,
                                                      std::size_t max_line = LineCodec::kDefaultMaxLine);

/// Encodes `payload` with `codec` into `scratch` and writes it all.
template <class Codec>
Task<Expected<void, FrameError>> write_frame(TcpStream& stream, Buffer& scratch, const Codec& codec,
                                             std::span<const std::byte> payload) {
    scratch.consume_all();
    if (auto e = codec.encode(payload, scratch); !e) co_return e;
    auto n = co_await stream.write_all(scratch.readable());
    scratch.consume_all();
    if (!n) co_return Unexpected(FrameError{n.error(), n.error().message()});
    co_return Expected<void, FrameError>{};
}

}  // namespace weft
