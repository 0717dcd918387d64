// Name compression as build_dns uses it (RFC 1035 section 4.1.4): every pointer in a built
// message points backwards, at a name part already written, below offset 0x4000; and the
// message parses back to what was built.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "unit/wire/test_bytes.hpp"
#include "weft/wire/dns.hpp"

namespace weft::wire {
namespace {

using test_support::hex;

DnsName name(std::string_view text) { return DnsName::from_text(text).value(); }

// Walks a built message on its own (not through parse_dns) and checks every compression
// pointer: it must point before itself, at a label-length byte where a name part was
// written earlier in the message. Returns how many pointers it saw.
struct PointerWalk {
    explicit PointerWalk(std::span<const std::byte> m) : msg(m) {}

    std::span<const std::byte> msg;
    std::vector<std::size_t> label_starts;  // every label-length byte written so far
    std::size_t pointers = 0;

    std::uint8_t at(std::size_t i) const { return static_cast<std::uint8_t>(msg[i]); }
    std::uint16_t u16(std::size_t i) const { return static_cast<std::uint16_t>(at(i) << 8 | at(i + 1)); }

    // Skips the name at `pos` in place, checking its pointer; returns the offset after it.
    std::size_t name(std::size_t pos, bool may_point = true) {
        for (;;) {
            EXPECT_LT(pos, msg.size());
            if (pos >= msg.size()) return msg.size();
            const std::uint8_t len = at(pos);
            if (len == 0) return pos + 1;
            if ((len & 0xc0) == 0xc0) {
                const std::size_t target = u16(pos) & 0x3fffu;
                ++pointers;
                EXPECT_TRUE(may_point) << "pointer at " << pos << " where none may be";
                EXPECT_LT(target, pos) << "pointer at " << pos;
                EXPECT_NE(std::find(label_starts.begin(), label_starts.end(), target), label_starts.end())
                    << "pointer at " << pos << " to " << target << ", where no label was written before";
                return pos + 2;
            }
            EXPECT_EQ(len & 0xc0, 0) << pos;
            label_starts.push_back(pos);
            pos += 1 + len;
        }
    }

    void run(std::size_t qd, std::size_t rr) {
        std::size_t pos = kDnsHeaderSize;
        for (std::size_t i = 0; i < qd; ++i) pos = name(pos) + 4;
        for (std::size_t i = 0; i < rr; ++i) {
            pos = name(pos);
            const auto type = static_cast<DnsType>(u16(pos));
            const std::size_t rdata = pos + 10, end = rdata + u16(pos + 8);
            switch (type) {
            case DnsType::NS:
            case DnsType::CNAME:
            case DnsType::PTR: EXPECT_EQ(name(rdata), end); break;
            case DnsType::MX: EXPECT_EQ(name(rdata + 2), end); break;
            case DnsType::SOA: EXPECT_EQ(name(name(rdata)) + 20, end); break;
            case DnsType::SRV: EXPECT_EQ(name(rdata + 6, false), end); break;  // RFC 2782
            default: break;
            }
            pos = end;
        }
        EXPECT_EQ(pos, msg.size());
    }
};

DnsRecord record(std::string_view owner, DnsType type, DnsRdata data) {
    DnsRecord r;
    r.name = name(owner);
    r.type = type;
    r.ttl = 60;
    r.data = std::move(data);
    return r;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

TEST(DnsCompression, EveryPointerPointsBackAndRoundTrips) {
    DnsMessage m;
    m.header.qr = true;
    m.questions.push_back({name("www.Example.TEST"), DnsType::ANY, DnsClass::IN});
    m.answers.push_back(record("www.example.test", DnsType::CNAME, DnsCname{name("web.example.test")}));
    m.answers.push_back(record("WEB.example.test", DnsType::A, DnsA{Ipv4Address(198, 18, 0, 1)}));
    m.answers.push_back(record("example.test", DnsType::MX, DnsMx{10, name("mail.example.test")}));
    m.answers.push_back(record("example.test", DnsType::MX, DnsMx{20, name("mail.other.test")}));
    m.answers.push_back(record("_sip._udp.example.test", DnsType::SRV, DnsSrv{1, 1, 5060, name("web.example.test")}));
    m.authority.push_back(record("example.test", DnsType::SOA,
                                 DnsSoa{name("ns1.example.test"), name("hostmaster.example.test"), 1, 2, 3, 4, 5}));
    m.authority.push_back(record("example.test", DnsType::NS, DnsNs{name("ns1.example.test")}));
    m.authority.push_back(record("example.test", DnsType::NS, DnsNs{name("ns2.other.test")}));
    m.additional.push_back(record("ns1.example.test", DnsType::A, DnsA{Ipv4Address(198, 18, 0, 53)}));
    m.additional.push_back(record("ns2.other.test", DnsType::A, DnsA{Ipv4Address(198, 18, 1, 53)}));
    m.additional.push_back(record("1.0.18.198.in-addr.arpa", DnsType::PTR, DnsPtr{name("web.example.test")}));
    m.additional.push_back(make_opt_record(DnsEdns{}));

    const auto bytes = build_dns(m);
    PointerWalk walk{bytes};
    walk.run(1, m.answers.size() + m.authority.size() + m.additional.size());
    // Repeated names really were compressed: every owner after the question and most
    // rdata names; a full copy of example.test alone is 14 bytes.
    EXPECT_GE(walk.pointers, 14u);

    auto p = parse_dns(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    const std::vector<DnsRecord>* sections[][2] = {
        {&m.answers, &p->answers}, {&m.authority, &p->authority}, {&m.additional, &p->additional}};
    for (const auto& [want, got] : sections) {
        ASSERT_EQ(got->size(), want->size());
        for (std::size_t i = 0; i < want->size(); ++i) {
            EXPECT_EQ((*got)[i].name, (*want)[i].name) << (*want)[i].name.to_text();
            EXPECT_EQ((*got)[i].type, (*want)[i].type);
            // Pointers may lead to a differently cased copy (the question's "Example.TEST"):
            // DNS names match ignoring ASCII case, so the text is compared that way.
            EXPECT_EQ(lower(dns_rdata_to_string((*got)[i].data)), lower(dns_rdata_to_string((*want)[i].data)));
        }
    }
    EXPECT_EQ(build_dns(*p), bytes);
    // Each prefix the size-limited build cuts keeps only backward pointers too.
    for (std::size_t limit : {100u, 200u, 300u}) {
        const auto cut = build_dns(m, limit);
        auto q = parse_dns(cut);
        ASSERT_TRUE(q) << limit;
        PointerWalk w{cut};
        w.run(q->questions.size(), q->answers.size() + q->authority.size() + q->additional.size());
    }
}

// The walk itself catches what it is there for: a question whose name points forward.
TEST(DnsCompression, WalkRejectsAForwardPointer) {
    const auto bytes = hex("0000 0000 0001 0000 0000 0000 c012 0001 0001 00");
    PointerWalk walk{bytes};
    ::testing::TestPartResultArray failures;
    {
        ::testing::ScopedFakeTestPartResultReporter catcher(
            ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
        walk.run(1, 0);
    }
    ASSERT_GE(failures.size(), 1);
    EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("pointer at 12"), std::string::npos)
        << failures.GetTestPartResult(0).message();
}

// Past 16 KiB (TCP only) names can no longer be pointed at: the compressor writes them in
// full, and every pointer it does write still reaches back below 0x4000.
TEST(DnsCompression, LongMessagePointersStayBelowFourteenBits) {
    DnsMessage m;
    m.questions.push_back({name("big.example.test"), DnsType::TXT, DnsClass::IN});
    DnsTxt txt;
    for (int i = 0; i < 70; ++i) txt.strings.emplace_back(255, 'x');  // 70 * 256 bytes
    m.answers.push_back(record("big.example.test", DnsType::TXT, std::move(txt)));
    for (int i = 0; i < 3; ++i) m.answers.push_back(record("late.far.away", DnsType::CNAME, DnsCname{name("big.example.test")}));
    const auto bytes = build_dns(m);
    ASSERT_GT(bytes.size(), 0x4000u);
    PointerWalk walk{bytes};
    walk.run(1, 4);
    // "late.far.away" is written three times in full: its first copy starts past 0x3fff.
    const auto late = hex("04 6c617465 03 666172 04 61776179 00");
    std::size_t copies = 0;
    for (auto it = bytes.begin(); (it = std::search(it, bytes.end(), late.begin(), late.end())) != bytes.end(); ++it)
        ++copies;
    EXPECT_EQ(copies, 3u);
    auto p = parse_dns(bytes);
    ASSERT_TRUE(p) << p.error().to_string();
    ASSERT_EQ(p->answers.size(), 4u);
    EXPECT_EQ(p->answers[3].name.to_text(), "late.far.away");
    EXPECT_EQ(dns_rdata_to_string(p->answers[3].data), "big.example.test");
}

}  // namespace
}  // namespace weft::wire
