#pragma once
// tcpdump's filter language ("tcp port 80 and host 198.18.0.2") compiled to a classic BPF
// program that a packet socket runs in the kernel (SO_ATTACH_FILTER), so the frames a capture
// does not want are never copied to it. The compiler is libpcap's own (pcap_compile on a
// "dead" handle: no device is opened), so an expression means exactly what it means to
// tcpdump.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <linux/filter.h>

#include "weft/expected.hpp"

namespace weft::capture {

/// The program for Ethernet frames (what AF_PACKET sockets see on Ethernet links, veth and
/// lo included) captured up to `snaplen` bytes. An empty expression matches every frame. The
/// error is libpcap's, with the expression: "invalid filter 'tcp prot 80': syntax error".
Expected<std::vector<sock_filter>, std::string> compile_filter(std::string_view expression,
                                                               std::uint32_t snaplen = 262144);

}  // namespace weft::capture
