#include "zone_fields.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace weft::dns::detail {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

char ascii_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool equals_upper(std::string_view text, std::string_view upper) noexcept {
    return text.size() == upper.size() &&
           std::equal(text.begin(), text.end(), upper.begin(), [](char a, char b) { return ascii_upper(a) == b; });
}

bool starts_with_upper(std::string_view text, std::string_view upper) noexcept {
    return text.size() >= upper.size() && equals_upper(text.substr(0, upper.size()), upper);
}

bool all_digits(std::string_view text) noexcept {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

constexpr std::size_t kQuotedFieldMax = 40;

// How a name ends, read past its escapes: only an unescaped final '.' makes it absolute,
// "a\." is a relative name whose label ends in a dot.
enum class NameEnd { relative, absolute, dangling_escape };

NameEnd name_end(std::string_view text) noexcept {
    bool dot = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        dot = false;
        if (text[i] == '\\') {
            if (i + 1 >= text.size()) return NameEnd::dangling_escape;
            i += is_digit(text[i + 1]) ? 3 : 1;  // \DDD or \X; a short \DD is from_text's to report
        } else if (text[i] == '.') {
            dot = true;
        }
    }
    return dot ? NameEnd::absolute : NameEnd::relative;
}

struct TypeName {
    std::string_view text;
    wire::DnsType type;
};
constexpr std::array<TypeName, 9> kTypes{{
    {"A", wire::DnsType::A},
    {"AAAA", wire::DnsType::AAAA},
    {"NS", wire::DnsType::NS},
    {"CNAME", wire::DnsType::CNAME},
    {"SOA", wire::DnsType::SOA},
    {"PTR", wire::DnsType::PTR},
    {"MX", wire::DnsType::MX},
    {"TXT", wire::DnsType::TXT},
    {"SRV", wire::DnsType::SRV},
}};

}  // namespace

std::string quote_field(std::string_view text) {
    std::string out = "'";
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == kQuotedFieldMax) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(text[i]);
        if (u < 0x20 || u >= 0x7f) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
            out += buf;
        } else {
            out.push_back(text[i]);
        }
    }
    out.push_back('\'');
    return out;
}

Expected<std::uint32_t, std::string> parse_zone_number(std::string_view text, std::string_view what,
                                                       std::uint32_t max) {
    if (!all_digits(text)) return Unexpected(std::string(what) + " " + quote_field(text) + " is not a number");
    // Ten digits hold any 32-bit value; longer runs are out of range without being summed.
    std::uint64_t value = 0;
    if (text.size() <= 10)
        for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
    if (text.size() > 10 || value > max)
        return Unexpected(std::string(what) + " " + quote_field(text) + " is out of range 0-" + std::to_string(max));
    return static_cast<std::uint32_t>(value);
}

Expected<std::uint32_t, std::string> parse_zone_ttl(std::string_view text, std::string_view what,
                                                    std::uint32_t max) {
    auto bad = [&] {
        return Unexpected(std::string(what) + " " + quote_field(text) +
                          " is not a number of seconds or a duration like 1h30m");
    };
    // Saturating sums: a run of digits stops growing past 1e12 and the total past 1e15, far
    // over any 32-bit limit, so neither the product nor the sum can overflow 64 bits.
    constexpr std::uint64_t kCap = 1'000'000'000'000;
    std::uint64_t total = 0, run = 0;
    bool digits = false;
    for (char c : text) {
        if (is_digit(c)) {
            run = std::min(kCap, run * 10 + static_cast<unsigned>(c - '0'));
            digits = true;
            continue;
        }
        std::uint64_t unit = 0;
        switch (ascii_upper(c)) {
        case 'S': unit = 1; break;
        case 'M': unit = 60; break;
        case 'H': unit = 3600; break;
        case 'D': unit = 86400; break;
        case 'W': unit = 604800; break;
        default: return bad();
        }
        if (!digits) return bad();  // a unit needs its number: "h", "1hm"
        total = std::min(kCap * 1000, total + run * unit);
        run = 0;
        digits = false;
    }
    if (text.empty()) return bad();
    total += run;  // trailing digits without a unit are seconds, as BIND reads "1h30"
    if (total > max)
        return Unexpected(std::string(what) + " " + quote_field(text) + " is out of range 0-" + std::to_string(max));
    return static_cast<std::uint32_t>(total);
}

Expected<std::string, std::string> decode_zone_string(std::string_view text, std::string_view what) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 1 >= text.size())
            return Unexpected(std::string(what) + " " + quote_field(text) + " ends with a lone '\\'");
        if (!is_digit(text[i + 1])) {
            out.push_back(text[i + 1]);
            ++i;
            continue;
        }
        // \DDD: exactly three decimal digits, 0-255 (RFC 1035 section 5.1).
        unsigned v = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
            if (i + k >= text.size() || !is_digit(text[i + k]))
                return Unexpected(std::string(what) + " " + quote_field(text) + " has a \\DDD escape without 3 digits");
            v = v * 10 + static_cast<unsigned>(text[i + k] - '0');
        }
        if (v > 255)
            return Unexpected(std::string(what) + " " + quote_field(text) + " has a \\DDD escape above 255");
        out.push_back(static_cast<char>(v));
        i += 3;
    }
    return out;
}

bool zone_name_is_absolute(std::string_view text) noexcept { return name_end(text) == NameEnd::absolute; }

std::optional<wire::DnsType> zone_type_from_text(std::string_view text) noexcept {
    for (const auto& t : kTypes)
        if (equals_upper(text, t.text)) return t.type;
    return std::nullopt;
}

bool zone_type_is_generic(std::string_view text) noexcept {
    return starts_with_upper(text, "TYPE") && all_digits(text.substr(4));
}

bool zone_class_from_text(std::string_view text, bool& is_in) noexcept {
    is_in = equals_upper(text, "IN");
    if (is_in) return true;
    if (equals_upper(text, "CH") || equals_upper(text, "CS") || equals_upper(text, "HS") ||
        equals_upper(text, "NONE") || equals_upper(text, "ANY"))
        return true;
    // RFC 3597's generic form; CLASS1 is IN written another way.
    if (starts_with_upper(text, "CLASS") && all_digits(text.substr(5))) {
        const std::string_view digits = text.substr(5);
        is_in = digits.find_first_not_of('0') == digits.size() - 1 && digits.back() == '1';
        return true;
    }
    return false;
}

void ZoneNames::set_origin(const wire::DnsName& origin) {
    origin_ = origin;
    // The root's text is "." and a relative name before it needs nothing appended.
    // Appended, not `"." + text`: g++ 12 reports a false -Wrestrict on that (see WeftWarnings).
    origin_suffix_.clear();
    if (origin.wire_length() != 1) origin_suffix_.append(".").append(origin.to_text());
}

Expected<wire::DnsName, std::string> ZoneNames::resolve(const ZoneField& field, std::string_view what) const {
    const std::string_view text = field.text;
    if (field.quoted)
        return Unexpected(std::string(what) + " " + quote_field(text) + " is quoted: write a name without quotes");
    if (text == "@") {
        if (!origin_) return Unexpected("'@' as " + std::string(what) + " with no origin: put an $ORIGIN line before it");
        return *origin_;
    }
    Expected<wire::DnsName, ParseError> name = Unexpected(ParseError{});
    switch (name_end(text)) {
    case NameEnd::dangling_escape:
        return Unexpected(std::string(what) + " " + quote_field(text) + " ends with a lone '\\'");
    case NameEnd::absolute:
        name = wire::DnsName::from_text(text);
        break;
    case NameEnd::relative:
        if (!origin_)
            return Unexpected(std::string(what) + " " + quote_field(text) +
                              " is relative and there is no origin: put an $ORIGIN line before it or end the name with '.'");
        name = wire::DnsName::from_text(std::string(text) + origin_suffix_);
        break;
    }
    if (!name) return Unexpected(std::string(what) + ": " + name.error().message);
    return std::move(*name);
}

}  // namespace weft::dns::detail
