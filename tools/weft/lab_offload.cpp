// Transmit checksum offload off on the lab's veths. With it on, Linux leaves the TCP and UDP
// checksums for the NIC to fill in; a veth has no NIC, hands the packet over marked as
// checked, and every capture holds an unfinished sum. iproute2 cannot change device features,
// so this is the one step done by an ioctl (ETHTOOL_STXCSUM, what `ethtool -K DEV tx off` sends).
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab_netns.hpp"

namespace weft::cli::lab {

void disable_tx_checksum_offload(std::string_view ns, std::string_view dev) {
    const std::string name(dev);
    in_namespace(ns, [name, where = std::string(ns)] {
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error("socket in " + where + ": " + std::strerror(errno));
        ethtool_value value{};
        value.cmd = ETHTOOL_STXCSUM;
        value.data = 0;
        ifreq request{};
        std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
        request.ifr_data = reinterpret_cast<char*>(&value);
        const int rc = ::ioctl(fd, SIOCETHTOOL, &request);
        const int saved = errno;
        ::close(fd);
        if (rc != 0)
            throw std::runtime_error("ethtool tx checksum offload off on " + where + " " + name + ": " +
                                     std::strerror(saved));
    }).get();
}

}  // namespace weft::cli::lab
