#include "weft/net/ipv4_address.hpp"

#include <string>

#include "text_detail.hpp"

namespace weft {
namespace detail {

Expected<std::uint32_t, ParseError> parse_dotted_quad(std::string_view text) {
    constexpr std::size_t kParts = 4;
    if (text.empty()) return Unexpected(ParseError{"empty", 0});

    std::uint32_t value = 0;
    std::size_t part = 0;   // parts seen so far
    std::size_t start = 0;  // where the current part begins
    while (true) {
        const std::size_t dot = text.find('.', start);
        const std::size_t end = dot == std::string_view::npos ? text.size() : dot;
        const std::string_view digits = text.substr(start, end - start);
        ++part;
        const std::string label = "part " + std::to_string(part);
        // Report a fifth part before judging its content: "too many parts" is the real fault.
        if (part > kParts) {
            return Unexpected(ParseError{"has more than 4 parts: part " + std::to_string(part) + " " +
                                             quoted(digits) + " is extra",
                                         start});
        }
        if (digits.empty()) return Unexpected(ParseError{label + " is empty", start});
        for (char c : digits) {
            if (!is_digit(c)) {
                return Unexpected(ParseError{label + " " + quoted(digits) + " contains " +
                                                 quoted(std::string_view(&c, 1)) + ", not a decimal digit",
                                             start});
            }
        }
        // inet_aton reads "010" as octal 8; rejecting leading zeros keeps one meaning per text.
        if (digits.size() > 1 && digits[0] == '0') {
            return Unexpected(ParseError{label + " " + quoted(digits) + " has a leading zero", start});
        }
        // Length first, so the accumulation below cannot overflow on a long run of digits.
        unsigned octet = 0;
        if (digits.size() <= 3) {
            for (char c : digits) octet = octet * 10 + unsigned(c - '0');
        }
        if (digits.size() > 3 || octet > 255) {
            return Unexpected(ParseError{label + " " + quoted(digits) + " is greater than 255", start});
        }
        value = value << 8 | octet;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (part < kParts) {
        return Unexpected(ParseError{"has " + std::to_string(part) + (part == 1 ? " part" : " parts") +
                                         ", expected 4",
                                     text.size()});
    }
    return value;
}

}  // namespace detail

Expected<Ipv4Address, ParseError> Ipv4Address::parse(std::string_view text) {
    auto value = detail::parse_dotted_quad(text);
    if (!value) return Unexpected(detail::wrap("invalid IPv4 address " + detail::quoted(text), value.error(), 0));
    return Ipv4Address(*value);
}

std::string Ipv4Address::to_string() const {
    std::string out;
    out.reserve(15);
    const auto bytes = to_bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) out += '.';
        out += std::to_string(bytes[i]);
    }
    return out;
}

std::string Ipv4Address::to_binary() const {
    std::string out;
    out.reserve(35);
    for (int bit = 31; bit >= 0; --bit) {
        out += (value_ >> bit & 1u) ? '1' : '0';
        if (bit % 8 == 0 && bit != 0) out += '.';
    }
    return out;
}

}  // namespace weft
