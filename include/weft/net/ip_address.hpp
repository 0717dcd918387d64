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

/// An IPv4 or an IPv6 address, whichever the text or the socket gave.
class IpAddress {
public:
    /// The IPv4 address 0.0.0.0.
    constexpr IpAddress() noexcept = default;
    /// An IPv4 address (implicit: an Ipv4Address is an IpAddress).
    constexpr IpAddress(Ipv4Address v4) noexcept : address_(v4) {}
    /// An IPv6 address (implicit).
    constexpr IpAddress(Ipv6Address v6) noexcept : address_(v6) {}

    /// IPv4 dotted-decimal when the text has no ':', IPv6 otherwise.
    static Expected<IpAddress, ParseError> parse(std::string_view text);

    /// True for an IPv4 address.
    constexpr bool is_v4() const noexcept { return address_.index() == 0; }
    /// True for an IPv6 address.
    constexpr bool is_v6() const noexcept { return address_.index() == 1; }
    ///@{
    /// The address as its own type. Precondition: is_v4() / is_v6() (not checked).
    constexpr Ipv4Address v4() const noexcept { return *std::get_if<0>(&address_); }
    constexpr Ipv6Address v6() const noexcept { return *std::get_if<1>(&address_); }
    ///@}

    /// The text of the address held (Ipv4Address::to_string or Ipv6Address::to_string).
    std::string to_string() const;
    /// 127/8 or ::1.
    bool is_loopback() const noexcept;
    /// 0.0.0.0 or ::.
    bool is_unspecified() const noexcept;

    /// Every IPv4 address orders before every IPv6 address; within a family, by value.
    constexpr auto operator<=>(const IpAddress&) const noexcept = default;

private:
    std::variant<Ipv4Address, Ipv6Address> address_;
};

}  // namespace weft
