#pragma once
// Test vectors are written as hex text, the way captures and RFC figures show them.

#include <cstddef>
#include <string_view>
#include <vector>

namespace weft::wire::test_support {

/// The bytes of `text`'s lower-case hex digits; spaces, colons and newlines are skipped.
inline std::vector<std::byte> hex(std::string_view text) {
    std::vector<std::byte> out;
    int high = -1;
    for (char c : text) {
        const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) continue;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(std::byte(high << 4 | v));
            high = -1;
        }
    }
    return out;
}

}  // namespace weft::wire::test_support
