// services/http/http_client against scripted loopback servers: a thread with a weft::Socket
// that reads each request head and then sends exactly the bytes it was told, in the pieces
// it was told, and closes or waits, so that every framing and every failure is reproducible.
#include "weft/services/http/http_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/socket/socket.hpp"

using namespace std::chrono_literals;

namespace weft::http {
namespace {

// What the server does on one connection once the request head is in.
struct Reply {
    std::vector<std::string> writes{};  // each sent with its own sendall, in order
    bool wait_for_close{false};         // then read until the client closes, instead of closing
};

class ScriptedServer {
public:
    explicit ScriptedServer(Family family = Family::inet) : listener_(family) {
        listener_.setsockopt(ReuseAddress{true});
        if (family == Family::inet6) listener_.bind({Ipv6Address::loopback(), 0});
        else listener_.bind({Ipv4Address::loopback(), 0});
        listener_.listen();
        // Bounds a test whose client never comes: the thread gives up instead of hanging.
        listener_.settimeout(10s);
        host_ = family == Family::inet6 ? "::1" : "127.0.0.1";
    }
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;
    ~ScriptedServer() { join(); }

    std::uint16_t port() const { return listener_.getsockname().endpoint().port(); }
    Url url(std::string target) const {
        Url u;
        u.host = host_;
        u.port = port();
        u.target = std::move(target);
        return u;
    }
    std::string host_port() const { return url("/").host_port(); }

    /// Serves one connection per reply, in order, on a thread of its own.
    void serve(std::vector<Reply> replies) {
        thread_ = std::thread([this, replies = std::move(replies)] {
            try {
                for (const Reply& reply : replies) answer(reply);
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex_);
                error_ = e.what();
            }
        });
    }
    /// Waits for the script to end; then requests() and error() are final.
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::string error() {
        std::lock_guard lock(mutex_);
        return error_;
    }

private:
    void answer(const Reply& reply) {
        auto [conn, peer] = listener_.accept();
        conn.settimeout(10s);
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
            std::string part = conn.recv(4096);
            if (part.empty()) throw std::runtime_error("client closed before its request head ended");
            request += part;
        }
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
        }
        for (const std::string& w : reply.writes) conn.sendall(w);
        if (reply.wait_for_close) {
            try {
                while (!conn.recv(4096).empty()) {
                }
            } catch (const SocketError&) {
                // A reset is a close too.
            }
        }
    }

    Socket listener_;
    std::string host_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> requests_;
    std::string error_;
};

// The body and what the callbacks saw.
struct Collected {
    std::string body;
    std::size_t largest_piece = 0;
    std::vector<int> heads;  // statuses given to on_head, in order
    std::uint64_t last_progress = 0;
    std::optional<std::uint64_t> progress_total;
};

GetOptions collecting(Collected& c) {
    GetOptions o;
    o.timeout = 10s;
    o.on_head = [&c](const ResponseInfo& r) { c.heads.push_back(r.status); };
    o.on_body = [&c](std::span<const std::byte> data) {
        c.body.append(reinterpret_cast<const char*>(data.data()), data.size());
        c.largest_piece = std::max(c.largest_piece, data.size());
    };
    o.on_progress = [&c](std::uint64_t got, std::optional<std::uint64_t> total) {
        c.last_progress = got;
        c.progress_total = total;
    };
    return o;
}

std::string header(const ResponseInfo& r, std::string_view name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return "<none>";
}

TEST(HttpGet, SendsAMinimalHttp11RequestAndReadsAContentLengthBody) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\n\r\nhello"}}});
    Collected c;
    auto r = http_get(server.url("/path?q=1"), collecting(c));
    ASSERT_TRUE(r) << r.error();
    server.join();
    EXPECT_EQ(server.error(), "");
    ASSERT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(server.requests()[0], "GET /path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                                        "\r\nUser-Agent: weft/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->reason, "OK");
    EXPECT_EQ(r->version, "HTTP/1.1");
    EXPECT_EQ(header(*r, "X-Test"), "yes");
    EXPECT_EQ(r->content_length, 5u);
    EXPECT_EQ(r->body_bytes, 5u);
    EXPECT_EQ(r->peer, server.host_port());
    EXPECT_EQ(c.body, "hello");
    EXPECT_EQ(c.heads, std::vector<int>{200});
    EXPECT_EQ(c.last_progress, 5u);
    EXPECT_EQ(c.progress_total, 5u);
}

TEST(HttpGet, StreamsALargeBodyInBoundedPieces) {
    std::string body(4 << 20, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + i / 4096);
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n", body}}});
    Collected c;
    auto r = http_get(server.url("/big"), collecting(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->body_bytes, body.size());
    EXPECT_TRUE(c.body == body) << "the body differs";
    EXPECT_LE(c.largest_piece, kHttpClientReadSize);  // streamed, never gathered whole
    EXPECT_EQ(c.last_progress, body.size());
}

TEST(HttpGet, DecodesAChunkedBodySplitAcrossWrites) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nTransfer-", "Encoding: chunked\r\n\r\n5\r", "\nhel", "lo\r\n1",
                    "0;ext=1\r\n0123456789abcdef\r", "\n0\r\nTrailer: x\r\n", "\r\n"}}});
    Collected c;
    auto r = http_get(server.url("/"), collecting(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(c.body, "hello0123456789abcdef");
    EXPECT_EQ(r->body_bytes, 21u);
    EXPECT_EQ(r->content_length, std::nullopt);
    EXPECT_EQ(c.progress_total, std::nullopt);
}

TEST(HttpGet, ReadsACloseDelimitedBodyUntilTheEnd) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ", "second"}}});
    Collected c;
    auto r = http_get(server.url("/"), collecting(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->version, "HTTP/1.0");
    EXPECT_EQ(c.body, "first second");
    EXPECT_EQ(r->content_length, std::nullopt);
}

TEST(HttpGet, SkipsInterimResponsesAndReadsNoBodyWhereThereIsNone) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n",
                    "HTTP/1.1 204 No Content\r\n\r\n"},
                   true}});
    Collected c;
    // The server keeps the connection open: a 204 has no body, so nothing waits for a close.
    auto r = http_get(server.url("/"), collecting(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 204);
    EXPECT_EQ(r->content_length, 0u);
    EXPECT_EQ(c.heads, std::vector<int>{204});
    EXPECT_EQ(c.body, "");
}

TEST(HttpGet, WithoutFollowingARedirectIsTheResponse) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 301 Moved Permanently\r\nLocation: /b\r\nContent-Length: 5\r\n\r\nmoved"}}});
    Collected c;
    auto r = http_get(server.url("/a"), collecting(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 301);
    EXPECT_EQ(header(*r, "Location"), "/b");
    EXPECT_EQ(c.body, "moved");
    EXPECT_TRUE(r->redirects.empty());
}

TEST(HttpGet, FollowsARedirectChainWhenAsked) {
    ScriptedServer server;
    const std::string absolute = "http://127.0.0.1:" + std::to_string(server.port()) + "/c/../d";
    server.serve({
        {{"HTTP/1.1 301 Moved Permanently\r\nLocation: /b/x\r\nContent-Length: 5\r\n\r\nmoved"}},
        {{"HTTP/1.1 302 Found\r\nLocation: ../c?y=1\r\nContent-Length: 0\r\n\r\n"}},
        {{"HTTP/1.1 307 Temporary Redirect\r\nLocation: " + absolute + "\r\nContent-Length: 0\r\n\r\n"}},
        {{"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"}},
    });
    Collected c;
    GetOptions o = collecting(c);
    o.follow_redirects = true;
    auto r = http_get(server.url("/a"), o);
    ASSERT_TRUE(r) << r.error();
    server.join();
    EXPECT_EQ(server.error(), "");
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(c.body, "done");  // only the final body reaches on_body
    EXPECT_EQ(c.heads, (std::vector<int>{301, 302, 307, 200}));
    ASSERT_EQ(r->redirects.size(), 3u);
    EXPECT_EQ(r->redirects[0].url.target, "/a");
    EXPECT_EQ(r->redirects[0].status, 301);
    EXPECT_EQ(r->redirects[0].location.target, "/b/x");
    EXPECT_EQ(r->redirects[1].location.target, "/c?y=1");
    EXPECT_EQ(r->redirects[2].location.target, "/d");
    EXPECT_EQ(r->url.target, "/d");
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(requests[1].substr(0, 16), "GET /b/x HTTP/1.");
    EXPECT_EQ(requests[2].substr(0, 18), "GET /c?y=1 HTTP/1.");
    EXPECT_EQ(requests[3].substr(0, 14), "GET /d HTTP/1.");
}

TEST(HttpGet, StopsAfterTheRedirectCap) {
    ScriptedServer server;
    server.serve({
        {{"HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n"}},
        {{"HTTP/1.1 302 Found\r\nLocation: /c\r\nContent-Length: 0\r\n\r\n"}},
    });
    GetOptions o;
    o.timeout = 10s;
    o.follow_redirects = true;
    o.max_redirects = 1;
    auto r = http_get(server.url("/a"), o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("too many redirects: more than 1"), std::string::npos) << r.error();
}

TEST(HttpGet, RefusesARedirectToHttps) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 301 Moved\r\nLocation: https://example.com/\r\nContent-Length: 0\r\n\r\n"}}});
    GetOptions o;
    o.timeout = 10s;
    o.follow_redirects = true;
    auto r = http_get(server.url("/"), o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("https is not supported"), std::string::npos) << r.error();
}

TEST(HttpGet, ABodyCutShortIsAnError) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", std::string(40, 'x')}}});
    Collected c;
    auto r = http_get(server.url("/"), collecting(c));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "connection closed by " + server.host_port() + " after 40 of 100 body bytes");
    EXPECT_EQ(c.body.size(), 40u);  // what arrived was still streamed
}

TEST(HttpGet, AChunkedBodyCutShortIsAnError) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"}}});
    auto r = http_get(server.url("/"), {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("in the middle of the chunked body"), std::string::npos) << r.error();
}

TEST(HttpGet, BadChunkedDataIsAnErrorNamingTheOffset) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"}}});
    auto r = http_get(server.url("/"), {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("bad chunked body from " + server.host_port()), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("at offset 8 of the body"), std::string::npos) << r.error();
}

TEST(HttpGet, AMalformedHeadIsAnError) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\nContent-Length: 0\n\n"}}});  // bare LF
    auto r = http_get(server.url("/"), {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("bad response head from " + server.host_port()), std::string::npos) << r.error();
}

TEST(HttpGet, AServerThatClosesWithoutAnsweringIsAnError) {
    ScriptedServer server;
    server.serve({{}});
    auto r = http_get(server.url("/"), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "connection closed by " + server.host_port() + " before any response");
}

TEST(HttpGet, TimesOutOnAServerThatNeverAnswers) {
    ScriptedServer server;
    server.serve({{{}, true}});
    GetOptions o;
    o.timeout = 1s;  // room to connect on a loaded machine: the head is what it must time out on
    const auto start = std::chrono::steady_clock::now();
    auto r = http_get(server.url("/"), o);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "timed out after 1 s waiting for the response head from " + server.host_port());
    EXPECT_LT(took, 5s);  // generous: only a call that ignores its deadline fails this
}

TEST(HttpGet, TheDeadlineCoversTheBody) {
    ScriptedServer server;
    server.serve({{{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"}, true}});
    GetOptions o;
    // Room to connect and read the head on a loaded machine: the body is what it must time out on.
    o.timeout = 2s;
    auto r = http_get(server.url("/"), o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(),
              "timed out after 2 s reading the body from " + server.host_port() + " (10 of 100 bytes)");
}

TEST(HttpGet, AClosedPortIsConnectionRefused) {
    Socket bound;  // bound but not listening: the port is ours and refuses
    bound.bind({Ipv4Address::loopback(), 0});
    Url url;
    url.host = "127.0.0.1";
    url.port = bound.getsockname().endpoint().port();
    auto r = http_get(url, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "connect 127.0.0.1:" + std::to_string(url.port) + ": Connection refused");
}

TEST(HttpGet, AnUnresolvableNameIsAnError) {
    Url url;
    url.host = "nosuch.invalid";  // RFC 6761: fails without asking DNS
    auto r = http_get(url, {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("nosuch.invalid:80"), std::string::npos) << r.error();
}

TEST(HttpGet, ConnectsByNameAndOverIpv6) {
    ScriptedServer v4;
    v4.serve({{{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv4"}}});
    Url by_name = v4.url("/");
    by_name.host = "localhost";  // maybe ::1 first: that refusal must move on to 127.0.0.1
    Collected c;
    auto r = http_get(by_name, collecting(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(c.body, "v4");
    EXPECT_EQ(v4.requests().at(0).find("Host: localhost:" + std::to_string(v4.port()) + "\r\n") != std::string::npos,
              true);

    std::unique_ptr<ScriptedServer> v6;
    try {
        v6 = std::make_unique<ScriptedServer>(Family::inet6);
    } catch (const SocketError& e) {
        GTEST_SKIP() << "no IPv6 loopback: " << e.what();
    }
    v6->serve({{{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6"}}});
    Collected c6;
    auto r6 = http_get(v6->url("/"), collecting(c6));
    ASSERT_TRUE(r6) << r6.error();
    EXPECT_EQ(c6.body, "v6");
    EXPECT_EQ(r6->peer, "[::1]:" + std::to_string(v6->port()));
    v6->join();
    EXPECT_NE(v6->requests().at(0).find("Host: [::1]:" + std::to_string(v6->port()) + "\r\n"), std::string::npos);
}

}  // namespace
}  // namespace weft::http
