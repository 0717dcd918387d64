#include "weft/services/http/http_date.hpp"

#include <array>
#include <cstddef>

namespace weft::http {

namespace {

constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kLongDays{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};

// A small cursor over the text: each reader consumes what it matched or fails.
struct Reader {
    std::string_view text;
    std::size_t at = 0;

    bool literal(std::string_view s) noexcept {
        if (text.substr(at, s.size()) != s) return false;
        at += s.size();
        return true;
    }
    bool digits(std::size_t count, int& out) noexcept {
        if (at + count > text.size()) return false;
        int value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const char c = text[at + i];
            if (c < '0' || c > '9') return false;
            value = value * 10 + (c - '0');
        }
        at += count;
        out = value;
        return true;
    }
    bool month(int& out) noexcept {
        for (std::size_t m = 0; m < kMonths.size(); ++m)
            if (literal(kMonths[m])) {
                out = static_cast<int>(m);
                return true;
            }
        return false;
    }
    bool time_of_day(std::tm& tm) noexcept {
        return digits(2, tm.tm_hour) && literal(":") && digits(2, tm.tm_min) && literal(":") && digits(2, tm.tm_sec);
    }
    bool done() const noexcept { return at == text.size(); }
};

std::optional<std::time_t> to_time(std::tm& tm) noexcept {
    // Leap seconds (60) are allowed by the grammar; timegm folds them into the next minute.
    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) return std::nullopt;
    const std::time_t t = timegm(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    return t;
}

}  // namespace

std::string format_http_date(std::time_t when) {
    std::tm tm{};
    gmtime_r(&when, &tm);
    std::string out(29, ' ');
    auto two = [&](std::size_t at, int v) {
        out[at] = static_cast<char>('0' + v / 10);
        out[at + 1] = static_cast<char>('0' + v % 10);
    };
    const std::string_view day = kDays[static_cast<std::size_t>(tm.tm_wday)];
    const std::string_view month = kMonths[static_cast<std::size_t>(tm.tm_mon)];
    out.replace(0, 3, day);
    out[3] = ',';
    two(5, tm.tm_mday);
    out.replace(8, 3, month);
    const int year = tm.tm_year + 1900;
    two(12, year / 100);
    two(14, year % 100);
    two(17, tm.tm_hour);
    out[19] = ':';
    two(20, tm.tm_min);
    out[22] = ':';
    two(23, tm.tm_sec);
    out.replace(26, 3, "GMT");
    return out;
}

std::optional<std::time_t> parse_http_date(std::string_view text) noexcept {
    std::tm tm{};
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    for (const auto day : kDays) {
        Reader r{text};
        int year = 0;
        if (r.literal(day) && r.literal(", ") && r.digits(2, tm.tm_mday) && r.literal(" ") && r.month(tm.tm_mon) &&
            r.literal(" ") && r.digits(4, year) && r.literal(" ") && r.time_of_day(tm) && r.literal(" GMT") &&
            r.done()) {
            tm.tm_year = year - 1900;
            return to_time(tm);
        }
    }
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year that looks more than 50
    // years in the future is in the past century (RFC 9110 section 5.6.7).
    for (const auto day : kLongDays) {
        Reader r{text};
        int year = 0;
        if (r.literal(day) && r.literal(", ") && r.digits(2, tm.tm_mday) && r.literal("-") && r.month(tm.tm_mon) &&
            r.literal("-") && r.digits(2, year) && r.literal(" ") && r.time_of_day(tm) && r.literal(" GMT") &&
            r.done()) {
            std::time_t now = std::time(nullptr);
            std::tm now_tm{};
            gmtime_r(&now, &now_tm);
            const int now_year = now_tm.tm_year + 1900;
            int full = (now_year / 100) * 100 + year;
            if (full > now_year + 50) full -= 100;
            tm.tm_year = full - 1900;
            return to_time(tm);
        }
    }
    // asctime: "Sun Nov  6 08:49:37 1994" (the day of the month padded with a space)
    for (const auto day : kDays) {
        Reader r{text};
        int year = 0;
        if (!(r.literal(day) && r.literal(" ") && r.month(tm.tm_mon) && r.literal(" "))) continue;
        if (r.literal(" ")) {
            if (!r.digits(1, tm.tm_mday)) continue;
        } else if (!r.digits(2, tm.tm_mday)) {
            continue;
        }
        if (r.literal(" ") && r.time_of_day(tm) && r.literal(" ") && r.digits(4, year) && r.done()) {
            tm.tm_year = year - 1900;
            return to_time(tm);
        }
    }
    return std::nullopt;
}

}  // namespace weft::http
