#pragma once
// Internal to src/net: small text helpers shared by the address, network and endpoint
// parsers. Not installed; nothing outside src/net includes it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expected.hpp"

namespace weft::detail {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// "'text'": every message quotes the text it complains about, so a stray space shows.
inline std::string quoted(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '\'';
    out += text;
    out += '\'';
    return out;
}

/// The parse error with `prefix` (e.g. "invalid IPv6 address '::1.2.3'") put before an
/// inner error's message, its offset moved by `shift` into the outer text.
inline ParseError wrap(const std::string& prefix, const ParseError& inner, std::size_t shift) {
    return ParseError{prefix + ": " + inner.message, inner.offset + shift};
}

/// Dotted-decimal IPv4 parsed into its host-order value. On failure the message names the
/// part and why ("part 1 '256' is greater than 255") without the "invalid IPv4 address"
/// prefix, so IPv4 embedded in IPv6 text reuses it; the offset is where the part starts.
Expected<std::uint32_t, ParseError> parse_dotted_quad(std::string_view text);

/// A prefix length: decimal digits only, 0..max. The message names the text ("prefix '33'
/// is greater than 32"); offset 0 is the first character of `text`.
Expected<unsigned, ParseError> parse_prefix_length(std::string_view text, unsigned max);

}  // namespace weft::detail
