// The seed's UDP server: every datagram goes back to its sender in upper case.
// Usage: udp_server_upper [port]   (default 8080). Runs until interrupted.
#include <cctype>
#include <iostream>
#include <string>

#include <weft/socket/socket.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8080;

    weft::Socket udp_server(weft::Family::inet, weft::Type::datagram);  // socket(AF_INET, SOCK_DGRAM)
    udp_server.bind({"127.0.0.1", port});                            // bind((host_ip, host_port))
    for (;;) {                                                          // while True:
        auto [conn, addr] = udp_server.recvfrom(1024);                  //   conn, addr = recvfrom(1024)
        std::cout << conn << ' ' << addr.to_string() << std::endl;      //   print(conn, addr)
        for (char& c : conn) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        udp_server.sendto(conn, addr);                                  //   sendto(conn.upper(), addr)
    }
}
