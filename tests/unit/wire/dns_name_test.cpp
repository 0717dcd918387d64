#include "weft/wire/dns_name.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::wire {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}

DnsName name(std::string_view text) { return DnsName::from_text(text).value(); }

TEST(DnsName, TextFormsWithoutTrailingDot) {
    EXPECT_EQ(name("www.example.com").to_text(), "www.example.com");
    EXPECT_EQ(name("www.example.com.").to_text(), "www.example.com");
    EXPECT_EQ(name(".").to_text(), ".");
    EXPECT_EQ(name("").to_text(), ".");
    EXPECT_EQ(name("www.example.com").labels.size(), 3u);
    EXPECT_TRUE(name(".").labels.empty());
}

TEST(DnsName, EscapesRoundTrip) {
    DnsName n;
    n.labels = {"a.b", "c\\d", std::string("e f\x01", 4)};
    EXPECT_EQ(n.to_text(), "a\\.b.c\\\\d.e\\032f\\001");
    EXPECT_EQ(DnsName::from_text(n.to_text()).value().labels, n.labels);
    EXPECT_EQ(name("x\\.").labels, std::vector<std::string>{"x."});
}

TEST(DnsName, TextErrors) {
    EXPECT_FALSE(DnsName::from_text("a..b"));
    EXPECT_FALSE(DnsName::from_text(".a"));
    EXPECT_FALSE(DnsName::from_text(std::string(64, 'a')));
    EXPECT_TRUE(DnsName::from_text(std::string(63, 'a')));
    EXPECT_FALSE(DnsName::from_text("a\\"));
    EXPECT_FALSE(DnsName::from_text("a\\25"));
    EXPECT_FALSE(DnsName::from_text("a\\256"));
    // 4 labels of 63 = 4*64+1 = 257 bytes on the wire.
    std::string l(63, 'a');
    EXPECT_FALSE(DnsName::from_text(l + "." + l + "." + l + "." + l));
    EXPECT_TRUE(DnsName::from_text(l + "." + l + "." + l + "." + std::string(61, 'a')));
}

struct BadText {
    std::string input;
    std::size_t offset;
    std::string message;
};

TEST(DnsName, TextErrorsQuoteTheInput) {
    const std::string l63(63, 'a');
    const std::string four63 = l63 + "." + l63 + "." + l63 + "." + l63;
    const BadText cases[] = {
        {"a..b", 2, "invalid DNS name 'a..b': empty label at offset 2"},
        {".a", 0, "invalid DNS name '.a': empty label at offset 0"},
        {"a.b..", 4, "invalid DNS name 'a.b..': empty label at offset 4"},
        {"ok." + std::string(64, 'x'), 3,
         "invalid DNS name 'ok." + std::string(37, 'x') + "...': label of 64 bytes exceeds 63 at offset 3"},
        {four63, 0,
         "invalid DNS name '" + std::string(40, 'a') + "...': name of 257 bytes exceeds 255 in wire form at offset 0"},
        {"a\\", 1, "invalid DNS name 'a\\': dangling '\\' escape at offset 1"},
        {"a\\25", 1, "invalid DNS name 'a\\25': short \\DDD escape at offset 1"},
        {"a\\2x5", 1, "invalid DNS name 'a\\2x5': bad \\DDD escape at offset 1"},
        {"a\\256", 1, "invalid DNS name 'a\\256': \\DDD escape above 255 at offset 1"},
        // A control byte in the input is shown escaped, so the message stays one printable line.
        {std::string("a\n..b"), 3, "invalid DNS name 'a\\010..b': empty label at offset 3"},
    };
    for (const auto& c : cases) {
        auto r = DnsName::from_text(c.input);
        ASSERT_FALSE(r) << c.input;
        EXPECT_EQ(r.error().offset, c.offset) << c.input;
        EXPECT_EQ(r.error().message, c.message);
    }
    // Exactly 40 characters are quoted whole, no "...".
    std::string forty = std::string(38, 'b') + "..";
    auto r = DnsName::from_text(forty);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "invalid DNS name '" + forty + "': empty label at offset 39");
}

TEST(DnsName, CaseInsensitiveEquality) {
    EXPECT_EQ(name("WWW.Example.COM"), name("www.example.com"));
    EXPECT_FALSE(name("www.example.com") == name("example.com"));
}

TEST(DnsName, KeyIsLowerCasedWireForm) {
    using namespace std::string_literals;
    const std::pair<const char*, std::string> cases[] = {
        {"www.example.test", "\3www\7example\4test\0"s},
        {"WWW.Example.TEST.", "\3www\7example\4test\0"s},
        {".", "\0"s},
        {"", "\0"s},
        // Only ASCII letters fold (RFC 4343): digits, '-', '_' and bytes >= 0x80 stay.
        {"A-1_B.\\128X", "\5a-1_b\2\x80x\0"s},  // \128 in master-file text is decimal
        // An escaped dot is part of its label, not a separator: a different name and key.
        {"a\\.b", "\3a.b\0"s},
    };
    for (const auto& [text, key] : cases) EXPECT_EQ(dns_name_key(name(text)), key) << text;
    EXPECT_EQ(dns_name_key(name("WWW.Example.TEST.")), dns_name_key(name("www.example.test")));
    EXPECT_NE(dns_name_key(name("a\\.b")), dns_name_key(name("a.b")));
    EXPECT_NE(dns_name_key(name("example.test")), dns_name_key(name("www.example.test")));
    // 0xC0 and 0xE0 are Latin-1 'A-grave' and 'a-grave': not folded, so not the same key.
    DnsName upper{{std::string("\xc0")}}, lower{{std::string("\xe0")}};
    EXPECT_NE(dns_name_key(upper), dns_name_key(lower));
    EXPECT_FALSE(upper == lower);
    // The key of a name read off the wire is that wire form, lower-cased.
    auto msg = bytes_of({3, 'W', 'w', 'W', 0});
    auto r = read_dns_name(msg, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(dns_name_key(r->name), "\3www\0"s);
}

TEST(DnsName, ReadsPlainAndCompressed) {
    // offset 0: 7example3com0 ; offset 13: 3www + pointer to 0
    auto msg = bytes_of({7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 3, 'w', 'w', 'w', 0xc0, 0});
    auto a = read_dns_name(msg, 0);
    ASSERT_TRUE(a) << a.error().to_string();
    EXPECT_EQ(a->name.to_text(), "example.com");
    EXPECT_EQ(a->end, 13u);
    auto b = read_dns_name(msg, 13);
    ASSERT_TRUE(b) << b.error().to_string();
    EXPECT_EQ(b->name.to_text(), "www.example.com");
    EXPECT_EQ(b->end, 19u);  // right after the pointer, not after its target
}

TEST(DnsName, RootName) {
    auto msg = bytes_of({0});
    auto r = read_dns_name(msg, 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->name.to_text(), ".");
    EXPECT_EQ(r->end, 1u);
}

struct BadName {
    const char* what;
    std::vector<std::byte> bytes;
    std::size_t start;
    std::size_t offset;
    const char* reason_part;
};

TEST(DnsName, MalformedNames) {
    std::vector<std::byte> too_long;
    for (int i = 0; i < 5; ++i) {
        too_long.push_back(std::byte{63});
        too_long.insert(too_long.end(), 63, std::byte{'a'});
    }
    too_long.push_back(std::byte{0});
    const BadName cases[] = {
        {"empty", {}, 0, 0, "truncated name"},
        {"label cut", bytes_of({5, 'a', 'b'}), 0, 0, "truncated name: label needs 5 bytes, have 2"},
        {"no root byte", bytes_of({1, 'a'}), 0, 2, "truncated name"},
        {"pointer cut", bytes_of({0, 0xc0}), 1, 1, "compression pointer cut"},
        {"self pointer (loop)", bytes_of({0, 0xc0, 1}), 1, 1, "forward compression pointer to offset 1"},
        {"forward pointer", bytes_of({0xc0, 2, 0}), 0, 0, "forward compression pointer to offset 2"},
        {"loop via label", bytes_of({0, 1, 'a', 0xc0, 1}), 1, 3, "forward compression pointer"},
        {"label type 01", bytes_of({0x40, 'a'}), 0, 0, "label longer than 63 bytes"},
        {"label type 10", bytes_of({0x80, 'a'}), 0, 0, "label type 10"},
        {"over 255 bytes", too_long, 0, 192, "name longer than 255 bytes"},
    };
    for (const auto& c : cases) {
        auto r = read_dns_name(c.bytes, c.start);
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.error().offset, c.offset) << c.what << ": " << r.error().to_string();
        EXPECT_NE(r.error().reason.find(c.reason_part), std::string::npos)
            << c.what << ": " << r.error().to_string();
        EXPECT_STREQ(r.error().layer, "dns");
    }
}

TEST(DnsName, LongNameThroughPointersCounted) {
    // 3 labels of 63 at offset 0 (193 bytes incl. root); then 63-label + pointer: 64 + 192 + 1 = 257.
    std::vector<std::byte> msg;
    for (int i = 0; i < 3; ++i) {
        msg.push_back(std::byte{63});
        msg.insert(msg.end(), 63, std::byte{'a'});
    }
    msg.push_back(std::byte{0});
    std::size_t start = msg.size();
    msg.push_back(std::byte{63});
    msg.insert(msg.end(), 63, std::byte{'b'});
    msg.push_back(std::byte{0xc0});
    msg.push_back(std::byte{0});
    auto r = read_dns_name(msg, start);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().reason.find("longer than 255"), std::string::npos);
}

TEST(DnsName, MostLabelsAcrossPointers) {
    // 127 one-byte labels and the root make 255 bytes, the most labels a name can have: here
    // 27 in place, then 100 behind a pointer. One label more, in front, is a name too long.
    std::vector<std::byte> msg;
    auto labels = [&](int n, char c) {
        for (int i = 0; i < n; ++i) {
            msg.push_back(std::byte{1});
            msg.push_back(static_cast<std::byte>(c));
        }
    };
    labels(100, 'a');
    msg.push_back(std::byte{0});
    const std::size_t start = msg.size();
    labels(27, 'b');
    msg.push_back(std::byte{0xc0});
    msg.push_back(std::byte{0});
    auto r = read_dns_name(msg, start);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->name.labels.size(), 127u);
    EXPECT_EQ(r->name.wire_length(), kDnsMaxNameLength);
    EXPECT_EQ(r->name.labels.front(), "b");
    EXPECT_EQ(r->name.labels[26], "b");
    EXPECT_EQ(r->name.labels[27], "a");
    EXPECT_EQ(r->end, msg.size());

    const std::size_t longer = msg.size();
    labels(1, 'c');
    msg.push_back(std::byte{0xc0});
    msg.push_back(static_cast<std::byte>(start));
    auto too_long = read_dns_name(msg, longer);
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().reason, "name longer than 255 bytes");
    EXPECT_EQ(too_long.error().offset, 198u);  // the 100th 'a' label: the 128th of the name
}

TEST(DnsName, PointerHopCap) {
    // offset 0: root; each later pair points at the pair before it: a backwards chain.
    std::vector<std::byte> msg = bytes_of({0});
    msg.push_back(std::byte{0xc0});
    msg.push_back(std::byte{0});
    for (std::size_t i = 0; i < kDnsMaxPointerHops + 2; ++i) {
        std::size_t prev = msg.size() - 2;
        msg.push_back(std::byte{0xc0});
        msg.push_back(static_cast<std::byte>(prev));
    }
    // Exactly kDnsMaxPointerHops hops is fine.
    auto ok = read_dns_name(msg, 1 + 2 * (kDnsMaxPointerHops - 1));
    ASSERT_TRUE(ok) << ok.error().to_string();
    EXPECT_EQ(ok->name.to_text(), ".");
    auto r = read_dns_name(msg, msg.size() - 2);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().reason.find("compression pointers"), std::string::npos) << r.error().to_string();
}

TEST(DnsName, CompressorSharesSuffixes) {
    std::vector<std::byte> out;
    out.resize(12);  // pretend header
    ByteWriter w(out);
    DnsNameCompressor c;
    c.write(w, name("www.example.com"));
    c.write(w, name("mail.EXAMPLE.com"));
    c.write(w, name("example.com"));
    c.write(w, name("."));
    // www.example.com = 17 bytes at 12; mail + pointer to 16 = 7 bytes; then pointer; then root.
    EXPECT_EQ(out.size(), 12u + 17 + 7 + 2 + 1);
    auto expected = bytes_of({4, 'm', 'a', 'i', 'l', 0xc0, 16, 0xc0, 16, 0});
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), out.begin() + 29));
    auto a = read_dns_name(out, 29);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name.to_text(), "mail.example.com");  // the suffix as first written is reused
}

// RFC 1035 section 4.1.4's example: F.ISI.ARPA at offset 20, FOO.F.ISI.ARPA at 40 as "FOO"
// plus a pointer to 20, ARPA at 64 as a pointer to 26, the root at 92 as a zero byte.
TEST(DnsName, CompressorRfc1035Example) {
    std::vector<std::byte> out(20);
    ByteWriter w(out);
    DnsNameCompressor c;
    c.write(w, name("F.ISI.ARPA"));
    EXPECT_EQ(std::vector<std::byte>(out.begin() + 20, out.end()),
              bytes_of({1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0}));
    out.resize(40);
    c.write(w, name("FOO.F.ISI.ARPA"));
    EXPECT_EQ(std::vector<std::byte>(out.begin() + 40, out.end()), bytes_of({3, 'F', 'O', 'O', 0xc0, 20}));
    out.resize(64);
    c.write(w, name("ARPA"));
    EXPECT_EQ(std::vector<std::byte>(out.begin() + 64, out.end()), bytes_of({0xc0, 26}));
    out.resize(92);
    c.write(w, name("."));
    EXPECT_EQ(out.size(), 93u);
    EXPECT_EQ(out[92], std::byte{0});
    for (std::size_t at : {20u, 40u, 64u}) EXPECT_TRUE(read_dns_name(out, at)) << at;
    EXPECT_EQ(read_dns_name(out, 40)->name.to_text(), "FOO.F.ISI.ARPA");
}

TEST(DnsName, CompressorForgetsOffsetsPastFourteenBits) {
    std::vector<std::byte> out(kDnsMaxPointerOffset);  // the next name starts at 0x3fff
    ByteWriter w(out);
    DnsNameCompressor c;
    c.write(w, name("edge.test"));   // at 0x3fff: the last offset a pointer can hold
    c.write(w, name("late.example"));  // at 0x400a: beyond reach
    const std::size_t second = out.size();
    c.write(w, name("late.example"));
    // Written in full again: no pointer can reach the first copy.
    EXPECT_EQ(std::vector<std::byte>(out.begin() + static_cast<std::ptrdiff_t>(second), out.end()),
              bytes_of({4, 'l', 'a', 't', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}));
    const std::size_t third = out.size();
    c.write(w, name("x.edge.test"));  // still points back at 0x3fff
    EXPECT_EQ(std::vector<std::byte>(out.begin() + static_cast<std::ptrdiff_t>(third), out.end()),
              bytes_of({1, 'x', 0xff, 0xff}));
    auto r = read_dns_name(out, third);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->name.to_text(), "x.edge.test");
}

TEST(DnsName, UncompressedWrite) {
    std::vector<std::byte> out;
    ByteWriter w(out);
    write_dns_name(w, name("a.bc"));
    EXPECT_EQ(out, bytes_of({1, 'a', 2, 'b', 'c', 0}));
    EXPECT_EQ(name("a.bc").wire_length(), 6u);
}

}  // namespace
}  // namespace weft::wire
