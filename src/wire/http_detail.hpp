#pragma once
// Character classes and small helpers shared by the HTTP sources (RFC 9110 section 5.6).

#include <cstddef>
#include <string_view>

namespace weft::wire::detail {

inline constexpr const char* kHttpLayer = "http";

/// tchar: "!#$%&'*+-.^_`|~", digits and letters.
constexpr bool is_tchar(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

/// field-vchar, SP and HTAB: what a field value may hold (obs-text 0x80-0xff included).
constexpr bool is_field_char(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// Index of the first character of `s` that is not a tchar, or npos.
constexpr std::size_t first_non_token(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!is_tchar(s[i])) return i;
    return std::string_view::npos;
}

}  // namespace weft::wire::detail
