// LeaseStore: the lease log on plain POSIX calls (open, write, fdatasync, rename, fsync of
// the directory). lease_store.hpp says why this order makes every crash harmless.
#include "weft/services/dhcp/lease_store.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.hpp"

namespace weft::dhcp {

namespace {

using detail::concat;

Unexpected<std::string> io_error(const std::string& path, std::string_view call, int err) {
    return Unexpected(concat({"lease file ", path, ": ", call, ": ", std::strerror(err)}));
}

// Writes all of `data`, through short writes and signals. Returns 0 or the errno.
int write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

int sync_fd(int fd, bool data_only) noexcept {
    int rc;
    do rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? errno : 0;
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// A rename or a new file is durable only once its directory is (rename(2) changes the
// directory, not the file).
Expected<void, std::string> sync_directory(const std::string& path) {
    const std::string dir = directory_of(path);
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error(path, concat({"open directory ", dir}), errno);
    const int err = sync_fd(fd, false);
    ::close(fd);
    if (err != 0) return io_error(path, concat({"fsync directory ", dir}), err);
    return {};
}

// The whole file, or nullopt-like `exists = false` when there is none.
Expected<std::string, std::string> read_whole(const std::string& path, bool& exists) {
    exists = false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::string();
        return io_error(path, "open", errno);
    }
    exists = true;
    struct stat st {};
    if (::fstat(fd, &st) < 0) {
        const int err = errno;
        ::close(fd);
        return io_error(path, "fstat", err);
    }
    if (static_cast<std::uint64_t>(st.st_size) > LeaseStore::kMaxFileSize) {
        ::close(fd);
        return Unexpected(concat({"lease file ", path, ": ", std::to_string(st.st_size), " bytes is over the ",
                                  std::to_string(LeaseStore::kMaxFileSize), "-byte limit"}));
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t have = 0;
    for (;;) {
        if (have == text.size()) text.resize(text.size() + 4096);  // it grew: read on to the end
        const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return io_error(path, "read", err);
        }
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(have);
    return text;
}

}  // namespace

Expected<void, std::string> write_lease_file(const std::string& path, std::span<const LeaseRecord> records) {
    std::string text(kLeaseFileHeader);
    text.reserve(kLeaseFileHeader.size() + records.size() * 80);
    for (const auto& r : records) append_lease_line(text, r);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(path, "open", errno);
    int err = write_all(fd, text);
    const char* call = "write";
    if (err == 0) {
        err = sync_fd(fd, false);
        call = "fsync";
    }
    if (::close(fd) < 0 && err == 0) {
        err = errno;
        call = "close";
    }
    if (err != 0) return io_error(path, call, err);
    return {};
}

Expected<LeaseStore::Opened, std::string> LeaseStore::open(std::string path) {
    const std::string lock_path = path + ".lock";
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) return io_error(path, concat({"open ", lock_path}), errno);
    LeaseStore store(std::move(path), lock_fd);  // closes the lock on every early return
    const std::string& file = store.path_;
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return Unexpected(concat({"lease file ", file, " is in use by another process (", lock_path, " is locked)"}));
        return io_error(file, "flock", errno);
    }
    // A compaction cut short before its rename: the file itself is whole, the copy is not.
    const std::string tmp = file + ".tmp";
    if (::unlink(tmp.c_str()) < 0 && errno != ENOENT) return io_error(file, concat({"unlink ", tmp}), errno);

    bool exists = false;
    auto text = read_whole(file, exists);
    if (!text) return Unexpected(text.error());
    LeaseLog log = parse_lease_log(*text, file);

    bool rewrite = !exists || !log.issues.empty() ||
                   (log.lines > kCompactMinLines && log.lines > kCompactRatio * log.records.size());
    if (log.damaged()) {
        // Keep what could not be read for people to look at. A hard link, not a rename: the
        // file keeps its name until the rewrite's rename replaces it.
        const std::string kept = file + ".damaged";
        ::unlink(kept.c_str());
        if (::link(file.c_str(), kept.c_str()) < 0) return io_error(file, concat({"link ", kept}), errno);
    }
    if (rewrite) {
        if (auto ok = store.rewrite(log.records); !ok) return Unexpected(ok.error());
    } else {
        store.fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (store.fd_ < 0) return io_error(file, "open", errno);
        store.lines_ = log.lines;
    }
    return Opened{std::move(store), std::move(log), rewrite};
}

LeaseStore::LeaseStore(LeaseStore&& other) noexcept
    : path_(std::move(other.path_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      pending_records_(std::exchange(other.pending_records_, 0)),
      lines_(other.lines_),
      failed_(other.failed_) {}

LeaseStore& LeaseStore::operator=(LeaseStore&& other) noexcept {
    if (this != &other) {
        close_fds();
        path_ = std::move(other.path_);
        lock_fd_ = std::exchange(other.lock_fd_, -1);
        fd_ = std::exchange(other.fd_, -1);
        buffer_ = std::move(other.buffer_);
        pending_records_ = std::exchange(other.pending_records_, 0);
        lines_ = other.lines_;
        failed_ = other.failed_;
    }
    return *this;
}

LeaseStore::~LeaseStore() { close_fds(); }

void LeaseStore::close_fds() noexcept {
    if (fd_ >= 0) ::close(fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
    fd_ = lock_fd_ = -1;
}

void LeaseStore::append(std::span<const LeaseRecord> changes) {
    for (const auto& c : changes) append_lease_line(buffer_, c);
    pending_records_ += changes.size();
}

Expected<void, std::string> LeaseStore::sync() {
    if (failed_)
        return Unexpected(concat({"lease file ", path_, ": an earlier write failed; compact() must rewrite it first"}));
    if (buffer_.empty()) return {};
    if (int err = write_all(fd_, buffer_); err != 0) {
        failed_ = true;
        return io_error(path_, "write", err);
    }
    if (int err = sync_fd(fd_, true); err != 0) {
        failed_ = true;
        return io_error(path_, "fdatasync", err);
    }
    lines_ += pending_records_;
    pending_records_ = 0;
    buffer_.clear();
    return {};
}

Expected<void, std::string> LeaseStore::compact(std::span<const LeaseRecord> live) { return rewrite(live); }

bool LeaseStore::should_compact(std::size_t live_count) const noexcept {
    return lines_ > kCompactMinLines && lines_ > kCompactRatio * live_count;
}

Expected<void, std::string> LeaseStore::rewrite(std::span<const LeaseRecord> live) {
    const std::string tmp = path_ + ".tmp";
    if (auto ok = write_lease_file(tmp, live); !ok) {
        ::unlink(tmp.c_str());
        return ok;
    }
    if (::rename(tmp.c_str(), path_.c_str()) < 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return io_error(path_, concat({"rename ", tmp}), err);
    }
    // From here the name holds the new file; the old descriptor points at the replaced one.
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        failed_ = true;
        return io_error(path_, "open", errno);
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    buffer_.clear();
    pending_records_ = 0;
    if (auto ok = sync_directory(path_); !ok) {
        failed_ = true;  // the rename may not be durable: the next compact() tries again
        return ok;
    }
    lines_ = live.size();
    failed_ = false;
    return {};
}

}  // namespace weft::dhcp
