// A program outside the weft tree, built against an installed weft with find_package(weft).
#include <iostream>

#include <weft/net/ipv4_network.hpp>
#include <weft/socket/socket.hpp>

int main() {
    auto network = weft::Ipv4Network::parse("172.16.10.1/24");
    weft::Socket sk;
    sk.bind({"127.0.0.1", 0});
    std::cout << network->network().to_string() << ' ' << sk.getsockname().endpoint().address().to_string() << '\n';
}
