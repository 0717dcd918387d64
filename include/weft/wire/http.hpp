#pragma once
// HTTP/1.1 message heads (RFC 9112): an incremental parser, body framing, a chunked body
// decoder, head serialisers, and a lenient prefix reader for packet decoding.
//
//   HttpHeadParser parser(HttpHeadParser::Kind::request);
//   for (;;) {
//       buffer += read_some();                       // the caller owns and grows the buffer
//       HttpParseResult r = parser.parse(buffer);    // re-give everything received so far
//       if (r.status == HttpParseStatus::complete) { use(parser.request()); break; }
//       if (r.status == HttpParseStatus::error) { reply_400(r.error.reason); break; }
//   }
//
// Results are views into the buffer given to the last parse() call; nothing is copied. The
// parser is strict where leniency enables request smuggling (RFC 9112 section 11.2) and
// says why in each error, with the offset of the offending byte.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/wire/wire_error.hpp"

namespace weft::wire {

/// Largest head (start line, fields, final CRLF) accepted.
inline constexpr std::size_t kHttpMaxHeadSize = 64 * 1024;
/// Most header fields in a head, and trailer fields after a chunked body.
inline constexpr std::size_t kHttpMaxHeaders = 100;
/// Longest line (CRLF included): start line, field line, chunk-size line, trailer line.
inline constexpr std::size_t kHttpMaxLineLength = 8 * 1024;
/// Most hex digits in a chunk size: 16 digits fill 64 bits, so the size cannot overflow.
inline constexpr std::size_t kHttpMaxChunkSizeDigits = 16;

/// One header field: name and value, views into the parsed (or caller's) buffer.
struct HttpHeader {
    std::string_view name;   ///< as received; compare it case-insensitively
    std::string_view value;  ///< leading and trailing whitespace removed
};

/// How the body after a head is delimited (RFC 9112 section 6.3).
enum class HttpBodyKind : std::uint8_t {
    none,            ///< no body
    content_length,  ///< exactly `length` bytes
    chunked,         ///< chunked transfer coding: use HttpChunkedDecoder
    until_close,     ///< responses only: everything until the connection closes
};
/// How long the body after a head is.
struct HttpBodyFraming {
    HttpBodyKind kind = HttpBodyKind::none;  ///< how it is delimited
    std::uint64_t length = 0;  ///< for content_length
};

/// A parsed request head: views into the parsed buffer.
struct HttpRequestHead {
    ///@{
    /// The request line's method ("GET") and target ("/index.html?q=1"), as received.
    std::string_view method, target;
    ///@}
    std::string_view version;  ///< "HTTP/1.1"
    int version_minor = 1;     ///< 0 for HTTP/1.0, 1 for HTTP/1.1
    std::vector<HttpHeader> headers;  ///< in order, duplicates kept
    HttpBodyFraming body;      ///< how the request's body is delimited
    /// The first header with this name (case-insensitive), or nullptr.
    const HttpHeader* find(std::string_view name) const noexcept;
};

/// A parsed response head: views into the parsed buffer.
struct HttpResponseHead {
    std::string_view version;  ///< "HTTP/1.1"
    int version_minor = 1;     ///< 0 for HTTP/1.0, 1 for HTTP/1.1
    int status = 0;            ///< 100-599
    std::string_view reason;  ///< may be empty
    std::vector<HttpHeader> headers;  ///< in order, duplicates kept
    HttpBodyFraming body;      ///< how the body is delimited (given the request's method)
    /// The first header with this name (case-insensitive), or nullptr.
    const HttpHeader* find(std::string_view name) const noexcept;
};

/// A head parse's answer: a whole head, more bytes needed, or an error.
enum class HttpParseStatus : std::uint8_t { complete, incomplete, error };

/// [[nodiscard]]: every call that returns one is a parse whose status must be looked at.
struct [[nodiscard]] HttpParseResult {
    HttpParseStatus status = HttpParseStatus::incomplete;  ///< complete, incomplete or error
    std::size_t consumed = 0;  ///< complete: length of the head; the body starts here
    WireError error;           ///< error: reason and offset in the buffer (layer "http")
};

/// Incremental head parser. Each parse() call gets everything received since the head
/// began; the buffer may have moved or grown, but must start with the bytes given before.
/// Work is linear in the head size however the bytes are split, and the answer for a
/// given input is the same whether it arrives whole or a byte at a time.
///
/// Rejected (error): bare CR; LF without CR; obs-fold; whitespace between field name and
/// colon; invalid token characters in method or field names; control characters in the
/// target or field values; versions other than HTTP/1.x; a head over kHttpMaxHeadSize, a
/// line over kHttpMaxLineLength, more than kHttpMaxHeaders fields; Content-Length that is
/// not digits, or several that differ (identical repeats, "5, 5", are accepted: RFC 9110
/// section 8.6 allows it, as the framing is unambiguous); Content-Length together with
/// Transfer-Encoding; chunked twice; in a request, a final coding other than chunked, or
/// Transfer-Encoding in HTTP/1.0; more than one Host. Once an error is returned, every
/// later call returns it again.
class HttpHeadParser {
public:
    /// What the parser reads: request heads or response heads.
    enum class Kind : std::uint8_t { request, response };
    /// A parser for heads of `kind`.
    explicit HttpHeadParser(Kind kind) noexcept : kind_(kind) {}

    ///@{
    /// Parses on from where the last call stopped; `buffer` holds every byte of the head
    /// received so far. complete (consumed = the head's length), incomplete, or error.
    HttpParseResult parse(std::string_view buffer);
    HttpParseResult parse(std::span<const std::byte> buffer) {
        return parse(std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
    }
    ///@}

    /// For responses: the method of the request answered (HEAD and CONNECT change framing).
    void set_request_method(std::string_view method) { request_method_ = method; }
    ///@{
    /// After complete: the head, viewing the buffer of the last parse() call.
    const HttpRequestHead& request() const noexcept { return request_; }
    const HttpResponseHead& response() const noexcept { return response_; }
    ///@}
    /// Ready for the next message (same kind); keeps the request method.
    void reset();

private:
    struct Range {
        std::size_t offset = 0, length = 0;
    };
    struct Field {
        Range name, value;
    };
    HttpParseResult fail(std::string reason, std::size_t offset);
    std::optional<WireError> parse_start_line(std::string_view line, std::size_t at);
    std::optional<WireError> parse_field_line(std::string_view line, std::size_t at);
    std::optional<WireError> finish(std::string_view buffer);

    Kind kind_;
    std::size_t line_start_ = 0;  // first byte of the line not yet parsed
    std::size_t scanned_ = 0;     // bytes from line_start_ known to hold no LF
    bool start_line_done_ = false;
    Range part1_, part2_, part3_;  // method/target/version or version/status/reason
    int version_minor_ = 1;
    int status_ = 0;
    std::vector<Field> fields_;
    std::optional<WireError> error_;
    std::size_t head_length_ = 0;
    std::string request_method_;
    HttpRequestHead request_;
    HttpResponseHead response_;
};

///@{
/// One-shot forms: parse `buffer` from its start with a fresh parser and copy the head out.
HttpParseResult parse_http_request_head(std::string_view buffer, HttpRequestHead& out);
HttpParseResult parse_http_response_head(std::string_view buffer, HttpResponseHead& out,
                                         std::string_view request_method = {});
///@}

/// Framing of a response to `request_method` (RFC 9112 section 6.3): none for HEAD, for
/// 1xx/204/304 and for 2xx to CONNECT; chunked when it is the final coding; until close
/// for other codings or when no length is given. Content-Length errors are found by the
/// parser; this only decides.
HttpBodyFraming http_response_framing(int status, std::string_view request_method, bool has_transfer_encoding,
                                      bool chunked_final, std::optional<std::uint64_t> content_length);

/// A chunked decode's answer: the body ended, more bytes needed, or an error.
enum class HttpChunkedStatus : std::uint8_t { done, need_more, error };

/// Incremental decoder of a chunked body (RFC 9112 section 7.1): chunk sizes of at most
/// kHttpMaxChunkSizeDigits hex digits, chunk extensions checked for stray control bytes
/// and skipped, trailer fields kept (validated like header fields).
class HttpChunkedDecoder {
public:
    /// What decode() did: done, need more bytes, or an error.
    struct [[nodiscard]] Result {
        HttpChunkedStatus status = HttpChunkedStatus::need_more;  ///< done, need_more or error
        /// Bytes of `input` used. On done, what follows belongs to the next message.
        std::size_t consumed = 0;
        WireError error;  ///< offset counted from the start of the body
    };
    /// Decodes the next bytes of the body, appending the data to `out`. Any split works;
    /// after done or error, calls return the same status and consume nothing.
    Result decode(std::string_view input, std::string& out);

    /// True once the last chunk and the trailer section were read.
    bool done() const noexcept { return state_ == State::done; }
    /// The trailer fields (name, value), in order, once done.
    const std::vector<std::pair<std::string, std::string>>& trailers() const noexcept { return trailers_; }

private:
    enum class State : std::uint8_t { size_line, data, data_cr, data_lf, trailer_line, done, error };
    Result fail(std::string reason, std::size_t offset);
    std::optional<WireError> size_line(std::size_t line_offset);
    std::optional<WireError> trailer_line(std::size_t line_offset);

    State state_ = State::size_line;
    std::string line_;               // the size or trailer line being gathered (with CRLF)
    std::uint64_t remaining_ = 0;    // data bytes left in the current chunk
    std::uint64_t position_ = 0;     // bytes of the body consumed so far
    std::vector<std::pair<std::string, std::string>> trailers_;
    WireError error_;
};

///@{
/// "HTTP/1.1 200 OK\r\n..." heads. Fails (layer "http", offset = index of the bad header,
/// or 0 for the start line) on a method or field name that is not a token, and on CR, LF
/// or NUL in any part, so that nothing can be injected into the head.
WireResult<std::string> serialize_http_request_head(std::string_view method, std::string_view target,
                                                    std::span<const HttpHeader> headers,
                                                    std::string_view version = "HTTP/1.1");
WireResult<std::string> serialize_http_response_head(int status, std::string_view reason,
                                                     std::span<const HttpHeader> headers,
                                                     std::string_view version = "HTTP/1.1");
///@}
/// Appends one chunk ("1a\r\n<data>\r\n"); nothing for empty data (that would end the body).
void append_http_chunk(std::string& out, std::string_view data);
/// Appends the last chunk and an empty trailer section: "0\r\n\r\n".
void append_http_last_chunk(std::string& out);
/// The standard reason phrase for a status ("Not Found"), or "" when unknown.
std::string_view http_reason_phrase(int status) noexcept;

/// What a packet decoder can tell from bytes that may be cut anywhere.
struct HttpHeadPrefix {
    bool is_request = true;           ///< a request line, or (false) a status line
    ///@{
    /// Requests: the method, and the target (empty until the start line is complete).
    std::string_view method, target;
    ///@}
    std::string_view version;         ///< empty when the start line is cut before it
    int status = 0;                   ///< responses; 0 when cut
    std::string_view reason;          ///< responses: the reason phrase, once the line is complete
    bool start_line_complete = false; ///< the start line's LF was seen
    std::vector<HttpHeader> headers;  ///< complete field lines only
    bool head_complete = false;       ///< the empty line ending the head was seen
};

///@{
/// Lenient reading for display, never for serving: the bytes must begin with a known method
/// (GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH) and a space, or with "HTTP/" and a
/// digit; otherwise std::nullopt. Lines end at LF (a CR before it is dropped); a field line
/// cut by the end of the bytes is left out, and reading stops at the first line that is
/// not "name: value".
[[nodiscard]] std::optional<HttpHeadPrefix> http_head_prefix(std::string_view bytes);
[[nodiscard]] std::optional<HttpHeadPrefix> http_head_prefix(std::span<const std::byte> bytes);
///@}

}  // namespace weft::wire
