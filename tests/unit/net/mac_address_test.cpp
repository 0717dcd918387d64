#include "weft/net/mac_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft {
namespace {

struct ValidCase {
    const char* text;
    MacAddress::Bytes bytes;
};

TEST(MacAddressTest, ParsesColonAndDashForms) {
    const ValidCase cases[] = {
        {"aa:bb:cc:dd:ee:ff", {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
        {"AA-BB-CC-DD-EE-FF", {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
        {"02:00:5E:10:00:01", {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}},
        {"00-00-00-00-00-00", {0, 0, 0, 0, 0, 0}},
        {"Ff:fF:ff:ff:ff:ff", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    };
    for (const auto& c : cases) {
        auto m = MacAddress::parse(c.text);
        ASSERT_TRUE(m) << c.text << ": " << m.error().message;
        EXPECT_EQ(m->to_bytes(), c.bytes) << c.text;
    }
}

struct InvalidCase {
    const char* text;
    const char* mentions;
    std::size_t offset;
};

TEST(MacAddressTest, RejectsInvalidTextNamingTheGroup) {
    const InvalidCase cases[] = {
        {"", "empty", 0},
        {"aa:bb-cc:dd:ee:ff", "mixed separators: '-' after ':' (after group 2)", 5},
        {"aa-bb-cc-dd-ee:ff", "mixed separators: ':' after '-' (after group 5)", 14},
        {"a:bb:cc:dd:ee:ff", "group 1 'a' has 1 hex digit, expected 2", 0},
        {"aa:bb:ccc:dd:ee:ff", "group 3 'ccc' has 3 hex digits, expected 2", 6},
        {"aa:bb:cc:dd:ee:f", "group 6 'f' has 1 hex digit,", 15},
        {"aa:bb::dd:ee:ff", "group 3 is empty", 6},
        {"aa:bb:cc:dd:ee", "has 5 groups, expected 6", 14},
        {"aa:bb:cc:dd:ee:ff:00", "group 7 '00' is extra", 18},
        {"aa:bb:cc:dd:ee:ff:", "group 7 '' is extra", 18},
        {"aa:bb:cc:dd:ee:gg", "group 6 'gg' contains 'g', not a hex digit", 15},
        {" aa:bb:cc:dd:ee:ff", "group 1 ' aa' contains ' '", 0},
        {"aabb.ccdd.eeff", "group 1 'aabb.ccdd.eeff' contains '.'", 0},
        {"aabbccddeeff", "group 1 'aabbccddeeff' has 12 hex digits", 0},
    };
    for (const auto& c : cases) {
        auto m = MacAddress::parse(c.text);
        ASSERT_FALSE(m) << "accepted '" << c.text << "'";
        const std::string& message = m.error().message;
        EXPECT_NE(message.find(c.mentions), std::string::npos) << c.text << " -> " << message;
        EXPECT_EQ(message.rfind(std::string("invalid MAC address '") + c.text + "': ", 0), 0u) << message;
        EXPECT_EQ(m.error().offset, c.offset) << c.text << " -> " << message;
    }
}

TEST(MacAddressTest, ToStringIsLowerCaseColons) {
    auto m = MacAddress::parse("02-00-5E-10-00-01");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_string(), "02:00:5e:10:00:01");
    EXPECT_EQ(MacAddress().to_string(), "00:00:00:00:00:00");
    EXPECT_EQ(MacAddress::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
}

TEST(MacAddressTest, Bits) {
    EXPECT_TRUE(MacAddress::broadcast().is_broadcast());
    EXPECT_TRUE(MacAddress::broadcast().is_multicast());
    const MacAddress mdns(MacAddress::Bytes{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb});
    EXPECT_TRUE(mdns.is_multicast());
    EXPECT_FALSE(mdns.is_broadcast());
    const MacAddress local(MacAddress::Bytes{0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
    EXPECT_TRUE(local.is_unicast());
    EXPECT_TRUE(local.is_locally_administered());
    const MacAddress global(MacAddress::Bytes{0x00, 0x1b, 0x21, 0x12, 0x34, 0x56});
    EXPECT_FALSE(global.is_locally_administered());
    EXPECT_EQ(global.oui(), 0x001b21u);
}

}  // namespace
}  // namespace weft
