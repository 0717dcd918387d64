// ARP for IPv4 over Ethernet: parse; a parsed packet rebuilds to its first 28 bytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "weft/wire/arp.hpp"

using namespace weft::wire;
using weft::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto p = ArpPacket::parse(input);
    if (!p) return 0;
    check(size >= kArpPacketSize, "accepted a short packet");
    check(weft::fuzz::same(p->build(), input.first(kArpPacketSize)), "arp build(parse(x)) == x");
    return 0;
}
