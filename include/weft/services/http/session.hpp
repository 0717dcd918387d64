#pragma once
// HttpSession: the request engine of one connection, with no socket in it. Bytes go in;
// responses come out as bytes to write and file ranges to send, in request order.
//
//   HttpSession session(site, "127.0.0.1:40000");
//   ResponseBatch out;
//   std::size_t used = session.feed(received, out);   // keep received[used..] for next time
//   write(out);                                         // heads, small bodies, file ranges
//   if (session.closing()) close();
//
// feed() answers every complete request it finds (pipelining: in order, many per call) and
// stops early when the batch is large, when a request ends the connection, or when the rest
// is an incomplete head; the caller keeps the unused bytes and gives them back, with what
// arrives next, at the following call. Limits (site.hpp) are enforced on the bytes given:
// 414 for a long request line, 431 for a large head, 400 for malformed heads and every
// smuggling shape the wire parser refuses, 413 for a large declared body, 505 for an HTTP
// major version other than 1.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/services/http/request_path.hpp"
#include "weft/services/http/site.hpp"
#include "weft/wire/http.hpp"

namespace weft::http {

struct OpenFile;  // the open-file cache's entry (internal)

/// A file range to send (sendfile) after some bytes of the batch.
struct FileBody {
    std::shared_ptr<const void> keep;  ///< holds the open file while the range is in flight
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

/// Responses in order: `bytes` holds heads and in-memory bodies; each file range goes out
/// after the first `after` bytes (and before the rest).
struct ResponseBatch {
    struct File {
        std::size_t after = 0;
        FileBody body;
    };
    std::string bytes;
    std::vector<File> files;

    bool empty() const noexcept { return bytes.empty() && files.empty(); }
    void clear() noexcept {
        bytes.clear();
        files.clear();
    }
};

class HttpSession {
public:
    /// `peer` names the client in log lines; it is only used when site.log is set.
    HttpSession(Site& site, std::string peer);

    /// Answers the complete requests at the start of `bytes`, appending to `out`; returns how
    /// many bytes were used. After closing() is true nothing more is used.
    std::size_t feed(std::string_view bytes, ResponseBatch& out);
    /// The caller's header timer ran out while it held part of a request: 408, then close.
    void header_timeout(ResponseBatch& out);

    /// A response ended the connection (Connection: close, HTTP/1.0, an error): write the
    /// batch, then close.
    bool closing() const noexcept { return closing_; }
    /// Stops taking requests: the batch being answered becomes the last (a graceful stop).
    void stop() noexcept { closing_ = true; }

    /// Once `out.bytes` is this large, feed() stops and lets the caller write: pipelined
    /// requests are answered in rounds, so a client cannot make the server buffer without end.
    static constexpr std::size_t kBatchBytes = 64 * 1024;
    static constexpr std::size_t kBatchFiles = 16;

private:
    struct Request;
    void answer(const wire::HttpRequestHead& head, ResponseBatch& out);
    void refuse(int status, std::string_view why, ResponseBatch& out, const Request* request = nullptr);
    void page(const Request& request, int status, std::string_view why, std::string_view extra_fields,
              ResponseBatch& out);
    void serve_path(Request& request, const RequestPath& path, ResponseBatch& out);
    void serve_file(Request& request, const std::shared_ptr<const OpenFile>& file, ResponseBatch& out);
    void serve_status_page(Request& request, bool json, ResponseBatch& out);
    void finish(const Request* request, int status, std::uint64_t body_bytes, std::string_view why = {});

    Site& site_;
    std::string peer_;
    wire::HttpHeadParser parser_{wire::HttpHeadParser::Kind::request};
    bool closing_ = false;
};

}  // namespace weft::http
