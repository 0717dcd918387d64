#pragma once
// HTTP dates (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace weft::http {

/// The IMF-fixdate form of `when` (UTC), the only form a sender may use.
std::string format_http_date(std::time_t when);

/// Parses any of the three forms a recipient must accept: IMF-fixdate, the obsolete RFC 850
/// form ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime's ("Sun Nov  6 08:49:37 1994").
/// nullopt for anything else, including out-of-range fields: a date that cannot be read is
/// ignored (If-Modified-Since then does not apply), never guessed.
std::optional<std::time_t> parse_http_date(std::string_view text) noexcept;

}  // namespace weft::http
