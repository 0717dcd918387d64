// The seed's echo server as a coroutine on weft's event-driven core. It reads like the seed's
// blocking talking loop (recv, then send it back, until the client hangs up), but every
// connection is a coroutine: one thread per core serves thousands of clients at once.
// Usage: async_echo_server [port]   (default 8898, as in the seed; Ctrl-C stops it gracefully)
#include <array>
#include <cstddef>
#include <iostream>
#include <span>
#include <string>

#include <weft/io/tcp_server.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8898;
    std::cout << "echo server on 127.0.0.1:" << port << " (Ctrl-C to stop)" << std::endl;

    // sk.bind(('127.0.0.1', 8898)); sk.listen(); and for each client, at once:
    // Two loops, so two handlers may run at once: this one shares nothing, so needs no lock.
    auto served = weft::serve_tcp({"127.0.0.1", port}, {.threads = 2},
                                  [](weft::TcpStream conn) -> weft::Task<> {
        std::array<std::byte, 4096> buf;
        while (std::size_t n = (co_await conn.read_some(buf)).value_or(0))  // data = conn.recv(4096)
            if (!co_await conn.write_all(std::span(buf).first(n)))          // conn.sendall(data)
                break;
    });  // returns after SIGINT/SIGTERM, once the connections have drained

    if (!served) {
        std::cerr << "async_echo_server: 127.0.0.1:" << port << ": " << served.error().message() << '\n';
        return 1;
    }
}
