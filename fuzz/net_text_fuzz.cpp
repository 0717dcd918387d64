// net/ text parsers: every parser sees the same text. What parses prints a text form that
// parses back to the same value (and prints the same again).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "weft/net/endpoint.hpp"
#include "weft/net/ip_address.hpp"
#include "weft/net/ipv4_address.hpp"
#include "weft/net/ipv4_network.hpp"
#include "weft/net/ipv6_address.hpp"
#include "weft/net/ipv6_network.hpp"
#include "weft/net/mac_address.hpp"

using weft::fuzz::check;

namespace {

template <class T>
void round_trip(std::string_view text, const char* what) {
    auto v = T::parse(text);
    if (!v) {
        check(!v.error().message.empty(), "a parse error says why");
        return;
    }
    const std::string printed = v->to_string();
    auto again = T::parse(printed);
    check(again.has_value(), what);
    check(*again == *v, what);
    check(again->to_string() == printed, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = weft::fuzz::as_text(data, size);
    round_trip<weft::Ipv4Address>(text, "Ipv4Address text round trip");
    round_trip<weft::Ipv6Address>(text, "Ipv6Address text round trip");
    round_trip<weft::IpAddress>(text, "IpAddress text round trip");
    round_trip<weft::MacAddress>(text, "MacAddress text round trip");
    round_trip<weft::Endpoint>(text, "Endpoint text round trip");
    if (auto n = weft::Ipv4Network::parse(text)) {
        auto again = weft::Ipv4Network::parse(n->to_string_with_address());
        check(again.has_value() && *again == *n, "Ipv4Network text round trip");
        auto net = weft::Ipv4Network::parse(n->to_string());
        check(net.has_value() && net->network() == n->network() && net->prefix() == n->prefix(),
              "Ipv4Network network form round trip");
        (void)n->contains(n->address());
    }
    if (auto n = weft::Ipv6Network::parse(text)) {
        auto again = weft::Ipv6Network::parse(n->to_string_with_address());
        check(again.has_value() && *again == *n, "Ipv6Network text round trip");
    }
    if (auto p = weft::parse_port(text)) {
        check(weft::parse_port(std::to_string(*p)).value_or(0) == *p, "port round trip");
    }
    return 0;
}
