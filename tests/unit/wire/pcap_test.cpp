#include "weft/wire/pcap.hpp"

#include <gtest/gtest.h>

#include "unit/wire/test_bytes.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace weft::wire {
namespace {

using std::chrono::nanoseconds;

using test_support::hex;

// Assembles test files field by field in either byte order.
struct Blob {
    bool big = false;
    std::vector<std::byte> bytes;
    Blob& u8(std::uint8_t v) {
        bytes.push_back(std::byte{v});
        return *this;
    }
    Blob& u16(std::uint16_t v) {
        return big ? u8(std::uint8_t(v >> 8)).u8(std::uint8_t(v)) : u8(std::uint8_t(v)).u8(std::uint8_t(v >> 8));
    }
    Blob& u32(std::uint32_t v) {
        return big ? u16(std::uint16_t(v >> 16)).u16(std::uint16_t(v)) : u16(std::uint16_t(v)).u16(std::uint16_t(v >> 16));
    }
    Blob& raw(const std::vector<std::byte>& b) {
        bytes.insert(bytes.end(), b.begin(), b.end());
        return *this;
    }
    // A pcapng block: type, length, body padded to 4, length.
    Blob& block(std::uint32_t type, const std::vector<std::byte>& body) {
        const auto padded = (body.size() + 3) / 4 * 4;
        u32(type).u32(std::uint32_t(12 + padded)).raw(body);
        for (std::size_t i = body.size(); i < padded; ++i) u8(0);
        return u32(std::uint32_t(12 + padded));
    }
    Blob body() const { return Blob{big, {}}; }
};

Blob shb(bool big) {
    Blob b{big, {}};
    Blob body = b.body();
    body.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);  // section length -1
    return b.block(0x0a0d0d0a, body.bytes);
}

std::vector<std::byte> idb(bool big, std::uint16_t linktype, std::uint32_t snaplen, int tsresol = -1) {
    Blob body{big, {}};
    body.u16(linktype).u16(0).u32(snaplen);
    if (tsresol >= 0) body.u16(9).u16(1).u8(std::uint8_t(tsresol)).u8(0).u8(0).u8(0);
    body.u16(0).u16(0);  // opt_endofopt
    return body.bytes;
}

std::vector<std::byte> epb(bool big, std::uint32_t id, std::uint64_t ts, const std::vector<std::byte>& data,
                           std::uint32_t origlen) {
    Blob body{big, {}};
    body.u32(id).u32(std::uint32_t(ts >> 32)).u32(std::uint32_t(ts)).u32(std::uint32_t(data.size())).u32(origlen);
    body.raw(data);
    while (body.bytes.size() % 4) body.u8(0);
    return body.bytes;
}

const std::vector<std::byte> kFrame = hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01");

// A literal little-endian microsecond pcap: Ethernet, snaplen 65535, one 22-byte record at
// 1700000000.123456 with original length 60.
const std::string kLittleMicro =
    "d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00"
    "00 f1 53 65 40 e2 01 00 16 00 00 00 3c 00 00 00"
    "ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01";

TEST(Pcap, ReadsLittleEndianMicro) {
    auto file = hex(kLittleMicro);
    auto reader = PcapReader::open(file);
    ASSERT_TRUE(reader) << reader.error().to_string();
    EXPECT_EQ(reader->format(), CaptureFormat::pcap);
    EXPECT_FALSE(reader->big_endian());
    EXPECT_EQ(reader->precision(), TimestampPrecision::micro);
    EXPECT_EQ(reader->linktype(), kLinktypeEthernet);
    EXPECT_EQ(reader->snaplen(), 65535u);
    auto r = reader->next();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->timestamp, nanoseconds(1'700'000'000'123'456'000));
    EXPECT_EQ((*r)->data.size(), 22u);
    EXPECT_EQ((*r)->data.data(), file.data() + 40);
    EXPECT_EQ((*r)->original_length, 60u);
    EXPECT_EQ((*r)->linktype, 1u);
    EXPECT_EQ((*r)->offset, 24u);
    auto end = reader->next();
    ASSERT_TRUE(end);
    EXPECT_FALSE(*end);
}

TEST(Pcap, ReadsAllFourMagics) {
    for (bool big : {false, true}) {
        for (bool nano : {false, true}) {
            Blob b{big, {}};
            b.u32(nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(262144).u32(1);
            b.u32(100).u32(nano ? 999'999'999 : 999'999).u32(22).u32(22).raw(kFrame);
            auto reader = PcapReader::open(b.bytes);
            ASSERT_TRUE(reader);
            EXPECT_EQ(reader->big_endian(), big);
            EXPECT_EQ(reader->precision(), nano ? TimestampPrecision::nano : TimestampPrecision::micro);
            auto r = reader->next();
            ASSERT_TRUE(r && *r);
            EXPECT_EQ((*r)->timestamp, nanoseconds(nano ? 100'999'999'999 : 100'999'999'000));
            EXPECT_EQ((*r)->data.size(), 22u);
        }
    }
}

TEST(Pcap, Malformed) {
    struct Case {
        std::string name;
        std::vector<std::byte> bytes;
        bool at_open;
        std::string reason;
        std::size_t offset;
    };
    auto header = hex(kLittleMicro.substr(0, 24 * 3));
    auto with = [&](std::string_view rec) {
        auto b = header;
        auto r = hex(rec);
        b.insert(b.end(), r.begin(), r.end());
        return b;
    };
    const Case cases[] = {
        {"empty", {}, true, "not a pcap or pcapng file: 0 bytes", 0},
        {"bad magic", hex("7f 45 4c 46 02 01 01 00"), true, "not a pcap or pcapng file: bad magic", 0},
        {"short global header", hex("d4 c3 b2 a1 02 00 04 00"), true,
         "truncated global header: need 24 bytes, have 8", 0},
        {"short record header", with("00 f1 53 65 40 e2"), false, "truncated record header: need 16 bytes, have 6", 24},
        {"short record", with("00 f1 53 65 40 e2 01 00 16 00 00 00 3c 00 00 00 ff ff"), false,
         "truncated record: captured length 22, have 2", 32},
        {"absurd caplen", with("00 f1 53 65 40 e2 01 00 01 00 10 00 3c 00 00 00"), false,
         "absurd captured length 1048577 (cap 262144)", 32},
    };
    for (const auto& c : cases) {
        auto reader = PcapReader::open(c.bytes);
        WireError error;
        if (c.at_open) {
            ASSERT_FALSE(reader) << c.name;
            error = reader.error();
        } else {
            ASSERT_TRUE(reader) << c.name;
            auto r = reader->next();
            ASSERT_FALSE(r) << c.name;
            error = r.error();
            auto again = reader->next();  // the reader does not move past an error
            ASSERT_FALSE(again);
            EXPECT_EQ(again.error().offset, error.offset);
        }
        EXPECT_STREQ(error.layer, "pcap") << c.name;
        EXPECT_EQ(error.reason, c.reason) << c.name;
        EXPECT_EQ(error.offset, c.offset) << c.name;
    }
}

TEST(Pcap, WriteThenReadRoundTrip) {
    for (auto precision : {TimestampPrecision::micro, TimestampPrecision::nano}) {
        std::vector<std::byte> file;
        PcapWriter writer(file, kLinktypeEthernet, precision, 16);
        writer.write(nanoseconds(1'700'000'000'123'456'789), kFrame);
        writer.write(nanoseconds(5), kFrame, 1514);
        auto reader = PcapReader::open(file);
        ASSERT_TRUE(reader);
        EXPECT_EQ(reader->snaplen(), 16u);
        EXPECT_EQ(reader->precision(), precision);
        auto a = reader->next();
        ASSERT_TRUE(a && *a);
        EXPECT_EQ((*a)->timestamp, nanoseconds(precision == TimestampPrecision::nano ? 1'700'000'000'123'456'789
                                                                                     : 1'700'000'000'123'456'000));
        EXPECT_EQ((*a)->data.size(), 16u);  // cut at the snaplen
        EXPECT_EQ((*a)->original_length, 22u);
        EXPECT_TRUE(std::equal((*a)->data.begin(), (*a)->data.end(), kFrame.begin()));
        auto b = reader->next();
        ASSERT_TRUE(b && *b);
        EXPECT_EQ((*b)->original_length, 1514u);
        EXPECT_EQ((*b)->timestamp, precision == TimestampPrecision::nano ? nanoseconds(5) : nanoseconds(0));
        EXPECT_FALSE(*reader->next());
    }
    // The file starts like one tcpdump writes on a little-endian host.
    std::vector<std::byte> file;
    PcapWriter writer(file);
    EXPECT_EQ(std::vector<std::byte>(file.begin(), file.begin() + 8), hex("d4 c3 b2 a1 02 00 04 00"));
}

TEST(Pcapng, ReadsBothByteOrders) {
    for (bool big : {false, true}) {
        Blob f = shb(big);
        f.block(1, idb(big, 1, 65535));                      // interface 0, microseconds
        f.block(0xbad, hex("01 02 03 04"));                  // unknown: skipped
        f.block(6, epb(big, 0, 1'700'000'000'123'456, kFrame, 60));
        f.block(3, Blob{big, {}}.u32(22).raw(kFrame).bytes);  // SPB
        auto reader = PcapReader::open(f.bytes);
        ASSERT_TRUE(reader) << reader.error().to_string();
        EXPECT_EQ(reader->format(), CaptureFormat::pcapng);
        EXPECT_EQ(reader->big_endian(), big);
        auto a = reader->next();
        ASSERT_TRUE(a && *a) << (a ? "" : a.error().to_string());
        EXPECT_EQ(reader->linktype(), 1u);
        EXPECT_EQ((*a)->timestamp, nanoseconds(1'700'000'000'123'456'000));
        EXPECT_EQ((*a)->data.size(), 22u);
        EXPECT_EQ((*a)->original_length, 60u);
        EXPECT_EQ((*a)->linktype, 1u);
        EXPECT_TRUE(std::equal((*a)->data.begin(), (*a)->data.end(), kFrame.begin()));
        auto b = reader->next();
        ASSERT_TRUE(b && *b);
        EXPECT_EQ((*b)->timestamp, nanoseconds(0));
        EXPECT_EQ((*b)->data.size(), 22u);
        EXPECT_EQ((*b)->original_length, 22u);
        auto end = reader->next();
        ASSERT_TRUE(end);
        EXPECT_FALSE(*end);
    }
}

TEST(Pcapng, TimestampResolutionsAndInterfaces) {
    Blob f = shb(false);
    f.block(1, idb(false, 1, 0, 9));       // interface 0: nanoseconds
    f.block(1, idb(false, 105, 0, 0x8a));  // interface 1: 2^-10 s, 802.11
    f.block(6, epb(false, 0, 1'700'000'000'123'456'789, kFrame, 22));
    f.block(6, epb(false, 1, 3 * 1024 + 512, kFrame, 22));  // 3.5 s
    auto reader = PcapReader::open(f.bytes);
    ASSERT_TRUE(reader);
    auto a = reader->next();
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->timestamp, nanoseconds(1'700'000'000'123'456'789));
    EXPECT_EQ(reader->precision(), TimestampPrecision::nano);
    auto b = reader->next();
    ASSERT_TRUE(b && *b);
    EXPECT_EQ((*b)->timestamp, nanoseconds(3'500'000'000));
    EXPECT_EQ((*b)->linktype, 105u);
}

TEST(Pcapng, NewSectionResetsInterfaces) {
    Blob f = shb(false);
    f.block(1, idb(false, 1, 0));
    Blob second = shb(true);  // a big-endian section appended
    f.raw(second.bytes);
    f.big = true;
    f.block(6, epb(true, 0, 0, kFrame, 22));
    auto reader = PcapReader::open(f.bytes);
    ASSERT_TRUE(reader);
    auto r = reader->next();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "packet names interface 0, only 0 defined");
    EXPECT_TRUE(reader->big_endian());
}

TEST(Pcapng, Malformed) {
    struct Case {
        std::string name;
        std::vector<std::byte> bytes;
        std::string reason;
    };
    auto base = [] {
        Blob f = shb(false);
        f.block(1, idb(false, 1, 0));
        return f;
    };
    std::vector<Case> cases;
    {
        auto f = shb(false);
        f.bytes[8] = std::byte{0};  // byte-order magic
        cases.push_back({"bom", f.bytes, "bad byte-order magic in section header"});
    }
    {
        auto f = shb(false);
        f.bytes[12] = std::byte{2};
        cases.push_back({"version", f.bytes, "unsupported version 2.0"});
    }
    {
        auto f = shb(false);
        f.bytes.resize(20);
        cases.push_back({"short shb", f.bytes, "truncated section header: need 28 bytes, have 20"});
    }
    {
        auto f = base();
        f.u32(6).u32(13).u32(0);
        cases.push_back({"length not /4", f.bytes, "bad block length 13 (type 6)"});
    }
    {
        auto f = base();
        f.u32(6).u32(8).u32(8);
        cases.push_back({"length < 12", f.bytes, "bad block length 8 (type 6)"});
    }
    {
        auto f = base();
        f.u32(6).u32(64).u32(0).u32(0);
        cases.push_back({"past end", f.bytes, "truncated block: length 64, have 16"});
    }
    {
        auto f = base();
        f.u32(6).u32(0x10000000).u32(0);
        cases.push_back({"absurd block", f.bytes, "absurd block length 268435456 (cap 327680)"});
    }
    {
        auto f = base();
        f.block(6, epb(false, 0, 0, kFrame, 22));
        f.bytes[f.bytes.size() - 4] = std::byte{0};
        cases.push_back({"trailer", f.bytes, "trailing block length does not match 56"});
    }
    {
        auto f = base();
        f.block(6, epb(false, 2, 0, kFrame, 22));
        cases.push_back({"interface", f.bytes, "packet names interface 2, only 1 defined"});
    }
    {
        auto f = base();
        auto body = epb(false, 0, 0, kFrame, 22);
        body[12] = std::byte{200};  // caplen 200 in a 24-byte data area
        f.block(6, body);
        cases.push_back({"caplen", f.bytes, "captured length 200 runs past the block"});
    }
    {
        auto f = base();
        auto body = epb(false, 0, 0, kFrame, 22);
        body[14] = std::byte{0x10};  // caplen 0x100016
        f.block(6, body);
        cases.push_back({"absurd caplen", f.bytes, "absurd captured length 1048598 (cap 262144)"});
    }
    {
        auto f = shb(false);
        f.block(3, Blob{}.u32(22).raw(kFrame).bytes);
        cases.push_back({"spb first", f.bytes, "simple packet block before any interface description"});
    }
    {
        auto f = shb(false);
        f.block(1, hex("01 00"));
        cases.push_back({"short idb", f.bytes, "truncated interface description"});
    }
    {
        auto f = shb(false);
        f.block(1, Blob{}.u16(1).u16(0).u32(0).u16(9).u16(40).u32(0).bytes);
        cases.push_back({"idb option", f.bytes, "interface option 9 length 40 runs past the block"});
    }
    {
        auto f = shb(false);
        f.block(1, idb(false, 1, 0, 30));
        cases.push_back({"tsresol", f.bytes, "unsupported if_tsresol 30"});
    }
    for (const auto& c : cases) {
        auto reader = PcapReader::open(c.bytes);
        WireError error;
        if (!reader) {
            error = reader.error();
        } else {
            WireResult<std::optional<PcapRecord>> r = std::optional<PcapRecord>();
            do r = reader->next();
            while (r && *r);
            ASSERT_FALSE(r) << c.name;
            error = r.error();
        }
        EXPECT_STREQ(error.layer, "pcapng") << c.name;
        EXPECT_EQ(error.reason, c.reason) << c.name;
    }
}

TEST(Pcapng, MutatedFilesNeverReadPastTheSpan) {
    // Random flips and truncations of a small pcapng and a pcap; every record returned lies
    // inside the file, and the reader always ends (each step moves forward or fails).
    Blob f = shb(false);
    f.block(1, idb(false, 1, 65535, 9));
    f.block(6, epb(false, 0, 123, kFrame, 60));
    f.block(3, Blob{}.u32(22).raw(kFrame).bytes);
    const std::vector<std::vector<std::byte>> originals = {f.bytes, hex(kLittleMicro)};
    std::uint32_t state = 99;
    auto next = [&state] { return state = state * 1103515245u + 12345u; };
    for (const auto& original : originals) {
        for (int i = 0; i < 10000; ++i) {
            auto bytes = original;
            for (int k = 0; k < 2; ++k) bytes[next() % bytes.size()] = std::byte(next() >> 16);
            bytes.resize(next() % (bytes.size() + 1));
            std::vector<std::byte> exact(bytes);
            auto reader = PcapReader::open(exact);
            if (!reader) continue;
            for (int guard = 0; guard < 100; ++guard) {
                auto r = reader->next();
                if (!r || !*r) break;
                const auto* begin = exact.data();
                EXPECT_GE((*r)->data.data(), begin);
                EXPECT_LE((*r)->data.data() + (*r)->data.size(), begin + exact.size());
            }
        }
    }
}

TEST(Pcapng, TruncatedBlockHeaderAndEmptySection) {
    Blob f = shb(false);
    auto reader = PcapReader::open(f.bytes);
    ASSERT_TRUE(reader);
    auto end = reader->next();
    ASSERT_TRUE(end);
    EXPECT_FALSE(*end);
    f.u32(6).u32(12);
    reader = PcapReader::open(f.bytes);
    ASSERT_TRUE(reader);
    auto r = reader->next();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "truncated block header: need 12 bytes, have 8");
    EXPECT_EQ(r.error().offset, 28u);
}

}  // namespace
}  // namespace weft::wire
