#pragma once
// Text into HTML: every page the server writes itself (errors, listings, /status) puts file
// names and request paths into markup through this, so none of them can inject a tag.

#include <string>
#include <string_view>

namespace weft::http {

inline void append_html_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
}

}  // namespace weft::http
