#include "weft/net/ipv6_network.hpp"

#include <string>

#include "text_detail.hpp"

namespace weft {
namespace {

/// The mask as bytes: `prefix` one bits from the left.
Ipv6Address::Bytes mask_bytes(unsigned prefix) noexcept {
    Ipv6Address::Bytes mask{};
    for (std::size_t i = 0; i < mask.size(); ++i) {
        const unsigned bits_here = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * unsigned(i) : 0;
        mask[i] = std::uint8_t(0xff00u >> bits_here);
    }
    return mask;
}

}  // namespace

Expected<Ipv6Network, ParseError> Ipv6Network::parse(std::string_view text) {
    const std::string what = "invalid network " + detail::quoted(text);
    const std::size_t slash = text.find('/');
    const std::string_view address_text = text.substr(0, slash);
    if (const std::size_t percent = address_text.find('%'); percent != std::string_view::npos) {
        return Unexpected(ParseError{what + ": a network has no zone (" +
                                         detail::quoted(address_text.substr(percent)) + ")",
                                     percent});
    }
    auto address = Ipv6Address::parse(address_text);
    if (!address) return Unexpected(detail::wrap(what, address.error(), 0));
    if (slash == std::string_view::npos) return Ipv6Network(*address, 128);
    auto prefix = detail::parse_prefix_length(text.substr(slash + 1), 128);
    if (!prefix) return Unexpected(detail::wrap(what, prefix.error(), slash + 1));
    return Ipv6Network(*address, *prefix);
}

Ipv6Address Ipv6Network::netmask() const noexcept { return Ipv6Address(mask_bytes(prefix_)); }

Ipv6Address Ipv6Network::network() const noexcept {
    Ipv6Address::Bytes bytes = address_.to_bytes();
    const Ipv6Address::Bytes mask = mask_bytes(prefix_);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] &= mask[i];
    return Ipv6Address(bytes);
}

bool Ipv6Network::contains(const Ipv6Address& address) const noexcept {
    const Ipv6Address::Bytes mask = mask_bytes(prefix_);
    const auto& mine = address_.to_bytes();
    const auto& theirs = address.to_bytes();
    for (std::size_t i = 0; i < mask.size(); ++i) {
        if ((mine[i] & mask[i]) != (theirs[i] & mask[i])) return false;
    }
    return true;
}

bool Ipv6Network::contains(const Ipv6Network& other) const noexcept {
    return other.prefix_ >= prefix_ && contains(other.address_);
}

std::string Ipv6Network::to_string() const { return network().to_string() + "/" + std::to_string(prefix_); }

std::string Ipv6Network::to_string_with_address() const {
    return address_.to_string() + "/" + std::to_string(prefix_);
}

}  // namespace weft
