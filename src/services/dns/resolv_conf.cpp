// The default server of a stub resolver: the first `nameserver` of resolv.conf(5).
#include <fstream>
#include <sstream>

#include "weft/services/dns/resolver.hpp"

namespace weft::dns {

Expected<Endpoint, std::string> nameserver_from_resolv_conf(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Unexpected(std::string("cannot read ") + path + " (no default DNS server; give --server)");
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        // resolv.conf(5): a line starting with ';' or '#' is a comment; glibc also stops a
        // keyword's value at either, so a comment after the address is cut the same way.
        line = line.substr(0, line.find_first_of("#;"));
        std::istringstream words(line);
        std::string keyword, address;
        if (!(words >> keyword) || keyword != "nameserver") continue;
        if (!(words >> address))
            return Unexpected(path + ":" + std::to_string(number) + ": nameserver line without an address");
        auto ip = IpAddress::parse(address);
        if (!ip) return Unexpected(path + ":" + std::to_string(number) + ": " + ip.error().message);
        return Endpoint(*ip, 53);
    }
    return Unexpected(std::string("no nameserver line in ") + path + " (give --server)");
}

}  // namespace weft::dns
