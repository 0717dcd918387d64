// weft UDP echo server: exactly what `weft udp serve --mode echo` runs, the echo service's
// datagram handler on UdpServer, which answers in batches (recvmmsg, then one sendmmsg).
//
//   weft_udp_echo PORT
#include <cstdio>
#include <string>

#include "weft/io/udp_server.hpp"
#include "weft/services/echo.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: weft_udp_echo PORT\n");
        return 2;
    }
    auto at = weft::Endpoint::parse(std::string("127.0.0.1:") + argv[1]);
    if (!at) {
        std::fprintf(stderr, "weft_udp_echo: bad port '%s'\n", argv[1]);
        return 2;
    }
    auto r = weft::serve_udp(*at, weft::udp_echo_handler(weft::EchoMode::echo));
    if (!r) {
        std::fprintf(stderr, "weft_udp_echo: %s\n", r.error().message().c_str());
        return 1;
    }
    return 0;
}
