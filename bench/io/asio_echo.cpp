// Asio TCP echo server in Asio's classic idiom (the one its own examples and benchmarks use):
// completion handlers, async_read_some into a 64 KiB per-connection buffer, async_write of
// what was read. Callbacks rather than C++20 coroutines: no coroutine frame switch per
// operation, and Asio recycles the handler memory, so it is the faster of the two.
//
//   asio_echo PORT [THREADS]
//
// THREADS > 1: one io_context per thread (concurrency hint 1: no locking), each with its own
// SO_REUSEPORT acceptor. Ends on SIGTERM/SIGINT (default action).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include <asio.hpp>

namespace {

using asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket socket) : socket_(std::move(socket)), buffer_(65536) {}
    void start() {
        socket_.set_option(tcp::no_delay(true));
        read();
    }

private:
    void read() {
        socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
            if (!ec) self->write(n);
        });
    }
    void write(std::size_t n) {
        asio::async_write(socket_, asio::buffer(buffer_.data(), n), [self = shared_from_this()](std::error_code ec, std::size_t) {
            if (!ec) self->read();
        });
    }
    tcp::socket socket_;
    std::vector<char> buffer_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](std::error_code ec, tcp::socket socket) {
        if (!ec) std::make_shared<Session>(std::move(socket))->start();
        accept(acceptor);
    });
}

void serve(unsigned short port) {
    asio::io_context io(1);
    tcp::acceptor acceptor(io);
    const tcp::endpoint at(asio::ip::address_v4::loopback(), port);
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.set_option(reuse_port(true));
    acceptor.bind(at);
    acceptor.listen(4096);
    accept(acceptor);
    io.run();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: asio_echo PORT [THREADS]\n");
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    try {
        std::vector<std::thread> pool;
        for (int i = 1; i < threads; ++i) pool.emplace_back(serve, port);
        serve(port);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "asio_echo: %s\n", e.what());
        return 1;
    }
}
