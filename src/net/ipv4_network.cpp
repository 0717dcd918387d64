#include "weft/net/ipv4_network.hpp"

#include <string>

#include "text_detail.hpp"

namespace weft {
namespace detail {

Expected<unsigned, ParseError> parse_prefix_length(std::string_view text, unsigned max) {
    const std::string what = "prefix " + quoted(text);
    if (text.empty()) return Unexpected(ParseError{"prefix after '/' is empty", 0});
    unsigned value = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!is_digit(c)) {
            return Unexpected(ParseError{what + " contains " + quoted(std::string_view(&c, 1)) +
                                             ", not a decimal digit",
                                         i});
        }
        if (value <= max) value = value * 10 + unsigned(c - '0');  // saturates, cannot overflow
    }
    if (value > max) {
        return Unexpected(ParseError{what + " is greater than " + std::to_string(max), 0});
    }
    return value;
}

}  // namespace detail

Ipv4Address netmask_from_prefix(unsigned prefix) noexcept {
    // Shifting a 32-bit value by 32 is undefined, hence the special case.
    if (prefix == 0) return Ipv4Address(0u);
    if (prefix >= 32) return Ipv4Address(0xffffffffu);
    return Ipv4Address(~std::uint32_t{0} << (32 - prefix));
}

Expected<unsigned, ParseError> prefix_from_netmask(Ipv4Address mask) {
    const std::uint32_t m = mask.to_uint();
    // Contiguous ones from the top means the inverted mask is 2^k - 1: adding one to it
    // leaves no bit in common.
    const std::uint32_t inverted = ~m;
    if ((inverted & (inverted + 1)) != 0) {
        return Unexpected(ParseError{"invalid netmask " + detail::quoted(mask.to_string()) +
                                         ": its one bits are not contiguous from the left (" +
                                         mask.to_binary() + ")",
                                     0});
    }
    unsigned prefix = 0;
    for (std::uint32_t bits = m; bits != 0; bits <<= 1) ++prefix;
    return prefix;
}

bool same_subnet(Ipv4Address a, Ipv4Address b, Ipv4Address mask) noexcept {
    return (a.to_uint() & mask.to_uint()) == (b.to_uint() & mask.to_uint());
}

Expected<Ipv4Network, ParseError> Ipv4Network::parse(std::string_view text) {
    const std::string what = "invalid network " + detail::quoted(text);
    const std::size_t slash = text.find('/');
    const std::string_view address_text = text.substr(0, slash);
    auto address = Ipv4Address::parse(address_text);
    if (!address) return Unexpected(detail::wrap(what, address.error(), 0));
    if (slash == std::string_view::npos) return Ipv4Network(*address, 32);

    const std::string_view suffix = text.substr(slash + 1);
    const std::size_t base = slash + 1;
    // A dot after the slash means a netmask ("/255.255.255.0"), the form of the seed and ifconfig.
    if (suffix.find('.') != std::string_view::npos) {
        auto mask = Ipv4Address::parse(suffix);
        if (!mask) {
            auto error = mask.error();
            error.message.replace(0, std::string_view("invalid IPv4 address").size(), "invalid netmask");
            return Unexpected(detail::wrap(what, error, base));
        }
        auto prefix = prefix_from_netmask(*mask);
        if (!prefix) return Unexpected(detail::wrap(what, prefix.error(), base));
        return Ipv4Network(*address, *prefix);
    }
    auto prefix = detail::parse_prefix_length(suffix, 32);
    if (!prefix) return Unexpected(detail::wrap(what, prefix.error(), base));
    return Ipv4Network(*address, *prefix);
}

Ipv4Address Ipv4Network::netmask() const noexcept { return netmask_from_prefix(prefix_); }

Ipv4Address Ipv4Network::hostmask() const noexcept { return Ipv4Address(~netmask().to_uint()); }

Ipv4Address Ipv4Network::network() const noexcept {
    return Ipv4Address(address_.to_uint() & netmask().to_uint());
}

std::optional<Ipv4Address> Ipv4Network::broadcast() const noexcept {
    // RFC 3021: a /31 link has no broadcast address, both addresses are hosts.
    if (prefix_ >= 31) return std::nullopt;
    return Ipv4Address(network().to_uint() | hostmask().to_uint());
}

Ipv4Address Ipv4Network::first_host() const noexcept {
    if (prefix_ >= 31) return network();
    return Ipv4Address(network().to_uint() + 1);
}

Ipv4Address Ipv4Network::last_host() const noexcept {
    const std::uint32_t last = network().to_uint() | hostmask().to_uint();
    if (prefix_ >= 31) return Ipv4Address(last);
    return Ipv4Address(last - 1);
}

std::uint64_t Ipv4Network::host_count() const noexcept {
    if (prefix_ == 32) return 1;
    if (prefix_ == 31) return 2;
    return (std::uint64_t{1} << (32 - prefix_)) - 2;
}

bool Ipv4Network::contains(Ipv4Address address) const noexcept {
    return (address.to_uint() & netmask().to_uint()) == network().to_uint();
}

bool Ipv4Network::contains(const Ipv4Network& other) const noexcept {
    return other.prefix_ >= prefix_ && contains(other.network());
}

std::string Ipv4Network::to_string() const { return network().to_string() + "/" + std::to_string(prefix_); }

std::string Ipv4Network::to_string_with_address() const {
    return address_.to_string() + "/" + std::to_string(prefix_);
}

}  // namespace weft
