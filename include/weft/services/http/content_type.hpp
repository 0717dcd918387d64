#pragma once
// The Content-Type a static file is served with, chosen by its extension.

#include <string_view>

namespace weft::http {

/// "text/html; charset=utf-8" for "index.html", "image/png" for "a.PNG" (extensions compare
/// without case), "application/octet-stream" for an unknown or missing extension: a browser
/// then offers a download instead of guessing (and X-Content-Type-Options: nosniff keeps it
/// from sniffing a script out of it).
std::string_view content_type_for(std::string_view path) noexcept;

}  // namespace weft::http
