#include "weft/services/http/site.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace weft::http {

namespace {
std::atomic<std::uint64_t> next_site_id{1};
}

Expected<std::shared_ptr<Site>, std::string> Site::open(const std::string& root) {
    auto fail = [&](int error) {
        return Unexpected("document root '" + root + "': " + std::strerror(error));
    };
    char resolved[PATH_MAX];
    if (::realpath(root.c_str(), resolved) == nullptr) return fail(errno);
    const int fd = ::open(resolved, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail(errno);
    std::shared_ptr<Site> site(new Site());
    site->root_ = resolved;
    site->root_fd_ = fd;
    site->id_ = next_site_id.fetch_add(1, std::memory_order_relaxed);
    site->started_ = std::chrono::steady_clock::now();
    return site;
}

Site::~Site() {
    if (root_fd_ >= 0) ::close(root_fd_);
}

HttpStats Site::stats() const noexcept {
    HttpStats s;
    s.connections = counters_.connections.load(std::memory_order_relaxed);
    s.accepted = counters_.accepted.load(std::memory_order_relaxed);
    s.requests = counters_.requests.load(std::memory_order_relaxed);
    s.bytes_sent = counters_.bytes_sent.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < s.responses.size(); ++i)
        s.responses[i] = counters_.responses[i].load(std::memory_order_relaxed);
    s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    return s;
}

}  // namespace weft::http
