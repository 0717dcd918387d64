// The incremental chunked body decoder (RFC 9112 section 7.1).
//
// Size lines and trailer lines are gathered whole (at most kHttpMaxLineLength bytes) and
// then checked, so the answer does not depend on how the input is split; chunk data is
// copied straight from the input.

#include <algorithm>
#include <cstring>

#include "http_detail.hpp"
#include "weft/wire/http.hpp"

namespace weft::wire {

using detail::kHttpLayer;

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Checks the CRLF ending of a gathered line and that no CR hides inside it; returns the line
// without its CRLF, or the error.
std::optional<WireError> line_content(const std::string& line, std::size_t at, std::string_view& content) {
    if (line.size() < 2 || line[line.size() - 2] != '\r')
        return WireError{kHttpLayer, "LF without CR (lines must end with CRLF)", at + line.size() - 1};
    content = std::string_view(line).substr(0, line.size() - 2);
    if (auto cr = content.find('\r'); cr != std::string_view::npos)
        return WireError{kHttpLayer, "bare CR inside a line", at + cr};
    return std::nullopt;
}

}  // namespace

HttpChunkedDecoder::Result HttpChunkedDecoder::fail(std::string reason, std::size_t offset) {
    state_ = State::error;
    error_ = WireError{kHttpLayer, std::move(reason), offset};
    return {HttpChunkedStatus::error, 0, error_};
}

HttpChunkedDecoder::Result HttpChunkedDecoder::decode(std::string_view input, std::string& out) {
    if (state_ == State::done) return {HttpChunkedStatus::done, 0, {}};
    if (state_ == State::error) return {HttpChunkedStatus::error, 0, error_};
    std::size_t i = 0;
    while (i < input.size() && state_ != State::done) {
        switch (state_) {
        case State::size_line:
        case State::trailer_line: {
            const std::size_t line_at = static_cast<std::size_t>(position_) - line_.size();
            const char* lf = static_cast<const char*>(std::memchr(input.data() + i, '\n', input.size() - i));
            const std::size_t take = lf ? static_cast<std::size_t>(lf - input.data()) - i + 1 : input.size() - i;
            if (line_.size() + take > kHttpMaxLineLength)
                return fail("line longer than " + std::to_string(kHttpMaxLineLength) + " bytes",
                            line_at + kHttpMaxLineLength);
            line_.append(input.substr(i, take));
            position_ += take;
            i += take;
            if (lf == nullptr) break;
            auto e = state_ == State::size_line ? size_line(line_at) : trailer_line(line_at);
            if (e) return fail(e->reason, e->offset);
            line_.clear();
            break;
        }
        case State::data: {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - i));
            out.append(input.substr(i, n));
            remaining_ -= n;
            position_ += n;
            i += n;
            if (remaining_ == 0) state_ = State::data_cr;
            break;
        }
        case State::data_cr:
        case State::data_lf: {
            // The data must be followed by exactly CRLF: anything else means the size lied.
            const char want = state_ == State::data_cr ? '\r' : '\n';
            if (input[i] != want) return fail("missing CRLF after chunk data", static_cast<std::size_t>(position_));
            ++i;
            ++position_;
            state_ = state_ == State::data_cr ? State::data_lf : State::size_line;
            break;
        }
        case State::done:
        case State::error:
            break;
        }
    }
    return {state_ == State::done ? HttpChunkedStatus::done : HttpChunkedStatus::need_more, i, {}};
}

std::optional<WireError> HttpChunkedDecoder::size_line(std::size_t at) {
    std::string_view line;
    if (auto e = line_content(line_, at, line)) return e;
    std::size_t digits = 0;
    std::uint64_t size = 0;
    while (digits < line.size() && hex_value(line[digits]) >= 0) {
        // The cap keeps the size within 64 bits (and ends "000...0001" games early).
        if (digits == kHttpMaxChunkSizeDigits)
            return WireError{kHttpLayer,
                             "chunk size has more than " + std::to_string(kHttpMaxChunkSizeDigits) + " hex digits",
                             at + digits};
        size = size << 4 | static_cast<std::uint64_t>(hex_value(line[digits]));
        ++digits;
    }
    if (digits == 0) return WireError{kHttpLayer, "missing chunk size", at};
    std::size_t k = digits;
    while (k < line.size() && detail::is_ows(line[k])) ++k;
    if (k < line.size()) {
        if (line[k] != ';') return WireError{kHttpLayer, "invalid character after chunk size", at + k};
        // Extensions are skipped, but must not smuggle control bytes.
        for (std::size_t j = k; j < line.size(); ++j)
            if (!detail::is_field_char(line[j]))
                return WireError{kHttpLayer, "invalid character in chunk extension", at + j};
    }
    if (size == 0) {
        state_ = State::trailer_line;
    } else {
        remaining_ = size;
        state_ = State::data;
    }
    return std::nullopt;
}

std::optional<WireError> HttpChunkedDecoder::trailer_line(std::size_t at) {
    std::string_view line;
    if (auto e = line_content(line_, at, line)) return e;
    if (line.empty()) {
        state_ = State::done;
        return std::nullopt;
    }
    // Trailer fields follow the header field rules.
    if (detail::is_ows(line.front()))
        return WireError{kHttpLayer, "obs-fold (line starting with whitespace) is not allowed", at};
    if (trailers_.size() >= kHttpMaxHeaders)
        return WireError{kHttpLayer, "more than " + std::to_string(kHttpMaxHeaders) + " trailer fields", at};
    const std::size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    for (std::size_t j = 0; j < name.size(); ++j) {
        if (detail::is_tchar(name[j])) continue;
        if (detail::is_ows(name[j])) return WireError{kHttpLayer, "whitespace between trailer field name and colon", at + j};
        return WireError{kHttpLayer, "invalid character in trailer field name", at + j};
    }
    if (colon == std::string_view::npos) return WireError{kHttpLayer, "trailer field line without colon", at + line.size()};
    if (name.empty()) return WireError{kHttpLayer, "empty trailer field name", at};
    std::string_view value = line.substr(colon + 1);
    for (std::size_t j = 0; j < value.size(); ++j)
        if (!detail::is_field_char(value[j]))
            return WireError{kHttpLayer, "invalid character in trailer field value", at + colon + 1 + j};
    trailers_.emplace_back(std::string(name), std::string(detail::trim_ows(value)));
    return std::nullopt;
}

}  // namespace weft::wire
