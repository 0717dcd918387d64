#pragma once
// The master-file lexer (RFC 1035 section 5.1): cuts zone text into entries, one per record
// or directive, each a list of fields. It knows the syntax, not the meaning: where a field
// ends, comments, quotes, parentheses that carry an entry over several lines, and whether
// the entry's first line starts with a blank (the owner is then the previous record's).
// Fields are views into the text with their escapes left in place: a name goes to
// DnsName::from_text as written, a TXT string through decode_zone_string.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"

namespace weft::dns::detail {

struct ZoneField {
    /// As written; for a quoted string, the bytes between the quotes (escapes not decoded).
    std::string_view text;
    bool quoted = false;
};

struct ZoneEntry {
    std::size_t line = 0;      ///< 1-based line the entry starts on
    bool blank_owner = false;  ///< the line starts with a space or tab: no owner field
    std::vector<ZoneField> fields;
};

struct ZoneLexError {
    std::size_t line = 0;
    std::string message;
};

/// Most fields in one entry. RDATA is at most 65535 bytes and every field of a supported
/// type adds at least one byte of it (an empty TXT string is its length byte), so no valid
/// record comes near; the cap keeps a parenthesised entry that never ends from growing the
/// field list with the whole file.
inline constexpr std::size_t kZoneMaxFieldsPerEntry = 65535 + 8;

class ZoneLexer {
public:
    ZoneLexer(std::string_view text, std::size_t max_line_length) noexcept
        : text_(text), max_line_length_(max_line_length) {}

    /// Reads the next entry with at least one field into `entry` (its buffer is reused);
    /// false at the end of the text. Errors: a line over the length limit (its own line), an
    /// unterminated quoted string, a nested '(' or a stray ')' (the entry's line), a '(' never
    /// closed (the line it is on), too many fields.
    Expected<bool, ZoneLexError> next(ZoneEntry& entry);

private:
    std::string_view text_;
    std::size_t max_line_length_;
    std::size_t pos_ = 0;   // start of the next physical line
    std::size_t line_ = 0;  // physical lines read so far
};

}  // namespace weft::dns::detail
