// weft TCP echo server for the ping-pong benchmark: TcpServer + one coroutine per connection
// reading into a 64 KiB buffer and writing back what it read.
//
//   weft_echo PORT [THREADS] [reuse_port|single_acceptor]
//
// Serves 127.0.0.1:PORT until SIGINT/SIGTERM.
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "weft/io/tcp_server.hpp"

namespace {

weft::Task<> echo(weft::TcpStream conn) {
    (void)conn.set_no_delay(true);
    std::vector<std::byte> buffer(65536);
    for (;;) {
        auto n = co_await conn.read_some(std::span(buffer));
        if (!n || *n == 0) break;
        if (!co_await conn.write_all(std::span(buffer).first(*n))) break;
    }
}

}  // namespace

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
    auto r = weft::serve_tcp(*at, options, echo);
    if (!r) {
        std::fprintf(stderr, "weft_echo: %s\n", r.error().message().c_str());
        return 1;
    }
    return 0;
}
