#pragma once
// Message building for services/dhcp: concat("a", b, "c") appends every piece to one string.
// g++ 12 reports false -Wrestrict warnings on `"text" + std::string` chains (WeftWarnings.cmake).
#include <initializer_list>
#include <string>
#include <string_view>

namespace weft::dhcp::detail {

inline std::string concat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) out += p;
    return out;
}

}  // namespace weft::dhcp::detail
