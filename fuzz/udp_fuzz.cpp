// UDP: parse -> build (checksum kept) -> parse gives the same datagram; a computed checksum
// verifies.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "weft/wire/udp.hpp"

using namespace weft::wire;
using weft::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto d = UdpDatagram::parse(input);
    if (!d) return 0;
    const weft::Ipv4Address src(192, 0, 2, 1), dst(192, 0, 2, 2);
    (void)d->checksum_ok(src, dst);
    check(weft::fuzz::within(d->payload, input), "payload inside input");
    check(d->payload.size() + kUdpHeaderSize <= size, "payload bounded");
    auto bytes = d->build(src, dst, ChecksumMode::keep);
    auto again = UdpDatagram::parse(bytes);
    check(again.has_value(), "rebuilt datagram parses");
    check(again->src_port == d->src_port && again->dst_port == d->dst_port, "ports round trip");
    check(again->checksum == d->checksum, "checksum round trip");
    check(weft::fuzz::same(again->payload, d->payload), "payload round trip");
    auto computed = d->build(src, dst);
    auto c = UdpDatagram::parse(computed);
    check(c.has_value() && c->checksum_ok(src, dst), "computed checksum verifies");
    return 0;
}
