#include "weft/net/mac_address.hpp"

#include <span>
#include <string>

#include "text_detail.hpp"
#include "weft/net/detail/hex.hpp"

namespace weft {

Expected<MacAddress, ParseError> MacAddress::parse(std::string_view text) {
    constexpr std::size_t kGroups = 6;
    const std::string what = "invalid MAC address " + detail::quoted(text);
    auto fail = [&](std::string reason, std::size_t offset) {
        return Unexpected(ParseError{what + ": " + std::move(reason), offset});
    };
    if (text.empty()) return fail("empty", 0);

    // The first separator fixes the style; "aa:bb-cc..." is more likely a typo than intent.
    const std::size_t first_separator = text.find_first_of(":-");
    const char separator = first_separator == std::string_view::npos ? ':' : text[first_separator];

    Bytes bytes{};
    std::size_t group = 0;
    std::size_t start = 0;
    while (true) {
        std::size_t end = start;
        while (end < text.size() && text[end] != ':' && text[end] != '-') ++end;
        const std::string_view digits = text.substr(start, end - start);
        ++group;
        const std::string label = "group " + std::to_string(group) + " " + detail::quoted(digits);
        if (group > kGroups) return fail("more than 6 groups (" + label + " is extra)", start);
        for (char c : digits) {
            if (detail::hex_value(c) < 0) {
                return fail(label + " contains " + detail::quoted(std::string_view(&c, 1)) + ", not a hex digit",
                            start);
            }
        }
        if (digits.empty()) return fail("group " + std::to_string(group) + " is empty", start);
        if (digits.size() != 2) {
            return fail(label + " has " + std::to_string(digits.size()) +
                            (digits.size() == 1 ? " hex digit" : " hex digits") + ", expected 2",
                        start);
        }
        bytes[group - 1] = std::uint8_t(detail::hex_value(digits[0]) << 4 | detail::hex_value(digits[1]));
        if (end == text.size()) break;
        if (text[end] != separator) {
            return fail("mixed separators: " + detail::quoted(text.substr(end, 1)) + " after " +
                            detail::quoted(std::string_view(&separator, 1)) + " (after group " +
                            std::to_string(group) + ")",
                        end);
        }
        start = end + 1;
    }
    if (group != kGroups) {
        return fail("has " + std::to_string(group) + (group == 1 ? " group" : " groups") + ", expected 6",
                    text.size());
    }
    return MacAddress(bytes);
}

std::string MacAddress::to_string() const { return detail::to_hex(std::as_bytes(std::span(bytes_)), ':'); }

}  // namespace weft
