// IPv4 fragmentation and reassembly. The first byte picks a mode:
//  - even: the rest is a sequence of fragments, each a 2-byte big-endian length then that
//    many bytes; every one that parses goes to a Reassembler with small limits, a clock
//    moving on by the fragment's own identification byte; its caps must hold throughout and
//    whatever it completes must be a whole, parseable datagram.
//  - odd: byte 1 picks an MTU, byte 2 an order, the rest is a payload: the datagram is
//    fragmented, fed in a shuffled order (with one duplicate), and must come back whole.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/wire/ipv4_fragment.hpp"

using namespace weft::wire;
using weft::fuzz::check;

namespace {

constexpr ReassemblyLimits kLimits{16 * 1024, 4, std::chrono::seconds(2)};

void check_caps(const Reassembler& r) {
    check(r.bytes_held() <= kLimits.max_bytes, "reassembly bytes held within max_bytes");
    check(r.datagrams_in_flight() <= kLimits.max_datagrams, "reassembly datagrams within max_datagrams");
}

// `from_fragments`: the datagram was put together (not a non-fragment handed back as is,
// whose header checksum is whatever the sender wrote).
void check_whole(const std::vector<std::byte>& datagram, bool from_fragments) {
    auto p = Ipv4Packet::parse(datagram);
    check(p.has_value(), "reassembled datagram parses");
    check(!p->is_fragment(), "reassembled datagram is not a fragment");
    check(p->total_length == datagram.size(), "reassembled total length");
    if (from_fragments) check(p->checksum_ok, "reassembled header checksum recomputed");
}

void raw_fragments(std::span<const std::byte> in) {
    Reassembler r(kLimits);
    Reassembler::Clock::time_point now{};
    while (in.size() >= 2) {
        const std::size_t n = std::min(in.size() - 2, std::size_t(std::to_integer<unsigned>(in[0]) << 8 |
                                                                    std::to_integer<unsigned>(in[1])));
        auto piece = in.subspan(2, n);
        in = in.subspan(2 + n);
        auto p = Ipv4Packet::parse(piece);
        if (!p) continue;
        now += std::chrono::milliseconds(p->identification & 0xff) * 4;
        auto out = r.add(*p, now);
        check_caps(r);
        if (out && *out) check_whole(**out, p->is_fragment());
        if (p->ttl == 0) (void)r.expire(now);
    }
    (void)r.expire(now + std::chrono::seconds(3));
    check(r.datagrams_in_flight() == 0 && r.bytes_held() == 0, "everything expires");
}

void fragment_and_back(std::span<const std::byte> in) {
    if (in.size() < 2) return;
    const std::size_t mtu = 68 + std::to_integer<std::size_t>(in[0]) * 4;
    unsigned seed = std::to_integer<unsigned>(in[1]);
    static const std::byte kRouterAlert[] = {std::byte{0}, std::byte{0}};
    static const std::byte kRecordRoute[] = {std::byte{4}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};

    Ipv4Packet d;
    d.identification = static_cast<std::uint16_t>(0x1c46 + seed);
    d.protocol = kIpProtocolUdp;
    d.src = weft::Ipv4Address(192, 0, 2, 1);
    d.dst = weft::Ipv4Address(192, 0, 2, 2);
    if (seed & 2) d.options.push_back({0x94, 4, kRouterAlert});
    if (seed & 4) d.options.push_back({0x07, 7, kRecordRoute});
    d.payload = in.subspan(2, std::min<std::size_t>(in.size() - 2, 60000));
    const auto whole = d.build();

    auto frags = fragment(d, mtu);
    check(frags.has_value(), "fragmenting without DF succeeds");
    for (const auto& f : *frags) check(f.size() <= mtu || frags->size() == 1, "fragment fits the mtu");

    std::vector<std::size_t> order(frags->size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (std::size_t i = order.size(); i > 1; --i) {  // a small LCG drives a Fisher-Yates shuffle
        seed = seed * 1103515245u + 12345u;
        std::swap(order[i - 1], order[(seed >> 8) % i]);
    }
    if (order.size() > 1 && (seed & 1)) order.insert(order.begin() + 1, order.front());  // a duplicate

    Reassembler r(ReassemblyLimits{kMaxReassemblyBytes, 4, std::chrono::seconds(30)});
    const Reassembler::Clock::time_point now{};
    std::optional<std::vector<std::byte>> done;
    for (std::size_t k = 0; k < order.size(); ++k) {
        auto p = Ipv4Packet::parse((*frags)[order[k]]);
        check(p.has_value(), "fragment parses");
        auto out = r.add(*p, now);
        check(out.has_value(), "reassembler accepts a valid fragment");
        if (*out) {
            check(k + 1 == order.size(), "completed at the last fragment");
            done = std::move(**out);
        }
    }
    check(done.has_value(), "datagram reassembled");
    check(*done == whole, "reassembled datagram equals the original");
    check(r.datagrams_in_flight() == 0 && r.bytes_held() == 0, "nothing held after completion");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto input = weft::fuzz::as_bytes(data, size);
    if (data[0] & 1)
        fragment_and_back(input.subspan(1));
    else
        raw_fragments(input.subspan(1));
    return 0;
}
