// The seed's UDP client: each line typed becomes a datagram; the server's answer is printed.
// Usage: udp_client [port]   (default 8080). Ends at end of input.
#include <iostream>
#include <string>

#include <weft/socket/socket.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8080;
    const weft::SocketAddress server{"127.0.0.1", port};

    weft::Socket udp_client(weft::Family::inet, weft::Type::datagram);  // socket(AF_INET, SOCK_DGRAM)
    std::string msg;
    while (std::cout << ">>:" << std::flush && std::getline(std::cin, msg)) {  // msg = input('>>:')
        udp_client.sendto(msg, server);                                 // sendto(msg.encode(), addr)
        auto [conn, addr] = udp_client.recvfrom(1024);                  // conn, addr = recvfrom(1024)
        std::cout << conn << std::endl;                                 // print(conn.decode())
    }
}
