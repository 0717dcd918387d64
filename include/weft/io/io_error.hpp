#pragma once
// Error codes the io/ layer adds to errno's: the conditions that are not syscalls failing.
// Everything else the async core reports is a std::system_category() errno code, plus
// std::errc::operation_canceled (an operation cancelled by close/stop) and
// std::errc::timed_out (a deadline expired).

#include <system_error>

namespace weft {

/// The io/ layer's own error conditions, as std::error_code values of io_category().
enum class IoErrc {
    eof = 1,          ///< the peer closed before read_exact / a frame got all its bytes
    frame_too_large,  ///< a length prefix above the decoder's limit
    line_too_long,    ///< no delimiter within the decoder's limit
    busy,             ///< a second read (or write) waits on a stream that already has one
};

/// The category of IoErrc; name() is "weft.io".
const std::error_category& io_category() noexcept;

/// Makes `ec == IoErrc::eof` and `std::error_code ec = IoErrc::eof;` work.
inline std::error_code make_error_code(IoErrc e) noexcept { return {static_cast<int>(e), io_category()}; }

}  // namespace weft

template <>
struct std::is_error_code_enum<weft::IoErrc> : std::true_type {};
