// The seed's first TCP client: connect, say "hello!", print the answer.
// Usage: tcp_client_hello [port]   (default 8898)
#include <iostream>
#include <string>

#include <weft/socket/socket.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8898;

    weft::Socket sk;                                        // sk = socket.socket()
    sk.connect({"127.0.0.1", port});                     // sk.connect(('127.0.0.1', 8898))
    sk.send("hello!");                                      // sk.send(b'hello!')
    std::string ret = sk.recv(1024);                        // ret = sk.recv(1024)
    std::cout << ret << '\n';                               // print(ret)
    sk.close();                                             // sk.close()
}
