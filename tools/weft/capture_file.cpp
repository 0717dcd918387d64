#include "capture_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::cli {

namespace {
constexpr std::size_t kReleaseStep = 4 * 1024 * 1024;
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels refuse it and pages fault in as before
#endif

// Maps the page tables of [at, at + kReleaseStep) in one call: a page fault for every 64 KiB
// read cost ~5% of a JSON decode. What lies past the end of the mapping is left out.
void populate(const std::byte* data, std::size_t size, std::size_t at) noexcept {
    if (at >= size) return;
    (void)::madvise(const_cast<std::byte*>(data) + at, std::min(kReleaseStep, size - at), MADV_POPULATE_READ);
}
}  // namespace

CaptureFileBytes::CaptureFileBytes(const std::string& path) {
    auto fail = [&](int error) { return std::runtime_error("cannot read '" + path + "': " + std::strerror(error)); };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw fail(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int error = errno;
        ::close(fd);
        throw fail(error);
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void* map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        const int error = errno;
        ::close(fd);
        if (map == MAP_FAILED) throw fail(error);
        (void)::madvise(map, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);  // read-ahead, early drop
        data_ = static_cast<const std::byte*>(map);
        size_ = static_cast<std::size_t>(st.st_size);
        mapped_ = true;
        populate(data_, size_, 0);
        return;
    }
    // A pipe, a FIFO, /dev/stdin: read it all.
    std::byte chunk[65536];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            throw fail(error);
        }
        if (n == 0) break;
        copy_.insert(copy_.end(), chunk, chunk + n);
    }
    ::close(fd);
    data_ = copy_.data();
    size_ = copy_.size();
}

CaptureFileBytes::~CaptureFileBytes() {
    if (mapped_) ::munmap(const_cast<std::byte*>(data_), size_);
}

void CaptureFileBytes::done_before(std::size_t offset) noexcept {
    if (!mapped_ || offset < released_ + kReleaseStep) return;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t end = offset / page * page;
    // Clean private file pages: dropping them only means a re-read should we come back.
    (void)::madvise(const_cast<std::byte*>(data_) + released_, end - released_, MADV_DONTNEED);
    released_ = end;
    // The reader is at `end` and releases again a step further on: the pages between, mapped
    // now. So about two steps are resident at most, whatever the file's size.
    populate(data_, size_, end);
}

}  // namespace weft::cli
