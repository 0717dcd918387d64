#include "file_cache.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "weft/services/http/content_type.hpp"
#include "weft/services/http/http_date.hpp"
#include "weft/services/http/site.hpp"

namespace weft::http {

namespace {

// openat2 with RESOLVE_BENEATH: the kernel refuses (EXDEV) any resolution that would leave
// the directory, through ".." or an absolute or relative symbolic link, and no magic link
// (/proc/self/fd/N) is followed. The path was already normalised, so this is the second
// wall, the one that also covers links. O_NONBLOCK: opening a FIFO must not block the loop.
int open_beneath(int directory, const char* path) noexcept {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd;
    do {
        fd = static_cast<int>(::syscall(SYS_openat2, directory, path, &how, sizeof how));
    } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return fd;
}

Resolved failure(int error) {
    Resolved out;
    switch (error) {
    case ENOENT:
    case ENOTDIR:
    case EXDEV:  // would leave the root
    case ELOOP:
    case ENAMETOOLONG:
    case ENXIO:  // a socket or a FIFO with no writer
        out.kind = Resolved::Kind::not_found;
        break;
    case EACCES:
    case EPERM:
        out.kind = Resolved::Kind::forbidden;
        break;
    default:
        out.kind = Resolved::Kind::error;
        out.error = std::strerror(error);
        break;
    }
    return out;
}

std::shared_ptr<const OpenFile> describe_file(int fd, const struct stat& st, std::string_view name) {
    auto file = std::make_shared<OpenFile>();
    file->fd = fd;
    file->size = static_cast<std::uint64_t>(st.st_size);
    file->mtime = st.st_mtim.tv_sec;
    file->device = st.st_dev;
    file->inode = st.st_ino;
    file->mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    file->content_type = content_type_for(name);
    file->last_modified = format_http_date(file->mtime);
    file->fields_200 = "Content-Type: ";
    file->fields_200 += file->content_type;
    file->fields_200 += "\r\nContent-Length: ";
    file->fields_200 += std::to_string(file->size);
    file->fields_200 += "\r\nLast-Modified: ";
    file->fields_200 += file->last_modified;
    file->fields_200 += "\r\nAccept-Ranges: bytes\r\n";
    if (file->size <= kInlineBodyMax) {
        std::string body(file->size, '\0');
        std::size_t got = 0;
        while (got < body.size()) {
            const ssize_t n = ::pread(fd, body.data() + got, body.size() - got, static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        // A file that shrank meanwhile is sent with sendfile, which notices the short read.
        if (got == body.size()) {
            file->body = std::move(body);
            file->inline_body = true;
        }
    }
    return file;
}

}  // namespace

OpenFile::~OpenFile() {
    if (fd >= 0) ::close(fd);
}

Resolved resolve_path(int root_fd, const std::string& path, bool directory_form) {
    const int fd = open_beneath(root_fd, path.empty() ? "." : path.c_str());
    if (fd < 0) return failure(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int error = errno;
        ::close(fd);
        return failure(error);
    }
    Resolved out;
    if (S_ISREG(st.st_mode)) {
        if (directory_form) {  // "a.txt/" names a directory that is not there
            ::close(fd);
            return out;
        }
        out.kind = Resolved::Kind::file;
        out.file = describe_file(fd, st, path);
        return out;
    }
    if (!S_ISDIR(st.st_mode)) {  // FIFOs, sockets, devices are not served
        ::close(fd);
        return out;
    }
    if (!directory_form) {  // "/docs" is answered with a redirect to "/docs/"
        ::close(fd);
        out.kind = Resolved::Kind::redirect;
        return out;
    }
    const int index = open_beneath(fd, "index.html");
    if (index >= 0) {
        struct stat ist {};
        if (::fstat(index, &ist) == 0 && S_ISREG(ist.st_mode)) {
            ::close(fd);
            out.kind = Resolved::Kind::file;
            out.file = describe_file(index, ist, "index.html");
            return out;
        }
        ::close(index);
    }
    out.kind = Resolved::Kind::directory;
    out.directory_fd = fd;
    return out;
}

FileCache& FileCache::of_thread(const Site& site) {
    thread_local std::uint64_t owner = 0;
    thread_local std::unique_ptr<FileCache> cache;
    if (owner != site.id() || !cache) {
        cache = std::make_unique<FileCache>();
        owner = site.id();
    }
    return *cache;
}

Resolved FileCache::find(const Site& site, const std::string& path, bool directory_form, std::time_t now) {
    key_.assign(path);
    if (directory_form) key_ += '/';
    auto it = entries_.find(key_);
    if (it != entries_.end() && it->second.checked == now) {
        Resolved hit;
        hit.kind = Resolved::Kind::file;
        hit.file = it->second.file;
        return hit;
    }
    Resolved fresh = resolve_path(site.root_fd(), path, directory_form);
    if (fresh.kind != Resolved::Kind::file) {
        if (it != entries_.end()) entries_.erase(it);
        return fresh;
    }
    if (it != entries_.end()) {
        const OpenFile& old = *it->second.file;
        const OpenFile& now_file = *fresh.file;
        // Unchanged: keep the entry that in-flight responses already share, and its body.
        if (old.device == now_file.device && old.inode == now_file.inode && old.size == now_file.size &&
            old.mtime_ns == now_file.mtime_ns) {
            it->second.checked = now;
            fresh.file = it->second.file;
            return fresh;
        }
        it->second = Entry{fresh.file, now};
        return fresh;
    }
    if (entries_.size() >= kMaxEntries) entries_.clear();  // simple and bounded; a hot set refills at once
    entries_.emplace(key_, Entry{fresh.file, now});
    return fresh;
}

}  // namespace weft::http
