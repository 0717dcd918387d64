#include "pages.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.hpp"
#include "weft/services/http/request_path.hpp"
#include "weft/wire/http.hpp"

namespace weft::http {

namespace {

std::string uptime_text(double seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", seconds);
    return buf;
}

// The page's script asks /status.json once a second and rewrites each counter; `updates`
// counts the refreshes, so a browser (or a headless one in a test) shows that they land.
constexpr std::string_view kStatusScript = R"JS(
<script>
const ids = ["connections", "accepted", "requests", "bytes_sent", "uptime"];
let updates = 0;
async function refresh() {
  try {
    const response = await fetch("/status.json", {cache: "no-store"});
    const s = await response.json();
    for (const id of ids) {
      const value = id === "uptime" ? s.uptime_seconds.toFixed(1) : s[id];
      document.getElementById(id).textContent = value;
    }
    for (const k of ["1xx", "2xx", "3xx", "4xx", "5xx"])
      document.getElementById("status_" + k).textContent = s.responses[k];
    document.getElementById("updates").textContent = ++updates;
  } catch (e) {
    document.getElementById("state").textContent = "server unreachable";
  }
}
setInterval(refresh, 1000);
</script>
)JS";

}  // namespace

std::string status_json(const HttpStats& s) {
    std::string out = "{\"connections\":" + std::to_string(s.connections);
    out += ",\"accepted\":" + std::to_string(s.accepted);
    out += ",\"requests\":" + std::to_string(s.requests);
    out += ",\"bytes_sent\":" + std::to_string(s.bytes_sent);
    out += ",\"responses\":{";
    for (std::size_t i = 0; i < s.responses.size(); ++i) {
        if (i) out += ',';
        out += "\"" + std::to_string(i + 1) + "xx\":" + std::to_string(s.responses[i]);
    }
    out += "},\"uptime_seconds\":" + uptime_text(s.uptime_seconds) + "}\n";
    return out;
}

std::string status_html(const HttpStats& s) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>weft http: status</title>\n"
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse}td,th{padding:.3em 1.2em;border-bottom:1px solid #ddd;text-align:left}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}#state{color:#080}</style></head>\n"
        "<body><h1>weft http: status</h1>\n<p id=\"state\">live: refreshed every second "
        "(<span id=\"updates\">0</span> updates)</p>\n<table>\n";
    auto row = [&](std::string_view label, std::string_view id, const std::string& value) {
        out += "<tr><th>";
        out += label;
        out += "</th><td class=\"n\" id=\"";
        out += id;
        out += "\">";
        out += value;
        out += "</td></tr>\n";
    };
    row("connections now", "connections", std::to_string(s.connections));
    row("accepted", "accepted", std::to_string(s.accepted));
    row("requests", "requests", std::to_string(s.requests));
    row("bytes sent", "bytes_sent", std::to_string(s.bytes_sent));
    for (std::size_t i = 0; i < s.responses.size(); ++i) {
        const std::string k = std::to_string(i + 1) + "xx";
        row("responses " + k, "status_" + k, std::to_string(s.responses[i]));
    }
    row("uptime (s)", "uptime", uptime_text(s.uptime_seconds));
    out += "</table>\n<p><a href=\"/status.json\">status.json</a></p>\n";
    out += kStatusScript;
    out += "</body></html>\n";
    return out;
}

std::string directory_listing(int directory_fd, std::string_view raw_path, bool is_root) {
    struct Entry {
        std::string name;
        bool directory = false;
        std::uint64_t size = 0;
        std::time_t mtime = 0;
    };
    std::vector<Entry> entries;
    if (DIR* dir = ::fdopendir(directory_fd)) {  // owns directory_fd from here
        while (const dirent* d = ::readdir(dir)) {
            const std::string_view name = d->d_name;
            if (name == "." || name == "..") continue;
            struct stat st {};
            if (::fstatat(directory_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            entries.push_back({std::string(name), S_ISDIR(st.st_mode), static_cast<std::uint64_t>(st.st_size),
                               st.st_mtim.tv_sec});
        }
        ::closedir(dir);
    } else {
        ::close(directory_fd);
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        if (a.directory != b.directory) return a.directory;
        return a.name < b.name;
    });
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Index of ";
    append_html_escaped(out, raw_path);
    out += "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:.15em 1.2em}"
           "td.n{text-align:right}</style></head>\n<body><h1>Index of ";
    append_html_escaped(out, raw_path);
    out += "</h1>\n<table>\n";
    if (!is_root) out += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n";
    for (const auto& e : entries) {
        std::string href = encode_path(e.name);
        std::string shown = e.name;
        if (e.directory) {
            href += '/';
            shown += '/';
        }
        out += "<tr><td><a href=\"";
        append_html_escaped(out, href);
        out += "\">";
        append_html_escaped(out, shown);
        out += "</a></td><td class=\"n\">";
        out += e.directory ? std::string("-") : std::to_string(e.size);
        out += "</td><td>";
        char when[32];
        std::tm tm{};
        gmtime_r(&e.mtime, &tm);
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        out += when;
        out += "</td></tr>\n";
    }
    out += "</table>\n</body></html>\n";
    return out;
}

std::string error_page(int status, std::string_view why) {
    std::string title = std::to_string(status);
    title += ' ';
    title += wire::http_reason_phrase(status);
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
    out += title;
    out += "</title></head>\n<body><h1>";
    out += title;
    out += "</h1>\n<p>";
    append_html_escaped(out, why);
    out += "</p>\n<hr><address>weft</address></body></html>\n";
    return out;
}

}  // namespace weft::http
