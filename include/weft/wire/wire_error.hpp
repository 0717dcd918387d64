#pragma once
// WireError: why bytes could not be decoded, and where.
//
// Every wire/ parser returns Expected<Value, WireError>; none throws on bad bytes. The error
// names the layer, the field and the offset (from the start of the span the parser was given;
// a caller that decodes nested layers adds its own base offset), so that a message reads
//   ipv4: truncated header: need 20 bytes, have 12 at offset 14

#include <cstddef>
#include <string>

#include "weft/expected.hpp"

namespace weft::wire {

/// Why bytes could not be decoded: the layer, the reason and the offset (see above).
struct WireError {
    const char* layer = "";    ///< "ipv4", "dns", ...: a string literal
    std::string reason;        ///< "truncated header: need 20 bytes, have 12"
    std::size_t offset = 0;    ///< where the problem was found

    /// "<layer>: <reason> at offset <offset>"
    std::string to_string() const {
        return std::string(layer) + ": " + reason + " at offset " + std::to_string(offset);
    }
    /// The same error seen from an enclosing span that starts `base` bytes earlier.
    WireError shifted(std::size_t base) const {
        WireError e = *this;
        e.offset += base;
        return e;
    }
};

/// What every wire/ parser returns: the value, or why the bytes could not be decoded.
template <class T>
using WireResult = Expected<T, WireError>;

/// The error a parser returns: `return wire_error("ipv4", "bad version 6, expected 4", 0);`.
inline Unexpected<WireError> wire_error(const char* layer, std::string reason, std::size_t offset) {
    return Unexpected(WireError{layer, std::move(reason), offset});
}

}  // namespace weft::wire
