#pragma once
// The pages the server writes itself: /status (HTML that refreshes its counters from
// /status.json every second), /status.json, directory listings and error pages.

#include <string>
#include <string_view>

#include "weft/services/http/site.hpp"

namespace weft::http {

std::string status_json(const HttpStats& stats);
std::string status_html(const HttpStats& stats);
/// An HTML index of the open directory `directory_fd` (which it closes), titled with the
/// request path `raw_path`; entries sorted by name, directories first and ending in '/'.
std::string directory_listing(int directory_fd, std::string_view raw_path, bool is_root);
/// "<h1>404 Not Found</h1><p>why</p>" as a small page.
std::string error_page(int status, std::string_view why);

}  // namespace weft::http
