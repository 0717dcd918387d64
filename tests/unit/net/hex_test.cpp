// detail::to_hex: the one hex encoder behind MacAddress::to_string, dns_hex and the
// dissector's hex fields.
#include "weft/net/detail/hex.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>

#include "weft/net/mac_address.hpp"

namespace weft {
namespace {

std::array<std::byte, 4> bytes(unsigned a, unsigned b, unsigned c, unsigned d) {
    return {std::byte(a), std::byte(b), std::byte(c), std::byte(d)};
}

TEST(HexTest, TwoLowercaseDigitsPerByte) {
    EXPECT_EQ(detail::to_hex(bytes(0x00, 0x0f, 0xab, 0xff)), "000fabff");
    EXPECT_EQ(detail::to_hex(bytes(0x01, 0x23, 0x45, 0x67)), "01234567");
}

TEST(HexTest, SeparatorGoesBetweenBytesOnly) {
    EXPECT_EQ(detail::to_hex(bytes(0xde, 0xad, 0xbe, 0xef), ':'), "de:ad:be:ef");
    const auto one = bytes(0x0a, 0, 0, 0);
    EXPECT_EQ(detail::to_hex(std::span(one).first(1), ':'), "0a");
}

TEST(HexTest, EmptyIsEmptyWithOrWithoutSeparator) {
    EXPECT_EQ(detail::to_hex({}), "");
    EXPECT_EQ(detail::to_hex({}, '-'), "");
}

TEST(HexTest, MacAddressTextIsColonHex) {
    const MacAddress mac(MacAddress::Bytes{0x02, 0x00, 0x5e, 0x10, 0xab, 0xff});
    EXPECT_EQ(mac.to_string(), "02:00:5e:10:ab:ff");
}

}  // namespace
}  // namespace weft
