// weft http get: one HTTP/1.1 GET, like curl without -f: any status that arrives is a
// success (exit 0); exit 1 means no response did. The head goes to stderr, the body to
// stdout or -o FILE; --json prints a summary object instead of the head. The protocol is
// services/http/http_client.hpp's; this file parses, prints and draws the progress bar.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "weft/services/http/http_client.hpp"

namespace weft::cli {

namespace {

using Clock = std::chrono::steady_clock;

// As dns query's --retries: a longer chain is a loop or a typo.
constexpr int kMaxRedirectsCap = 100;
// Redraws per second at most: a terminal repainting on every 64 KiB read would cost more
// than the download at loopback speeds.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

struct HttpGetArgs {
    std::string url;
    std::string output;
    std::string timeout;  // empty: no limit
    bool json = false;
    bool follow = false;
    int max_redirects = http::kDefaultMaxRedirects;
};

// write(2) until all is written: binary-safe, and a short write is not an error.
void write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("write " + what + ": " + std::strerror(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Where the body goes: stdout, a file (created only once a response arrived, so that a
// refused connection leaves no empty file behind), or nowhere (--json without -o).
class BodySink {
public:
    enum class To : std::uint8_t { standard_output, file, nowhere };
    BodySink(To to, std::string path) : to_(to), path_(std::move(path)) {}
    BodySink(const BodySink&) = delete;
    BodySink& operator=(const BodySink&) = delete;
    ~BodySink() {
        if (to_ == To::file && fd_ >= 0) ::close(fd_);
    }

    void write(std::span<const std::byte> data) {
        if (to_ == To::nowhere) return;
        open();
        write_all(fd_, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
                  to_ == To::file ? "'" + path_ + "'" : "stdout");
    }
    /// After the body: creates the file of an empty body, and reports a failed close (a
    /// full disk may only say so then).
    void finish() {
        if (to_ != To::file) return;
        open();
        if (::close(std::exchange(fd_, -1)) < 0)
            throw std::runtime_error("write '" + path_ + "': " + std::strerror(errno));
    }

private:
    void open() {
        if (fd_ >= 0) return;
        if (to_ == To::standard_output) {
            fd_ = STDOUT_FILENO;
            return;
        }
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd_ < 0) throw std::runtime_error("cannot open '" + path_ + "': " + std::strerror(errno));
    }

    To to_;
    std::string path_;
    int fd_ = -1;
};

std::string size_text(double bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
    return text;
}

std::string duration_text(double seconds) {
    const auto s = static_cast<long long>(seconds + 0.5);
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
    return text;
}

// One line on stderr redrawn in place with '\r': percent and a bar when the size is known,
// bytes, rate and ETA; at the end the total, the average rate and the time taken.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : enabled_(enabled) {}
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    /// A bar left by a failure (or a callback's throw) ends its line, so that the error
    /// line does not land on the end of the bar.
    ~ProgressBar() {
        if (drawn_ && !ended_ && ::write(STDERR_FILENO, "\n", 1) < 0) {
            // Nowhere left to report it.
        }
    }

    /// The body starts now: the rate counts from here, not from the connect.
    void begin() { start_ = last_ = Clock::now(); }
    void update(std::uint64_t got, std::optional<std::uint64_t> total) {
        if (!enabled_) return;
        const auto now = Clock::now();
        if (drawn_ && now - last_ < kProgressInterval) return;
        last_ = now;
        draw(got, total, now, false);
    }
    void finish(std::uint64_t got, std::optional<std::uint64_t> total) {
        if (!enabled_) return;
        draw(got, total, Clock::now(), true);
        ended_ = true;
        write_all(STDERR_FILENO, "\n", "stderr");
    }

private:
    void draw(std::uint64_t got, std::optional<std::uint64_t> total, Clock::time_point now, bool done) {
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double rate = seconds > 0 ? static_cast<double>(got) / seconds : 0;
        std::string line = "\r";
        if (total && *total > 0) {
            const double fraction = std::min(1.0, static_cast<double>(got) / static_cast<double>(*total));
            constexpr int kWidth = 24;
            const int filled = static_cast<int>(fraction * kWidth);
            char percent[16];
            std::snprintf(percent, sizeof percent, "%5.1f%% [", fraction * 100);
            line += percent;
            line.append(static_cast<std::size_t>(filled), '#');
            line.append(static_cast<std::size_t>(kWidth - filled), '.');
            line += "] ";
            line += size_text(static_cast<double>(got));
            line += " / ";
            line += size_text(static_cast<double>(*total));
        } else {
            line += size_text(static_cast<double>(got));
        }
        line += "  ";
        line += size_text(rate);
        line += "/s";
        if (done) {
            line += "  in ";
            if (seconds < 60) {
                char text[32];
                std::snprintf(text, sizeof text, "%.1f s", seconds);
                line += text;
            } else {
                line += duration_text(seconds);
            }
        } else if (total && rate > 0) {
            line += "  ETA ";
            line += duration_text(static_cast<double>(*total - std::min(got, *total)) / rate);
        }
        // Blank out what a longer previous line left on the right.
        const std::size_t length = line.size();
        if (length < width_) line.append(width_ - length, ' ');
        width_ = length;
        drawn_ = true;
        write_all(STDERR_FILENO, line, "stderr");
    }

    bool enabled_;
    bool drawn_ = false;
    bool ended_ = false;
    std::size_t width_ = 0;
    Clock::time_point start_ = Clock::now(), last_ = start_;
};

// "HTTP/1.1 200 OK" then "Name: value" lines and an empty line, as curl -i shows them.
std::string head_text(const http::ResponseInfo& r) {
    std::string out = r.version;
    out += ' ';
    out += std::to_string(r.status);
    if (!r.reason.empty()) {
        out += ' ';
        out += r.reason;
    }
    out += '\n';
    for (const auto& [name, value] : r.headers) {
        out += name;
        out += ": ";
        out += value;
        out += '\n';
    }
    out += '\n';
    return out;
}

std::string json_text(const http::ResponseInfo& r) {
    nlohmann::ordered_json j;
    j["url"] = r.url.to_string();
    j["status"] = r.status;
    j["reason"] = r.reason;
    j["version"] = r.version;
    j["headers"] = nlohmann::ordered_json::array();
    for (const auto& [name, value] : r.headers) j["headers"].push_back({name, value});
    j["body_bytes"] = r.body_bytes;
    j["elapsed_seconds"] = std::chrono::duration<double>(r.elapsed).count();
    j["redirects"] = nlohmann::ordered_json::array();
    for (const http::Redirect& hop : r.redirects)
        j["redirects"].push_back(
            {{"url", hop.url.to_string()}, {"status", hop.status}, {"location", hop.location.to_string()}});
    // Header values may hold bytes that are not UTF-8 (obs-text): replaced, never a throw.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void run(const HttpGetArgs& args) {
    // Every argument is checked before anything is sent (usage errors exit 2).
    auto url = http::parse_url(args.url);
    if (!url) throw UsageError(url.error());
    http::GetOptions options;
    if (!args.timeout.empty()) options.timeout = seconds_arg(args.timeout, "--timeout");
    options.follow_redirects = args.follow;
    options.max_redirects = args.max_redirects;

    using To = BodySink::To;
    BodySink sink(!args.output.empty() ? To::file : args.json ? To::nowhere : To::standard_output, args.output);
    ProgressBar progress(!args.output.empty() && ::isatty(STDERR_FILENO) == 1);
    options.on_head = [&](const http::ResponseInfo& r) {
        if (!args.json) write_all(STDERR_FILENO, head_text(r), "stderr");
        progress.begin();
    };
    options.on_body = [&](std::span<const std::byte> data) { sink.write(data); };
    options.on_progress = [&](std::uint64_t got, std::optional<std::uint64_t> total) { progress.update(got, total); };

    auto response = http::http_get(*url, options);
    if (!response) throw std::runtime_error(response.error());
    progress.finish(response->body_bytes, response->content_length);
    sink.finish();
    if (args.json) write_all(STDOUT_FILENO, json_text(*response) + "\n", "stdout");
}

}  // namespace

void add_http_get(CLI::App& http) {
    auto args = std::make_shared<HttpGetArgs>();
    CLI::App* cmd = http.add_subcommand(
        "get",
        "GET a URL over HTTP/1.1 (like curl without -f). The status line and headers go to stderr, the body to "
        "stdout or -o FILE. Exit 0 when a response arrived, whatever its status; 1 when none did (refused, "
        "timed out, cut short, malformed); 2 for a bad argument.");
    cmd->add_option("url", args->url, "http://HOST[:PORT][/PATH][?QUERY] (the scheme may be left out)")->required();
    cmd->add_option("-o,--output", args->output,
                    "write the body to FILE (created or truncated once a response arrives); on a terminal, "
                    "stderr shows a progress bar");
    cmd->add_flag("--json", args->json,
                  "print one JSON object to stdout instead of the head: url, status, reason, version, "
                  "headers ([name, value] pairs), body_bytes, elapsed_seconds, redirects ({url, status, "
                  "location} per hop); the body goes only to -o FILE, or is discarded");
    cmd->add_option("--timeout", args->timeout,
                    "seconds for the whole exchange (connects, request, head, body; default: no limit)");
    cmd->add_flag("-L,--location", args->follow,
                  "follow 301/302/303/307/308 redirects (each hop's head is printed)");
    cmd->add_option("--max-redirects", args->max_redirects, "with -L: the most hops followed; one more is an error")
        ->check(CLI::Range(0, kMaxRedirectsCap))
        ->capture_default_str();
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
