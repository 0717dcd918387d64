// HttpServer over real sockets: keep-alive, a request cut in pieces, the header timeout and
// the graceful stop, the last two also while busy loops hold both cores.
#include "weft/services/http/http_server.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "../../io/test_support.hpp"

namespace weft::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Spinning threads, one per core, that the test starts and stops; each also stops by itself
// after `limit`, so a failing test cannot leave the machine busy.
class BusyLoops {
public:
    explicit BusyLoops(std::chrono::seconds limit = 30s) {
        const unsigned n = std::max(2u, std::thread::hardware_concurrency());
        const auto end = std::chrono::steady_clock::now() + limit;
        for (unsigned i = 0; i < n; ++i)
            threads_.emplace_back([this, end] {
                volatile std::uint64_t x = 0;
                while (!stop_.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < end)
                    for (int k = 0; k < 10000; ++k) x = x + 1;
            });
    }
    ~BusyLoops() {
        stop_ = true;
        for (auto& t : threads_) t.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
};

class HttpServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char base[] = "/tmp/weft-http-server-test-XXXXXX";
        ASSERT_NE(::mkdtemp(base), nullptr);
        root_ = base;
        std::ofstream(root_ / "a.txt") << "hello\n";
        big_.resize(3'000'000);
        for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>(i * 7 % 251);
        std::ofstream(root_ / "big.bin", std::ios::binary) << big_;
    }
    void TearDown() override {
        server_.reset();
        fs::remove_all(root_);
    }
    void start(HttpServerOptions options = {}) {
        auto site = Site::open(root_.string());
        ASSERT_TRUE(site) << site.error();
        auto server = HttpServer::start(Endpoint("127.0.0.1", 0), *site, options);
        ASSERT_TRUE(server) << server.error().message();
        server_ = std::move(*server);
        port_ = server_->local_endpoint().port();
    }

    fs::path root_;
    std::string big_;
    std::unique_ptr<HttpServer> server_;
    std::uint16_t port_ = 0;
};

const std::string kGet = "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string kHello = "HTTP/1.1 200 OK";

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
    start();
    const int fd = test::connect_blocking(port_);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(test::send_all(fd, kGet));
        std::string got;
        char buf[4096];
        while (got.find("hello\n") == std::string::npos) {
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            ASSERT_GT(n, 0) << "request " << i;
            got.append(buf, static_cast<std::size_t>(n));
        }
        EXPECT_EQ(got.substr(0, kHello.size()), kHello);
    }
    ::close(fd);
    EXPECT_TRUE(test::eventually([&] { return server_->stats().connections == 0; }));
    EXPECT_EQ(server_->stats().accepted, 1u);
    EXPECT_EQ(server_->stats().requests, 20u);
}

TEST_F(HttpServerTest, ARequestCutIntoBytesAndABigFilePipelinedBehindIt) {
    start();
    const int fd = test::connect_blocking(port_);
    ASSERT_GE(fd, 0);
    const std::string both = "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" + kGet + "GET /a.txt HTTP/1.0\r\n\r\n";
    for (const char c : both) ASSERT_TRUE(test::send_all(fd, std::string_view(&c, 1)));
    bool eof = false;
    const std::string got = test::recv_until_eof(fd, eof);
    ::close(fd);
    EXPECT_TRUE(eof);  // HTTP/1.0: closed after the last response
    const std::size_t body = got.find("\r\n\r\n") + 4;
    ASSERT_GT(got.size(), body + big_.size());
    EXPECT_TRUE(got.compare(body, big_.size(), big_) == 0);
    const std::string rest = got.substr(body + big_.size());
    EXPECT_EQ(rest.substr(0, kHello.size()), kHello);
    EXPECT_NE(rest.find("hello\n"), std::string::npos);
    EXPECT_EQ(rest.rfind("hello\n"), rest.size() - 6);
    EXPECT_NE(rest.find("Connection: close"), std::string::npos);
}

void expect_408_then_close(std::uint16_t port) {
    const int fd = test::connect_blocking(port, 10s);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(test::send_all(fd, "GET /a.txt HTTP/1.1\r\nHo"));
    bool eof = false;
    const auto begun = std::chrono::steady_clock::now();
    const std::string got = test::recv_until_eof(fd, eof);
    ::close(fd);
    EXPECT_TRUE(eof);
    EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
    EXPECT_LT(std::chrono::steady_clock::now() - begun, 8s);  // it came, and not by an idle timer
}

TEST_F(HttpServerTest, AStalledHeadGets408AndOthersAreServedMeanwhile) {
    start({.threads = 1, .header_timeout = 300ms, .keep_alive_timeout = 20s});
    std::vector<int> stalled;
    for (int i = 0; i < 50; ++i) {
        const int fd = test::connect_blocking(port_);
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(test::send_all(fd, "GET / HTTP/1.1\r\nX: "));
        stalled.push_back(fd);
    }
    const int fd = test::connect_blocking(port_);
    ASSERT_TRUE(test::send_all(fd, kGet));
    EXPECT_EQ(test::recv_n(fd, kHello.size()), kHello);
    ::close(fd);
    for (const int s : stalled) {
        bool eof = false;
        EXPECT_EQ(test::recv_until_eof(s, eof).substr(0, 12), "HTTP/1.1 408");
        ::close(s);
    }
    expect_408_then_close(port_);
}

TEST_F(HttpServerTest, HeaderTimeoutHoldsUnderCpuLoad) {
    start({.threads = 2, .header_timeout = 300ms, .keep_alive_timeout = 20s});
    BusyLoops load;
    expect_408_then_close(port_);
}

TEST_F(HttpServerTest, AnIdleKeepAliveConnectionIsClosed) {
    start({.threads = 1, .header_timeout = 5s, .keep_alive_timeout = 300ms});
    const int fd = test::connect_blocking(port_, 10s);
    ASSERT_TRUE(test::send_all(fd, kGet));
    bool eof = false;
    const std::string got = test::recv_until_eof(fd, eof);
    ::close(fd);
    EXPECT_TRUE(eof);
    EXPECT_EQ(got.substr(0, kHello.size()), kHello);
    EXPECT_EQ(got.find("408"), std::string::npos);  // idle between requests: closed, no 408
}

// A stop while a request is half-sent: the request is still answered, then the connection
// closes; an idle keep-alive connection is closed at once.
void graceful_stop_answers_the_request_in_progress(HttpServer& server, std::uint16_t port) {
    const int idle = test::connect_blocking(port, 10s);
    const int busy = test::connect_blocking(port, 10s);
    ASSERT_TRUE(test::send_all(idle, kGet));
    EXPECT_EQ(test::recv_n(idle, kHello.size()), kHello);
    ASSERT_TRUE(test::send_all(busy, "GET /a.txt HTTP/1.1\r\n"));
    ASSERT_TRUE(test::eventually([&] { return server.stats().connections == 2; }));
    // Whether or not the server has read the partial head yet, the stop sees a connection
    // mid-exchange: unread bytes in its receive queue (loopback queues them before send()
    // returns), or a head held and marked mid-message.
    std::thread stopper([&] { server.stop(); });
    bool eof = false;
    (void)test::recv_until_eof(idle, eof);
    EXPECT_TRUE(eof);  // closed by the stop
    ::close(idle);     // the server lingers for our FIN (TcpServer's "Ending a connection")
    ASSERT_TRUE(test::send_all(busy, "Host: t\r\n\r\n"));
    const std::string got = test::recv_until_eof(busy, eof);
    EXPECT_TRUE(eof);
    EXPECT_EQ(got.substr(0, kHello.size()), kHello) << got;
    EXPECT_NE(got.find("hello\n"), std::string::npos);
    ::close(busy);
    stopper.join();
    server.wait();
}

TEST_F(HttpServerTest, GracefulStopAnswersTheRequestInProgress) {
    start({.threads = 1});
    graceful_stop_answers_the_request_in_progress(*server_, port_);
}

TEST_F(HttpServerTest, GracefulStopUnderCpuLoad) {
    start({.threads = 2});
    BusyLoops load;
    graceful_stop_answers_the_request_in_progress(*server_, port_);
}

}  // namespace
}  // namespace weft::http
