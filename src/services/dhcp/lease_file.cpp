// The lease file's lines: writing one, and reading a whole file while keeping every good line.
#include "weft/services/dhcp/lease_file.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

#include "text.hpp"
#include "weft/wire/ethernet.hpp"

namespace weft::dhcp {

namespace {

using detail::concat;

constexpr char kHex[] = "0123456789abcdef";

std::uint32_t checksum(std::string_view text) noexcept {
    return wire::crc32(std::as_bytes(std::span(text.data(), text.size())));
}

void append_hex32(std::string& out, std::uint32_t v) {
    for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xf]);
}

// A field for a message: quoted, and cut so that a garbage line cannot make a huge message.
std::string quoted(std::string_view field) {
    constexpr std::size_t kShown = 40;
    std::string out = "'";
    for (char c : field.substr(0, kShown)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    if (field.size() > kShown) out += "...";
    out.push_back('\'');
    return out;
}

std::optional<std::uint32_t> parse_hex32(std::string_view s) noexcept {
    if (s.size() != 8) return std::nullopt;
    std::uint32_t v = 0;
    for (char c : s) {
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return std::nullopt;
        v = v << 4 | static_cast<std::uint32_t>(d);
    }
    return v;
}

std::optional<WallTime> parse_time(std::string_view s) noexcept {
    if (s.empty() || s.size() > kLeaseTimeMaxDigits) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);  // cannot overflow: 12 digits
    return WallTime(std::chrono::seconds(v));
}

std::optional<LeaseEvent> parse_event(std::string_view s) noexcept {
    for (auto e : {LeaseEvent::lease, LeaseEvent::release, LeaseEvent::decline})
        if (s == lease_event_name(e)) return e;
    return std::nullopt;
}

// One line without its newline: the record, or why it is not one.
Expected<LeaseRecord, std::string> parse_line(std::string_view line) {
    if (line.size() > kLeaseLineMax)
        return Unexpected(concat({"line of ", std::to_string(line.size()), " bytes is longer than ",
                                  std::to_string(kLeaseLineMax)}));
    // The checksum first: a damaged line's fields are not worth a precise complaint.
    const auto last_space = line.rfind(' ');
    const auto crc = last_space == std::string_view::npos ? std::nullopt : parse_hex32(line.substr(last_space + 1));
    if (!crc) return Unexpected(std::string("no CRC32 at the end of the line"));
    const std::string_view body = line.substr(0, last_space);
    if (checksum(body) != *crc) return Unexpected(std::string("CRC32 does not match: the line is damaged"));

    // Exactly five fields before the CRC, one space apart (an empty field means two spaces).
    std::string_view fields[5];
    std::size_t n = 0;
    for (std::string_view rest = body;; ++n) {
        const auto space = rest.find(' ');
        if (n < 5) fields[n] = rest.substr(0, space);
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
    }
    if (n + 1 != 5 || std::any_of(std::begin(fields), std::end(fields), [](std::string_view f) { return f.empty(); }))
        return Unexpected(std::string("expected EVENT ADDRESS CLIENT MAC UNIX-TIME CRC32"));

    LeaseRecord r;
    const auto event = parse_event(fields[0]);
    if (!event) return Unexpected(concat({"unknown event ", quoted(fields[0])}));
    r.event = *event;
    auto address = Ipv4Address::parse(fields[1]);
    if (!address) return Unexpected(concat({"bad address ", quoted(fields[1]), ": ", address.error().message}));
    r.address = *address;
    auto client = ClientKey::parse(fields[2]);
    if (!client) return Unexpected(concat({"bad client ", quoted(fields[2])}));
    r.client = std::move(*client);
    if (r.event == LeaseEvent::lease && r.client.empty()) return Unexpected(std::string("a lease without a client"));
    if (r.event == LeaseEvent::decline && !r.client.empty())
        return Unexpected(std::string("a decline names a client"));
    auto mac = MacAddress::parse(fields[3]);
    if (!mac) return Unexpected(concat({"bad MAC ", quoted(fields[3])}));
    r.mac = *mac;
    auto time = parse_time(fields[4]);
    if (!time) return Unexpected(concat({"bad UNIX-TIME ", quoted(fields[4])}));
    r.time = *time;
    return r;
}

}  // namespace

std::string LeaseFileIssue::to_string() const {
    return concat({file.empty() ? std::string_view("<lease file>") : std::string_view(file), ":", std::to_string(line),
                   ": ", message});
}

bool LeaseLog::damaged() const noexcept {
    return std::any_of(issues.begin(), issues.end(), [](const LeaseFileIssue& i) { return !i.torn_tail; });
}

void append_lease_line(std::string& out, const LeaseRecord& r) {
    const std::size_t start = out.size();
    out += lease_event_name(r.event);
    out += ' ';
    out += r.address.to_string();
    out += ' ';
    out += r.client.to_text();
    out += ' ';
    out += r.mac.to_string();
    out += ' ';
    // Before 1970 is no time a lease can have (the clock was wrong): written as 0, so that
    // the line stays readable rather than being lost at the next start.
    out += std::to_string(std::max<std::int64_t>(r.time.time_since_epoch().count(), 0));
    const std::uint32_t crc = checksum(std::string_view(out).substr(start));
    out += ' ';
    append_hex32(out, crc);
    out += '\n';
}

std::string format_lease_line(const LeaseRecord& record) {
    std::string out;
    append_lease_line(out, record);
    return out;
}

LeaseLog parse_lease_log(std::string_view text, std::string_view file_name) {
    LeaseLog log;
    std::size_t damaged = 0;
    auto report = [&](std::size_t line, std::string message, bool torn) {
        if (!torn && ++damaged > kLeaseFileMaxIssues) return;  // counted, reported at the end
        log.issues.push_back({std::string(file_name), line, std::move(message), torn});
    };

    // Per address the latest record and the line it came from; per client its latest line.
    struct Latest {
        LeaseRecord record;
        std::size_t line;
    };
    std::map<std::uint32_t, Latest> by_address;
    std::unordered_map<ClientKey, std::pair<std::uint32_t, std::size_t>, ClientKeyHash> by_client;

    std::size_t line_no = 0, at = 0;
    while (at < text.size()) {
        ++line_no;
        const auto newline = text.find('\n', at);
        if (newline == std::string_view::npos) {
            // The writer ends every line with its newline in the same write: without one, the
            // line was cut short by a crash before sync() could return.
            report(line_no, "incomplete last line (a write cut short by a crash): dropped", true);
            break;
        }
        const std::string_view line = text.substr(at, newline - at);
        at = newline + 1;
        if (line.empty() || line.front() == '#') continue;
        ++log.lines;
        auto record = parse_line(line);
        if (!record) {
            report(line_no, record.error(), false);
            continue;
        }
        const std::uint32_t key = record->address.to_uint();
        by_address[key] = Latest{*record, line_no};
        if (!record->client.empty()) by_client[record->client] = {key, line_no};
    }
    if (damaged > kLeaseFileMaxIssues)
        log.issues.push_back({std::string(file_name), line_no,
                              concat({"and ", std::to_string(damaged - kLeaseFileMaxIssues), " more damaged lines"}),
                              false});

    log.records.reserve(by_address.size());
    for (auto& [key, latest] : by_address) {
        const ClientKey& client = latest.record.client;
        // A client on two addresses: only its latest line counts. The writer never does this
        // (a move releases the old address first), so it means an edited or damaged file.
        if (!client.empty()) {
            const auto& [client_key, client_line] = by_client.at(client);
            if (client_key != key || client_line != latest.line) continue;
        }
        log.records.push_back(std::move(latest.record));
    }
    return log;
}

}  // namespace weft::dhcp
