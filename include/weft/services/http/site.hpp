#pragma once
// Site: what every connection of a static-file server shares: the document root (an open
// directory that every file is opened beneath), the limits, and the live counters that
// /status and /status.json show.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "weft/expected.hpp"

namespace weft::http {

// ---- limits (RFC 9112 leaves them to the server; these are nginx's order of magnitude) ------
/// A request line longer than this (CRLF included) is answered 414 URI Too Long.
inline constexpr std::size_t kMaxRequestLine = 8 * 1024;
/// A request head (request line, fields, final CRLF) larger than this is answered 431.
inline constexpr std::size_t kMaxHeaderBlock = 32 * 1024;
/// A request declaring a body larger than this is answered 413 Content Too Large. The server
/// takes no bodies (GET and HEAD only): a smaller one is answered, then the connection closed,
/// so its bytes are never mistaken for a next request.
inline constexpr std::uint64_t kMaxRequestBody = 1024 * 1024;
/// A request head must arrive whole within this time from its first byte (408 otherwise): a
/// client trickling a byte at a time (slowloris) holds one socket, never a worker.
inline constexpr std::chrono::seconds kHeaderTimeout{10};
/// A keep-alive connection with no request for this long is closed.
inline constexpr std::chrono::seconds kKeepAliveTimeout{15};
/// Connections served at once; more are accepted and closed at once.
inline constexpr std::size_t kMaxConnections = 10'000;
/// Files up to this size are kept in memory by the open-file cache and sent together with
/// their head in one write; larger ones go out with sendfile(2) from the cached descriptor.
inline constexpr std::uint64_t kInlineBodyMax = 16 * 1024;

/// The counters of /status.json, read at one instant.
struct HttpStats {
    std::uint64_t connections = 0;  ///< open now
    std::uint64_t accepted = 0;     ///< since start
    std::uint64_t requests = 0;     ///< responses begun (every request gets one)
    std::uint64_t bytes_sent = 0;   ///< heads and bodies written to sockets
    std::array<std::uint64_t, 5> responses{};  ///< by class: [0] 1xx ... [4] 5xx
    double uptime_seconds = 0;
};

/// Live counters, updated from every loop thread (relaxed atomics: each is exact on its own;
/// a reader may see one a request ahead of another).
struct HttpCounters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::array<std::atomic<std::uint64_t>, 5> responses{};
};

class Site {
public:
    /// Opens `root` (a directory). Error: "document root 'DIR': <reason>".
    static Expected<std::shared_ptr<Site>, std::string> open(const std::string& root);
    ~Site();
    Site(const Site&) = delete;
    Site& operator=(const Site&) = delete;

    /// The root as an absolute path (for the banner and listings' titles).
    const std::string& root() const noexcept { return root_; }
    /// The root directory's descriptor: every file is opened beneath it (openat2 with
    /// RESOLVE_BENEATH), so neither ".." nor a symbolic link can lead outside.
    int root_fd() const noexcept { return root_fd_; }
    /// Tells this site's cached files from another's on the same thread.
    std::uint64_t id() const noexcept { return id_; }

    HttpCounters& counters() noexcept { return counters_; }
    HttpStats stats() const noexcept;

    /// One line per response ("127.0.0.1:40000 \"GET / HTTP/1.1\" 200 1234"); called from the
    /// loop threads, so it must be thread-safe. Empty (the default): nothing is formatted.
    std::function<void(std::string_view)> log{};

private:
    Site() = default;
    std::string root_;
    int root_fd_ = -1;
    std::uint64_t id_ = 0;
    std::chrono::steady_clock::time_point started_;
    HttpCounters counters_;
};

}  // namespace weft::http
