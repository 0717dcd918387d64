#pragma once
// The lease file's text: one record per line, read back tolerantly. LeaseStore (lease_store.hpp)
// does the file I/O and says why the file cannot be torn; this is the format and the reader.
//
// Format (one line per change, appended; the last line about an address wins):
//
//   # weft dhcp leases v1: EVENT ADDRESS CLIENT MAC UNIX-TIME CRC32
//   lease 198.18.0.10 hw:01020000000001 02:00:00:00:00:01 1700003600 3b62d3e8
//   release 198.18.0.10 hw:01020000000001 02:00:00:00:00:01 1700000100 a90ed17f
//   decline 198.18.0.11 - 02:00:00:00:00:02 1700000700 1f4f7d5f
//
// EVENT is lease (bound to CLIENT until UNIX-TIME), release (free since UNIX-TIME, CLIENT
// remembered so that it gets the address back; "-" when forgotten) or decline (nobody gets
// it until UNIX-TIME). CLIENT is ClientKey::to_text ("id:<hex>" for option 61, "hw:<hex>"
// for htype + chaddr). MAC is for people; UNIX-TIME is seconds since 1970 UTC. CRC32 is the
// IEEE CRC-32 (zlib's) of the line's bytes before the space that precedes it, in 8 lower-case
// hex digits: a line cut short, or with a flipped byte, does not check. Lines starting with
// '#' and empty lines are skipped. Fields are separated by one space; nothing else is allowed.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "weft/services/dhcp/lease.hpp"

namespace weft::dhcp {

/// The first line of every file weft writes (a comment to the reader).
inline constexpr std::string_view kLeaseFileHeader = "# weft dhcp leases v1: EVENT ADDRESS CLIENT MAC UNIX-TIME CRC32\n";
/// No valid line is longer ("id:" and 255 bytes in hex is the longest field): a longer one is
/// damaged, and the cap keeps a garbage file from building huge strings.
inline constexpr std::size_t kLeaseLineMax = 640;
/// Damaged lines reported one by one; beyond this, one more issue counts the rest.
inline constexpr std::size_t kLeaseFileMaxIssues = 20;
/// UNIX-TIME has at most this many digits (year 33658): enough, and no overflow.
inline constexpr std::size_t kLeaseTimeMaxDigits = 12;

/// One problem found while reading: "file:line: message" in to_string().
struct LeaseFileIssue {
    std::string file;  ///< the file's name as given to parse_lease_log (empty: "<lease file>")
    std::size_t line = 0;  ///< 1-based
    std::string message;  ///< what is wrong with the line, one line
    /// The file's last line has no newline: a write cut short by a crash. Expected after a
    /// kill -9 or power loss, and never a lease anyone was promised (the newline is written
    /// with the line and sync() returns only after both are on disk); the line is dropped.
    bool torn_tail = false;
    /// "file:line: message", for a log.
    std::string to_string() const;
};

/// What a lease file holds.
struct LeaseLog {
    /// The state: the last record per address, at most one address per client (a client
    /// named on two addresses keeps the later line's; the other address is left free), in
    /// address order.
    std::vector<LeaseRecord> records;
    /// Damaged lines (skipped, the others kept) and a torn tail, in file order.
    std::vector<LeaseFileIssue> issues;
    /// Record lines read, good or bad (not comments): how long the log has grown.
    std::size_t lines = 0;

    /// Whether any issue is a damaged line rather than a torn tail.
    bool damaged() const noexcept;
};

/// Appends `record` as one line, newline included.
void append_lease_line(std::string& out, const LeaseRecord& record);
/// The line append_lease_line appends, as a string (newline included).
std::string format_lease_line(const LeaseRecord& record);

/// Reads a lease file's text. Never fails and never throws (but std::bad_alloc): every line
/// it cannot read becomes an issue naming `file_name`, the line and what is wrong, and every
/// good line around it is kept.
LeaseLog parse_lease_log(std::string_view text, std::string_view file_name);

}  // namespace weft::dhcp
