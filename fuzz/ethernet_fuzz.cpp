// Ethernet II (+802.1Q, FCS): parse with and without an FCS; a parsed frame rebuilds to the
// same bytes (the header is fully described by the parsed fields, the payload is kept).
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "weft/wire/ethernet.hpp"

using namespace weft::wire;
using weft::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    if (auto f = EthernetFrame::parse(input)) {
        check(f->header_length == kEthernetHeaderSize + (f->vlan ? kVlanTagSize : 0), "header length");
        check(weft::fuzz::within(f->payload, input), "payload inside input");
        check(f->header_length + f->payload.size() == size, "payload is the rest");
        check(weft::fuzz::same(f->build(false), input), "ethernet build(parse(x)) == x");
    }
    if (auto f = EthernetFrame::parse(input, Fcs::present)) {
        check(f->fcs.has_value(), "fcs kept");
        check(f->fcs_ok == (*f->fcs == crc32(input.first(size - kEthernetFcsSize))), "fcs_ok");
        if (f->fcs_ok) check(weft::fuzz::same(f->build(false, Fcs::present), input), "rebuild with fcs");
    }
    return 0;
}
