#include "weft/socket/interface.hpp"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft {

namespace {

unsigned prefix_of(const sockaddr* mask) noexcept {
    if (mask == nullptr || mask->sa_family != AF_INET) return 32;
    const std::uint32_t bits = ntohl(reinterpret_cast<const sockaddr_in*>(mask)->sin_addr.s_addr);
    return static_cast<unsigned>(__builtin_popcount(bits));
}

}  // namespace

Expected<InterfaceInfo, std::string> interface_info(std::string_view name) {
    auto fail = [&](int error) {
        return Unexpected("interface '" + std::string(name) + "': " + std::strerror(error));
    };
    if (name.empty() || name.size() >= IF_NAMESIZE || name.find('\0') != std::string_view::npos) return fail(ENODEV);
    InterfaceInfo info;
    info.name = std::string(name);
    info.index = static_cast<int>(::if_nametoindex(info.name.c_str()));
    if (info.index == 0) return fail(errno);

    // The hardware address and the flags come from ioctls on any socket.
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(errno);
    ifreq request{};
    std::memcpy(request.ifr_name, info.name.data(), info.name.size());
    if (::ioctl(fd, SIOCGIFHWADDR, &request) == 0) {
        MacAddress::Bytes bytes{};
        std::memcpy(bytes.data(), request.ifr_hwaddr.sa_data, bytes.size());
        info.mac = MacAddress(bytes);
    }
    if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
        const int error = errno;
        ::close(fd);
        return fail(error);
    }
    ::close(fd);
    info.up = (request.ifr_flags & IFF_UP) != 0;
    info.running = (request.ifr_flags & IFF_RUNNING) != 0;
    info.loopback = (request.ifr_flags & IFF_LOOPBACK) != 0;

    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return fail(errno);
    for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET || info.name != a->ifa_name) continue;
        const std::uint32_t address = ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
        info.ipv4.emplace_back(Ipv4Address(address), prefix_of(a->ifa_netmask));
    }
    ::freeifaddrs(list);
    return info;
}

}  // namespace weft
