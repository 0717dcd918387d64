#pragma once
// The seed's "open a web page" journey, built offline as the Ethernet frames that would cross
// the host's link, in order: DHCP (DISCOVER, OFFER, REQUEST, ACK), ARP for the gateway, DNS for
// www.google.com, the TCP three-way handshake, the 4960-byte HTTP GET (IP fragments by
// default, MSS-sized TCP segments with `segment`), an HTTP response, the four-way close.
// Pure: nothing is sent; every checksum is correct. What `weft explain` shows and writes.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"

namespace weft::wire {

/// The smallest MTU every IPv4 link must carry (RFC 791: 60-byte header + 8 bytes of data).
inline constexpr std::size_t kJourneyMinMtu = 68;
inline constexpr std::size_t kJourneyMaxMtu = 65535;  ///< the largest IPv4 datagram
/// The seed's numbers: the HTTP GET, its TCP segment and its IPv4 datagram.
inline constexpr std::size_t kJourneyRequestSize = 4960;

/// How build_journey builds the frames.
struct JourneyOptions {
    std::size_t mtu = 1500;  ///< kJourneyMinMtu..kJourneyMaxMtu
    /// false: as in the seed, no MSS option and the GET's datagram (DF clear) fragmented by
    /// IP. true: what a real stack does: MSS = mtu - 40 in SYN and SYN/ACK, DF set, the GET
    /// in MSS-sized TCP segments.
    bool segment = false;
};

/// One frame of the journey, with what it is for.
struct JourneyFrame {
    std::string step;  ///< dhcp, arp, dns, tcp-open, http, tcp-close
    std::string note;  ///< one sentence: what this frame does
    std::chrono::nanoseconds time{0};  ///< since the journey's first frame
    std::vector<std::byte> bytes;      ///< the Ethernet frame, without FCS (as captures hold it)
};

/// The addresses the journey uses (the seed's; MACs locally administered).
struct JourneyHosts {
    static constexpr Ipv4Address kClient{192, 168, 1, 100};  ///< the host that opens the page
    static constexpr Ipv4Address kNetmask{255, 255, 255, 0};  ///< the client's /24
    static constexpr Ipv4Address kGateway{192, 168, 1, 1};  ///< also the DHCP server
    static constexpr Ipv4Address kDns{8, 8, 8, 8};  ///< the DNS server asked
    static constexpr Ipv4Address kServer{172, 194, 72, 105};  ///< the web server
    static constexpr std::uint16_t kClientPort = 51775;  ///< the client's TCP port
    static constexpr std::uint16_t kServerPort = 80;  ///< HTTP
    static constexpr MacAddress kClientMac{MacAddress::Bytes{0x02, 0x00, 0x00, 0x00, 0x01, 0x64}};  ///< the client's NIC
    static constexpr MacAddress kGatewayMac{MacAddress::Bytes{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};  ///< the gateway's NIC
};

/// The frames of the journey. Throws std::invalid_argument for an MTU outside
/// kJourneyMinMtu..kJourneyMaxMtu (the message names it and the range).
std::vector<JourneyFrame> build_journey(const JourneyOptions& options = {});

/// The 4960-byte GET request of the journey (the seed's headers, a long Cookie filling up).
std::string journey_http_request();

}  // namespace weft::wire
