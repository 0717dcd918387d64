#pragma once
// IpAddress: either an Ipv4Address or an Ipv6Address.

#include <compare>
#include <string>
#include <string_view>
#include <variant>

#include "weft/expected.hpp"
#include "weft/net/ipv4_address.hpp"
#include "weft/net/ipv6_address.hpp"

namespace weft {

class IpAddress {
public:
    constexpr IpAddress() noexcept = default;
    constexpr IpAddress(Ipv4Address v4) noexcept : address_(v4) {}
    constexpr IpAddress(Ipv6Address v6) noexcept : address_(v6) {}

    /// IPv4 dotted-decimal when the text has no ':', IPv6 otherwise.
    static Expected<IpAddress, ParseError> parse(std::string_view text);

    constexpr bool is_v4() const noexcept { return address_.index() == 0; }
    constexpr bool is_v6() const noexcept { return address_.index() == 1; }
    /// Precondition: is_v4() / is_v6().
    constexpr Ipv4Address v4() const noexcept { return *std::get_if<0>(&address_); }
    constexpr Ipv6Address v6() const noexcept { return *std::get_if<1>(&address_); }

    std::string to_string() const;
    bool is_loopback() const noexcept;
    bool is_unspecified() const noexcept;

    constexpr auto operator<=>(const IpAddress&) const noexcept = default;

private:
    std::variant<Ipv4Address, Ipv6Address> address_;
};

}  // namespace weft
