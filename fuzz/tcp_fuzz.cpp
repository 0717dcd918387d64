// TCP: parse -> build (checksum kept) -> parse gives the same header fields and options
// (typed values included); a computed checksum verifies.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "weft/wire/tcp.hpp"

using namespace weft::wire;
using weft::fuzz::check;

namespace {

bool same_option(const TcpOption& x, const TcpOption& y) {
    return x.kind == y.kind && x.length == y.length && weft::fuzz::same(x.data, y.data) && x.mss == y.mss &&
           x.window_scale == y.window_scale && x.sack == y.sack && x.ts_value == y.ts_value &&
           x.ts_echo == y.ts_echo;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto s = TcpSegment::parse(input);
    if (!s) return 0;
    const weft::Ipv4Address src(192, 0, 2, 1), dst(192, 0, 2, 2);
    (void)s->checksum_ok(src, dst);
    (void)tcp_flag_names(s->flags);
    check(s->header_length >= kTcpMinHeaderSize && s->header_length <= kTcpMaxHeaderSize, "header length");
    check(weft::fuzz::within(s->payload, input), "payload inside input");
    check(s->header_length + s->payload.size() == size, "payload is the rest");
    check(s->built_header_length() <= s->header_length, "parsed options fit their header when rebuilt");

    auto bytes = s->build(src, dst, ChecksumMode::keep);
    auto t = TcpSegment::parse(bytes);
    check(t.has_value(), "rebuilt segment parses");
    check(t->src_port == s->src_port && t->dst_port == s->dst_port && t->seq == s->seq && t->ack == s->ack &&
              t->flags == s->flags && t->reserved == s->reserved && t->window == s->window &&
              t->checksum == s->checksum && t->urgent == s->urgent,
          "tcp header fields round trip");
    check(t->options.size() == s->options.size(), "tcp option count round trip");
    for (std::size_t i = 0; i < s->options.size(); ++i)
        check(same_option(s->options[i], t->options[i]), "tcp option round trip");
    check(weft::fuzz::same(t->payload, s->payload), "tcp payload round trip");

    const auto computed_bytes = s->build(src, dst);
    auto computed = TcpSegment::parse(computed_bytes);  // views into computed_bytes
    check(computed.has_value() && computed->checksum_ok(src, dst), "computed checksum verifies");
    return 0;
}
