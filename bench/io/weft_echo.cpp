// weft TCP echo server for the ping-pong benchmark: exactly what `weft tcp serve` runs, the echo
// service of services/echo (one coroutine per connection on TcpServer, reading into the loop's
// shared 64 KiB buffer with read_lent and answering with try_write; only a reply the kernel
// cannot take at once is copied into the connection for write_all).
//
//   weft_echo PORT [THREADS] [reuse_port|single_acceptor]
//
// Serves 127.0.0.1:PORT until SIGINT/SIGTERM.
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <string>

#include "weft/io/tcp_server.hpp"
#include "weft/services/echo.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: weft_echo PORT [THREADS] [reuse_port|single_acceptor]\n");
        return 2;
    }
    auto at = weft::Endpoint::parse(std::string("127.0.0.1:") + argv[1]);
    if (!at) {
        std::fprintf(stderr, "weft_echo: bad port '%s'\n", argv[1]);
        return 2;
    }
    weft::ServerOptions options;
    options.threads = argc > 2 ? static_cast<std::size_t>(std::atoi(argv[2])) : 1;
    options.drain_timeout = std::chrono::milliseconds(100);
    if (argc > 3 && std::string(argv[3]) == "single_acceptor") options.accept_mode = weft::AcceptMode::single_acceptor;
    auto r = weft::serve_tcp(*at, options, weft::tcp_echo_handler(weft::EchoMode::echo));
    if (!r) {
        std::fprintf(stderr, "weft_echo: %s\n", r.error().message().c_str());
        return 1;
    }
    return 0;
}
