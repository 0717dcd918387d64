#pragma once
// Blocking loopback clients for the io/ tests: raw syscalls with receive timeouts, so that
// every wait in a test is bounded.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace weft::test {

/// Polls `condition` every millisecond until it holds or `limit` has passed: for state that
/// another thread or the kernel changes with no event to await. The default limit leaves a
/// loaded 2-core machine seconds of margin; the condition, not the time, is what is tested.
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

inline std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
inline std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

/// A blocking UDP socket bound to 127.0.0.1 on a free port, with `timeout` on receives; -1
/// on failure.
inline int udp_blocking(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// A connected blocking socket with `timeout` on receives and sends; -1 on failure.
inline int connect_blocking(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// Reads exactly n bytes (less if EOF, an error or the timeout comes first).
inline std::string recv_n(int fd, std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
        const auto got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) break;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
}

/// Whether a socket of this process listens on TCP `port` (IPv4). Asked of the process's own
/// descriptors rather than by connecting: a freed port may already be a parallel test's.
inline bool listening_on(std::uint16_t port) {
    DIR* fds = ::opendir("/proc/self/fd");
    bool found = false;
    while (dirent* e = fds ? ::readdir(fds) : nullptr) {
        const int fd = std::atoi(e->d_name);
        int listening = 0;
        socklen_t len = sizeof listening;
        sockaddr_storage a{};
        socklen_t alen = sizeof a;
        if (fd > 2 && ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &alen) == 0 && a.ss_family == AF_INET &&
            ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port) == port)
            found = true;
    }
    if (fds) ::closedir(fds);
    return found;
}

/// Reads until EOF; `eof` tells whether it was a clean EOF (not a timeout or error).
inline std::string recv_until_eof(int fd, bool& eof) {
    std::string out;
    char buf[65536];
    for (;;) {
        const auto got = ::recv(fd, buf, sizeof buf, 0);
        if (got == 0) {
            eof = true;
            return out;
        }
        if (got < 0) {
            eof = false;
            return out;
        }
        out.append(buf, static_cast<std::size_t>(got));
    }
}

/// Resident set size of this process, in bytes (from /proc/self/statm).
inline std::size_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// CPU time (user + system) consumed so far by process `pid`, from /proc/PID/stat.
inline std::chrono::milliseconds cpu_time_of(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    std::size_t pos = line.rfind(')');
    if (pos == std::string::npos) return {};
    std::string rest = line.substr(pos + 2);
    long utime = 0, stime = 0;
    char state;
    long skip;
    std::sscanf(rest.c_str(), "%c %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &state, &skip, &skip, &skip,
                &skip, &skip, &skip, &skip, &skip, &skip, &skip, &utime, &stime);
    const long ticks = ::sysconf(_SC_CLK_TCK);
    return std::chrono::milliseconds((utime + stime) * 1000 / ticks);
}

/// Raises the soft descriptor limit to the hard one; returns the new soft limit.
inline rlim_t raise_fd_limit() {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur;
}

// Spinning threads, one per core, that the test starts and stops; each also stops by itself
// after `limit`, so a failing test cannot leave the machine busy.
class BusyLoops {
public:
    explicit BusyLoops(std::chrono::seconds limit = std::chrono::seconds(30)) {
        const unsigned n = std::max(2u, std::thread::hardware_concurrency());
        const auto end = std::chrono::steady_clock::now() + limit;
        for (unsigned i = 0; i < n; ++i)
            threads_.emplace_back([this, end] {
                volatile std::uint64_t x = 0;
                while (!stop_.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < end)
                    for (int k = 0; k < 10000; ++k) x = x + 1;
            });
    }
    ~BusyLoops() {
        stop_ = true;
        for (auto& t : threads_) t.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
};


}  // namespace weft::test
