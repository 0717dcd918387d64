#include "zone_lexer.hpp"

#include <algorithm>

namespace weft::dns::detail {
namespace {

// '\r' counts as a blank so that files written on Windows read the same.
bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

// What ends an unquoted field besides a blank. A '"' inside a field starts a new, quoted
// one, as BIND and NSD read it.
bool ends_field(char c) noexcept { return is_blank(c) || c == ';' || c == '(' || c == ')' || c == '"'; }

}  // namespace

Expected<bool, ZoneLexError> ZoneLexer::next(ZoneEntry& entry) {
    entry.fields.clear();
    bool in_parens = false;
    std::size_t open_line = 0;
    auto fail = [](std::size_t line, std::string message) {
        return Unexpected(ZoneLexError{line, std::move(message)});
    };
    auto push = [&](std::string_view text, bool quoted) -> bool {
        if (entry.fields.size() >= kZoneMaxFieldsPerEntry) return false;
        entry.fields.push_back(ZoneField{text, quoted});
        return true;
    };
    const std::string too_many = "record has more than " + std::to_string(kZoneMaxFieldsPerEntry) +
                                 " fields (its data could not fit in 65535 bytes)";

    while (pos_ < text_.size()) {
        // One physical line per turn. memchr-speed find keeps the scan linear even for a
        // line far over the limit, which is measured before any of it is tokenised.
        std::size_t eol = text_.find('\n', pos_);
        if (eol == std::string_view::npos) eol = text_.size();
        const std::string_view line = text_.substr(pos_, eol - pos_);
        pos_ = std::min(eol + 1, text_.size());
        ++line_;
        if (line.size() > max_line_length_)
            return fail(line_, "line of " + std::to_string(line.size()) + " bytes exceeds the limit of " +
                                   std::to_string(max_line_length_));
        if (!in_parens) {
            entry.line = line_;
            entry.blank_owner = !line.empty() && (line[0] == ' ' || line[0] == '\t');
        }

        std::size_t i = 0;
        const std::size_t n = line.size();
        while (i < n) {
            const char c = line[i];
            if (is_blank(c)) {
                ++i;
            } else if (c == ';') {
                break;  // a comment runs to the end of the line
            } else if (c == '(') {
                // BIND and NSD refuse nesting too: one level is all the SOA layout needs.
                if (in_parens) return fail(entry.line, "nested '(' (the first is on line " +
                                                           std::to_string(open_line) + ")");
                in_parens = true;
                open_line = line_;
                ++i;
            } else if (c == ')') {
                if (!in_parens) return fail(entry.line, "')' without a '(' before it");
                in_parens = false;
                ++i;
            } else if (c == '"') {
                std::size_t j = i + 1;
                while (j < n && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
                // A quoted string ends on its own line: a forgotten quote would otherwise
                // swallow the rest of the file into one TXT string.
                if (j >= n) {
                    std::string where = line_ == entry.line ? "" : " (on line " + std::to_string(line_) + ")";
                    return fail(entry.line, "unterminated quoted string" + where);
                }
                if (!push(line.substr(i + 1, j - i - 1), true)) return fail(entry.line, too_many);
                i = j + 1;
            } else {
                std::size_t j = i;
                while (j < n && !ends_field(line[j])) j += line[j] == '\\' ? 2 : 1;
                // A '\' as the last byte of the line stays in the field: the decoders report it.
                j = std::min(j, n);
                if (!push(line.substr(i, j - i), false)) return fail(entry.line, too_many);
                i = j;
            }
        }
        if (!in_parens && !entry.fields.empty()) return true;
    }
    if (in_parens) return fail(open_line, "'(' is never closed");
    return false;
}

}  // namespace weft::dns::detail
