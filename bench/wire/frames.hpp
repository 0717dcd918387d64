#pragma once
// The frames every wire benchmark decodes: the seed's journey as it crosses the wire. IPv4
// header checksums are right; TCP/UDP checksums are left zero (decoding does not verify
// them, in weft or libtins). weft and libtins read the very same bytes.
#include <cstddef>
#include <string_view>
#include <vector>

namespace weft::bench {

// Ethernet / IPv4 (192.168.1.100 -> 172.194.72.105, DF) / TCP 51775 -> 80 PSH|ACK with
// NOP, NOP, timestamps (32-byte header) / "GET / HTTP/1.1" with Host, User-Agent, Accept.
inline constexpr std::string_view kTcpHttpFrameHex =
    "00112233445566778899aabb08004500007b1234400040067111c0a80164acc24869ca3f005000000002000003e98018"
    "01f6000000000101080a0000000100000002474554202f20485454502f312e310d0a486f73743a207777772e676f6f67"
    "6c652e636f6d0d0a557365722d4167656e743a20776566740d0a4163636570743a202a2f2a0d0a0d0a";
// A broadcast ARP request 10.0.0.1 -> who has 10.0.0.2, padded to 60 bytes.
inline constexpr std::string_view kArpFrameHex =
    "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002000000000000"
    "000000000000000000000000";
// Ethernet / IPv4 / UDP 53 -> 51775 / DNS: example.com MX answer, SOA authority, glue A;
// every name after the question compressed.
inline constexpr std::string_view kDnsFrameHex =
    "00112233445566778899aabb080045000090123440004011560d08080808c0a801640035ca3f007c0000123485800001"
    "000100010001076578616d706c6503636f6d00000f0001c00c000f000100000e100009000a046d61696cc00cc00c0006"
    "000100000e100026026e73c00c0a686f73746d6173746572c00c78a1c2d300001c2000000e1000093a8000000e10c02b"
    "0001000100000e1000045db8d822";
// Ethernet broadcast / IPv4 0.0.0.0 -> 255.255.255.255 / UDP 68 -> 67 / DHCPDISCOVER (300 bytes).
inline constexpr std::string_view kDhcpFrameHex =
    "ffffffffffff000b8201fc42080045000148123440004011277200000000ffffffff0044004301340000010106003903"
    "f3260000800000000000000000000000000000000000000b8201fc420000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000638253633501013d0701"
    "000b8201fc4232040000000037040103062aff0000000000000000000000000000000000000000000000000000000000"
    "000000000000";
// ICMP echo request (Windows ping: id 1, seq 1, 32 bytes of data).
inline constexpr std::string_view kIcmpEchoHex =
    "08004d5a000100016162636465666768696a6b6c6d6e6f7071727374757677616263646566676869";

inline std::vector<std::byte> from_hex(std::string_view hex) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    std::vector<std::byte> out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::byte>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    return out;
}

// Offsets of the layers inside the frames above (no VLAN tags, IPv4 without options).
inline constexpr std::size_t kEthHeader = 14;
inline constexpr std::size_t kIpv4Header = 20;
inline constexpr std::size_t kUdpHeader = 8;

}  // namespace weft::bench
