// The request engine with bytes in and responses out: no sockets.
#include "weft/services/http/session.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft/services/http/http_date.hpp"
#include "weft/wire/http.hpp"

namespace weft::http {
namespace {

namespace fs = std::filesystem;

struct Response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string header(std::string_view name) const {
        for (const auto& [n, v] : headers)
            if (n == name) return v;
        return "";
    }
    bool has(std::string_view name) const {
        for (const auto& [n, v] : headers)
            if (n == name) return true;
        return false;
    }
};

class SessionTest : public ::testing::Test {
protected:
    void SetUp() override {
        char base[] = "/tmp/weft-session-test-XXXXXX";
        ASSERT_NE(::mkdtemp(base), nullptr);
        base_ = base;
        root_ = base_ / "root";
        fs::create_directories(root_ / "sub");
        fs::create_directories(root_ / "site");
        write(root_ / "a.txt", "hello, world\n");
        write(root_ / "site" / "index.html", "<!DOCTYPE html><title>site</title>\n");
        write(root_ / "sub" / "b&<c>.css", "body{}\n");
        big_ = std::string(100'000, '\0');
        for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>('a' + i % 26);
        write(root_ / "big.bin", big_);
        write(base_ / "secret.txt", "OUTSIDE-MARKER\n");
        fs::create_symlink("../secret.txt", root_ / "out.txt");
        fs::create_symlink("a.txt", root_ / "in.txt");
        auto site = Site::open(root_.string());
        ASSERT_TRUE(site) << site.error();
        site_ = *site;
        site_->log = [this](std::string_view line) { log_.emplace_back(line); };
        session_ = std::make_unique<HttpSession>(*site_, "192.0.2.1:4000");
    }
    void TearDown() override { fs::remove_all(base_); }

    static void write(const fs::path& p, std::string_view content) {
        std::ofstream(p, std::ios::binary) << content;
    }

    // Feeds `bytes` whole and turns the batch into responses (file ranges read back from disk).
    std::vector<Response> exchange(std::string_view bytes, std::size_t* used = nullptr,
                                   std::vector<std::string_view> methods = {}) {
        ResponseBatch out;
        const std::size_t n = session_->feed(bytes, out);
        if (used) *used = n;
        return parse(out, methods);
    }

    static std::vector<Response> parse(const ResponseBatch& out, std::vector<std::string_view> methods = {}) {
        std::vector<Response> responses;
        std::string stream;  // the bytes as the peer would read them
        std::size_t at = 0;
        for (const auto& file : out.files) {
            stream += out.bytes.substr(at, file.after - at);
            std::string part(file.body.length, '\0');
            EXPECT_EQ(::pread(file.body.fd, part.data(), part.size(), static_cast<off_t>(file.body.offset)),
                      static_cast<ssize_t>(part.size()));
            stream += part;
            at = file.after;
        }
        stream += out.bytes.substr(at);
        std::string_view rest = stream;
        while (!rest.empty()) {
            wire::HttpResponseHead head;
            const std::string_view method = responses.size() < methods.size() ? methods[responses.size()] : "GET";
            auto r = wire::parse_http_response_head(rest, head, method);
            EXPECT_EQ(r.status, wire::HttpParseStatus::complete) << rest.substr(0, 200);
            if (r.status != wire::HttpParseStatus::complete) break;
            Response resp;
            resp.status = head.status;
            for (const auto& h : head.headers) resp.headers.emplace_back(std::string(h.name), std::string(h.value));
            rest.remove_prefix(r.consumed);
            if (head.body.kind == wire::HttpBodyKind::content_length) {
                EXPECT_LE(head.body.length, rest.size());
                resp.body = std::string(rest.substr(0, head.body.length));
                rest.remove_prefix(resp.body.size());
            }
            responses.push_back(std::move(resp));
        }
        return responses;
    }

    Response get(std::string_view target, std::string_view extra = {}) {
        std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
        auto r = exchange(request);
        EXPECT_EQ(r.size(), 1u) << target;
        return r.empty() ? Response{} : r.front();
    }

    fs::path base_, root_;
    std::string big_;
    std::shared_ptr<Site> site_;
    std::unique_ptr<HttpSession> session_;
    std::vector<std::string> log_;
};

TEST_F(SessionTest, ServesASmallFileWithItsHead) {
    const Response r = get("/a.txt");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello, world\n");
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r.header("Content-Length"), "13");
    EXPECT_EQ(r.header("Accept-Ranges"), "bytes");
    EXPECT_EQ(r.header("Server"), "weft");
    EXPECT_TRUE(parse_http_date(r.header("Date")).has_value());
    EXPECT_EQ(parse_http_date(r.header("Last-Modified")),
              std::chrono::system_clock::to_time_t(std::chrono::file_clock::to_sys(fs::last_write_time(root_ / "a.txt"))));
    EXPECT_FALSE(session_->closing());
    ASSERT_EQ(log_.size(), 1u);
    EXPECT_EQ(log_[0], "192.0.2.1:4000 \"GET /a.txt HTTP/1.1\" 200 13");
}

TEST_F(SessionTest, SendsALargeFileAsARangeOfItsDescriptor) {
    ResponseBatch out;
    const std::string request = "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    EXPECT_EQ(session_->feed(request, out), request.size());
    ASSERT_EQ(out.files.size(), 1u);
    EXPECT_EQ(out.files[0].after, out.bytes.size());  // the head, then the file
    EXPECT_EQ(out.files[0].body.length, big_.size());
    const auto responses = parse(out);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].body, big_);
}

TEST_F(SessionTest, HeadGetsTheHeadersOfGetWithoutABody) {
    ResponseBatch out;
    const std::string request = "HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    EXPECT_EQ(session_->feed(request, out), request.size());
    EXPECT_TRUE(out.files.empty());
    auto r = parse(out, {"HEAD"});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 200);
    EXPECT_EQ(r[0].header("Content-Length"), std::to_string(big_.size()));
    EXPECT_EQ(out.bytes.find("\r\n\r\n") + 4, out.bytes.size());
}

TEST_F(SessionTest, AnswersPipelinedRequestsInOrderAndKeepsAnIncompleteOne) {
    const std::string three = "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                              "GET /sub/ HTTP/1.1\r\nHost: t\r\n\r\nGET /a.t";
    std::size_t used = 0;
    auto r = exchange(three, &used);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].status, 200);
    EXPECT_EQ(r[1].status, 404);
    EXPECT_EQ(r[2].status, 200);
    EXPECT_NE(r[2].body.find("b&amp;&lt;c&gt;.css"), std::string::npos);  // listed, escaped
    EXPECT_NE(r[2].body.find("href=\"b%26%3Cc%3E.css\""), std::string::npos);
    EXPECT_EQ(three.substr(used), "GET /a.t");  // the caller keeps it and gives it back
    auto rest = exchange("GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].body, "hello, world\n");
}

TEST_F(SessionTest, ABatchStopsEarlyAndTheRestIsAnsweredNextRound) {
    // 600 small responses overflow kBatchBytes; every 20th asks for a file sent by range, and
    // those overflow kBatchFiles.
    std::string many;
    for (int i = 0; i < 600; ++i)
        many += i % 20 == 0 ? "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" : "GET /site/ HTTP/1.1\r\nHost: t\r\n\r\n";
    std::size_t total = 0;
    std::size_t rounds = 0;
    std::size_t responses = 0;
    while (total < many.size()) {
        std::size_t used = 0;
        responses += exchange(std::string_view(many).substr(total), &used).size();
        ASSERT_GT(used, 0u);
        total += used;
        ++rounds;
    }
    EXPECT_EQ(responses, 600u);
    EXPECT_GT(rounds, 2u);
}

TEST_F(SessionTest, ConditionalAndRangeRequests) {
    const std::string modified = get("/a.txt").header("Last-Modified");
    EXPECT_EQ(get("/a.txt", "If-Modified-Since: " + modified + "\r\n").status, 304);
    EXPECT_EQ(get("/a.txt", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n").status, 200);
    EXPECT_EQ(get("/a.txt", "If-Modified-Since: garbage\r\n").status, 200);

    Response part = get("/a.txt", "Range: bytes=7-11\r\n");
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.body, "world");
    EXPECT_EQ(part.header("Content-Range"), "bytes 7-11/13");
    EXPECT_EQ(get("/a.txt", "Range: bytes=-3\r\n").body, "ld\n");
    EXPECT_EQ(get("/a.txt", "Range: bytes=10-\r\n").body, "ld\n");
    EXPECT_EQ(get("/a.txt", "Range: bytes=10-999\r\n").body, "ld\n");
    const Response big = get("/big.bin", "Range: bytes=99990-\r\n");
    EXPECT_EQ(big.status, 206);
    EXPECT_EQ(big.body, big_.substr(99990));

    const Response beyond = get("/a.txt", "Range: bytes=13-\r\n");
    EXPECT_EQ(beyond.status, 416);
    EXPECT_EQ(beyond.header("Content-Range"), "bytes */13");
    EXPECT_EQ(get("/a.txt", "Range: bytes=0-1,3-4\r\n").status, 200);  // several ranges: the whole
    EXPECT_EQ(get("/a.txt", "Range: bytes=5-2\r\n").status, 200);      // invalid: ignored
    EXPECT_EQ(get("/a.txt", "Range: bytes=1-2\r\nIf-Range: " + modified + "\r\n").status, 206);
    EXPECT_EQ(get("/a.txt", "Range: bytes=1-2\r\nIf-Range: Thu, 01 Jan 1970 00:00:00 GMT\r\n").status, 200);
}

TEST_F(SessionTest, DirectoriesRedirectListOrServeTheirIndex) {
    const Response moved = get("/sub?x=1");
    EXPECT_EQ(moved.status, 301);
    EXPECT_EQ(moved.header("Location"), "/sub/?x=1");
    EXPECT_EQ(get("/site/").body, "<!DOCTYPE html><title>site</title>\n");
    EXPECT_EQ(get("/site/").header("Content-Type"), "text/html; charset=utf-8");
    const Response root = get("/");
    EXPECT_EQ(root.status, 200);
    EXPECT_NE(root.body.find("href=\"sub/\""), std::string::npos);
    EXPECT_EQ(get("/a.txt/").status, 404);  // a file asked for as a directory
}

TEST_F(SessionTest, NothingOutsideTheRootIsServed) {
    for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/sub/../../secret.txt",
                               "/out.txt", "/%252e%252e/secret.txt", "//secret.txt", "/..%5csecret.txt", "/%00"}) {
        auto fresh = std::make_unique<HttpSession>(*site_, "t");
        ResponseBatch out;
        const std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n";
        (void)fresh->feed(request, out);
        auto r = parse(out);
        ASSERT_EQ(r.size(), 1u) << target;
        EXPECT_TRUE(r[0].status == 400 || r[0].status == 404) << target << " got " << r[0].status;
        EXPECT_EQ(r[0].body.find("OUTSIDE-MARKER"), std::string::npos) << target;
    }
    EXPECT_EQ(get("/in.txt").body, "hello, world\n");  // a link inside the root is followed
}

TEST_F(SessionTest, MalformedAndSmuggledRequestsGet400AndClose) {
    for (const char* request : {"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                                "GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                                "GET /a.txt HTTP/1.1\r\nHost: t\rX: y\r\n\r\n",
                                "GET /a.txt HTTP/1.1\r\nHost: t\r\nX: y\r\n folded\r\n\r\n",
                                "GET /a.txt HTTP/1.1\r\n\r\n", "GARBAGE\r\n\r\n"}) {
        HttpSession fresh(*site_, "t");
        ResponseBatch out;
        EXPECT_EQ(fresh.feed(request, out), std::string_view(request).size());
        auto r = parse(out);
        ASSERT_EQ(r.size(), 1u) << request;
        EXPECT_EQ(r[0].status, 400) << request;
        EXPECT_EQ(r[0].header("Connection"), "close");
        EXPECT_TRUE(fresh.closing());
    }
}

TEST_F(SessionTest, LimitsGive405_413_414_431) {
    Response post = get("/a.txt");  // warm
    {
        HttpSession fresh(*site_, "t");
        ResponseBatch out;
        (void)fresh.feed("DELETE /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", out);
        auto r = parse(out);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].status, 405);
        EXPECT_EQ(r[0].header("Allow"), "GET, HEAD");
        EXPECT_FALSE(fresh.closing());
    }
    auto refused = [&](const std::string& bytes) {
        HttpSession fresh(*site_, "t");
        ResponseBatch out;
        EXPECT_EQ(fresh.feed(bytes, out), bytes.size());
        EXPECT_TRUE(fresh.closing());
        auto r = parse(out);
        return r.size() == 1 ? r[0].status : -1;
    };
    EXPECT_EQ(refused("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n"), 413);
    EXPECT_EQ(refused("GET /" + std::string(kMaxRequestLine, 'a') + " HTTP/1.1\r\n\r\n"), 414);
    EXPECT_EQ(refused("GET /" + std::string(kMaxRequestLine, 'a')), 414);  // before it even ends
    std::string many = "GET / HTTP/1.1\r\nHost: t\r\n";
    while (many.size() <= kMaxHeaderBlock) many += "X-Filler: " + std::string(1000, 'f') + "\r\n";
    EXPECT_EQ(refused(many), 431);
    EXPECT_EQ(refused("GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(9000, 'x') + "\r\n\r\n"), 431);
    std::string whole = "GET / HTTP/1.1\r\nHost: t\r\n";  // complete, 40 KB: over the limit all the same
    for (int i = 0; i < 10; ++i) whole += "X-Many-" + std::to_string(i) + ": " + std::string(4000, 'm') + "\r\n";
    EXPECT_EQ(refused(whole + "\r\n"), 431);
    EXPECT_EQ(refused("GET / HTTP/2.0\r\nHost: t\r\n\r\n"), 505);
    log_.clear();
    EXPECT_EQ(refused("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n"), 413);
    ASSERT_FALSE(log_.empty());
    EXPECT_TRUE(log_.back().starts_with("t \"POST /up HTTP/1.1\" 413 ")) << log_.back();  // the request it refused
    EXPECT_TRUE(log_.back().ends_with("(the request body is larger than 1048576 bytes)")) << log_.back();
}

TEST_F(SessionTest, ConnectionLifetime) {
    {
        HttpSession s(*site_, "t");
        ResponseBatch out;
        (void)s.feed("GET /a.txt HTTP/1.0\r\n\r\nGET /a.txt HTTP/1.0\r\n\r\n", out);
        EXPECT_TRUE(s.closing());
        EXPECT_EQ(parse(out).size(), 1u);  // nothing after the response that closes
    }
    {
        HttpSession s(*site_, "t");
        ResponseBatch out;
        (void)s.feed("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", out);
        EXPECT_FALSE(s.closing());
        EXPECT_EQ(parse(out)[0].header("Connection"), "keep-alive");
    }
    {
        HttpSession s(*site_, "t");
        ResponseBatch out;
        (void)s.feed("GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n", out);
        EXPECT_TRUE(s.closing());
        EXPECT_EQ(parse(out)[0].header("Connection"), "close");
    }
    {
        HttpSession s(*site_, "t");
        ResponseBatch out;
        s.header_timeout(out);
        EXPECT_EQ(parse(out)[0].status, 408);
        EXPECT_TRUE(s.closing());
    }
}

TEST_F(SessionTest, StatusCountsWhatWasServed) {
    (void)get("/a.txt");
    (void)get("/nope");
    const Response json = get("/status.json");
    EXPECT_EQ(json.header("Content-Type"), "application/json");
    EXPECT_NE(json.body.find("\"requests\":2"), std::string::npos) << json.body;  // answered before this one
    EXPECT_NE(json.body.find("\"2xx\":1"), std::string::npos) << json.body;
    EXPECT_NE(json.body.find("\"4xx\":1"), std::string::npos) << json.body;
    const Response page = get("/status");
    EXPECT_NE(page.body.find("id=\"requests\">3<"), std::string::npos);
    EXPECT_NE(page.body.find("/status.json"), std::string::npos);
}

TEST_F(SessionTest, AnEditedFileIsServedNewWithinASecondOrTwo) {
    EXPECT_EQ(get("/a.txt").body, "hello, world\n");
    write(root_ / "a.txt", "changed, and longer\n");
    // The cache trusts an entry for the second it was checked in; poll until it rechecks.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string body;
    while (std::chrono::steady_clock::now() < deadline && (body = get("/a.txt").body) != "changed, and longer\n")
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a poll interval, not a wait
    EXPECT_EQ(body, "changed, and longer\n");
}

}  // namespace
}  // namespace weft::http
