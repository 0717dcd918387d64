#pragma once
// A DNS zone as read from an RFC 1035 master file (section 5): the records and the origin.
//
//   auto zone = weft::dns::load_zone_file("example.test.zone");
//   if (!zone) { std::cerr << zone.error().to_string() << '\n'; return 1; }  // "file:12: ..."
//   for (const auto& rr : zone->records) ...
//
// The parser accepts what authoritative servers' users write: $ORIGIN, $TTL (RFC 2308), "@"
// for the origin, names relative to the origin, an owner left blank to repeat the previous
// one, TTL and class in either order and optional, parentheses that continue a record across
// lines, ';' comments, quoted strings with escapes, and the types A AAAA NS CNAME SOA PTR MX
// TXT SRV (others fail, naming the type). It checks what a server needs to serve the zone:
// exactly one SOA, at the origin; every name at or below the origin; no CNAME beside other
// data at a name (RFC 1034 section 3.6.2); class IN only. Every error names the file and the
// line it is on ("zones/example.test:12: MX preference '70000' is out of range 0-65535").
//
// The details a zone's author may need:
// - TTLs and the SOA timers take seconds or BIND's units ("1h30m", "2d", "1w"); a TTL is at
//   most 2^31-1 (RFC 2181 section 8). A record without a TTL takes $TTL; before any $TTL,
//   ZoneParseOptions::default_ttl, else the previous record's TTL (RFC 1035 section 5.1); an
//   SOA with none of these takes its own minimum field, as BIND does.
// - $ORIGIN takes an absolute name or one relative to the current origin. $INCLUDE and
//   other directives are refused ("$INCLUDE is not supported"): a zone file reads no other
//   file. So is RFC 3597's generic TYPEnnn / \# syntax, as an unsupported type.
// - The zone's origin (its apex) is ZoneParseOptions::origin when given, which the SOA must
//   then be at; otherwise the SOA's owner. Names inside record data (NS, CNAME, PTR, MX,
//   SOA, SRV) are relative to the current $ORIGIN like owners; "@" works there too.
// - A quoted string ends on its line; a '(' must be closed ("( ... )" does not nest).
// - Identical records (owner, type and data; names compared ignoring case) are kept once,
//   with the first one's TTL (RFC 2181 section 5).
// - The line of an error is the line the record starts on, except a line over the length
//   limit (that line) and a '(' never closed (the line of the '('); errors about the whole
//   zone (no SOA) and about the file have line 0, which to_string() leaves out
//   ("zones/x: the zone has no SOA record").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/wire/dns.hpp"

namespace weft::dns {

/// load_zone_file refuses larger files: 1 GiB holds several million records.
inline constexpr std::uint64_t kZoneMaxFileSize = std::uint64_t{1} << 30;

/// Bounds on what a zone file may make the parser hold, so a hostile or broken file fails with an
/// error instead of exhausting memory.
struct ZoneLimits {
    std::size_t max_line_length = 64 * 1024;      ///< bytes in one physical line
    std::size_t max_records_per_name = 10'000;    ///< records at one owner name, all types
    std::size_t max_records = 1'000'000;          ///< records in the whole zone
};

/// How parse_zone reads a file: its name for errors, the origin, the default TTL and the limits.
struct ZoneParseOptions {
    /// Shown in errors ("<input>" when empty). load_zone_file sets it to the path.
    std::string file_name;
    /// The origin before any $ORIGIN line, and the zone's apex: the SOA must be at it.
    /// Without it, a relative name or "@" before the first $ORIGIN is an error and the
    /// SOA's owner is the apex.
    std::optional<wire::DnsName> origin;
    /// TTL of records that give none before any $TTL (RFC 2308 makes $TTL the default; a
    /// record without a TTL and without $TTL otherwise takes the previous record's TTL,
    /// as RFC 1035 section 5.1 says).
    std::optional<std::uint32_t> default_ttl;
    /// Exceeding one is an error naming the limit.
    ZoneLimits limits{};
};

/// Where and what: "file:line: message" in to_string().
struct ZoneError {
    /// The file's name as given in ZoneParseOptions::file_name (empty: shown as "<input>").
    std::string file;
    std::size_t line = 0;  ///< 1-based; 0 when the error is about the whole zone or the file
    /// What is wrong, one line, without the file and line.
    std::string message;
    /// "file:line: message", or "file: message" when line is 0.
    std::string to_string() const;
};

/// A parsed zone: its apex and its records, checked as the header comment says.
struct Zone {
    /// The zone's apex: the owner of its SOA record.
    wire::DnsName origin;
    /// Every record in file order, owner names absolute, class IN; a record identical to an
    /// earlier one (RFC 2181 section 5) is left out.
    std::vector<wire::DnsRecord> records;
};

/// Parses master-file text. Never throws for any input (only std::bad_alloc could escape);
/// the first error found ends the parse.
Expected<Zone, ZoneError> parse_zone(std::string_view text, const ZoneParseOptions& options = {});

/// Reads and parses `path`; an unreadable file is an error at line 0 whose to_string() names
/// the path and the reason ("zones/x: No such file or directory"), as is a file over
/// kZoneMaxFileSize.
/// options.file_name defaults to `path`.
Expected<Zone, ZoneError> load_zone_file(const std::string& path, ZoneParseOptions options = {});

}  // namespace weft::dns
