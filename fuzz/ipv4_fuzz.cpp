// IPv4: parse -> build (checksum kept) -> parse gives the same header fields, options and
// payload; checksum_ok agrees with a recomputation; a computed checksum verifies.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "weft/wire/ipv4.hpp"

using namespace weft::wire;
using weft::fuzz::check;

namespace {

bool same_options(const Ipv4Packet& a, const Ipv4Packet& b) {
    if (a.options.size() != b.options.size()) return false;
    for (std::size_t i = 0; i < a.options.size(); ++i) {
        const auto& x = a.options[i];
        const auto& y = b.options[i];
        if (x.type != y.type || x.length != y.length || !weft::fuzz::same(x.data, y.data)) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto p = Ipv4Packet::parse(input);
    if (!p) return 0;
    check(p->header_length >= kIpv4MinHeaderSize && p->header_length <= kIpv4MaxHeaderSize, "header length");
    check(weft::fuzz::within(p->payload, input) && weft::fuzz::within(p->header, input), "views inside input");
    check(p->header_length + p->payload.size() == p->total_length, "payload ends at total length");
    check(p->checksum_ok == (internet_checksum(p->header) == 0), "checksum_ok");
    check(p->built_header_length() <= kIpv4MaxHeaderSize, "parsed options fit when rebuilt");

    auto bytes = p->build(ChecksumMode::keep);
    auto q = Ipv4Packet::parse(bytes);
    check(q.has_value(), "rebuilt packet parses");
    check(q->tos == p->tos && q->identification == p->identification && q->reserved_flag == p->reserved_flag &&
              q->dont_fragment == p->dont_fragment && q->more_fragments == p->more_fragments &&
              q->fragment_offset == p->fragment_offset && q->ttl == p->ttl && q->protocol == p->protocol &&
              q->checksum == p->checksum && q->src == p->src && q->dst == p->dst,
          "ipv4 header fields round trip");
    check(same_options(*p, *q), "ipv4 options round trip");
    check(weft::fuzz::same(q->payload, p->payload), "ipv4 payload round trip");
    // Without trailing junk after EOL, the header is rebuilt byte for byte.
    if (q->header_length == p->header_length) {
        bool zero_tail = true;
        std::size_t used = kIpv4MinHeaderSize;
        for (const auto& o : p->options) used += (o.type == kIpv4OptionEnd || o.type == kIpv4OptionNop) ? 1 : 2 + o.data.size();
        for (std::size_t i = used; i < p->header_length; ++i) zero_tail = zero_tail && p->header[i] == std::byte{0};
        if (zero_tail) check(weft::fuzz::same(q->header, p->header), "ipv4 header bytes round trip");
    }

    auto computed = Ipv4Packet::parse(p->build());
    check(computed.has_value() && computed->checksum_ok, "computed checksum verifies");
    return 0;
}
