// The seed's "phone" client: a talking loop over one connection. (The seed's
// `phone('has recv')` is a bug - a socket is not callable; the intent was a print.)
// Usage: tcp_talk_client [port]   (default 8080). Ends at end of input.
#include <iostream>
#include <string>

#include <weft/socket/socket.hpp>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 8080;

    weft::Socket phone(weft::Family::inet, weft::Type::stream);  // 1. buy a phone
    phone.connect({"127.0.0.1", port});                       // 2. dial
    std::string msg;
    while (std::cout << ">>: " << std::flush && std::getline(std::cin, msg)) {  // 3. talk
        if (msg.empty()) continue;
        phone.send(msg);                                         //    say something
        std::cout << "has send==>" << std::endl;
        std::string data = phone.recv(1024);                     //    listen
        if (data.empty()) break;                                 //    the other side hung up
        std::cout << "has recv" << std::endl;
        std::cout << data << std::endl;
    }
    phone.close();                                               // 4. hang up
}
