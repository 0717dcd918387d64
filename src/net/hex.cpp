#include "weft/net/detail/hex.hpp"

namespace weft::detail {

std::string to_hex(std::span<const std::byte> bytes, char separator) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    if (bytes.empty()) return out;
    // Sized once: two digits a byte, plus a separator between bytes.
    out.reserve(bytes.size() * 2 + (separator != '\0' ? bytes.size() - 1 : 0));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0 && separator != '\0') out += separator;
        const unsigned b = std::to_integer<unsigned>(bytes[i]);
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}

}  // namespace weft::detail
