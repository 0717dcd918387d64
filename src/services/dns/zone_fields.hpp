#pragma once
// Reading one master-file field: numbers, TTLs, character-strings, names (relative ones
// completed with the current origin), types and classes, and record data. Failures are a
// one-line reason that names the field and quotes the value ("MX preference '70000' is out
// of range 0-65535"); the zone parser adds the file and line.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/wire/dns.hpp"
#include "zone_lexer.hpp"

namespace weft::dns::detail {

/// Largest TTL (RFC 2181 section 8: the top bit must be zero).
inline constexpr std::uint32_t kZoneMaxTtl = 0x7fffffff;

/// `text` in single quotes for an error message: bytes outside printable ASCII as \DDD, cut
/// after 40 characters so that a huge field cannot flood a log line.
std::string quote_field(std::string_view text);

/// A decimal number 0..max ("SRV port '70000' is out of range 0-65535").
Expected<std::uint32_t, std::string> parse_zone_number(std::string_view text, std::string_view what,
                                                       std::uint32_t max);

/// A TTL-like duration 0..max: seconds, or BIND's units s m h d w, combined ("1h30m", "2D").
Expected<std::uint32_t, std::string> parse_zone_ttl(std::string_view text, std::string_view what,
                                                    std::uint32_t max = kZoneMaxTtl);

/// A <character-string> with its \X and \DDD escapes decoded.
Expected<std::string, std::string> decode_zone_string(std::string_view text, std::string_view what);

/// Whether a name as written ends with an unescaped '.', which makes it absolute.
bool zone_name_is_absolute(std::string_view text) noexcept;

/// The types the parser reads, by mnemonic in any case; nullopt for every other.
std::optional<wire::DnsType> zone_type_from_text(std::string_view text) noexcept;

/// Whether `text` is RFC 3597's generic form of a type, "TYPE" and digits, in any case.
bool zone_type_is_generic(std::string_view text) noexcept;

/// Whether `text` names a class (IN, CH, CS, HS, NONE, ANY, CLASSnnn), in any case;
/// `is_in` says whether it is IN (CLASS1 included).
bool zone_class_from_text(std::string_view text, bool& is_in) noexcept;

/// Completes names against the current origin ($ORIGIN, or the caller's origin option).
class ZoneNames {
public:
    void set_origin(const wire::DnsName& origin);
    const std::optional<wire::DnsName>& origin() const noexcept { return origin_; }

    /// "@" is the origin, a name ending in an unescaped '.' is absolute, any other is
    /// relative to the origin. `what` names the field in errors ("MX exchange").
    Expected<wire::DnsName, std::string> resolve(const ZoneField& field, std::string_view what) const;

private:
    std::optional<wire::DnsName> origin_;
    std::string origin_suffix_;  // what follows a relative name: ".example.test", "" for the root
};

/// The record data of `type` from its fields, names completed by `names`.
Expected<wire::DnsRdata, std::string> parse_zone_rdata(wire::DnsType type, std::span<const ZoneField> fields,
                                                       const ZoneNames& names);

/// Appends a canonical form of `data` (names lower-cased) to `out`: equal exactly for the
/// data RFC 2181 section 5 calls duplicates.
void append_canonical_rdata(std::string& out, const wire::DnsRdata& data);

}  // namespace weft::dns::detail
