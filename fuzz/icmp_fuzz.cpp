// ICMP: parse; the message rebuilds byte for byte (checksum kept), and checksum_ok agrees
// with a recomputation.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "weft/wire/icmp.hpp"

using namespace weft::wire;
using weft::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    (void)icmp_quote(input);
    auto m = IcmpMessage::parse(input);
    if (!m) return 0;
    check(weft::fuzz::within(m->payload, input), "payload inside input");
    check(weft::fuzz::same(m->build(ChecksumMode::keep), input), "icmp build(parse(x)) == x");
    check(m->checksum_ok == (internet_checksum(input) == 0), "checksum_ok");
    auto rebuilt = m->build();
    check(internet_checksum(rebuilt) == 0, "computed checksum verifies");
    return 0;
}
