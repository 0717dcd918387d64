// The seed's TCP server with SO_REUSEADDR set before bind, so that a restarted server binds at
// once while the previous run's connections still sit in TIME_WAIT.
// Usage: tcp_server_reuseaddr [port]   (default 8898)
#include <iostream>
#include <string>

#include <weft/socket/socket.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8898;

    weft::Socket sk;                                        // sk = socket.socket()
    sk.setsockopt(weft::ReuseAddress{true});                // sk.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    sk.bind({"127.0.0.1", port});                        // sk.bind(('127.0.0.1', 8898))
    sk.listen();                                            // sk.listen()
    auto [conn, addr] = sk.accept();                        // conn, addr = sk.accept()
    std::string ret = conn.recv(1024);                      // ret = conn.recv(1024)
    std::cout << ret << " from " << addr.to_string() << '\n';  // print(ret)
    conn.send("hi");                                        // conn.send(b'hi')
    conn.close();                                           // conn.close()
    sk.close();                                             // sk.close()
}
