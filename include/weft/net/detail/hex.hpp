#pragma once
// Internal: the one hex encoder behind MacAddress::to_string, the DNS presentation of raw
// RDATA and the dissector's hex fields. In detail:: because it is a formatting step of those
// calls, not an API of its own; it lives in net/, the lowest layer that needs it.

#include <cstddef>
#include <span>
#include <string>

namespace weft::detail {

/// Lowercase hex, two digits a byte: {0x02, 0xab} is "02ab", or "02:ab" with separator ':'
/// ('\0', the default, means none). An empty span gives "".
std::string to_hex(std::span<const std::byte> bytes, char separator = '\0');

}  // namespace weft::detail
