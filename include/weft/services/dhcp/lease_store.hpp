#pragma once
// LeaseStore: the DHCP server's leases on disk, in a form no crash can tear.
//
//   auto opened = weft::dhcp::LeaseStore::open("/var/lib/weft/dhcp-leases-eth0");
//   if (!opened) die(opened.error());                       // I/O only: damage is not fatal
//   for (auto& issue : opened->log.issues) warn(issue.to_string());   // "file:12: ..."
//   engine.restore(opened->log.records);
//   LeaseStore& store = opened->store;
//   ... per batch of requests: store.append(outcome.changes) for each; then
//   if (!store.sync()) { drop the replies; store.compact(engine.records(now)); }
//   send the replies;
//   if (store.should_compact(engine.table().entry_count())) store.compact(engine.records(now));
//
// The design, and why: an append-only log, fdatasync'd per batch (group commit), compacted by
// write-new-file + fsync + rename + fsync-directory.
// - A lease is durable before its ACK leaves: sync() returns only after write() and
//   fdatasync() of every appended line (fdatasync also writes the file size an append
//   changes). One fdatasync covers every ACK of a batch: the cost of durability is paid per
//   batch, not per lease, which a rewrite of the whole file per change could not do (its
//   cost grows with the pool, and it needs two fsyncs per change).
// - A crash cannot tear the state. Appends only add lines after the old ones, so what was
//   synced stays; what a crash cuts short is the tail, and a cut line has no newline or no
//   valid CRC (lease_file.hpp), so the reader drops it and never makes up a lease from it.
//   None of those lines was promised to a client: sync() had not returned.
// - Compaction never leaves a half-written file under the real name: the live set goes to
//   FILE.tmp, is fsync'd, then rename() replaces FILE atomically (POSIX), and an fsync of the
//   directory makes the rename itself durable. A crash before the rename leaves the old FILE
//   whole (FILE.tmp is removed at the next open); after it, the new one.
// - open() rewrites a file that has a torn tail or damaged lines (so appends start on a clean
//   line, not glued to a fragment), first keeping the damaged file as FILE.damaged for people.
// - One process at a time: open() takes an exclusive flock on FILE.lock, so two servers cannot
//   hand out the same pool from one file.
//
// Not thread-safe: one loop owns the store. Errors are one line naming the file and the call
// ("lease file /var/lib/weft/x: fdatasync: Input/output error").

#include <cstddef>
#include <span>
#include <string>

#include "weft/expected.hpp"
#include "weft/services/dhcp/lease.hpp"
#include "weft/services/dhcp/lease_file.hpp"

namespace weft::dhcp {

/// Writes `records` as a complete lease file at `path` (created or truncated) and fsyncs it:
/// the first half of compaction, also for tools and tests. Does not fsync the directory.
Expected<void, std::string> write_lease_file(const std::string& path, std::span<const LeaseRecord> records);

/// The DHCP server's lease file: an append-only log with group commit and crash-safe compaction
/// (see the header comment). Owns the file and its lock; movable, not copyable; not thread-safe.
class LeaseStore {
public:
    struct Opened;

    /// Opens the lease file at `path` (creating it, durably, when absent; its directory must
    /// exist), locks it and reads it. Damaged lines and a torn tail are not errors: they are
    /// in Opened::log.issues and the file is rewritten without them (see above). Fails only on
    /// I/O errors, a file over 1 GiB, or another process holding the lock.
    static Expected<Opened, std::string> open(std::string path);

    /// Takes over the file, its lock and the buffered changes; `other` is left closed (destroy or
    /// assign it, nothing else).
    LeaseStore(LeaseStore&& other) noexcept;
    /// Closes this store's file (and releases its lock) without writing its buffer, then takes over
    /// `other`'s as the move constructor does.
    LeaseStore& operator=(LeaseStore&& other) noexcept;
    LeaseStore(const LeaseStore&) = delete;
    LeaseStore& operator=(const LeaseStore&) = delete;
    /// Closes without writing what append() buffered: what was not sync()ed was never promised.
    ~LeaseStore();

    /// Buffers changes (no system call); they are durable once sync() returns.
    void append(std::span<const LeaseRecord> changes);
    /// Buffers one change, as append(changes).
    void append(const LeaseRecord& change) { append(std::span(&change, 1)); }
    /// Writes what was appended and fdatasyncs it. On failure the file may hold part of it, or
    /// the kernel may have dropped it (a failed fsync does not keep the pages dirty), so later
    /// sync()s fail too until compact() rewrites the file from the engine's state.
    Expected<void, std::string> sync();

    /// Replaces the file with `live` (the engine's records()), crash-safely as above. What
    /// append() buffered is dropped: `live` includes it.
    Expected<void, std::string> compact(std::span<const LeaseRecord> live);
    /// Whether the log has grown enough past its live set (`live_count` records) that
    /// compacting saves reading time at the next start: over kCompactMinLines lines and more
    /// than kCompactRatio lines per live record.
    bool should_compact(std::size_t live_count) const noexcept;

    /// should_compact() says no below this many lines, whatever the ratio.
    static constexpr std::size_t kCompactMinLines = 4096;
    /// should_compact() says yes above this many lines per live record.
    static constexpr std::size_t kCompactRatio = 4;
    /// open() refuses larger files (compaction keeps a file near one line per address).
    static constexpr std::size_t kMaxFileSize = std::size_t{1} << 30;

    /// The lease file's path, as given to open().
    const std::string& path() const noexcept { return path_; }
    /// Record lines in the file (synced).
    std::size_t lines() const noexcept { return lines_; }
    /// Records buffered by append() and not yet written by sync() (not durable).
    std::size_t pending() const noexcept { return pending_records_; }

private:
    LeaseStore(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
    Expected<void, std::string> rewrite(std::span<const LeaseRecord> live);
    void close_fds() noexcept;

    std::string path_;
    int lock_fd_ = -1;
    int fd_ = -1;             ///< the log, opened O_APPEND
    std::string buffer_;      ///< lines append()ed, not yet written
    std::size_t pending_records_ = 0;
    std::size_t lines_ = 0;
    bool failed_ = false;     ///< a write or fdatasync failed: the file needs a rewrite
};

/// What open() gives: the store, and what the file held.
struct LeaseStore::Opened {
    /// The open, locked store, ready to append to.
    LeaseStore store;
    /// The records read (the state to restore) and the issues found.
    LeaseLog log;
    /// The file was rewritten at open (it was absent, torn, damaged or long); when damaged,
    /// the old one is kept as `path + ".damaged"`.
    bool rewritten = false;
};

}  // namespace weft::dhcp
