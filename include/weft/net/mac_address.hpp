#pragma once
// MacAddress: an IEEE 802 48-bit MAC address (EUI-48).

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expected.hpp"

namespace weft {

/// A 48-bit Ethernet (MAC) address.
class MacAddress {
public:
    using Bytes = std::array<std::uint8_t, 6>;  ///< The address in transmission order.

    /// 00:00:00:00:00:00.
    constexpr MacAddress() noexcept = default;
    /// From its six bytes.
    constexpr explicit MacAddress(const Bytes& bytes) noexcept : bytes_(bytes) {}

    /// Six two-digit hex groups separated all by ':' or all by '-', either case:
    /// "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF". The error names the bad group.
    static Expected<MacAddress, ParseError> parse(std::string_view text);

    /// ff:ff:ff:ff:ff:ff.
    static constexpr MacAddress broadcast() noexcept {
        return MacAddress(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    }

    /// The six bytes.
    constexpr const Bytes& to_bytes() const& noexcept { return bytes_; }
    /// On a temporary a copy: a reference would dangle at the end of the full expression.
    constexpr Bytes to_bytes() const&& noexcept { return bytes_; }
    /// Lower-case, colon-separated: "02:00:5e:10:00:01".
    std::string to_string() const;

    /// ff:ff:ff:ff:ff:ff.
    constexpr bool is_broadcast() const noexcept { return *this == broadcast(); }
    /// I/G bit: the least significant bit of the first octet (broadcast is multicast too).
    constexpr bool is_multicast() const noexcept { return (bytes_[0] & 0x01) != 0; }
    /// I/G bit clear.
    constexpr bool is_unicast() const noexcept { return !is_multicast(); }
    /// U/L bit: the second least significant bit of the first octet.
    constexpr bool is_locally_administered() const noexcept { return (bytes_[0] & 0x02) != 0; }
    /// The Organizationally Unique Identifier: the first three octets, as a 24-bit number.
    constexpr std::uint32_t oui() const noexcept {
        return std::uint32_t{bytes_[0]} << 16 | std::uint32_t{bytes_[1]} << 8 | bytes_[2];
    }

    /// By bytes, first to last.
    constexpr auto operator<=>(const MacAddress&) const noexcept = default;

private:
    Bytes bytes_{};
};

}  // namespace weft
