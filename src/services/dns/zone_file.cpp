// parse_zone: master-file entries (zone_lexer) to records (zone_fields, zone_rdata), and the
// checks that make the records a zone a server can answer from. load_zone_file reads a file.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include <sys/stat.h>

#include "weft/services/dns/zone.hpp"
#include "zone_fields.hpp"
#include "zone_lexer.hpp"
#include "zone_owners.hpp"

namespace weft::dns {

std::string ZoneError::to_string() const {
    // Line 0 is about the whole file ("zones/x: No such file or directory"): no ":0".
    const std::string where = file.empty() ? std::string("<input>") : file;
    return line == 0 ? where + ": " + message : where + ":" + std::to_string(line) + ": " + message;
}

namespace {

using detail::ZoneEntry;
using detail::ZoneField;
using wire::DnsName;
using wire::DnsType;

// Whether the name with canonical key `key` is `apex` or below it. Keys are wire form, so a
// suffix match must also fall on a label boundary: the one-label name "x\002ab" has the key
// "\004x\002ab\000", which ends with the key of "ab", "\002ab\000", yet is not below "ab".
// Walking the length bytes from the start finds the boundaries.
bool at_or_below(std::string_view key, std::string_view apex) noexcept {
    if (key.size() < apex.size()) return false;
    const std::size_t start = key.size() - apex.size();
    std::size_t at = 0;
    while (at < start) at += 1 + static_cast<unsigned char>(key[at]);
    return at == start && key.substr(start) == apex;
}

// A name in single quotes for a message (built by appending: g++ 12 reports a false
// -Wrestrict on `"'" + std::string`).
std::string quote_name(const DnsName& name) {
    std::string out = "'";
    out.append(name.to_text()).push_back('\'');
    return out;
}

class ZoneParser {
public:
    ZoneParser(std::string_view text, const ZoneParseOptions& options)
        : options_(options), lexer_(text, options.limits.max_line_length), dollar_ttl_(options.default_ttl) {
        if (options.origin) {
            names_.set_origin(*options.origin);
            apex_key_ = wire::dns_name_key(*options.origin);
        }
    }

    Expected<Zone, ZoneError> run();

private:
    Unexpected<ZoneError> fail(std::size_t line, std::string message) const {
        return Unexpected(ZoneError{options_.file_name.empty() ? "<input>" : options_.file_name, line,
                                    std::move(message)});
    }
    Expected<void, ZoneError> directive(const ZoneEntry& entry);
    Expected<void, ZoneError> record(const ZoneEntry& entry);
    Expected<void, ZoneError> add(wire::DnsRecord&& rr, std::size_t line);
    Expected<void, ZoneError> check_in_zone(std::string_view key, const DnsName& name, std::size_t line);

    const ZoneParseOptions& options_;
    detail::ZoneLexer lexer_;
    detail::ZoneNames names_;
    std::optional<std::uint32_t> dollar_ttl_;  // $TTL, or the caller's default before one
    std::optional<std::uint32_t> last_ttl_;    // the previous record's, for RFC 1035's rule
    std::optional<DnsName> previous_owner_;
    std::string previous_key_;         // dns_name_key(*previous_owner_), kept for blank owners
    std::uint64_t previous_hash_ = 0;  // and its hash
    Zone zone_;
    detail::OwnerTable owners_;
    std::size_t soa_line_ = 0;
    std::optional<std::string> apex_key_;
    // Records (index, line) read before the apex was known (an SOA late in the file),
    // checked once it is.
    std::vector<std::pair<std::size_t, std::size_t>> unchecked_;
    std::string canonical_;  // scratch buffer for append_canonical_rdata
};

Expected<Zone, ZoneError> ZoneParser::run() {
    ZoneEntry entry;
    for (;;) {
        auto more = lexer_.next(entry);
        if (!more) return fail(more.error().line, more.error().message);
        if (!*more) break;
        const ZoneField& first = entry.fields.front();
        auto done = (!entry.blank_owner && !first.quoted && first.text.starts_with('$')) ? directive(entry)
                                                                                         : record(entry);
        if (!done) return Unexpected(done.error());
    }
    if (soa_line_ == 0) return fail(0, "the zone has no SOA record");
    return std::move(zone_);
}

Expected<void, ZoneError> ZoneParser::directive(const ZoneEntry& entry) {
    const std::string_view name = entry.fields[0].text;
    auto upper = [](std::string_view s) {
        std::string u(s);
        for (char& c : u)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        return u;
    };
    const std::string which = upper(name);
    // $INCLUDE would let a zone file read any file the server can: refused outright.
    if (which == "$INCLUDE") return fail(entry.line, "$INCLUDE is not supported");
    if (which != "$ORIGIN" && which != "$TTL")
        return fail(entry.line, "unsupported directive " + detail::quote_field(name) + " (only $ORIGIN and $TTL)");
    if (entry.fields.size() < 2) return fail(entry.line, which + " needs a value");
    if (entry.fields.size() > 2)
        return fail(entry.line, "unexpected " + detail::quote_field(entry.fields[2].text) + " after the " + which + " value");
    const ZoneField& value = entry.fields[1];
    if (which == "$TTL") {
        auto ttl = detail::parse_zone_ttl(value.text, "$TTL");
        if (!ttl) return fail(entry.line, ttl.error());
        dollar_ttl_ = *ttl;
        return {};
    }
    auto origin = names_.resolve(value, "$ORIGIN");
    if (!origin) return fail(entry.line, origin.error());
    names_.set_origin(*origin);
    return {};
}

Expected<void, ZoneError> ZoneParser::record(const ZoneEntry& entry) {
    const auto& f = entry.fields;
    std::size_t i = 0;
    wire::DnsRecord rr;
    if (entry.blank_owner) {
        if (!previous_owner_)
            return fail(entry.line, "the first record has no owner (the line starts with a blank)");
        rr.name = *previous_owner_;
    } else {
        auto owner = names_.resolve(f[0], "owner");
        if (!owner) return fail(entry.line, owner.error());
        rr.name = std::move(*owner);
        previous_owner_ = rr.name;
        previous_key_ = wire::dns_name_key(rr.name);
        previous_hash_ = std::hash<std::string>{}(previous_key_);
        i = 1;
    }

    // TTL and class, each optional, in either order (RFC 1035 section 5.1). A TTL starts with
    // a digit and no type or class does, so the two cannot be confused.
    std::optional<std::uint32_t> ttl;
    bool class_given = false;
    for (; i < f.size() && !f[i].quoted; ++i) {
        const std::string_view t = f[i].text;
        bool is_in = false;
        if (t.front() >= '0' && t.front() <= '9') {
            if (ttl) return fail(entry.line, "a second TTL " + detail::quote_field(t));
            auto v = detail::parse_zone_ttl(t, "TTL");
            if (!v) return fail(entry.line, v.error());
            ttl = *v;
        } else if (detail::zone_class_from_text(t, is_in)) {
            if (class_given) return fail(entry.line, "a second class " + detail::quote_field(t));
            if (!is_in) return fail(entry.line, "unsupported class " + detail::quote_field(t) + " (only IN)");
            class_given = true;
        } else {
            break;
        }
    }
    if (i >= f.size()) return fail(entry.line, "the record has no type");
    const auto type = f[i].quoted ? std::nullopt : detail::zone_type_from_text(f[i].text);
    if (!type)
        return fail(entry.line, "unsupported type " + detail::quote_field(f[i].text) +
                                    (detail::zone_type_is_generic(f[i].text)
                                         ? " (RFC 3597 generic types are not supported)"
                                         : ""));
    rr.type = *type;
    rr.rclass = wire::DnsClass::IN;

    auto data = detail::parse_zone_rdata(*type, std::span(f).subspan(i + 1), names_);
    if (!data) return fail(entry.line, data.error());
    rr.data = std::move(*data);

    // RFC 2308: $TTL for records without one; before any, RFC 1035's previous record's TTL;
    // an SOA with neither takes its minimum field, as BIND does for the first record.
    if (!ttl) ttl = dollar_ttl_ ? dollar_ttl_ : last_ttl_;
    if (!ttl && rr.type == DnsType::SOA) {
        const auto minimum = std::get<wire::DnsSoa>(rr.data).minimum;
        if (minimum > detail::kZoneMaxTtl)
            return fail(entry.line, "the SOA has no TTL and its minimum " + std::to_string(minimum) +
                                        " is over the largest TTL " + std::to_string(detail::kZoneMaxTtl));
        ttl = minimum;
    }
    if (!ttl) return fail(entry.line, "the record has no TTL and no $TTL line precedes it");
    rr.ttl = *ttl;
    last_ttl_ = ttl;
    return add(std::move(rr), entry.line);
}

Expected<void, ZoneError> ZoneParser::check_in_zone(std::string_view key, const DnsName& name, std::size_t line) {
    if (at_or_below(key, *apex_key_)) return {};
    return fail(line, quote_name(name) + " is out of zone (not at or below " + quote_name(zone_.origin) + ")");
}

Expected<void, ZoneError> ZoneParser::add(wire::DnsRecord&& rr, std::size_t line) {
    // previous_key_ is the owner's key: the owner is either the previous one or was just set.
    const std::string& key = previous_key_;
    const auto index = static_cast<std::uint32_t>(zone_.records.size());
    detail::OwnerState& state = owners_.find_or_add(rr.name, previous_hash_, zone_.records, index);

    // RFC 2181 section 5: identical records (name, class, type, data) are one record; the
    // first one's TTL stays. Hashes of (type, data) are compared first, so a large RRset
    // costs a walk over 8-byte hashes rather than over its records.
    canonical_.clear();
    canonical_.push_back(static_cast<char>(static_cast<unsigned>(rr.type) >> 8));
    canonical_.push_back(static_cast<char>(static_cast<unsigned>(rr.type) & 0xff));
    detail::append_canonical_rdata(canonical_, rr.data);
    const std::uint64_t data_hash = std::hash<std::string_view>{}(canonical_);
    for (std::uint32_t i = state.first; state.count != 0; i = owners_.next_record(i)) {
        const auto& kept = zone_.records[i];
        if (owners_.data_hash(i) == data_hash && kept.type == rr.type) {
            std::string other = canonical_.substr(0, 2);
            detail::append_canonical_rdata(other, kept.data);
            if (other == canonical_) return {};
        }
        if (i == state.last) break;
    }

    if (state.count >= options_.limits.max_records_per_name)
        return fail(line, "more than " + std::to_string(options_.limits.max_records_per_name) + " records at " +
                              quote_name(rr.name));
    // Record indexes are 32-bit (OwnerTable): far above any zone a server loads.
    if (zone_.records.size() >= std::min<std::size_t>(options_.limits.max_records, 0xffffffff))
        return fail(line, "more than " + std::to_string(options_.limits.max_records) + " records in the zone");

    // RFC 1034 section 3.6.2 and RFC 2181 section 10.1: a CNAME is alone at its name.
    if (rr.type == DnsType::CNAME) {
        if (state.cname_line != 0)
            return fail(line, "a second CNAME at " + quote_name(rr.name) + " (the first is on line " +
                                  std::to_string(state.cname_line) + ")");
        if (state.other_line != 0)
            return fail(line, "CNAME at " + quote_name(rr.name) + " beside other data (line " +
                                  std::to_string(state.other_line) + ")");
        state.cname_line = line;
    } else {
        if (state.cname_line != 0)
            return fail(line, dns_type_to_string(rr.type) + " at " + quote_name(rr.name) + " beside its CNAME (line " +
                                  std::to_string(state.cname_line) + ")");
        if (state.other_line == 0) state.other_line = line;
    }

    if (rr.type == DnsType::SOA) {
        if (soa_line_ != 0)
            return fail(line, "a second SOA record (the first is on line " + std::to_string(soa_line_) + ")");
        if (options_.origin && !(rr.name == *options_.origin))
            return fail(line, "the SOA is at " + quote_name(rr.name) + ", not at the zone origin " +
                                  quote_name(*options_.origin));
        soa_line_ = line;
        zone_.origin = rr.name;
        if (!apex_key_) {
            // Without the caller's origin, the SOA's owner is the apex: the records before it
            // can be checked now.
            apex_key_ = key;
            for (const auto& [index, at] : unchecked_) {
                const DnsName& name = zone_.records[index].name;
                if (auto in = check_in_zone(wire::dns_name_key(name), name, at); !in) return in;
            }
            unchecked_.clear();
            unchecked_.shrink_to_fit();
        }
    }
    if (apex_key_) {
        if (auto in = check_in_zone(key, rr.name, line); !in) return in;
    } else {
        unchecked_.emplace_back(zone_.records.size(), line);
    }

    owners_.add_record(state, index, data_hash);
    zone_.records.push_back(std::move(rr));
    return {};
}

}  // namespace

Expected<Zone, ZoneError> parse_zone(std::string_view text, const ZoneParseOptions& options) {
    return ZoneParser(text, options).run();
}

Expected<Zone, ZoneError> load_zone_file(const std::string& path, ZoneParseOptions options) {
    if (options.file_name.empty()) options.file_name = path;
    auto fail = [&](std::string message) { return Unexpected(ZoneError{options.file_name, 0, std::move(message)}); };
    auto closer = [](std::FILE* f) { std::fclose(f); };
    std::unique_ptr<std::FILE, decltype(closer)> file(std::fopen(path.c_str(), "rb"), closer);
    if (!file) return fail(std::strerror(errno));
    // A regular file's size refuses a huge one at once and sizes the buffer; the read is still
    // capped in chunks, as a pipe or /proc file has no size and a file may grow meanwhile.
    std::string text;
    struct stat st {};
    if (::fstat(::fileno(file.get()), &st) == 0 && S_ISREG(st.st_mode)) {
        if (static_cast<std::uint64_t>(st.st_size) > kZoneMaxFileSize)
            return fail("file of " + std::to_string(st.st_size) + " bytes is over the " +
                        std::to_string(kZoneMaxFileSize >> 20) + " MiB limit");
        text.reserve(static_cast<std::size_t>(st.st_size));
    }
    char chunk[64 * 1024];
    for (;;) {
        const std::size_t n = std::fread(chunk, 1, sizeof chunk, file.get());
        text.append(chunk, n);
        if (text.size() > kZoneMaxFileSize)
            return fail("file is over the " + std::to_string(kZoneMaxFileSize >> 20) + " MiB limit");
        if (n < sizeof chunk) break;
    }
    if (std::ferror(file.get())) return fail(std::strerror(errno));
    return parse_zone(text, options);
}

}  // namespace weft::dns
