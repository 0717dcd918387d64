#pragma once
// What the kernel knows about a network interface: its index, its hardware (MAC) address, its
// IPv4 addresses and whether it is up. What a program needs before it speaks on a link
// itself: ARP asks "who has" from the interface's own MAC and address, DHCP sends from it.
//
//   auto eth = weft::interface_info("eth0");
//   if (!eth) std::cerr << eth.error() << '\n';   // "interface 'eth0': No such device"
//   else std::cout << eth->mac.to_string() << '\n';

#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/net/ipv4_network.hpp"
#include "weft/net/mac_address.hpp"

namespace weft {

/// What the kernel says about a network interface.
struct InterfaceInfo {
    std::string name;    ///< as `ip link` shows it
    int index = 0;       ///< if_nametoindex
    MacAddress mac;      ///< all zero for interfaces without one (lo)
    bool up = false;     ///< IFF_UP
    bool running = false;  ///< IFF_RUNNING: the link has a carrier
    bool loopback = false;  ///< IFF_LOOPBACK
    std::vector<Ipv4Network> ipv4;  ///< address/prefix pairs, in the kernel's order
};

/// The interface named `name`. Errors are one line naming it: "interface 'eth9': No such
/// device". Blocking but quick (ioctl and getifaddrs, no network I/O).
Expected<InterfaceInfo, std::string> interface_info(std::string_view name);

}  // namespace weft
