// The seed's first TCP server: accept one client, print what it says, answer "hi".
// Usage: tcp_server_hi [port]   (default 8898, as in the seed)
#include <iostream>
#include <string>

#include <weft/socket/socket.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8898;

    weft::Socket sk;                                        // sk = socket.socket()
    sk.bind({"127.0.0.1", port});                        // sk.bind(('127.0.0.1', 8898))
    sk.listen();                                            // sk.listen()
    auto [conn, addr] = sk.accept();                        // conn, addr = sk.accept()
    std::string ret = conn.recv(1024);                      // ret = conn.recv(1024)
    std::cout << ret << " from " << addr.to_string() << '\n';  // print(ret)
    conn.send("hi");                                        // conn.send(b'hi')
    conn.close();                                           // conn.close()
    sk.close();                                             // sk.close()
}
