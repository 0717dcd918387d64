// Asio UDP echo server, Asio's own example idiom: async_receive_from, then async_send_to of
// the datagram back, then receive again (Asio tries each operation speculatively before it
// waits on epoll).
//
//   asio_udp_echo PORT
#include <array>
#include <cstdio>
#include <cstdlib>

#include <asio.hpp>

namespace {

using asio::ip::udp;

class Server {
public:
    Server(asio::io_context& io, unsigned short port)
        : socket_(io, udp::endpoint(asio::ip::address_v4::loopback(), port)) {
        receive();
    }

private:
    void receive() {
        socket_.async_receive_from(asio::buffer(data_), from_, [this](std::error_code ec, std::size_t n) {
            if (!ec) send(n);
            else receive();
        });
    }
    void send(std::size_t n) {
        socket_.async_send_to(asio::buffer(data_.data(), n), from_, [this](std::error_code, std::size_t) { receive(); });
    }
    udp::socket socket_;
    udp::endpoint from_;
    std::array<char, 65536> data_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: asio_udp_echo PORT\n");
        return 2;
    }
    try {
        asio::io_context io(1);
        Server server(io, static_cast<unsigned short>(std::atoi(argv[1])));
        io.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "asio_udp_echo: %s\n", e.what());
        return 1;
    }
}
