#pragma once
// The open-file cache: what a request for a path resolves to, kept per loop thread so that a
// hot file costs no open, fstat or read per request. An entry is trusted for one second, then
// checked again (the path re-resolved and compared by device, inode, size and mtime), so an
// edited file is served new within a second; nginx's open_file_cache does the same with a
// 60 s default.

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sys/types.h>

namespace weft::http {

class Site;

/// An open regular file and what its 200 head says, computed once.
struct OpenFile {
    int fd = -1;
    std::uint64_t size = 0;
    std::time_t mtime = 0;
    dev_t device = 0;
    ino_t inode = 0;
    std::int64_t mtime_ns = 0;
    std::string_view content_type;
    std::string last_modified;  // the HTTP date of mtime
    /// "Content-Type: ...\r\nContent-Length: N\r\nLast-Modified: ...\r\n..." of a 200.
    std::string fields_200;
    /// The whole content, when size <= kInlineBodyMax and it was read whole.
    std::string body;
    bool inline_body = false;

    OpenFile() = default;
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    ~OpenFile();
};

/// What a path resolves to.
struct Resolved {
    enum class Kind : std::uint8_t { file, directory, redirect, not_found, forbidden, error };
    Kind kind = Kind::not_found;
    std::shared_ptr<const OpenFile> file;  // file
    int directory_fd = -1;                 // directory (to list; the caller closes it)
    std::string error;                     // error: what failed
};

class FileCache {
public:
    /// The cache of the calling thread for `site` (a thread serving another site, or the same
    /// site restarted, starts over).
    static FileCache& of_thread(const Site& site);

    /// Resolves `path` (normalised, relative to the root) with the cache's help. `directory_form`
    /// says the request ended in '/'.
    Resolved find(const Site& site, const std::string& path, bool directory_form, std::time_t now);

    static constexpr std::size_t kMaxEntries = 1024;

private:
    struct Entry {
        std::shared_ptr<const OpenFile> file;
        std::time_t checked = 0;
    };
    std::unordered_map<std::string, Entry> entries_;
    std::string key_;  // reused for lookups
};

/// Resolves without the cache (what the cache calls on a miss or a recheck).
Resolved resolve_path(int root_fd, const std::string& path, bool directory_form);

}  // namespace weft::http
