// services/dns zone files: a real zone read record by record, every feature of the syntax,
// every error with its exact "file:line: message", the limits, a print -> parse round trip,
// and a 100k-record zone.

#include "weft/services/dns/zone.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace weft::dns {
namespace {

using wire::DnsName;
using wire::DnsRecord;
using wire::DnsType;

constexpr const char* kFile = "example.test.zone";

Expected<Zone, ZoneError> parse(std::string_view text, ZoneParseOptions options = {}) {
    if (options.file_name.empty()) options.file_name = kFile;
    return parse_zone(text, options);
}

// The message of a parse that must fail ("" and a test failure when it succeeds).
std::string error_of(std::string_view text, ZoneParseOptions options = {}) {
    auto zone = parse(text, std::move(options));
    if (zone) {
        ADD_FAILURE() << "parsed, " << zone->records.size() << " records:\n" << text;
        return "";
    }
    return zone.error().to_string();
}

DnsName name(std::string_view text) { return DnsName::from_text(text).value(); }

// One record as a line of text: "owner ttl TYPE data", the owner without its trailing dot.
std::string line_of(const DnsRecord& rr) {
    return rr.name.to_text() + " " + std::to_string(rr.ttl) + " " + wire::dns_type_to_string(rr.type) + " " +
           wire::dns_rdata_to_string(rr.data);
}

std::vector<std::string> lines_of(const Zone& zone) {
    std::vector<std::string> out;
    for (const auto& rr : zone.records) out.push_back(line_of(rr));
    return out;
}

// The example zone of the docs: SOA in parentheses with comments, NS in and out of zone,
// glue, MX, TXT with escapes and several strings, SRV, CNAME, PTR, $TTL and $ORIGIN
// switching, blank owners, TTL and class in both orders.
constexpr std::string_view kExampleZone = R"zone(; example.test: the zone the docs serve
$ORIGIN example.test.
$TTL 1h
@   IN  SOA ns1 hostmaster.example.test. (
            2024010101 ; serial
            2h         ; refresh
            30M        ; retry
            2w         ; expire
            300 )      ; negative caching TTL
        IN  NS  ns1
        IN  NS  ns.other.test.
        MX  10 mail
        MX  20 @
ns1     A       198.18.0.1
        AAAA    2001:db8::1
mail  600 IN A  198.18.0.25
mail    IN 600 AAAA 2001:db8::25   ; class before TTL this time
www     CNAME   @
txt     TXT "v=spf1 -all"
        TXT "two" "strings; not a comment" "quote \" backslash \\ A=\065"
        txt unquoted\ word
_sip._tcp  SRV 10 60 5060 sip
sip     A 198.18.0.30
$TTL 5m
$ORIGIN rev
1       PTR     ns1.example.test.
2       PTR     mail.example.test.
)zone";

TEST(ZoneFile, ExampleZoneRecordByRecord) {
    auto zone = parse(kExampleZone);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->origin, name("example.test"));
    const std::vector<std::string> want = {
        "example.test 3600 SOA ns1.example.test hostmaster.example.test 2024010101 7200 1800 1209600 300",
        "example.test 3600 NS ns1.example.test",
        "example.test 3600 NS ns.other.test",
        "example.test 3600 MX 10 mail.example.test",
        "example.test 3600 MX 20 example.test",
        "ns1.example.test 3600 A 198.18.0.1",
        "ns1.example.test 3600 AAAA 2001:db8::1",
        "mail.example.test 600 A 198.18.0.25",
        "mail.example.test 600 AAAA 2001:db8::25",
        "www.example.test 3600 CNAME example.test",
        "txt.example.test 3600 TXT \"v=spf1 -all\"",
        "txt.example.test 3600 TXT \"two\" \"strings; not a comment\" \"quote \\\" backslash \\\\ A=A\"",
        "txt.example.test 3600 TXT \"unquoted word\"",
        "_sip._tcp.example.test 3600 SRV 10 60 5060 sip.example.test",
        "sip.example.test 3600 A 198.18.0.30",
        "1.rev.example.test 300 PTR ns1.example.test",
        "2.rev.example.test 300 PTR mail.example.test",
    };
    EXPECT_EQ(lines_of(*zone), want);

    // The typed fields behind the text, for the two records with most of them.
    const auto& soa = std::get<wire::DnsSoa>(zone->records[0].data);
    EXPECT_EQ(soa.serial, 2024010101u);
    EXPECT_EQ(soa.refresh, 7200u);
    EXPECT_EQ(soa.retry, 1800u);
    EXPECT_EQ(soa.expire, 14u * 86400);
    EXPECT_EQ(soa.minimum, 300u);
    const auto& txt = std::get<wire::DnsTxt>(zone->records[11].data);
    ASSERT_EQ(txt.strings.size(), 3u);
    EXPECT_EQ(txt.strings[2], "quote \" backslash \\ A=A");
    for (const auto& rr : zone->records) EXPECT_EQ(rr.rclass, wire::DnsClass::IN);
}

TEST(ZoneFile, ErrorToStringIsFileLineMessage) {
    EXPECT_EQ((ZoneError{"zones/a", 12, "bad"}).to_string(), "zones/a:12: bad");
    EXPECT_EQ((ZoneError{"", 3, "bad"}).to_string(), "<input>:3: bad");
    auto zone = parse_zone("x. 1 IN NAPTR 1\n");
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().to_string(), "<input>:1: unsupported type 'NAPTR'");
}

// The start of a valid zone, so that each error case below adds only the line at fault.
constexpr std::string_view kHead =
    "$ORIGIN example.test.\n"
    "$TTL 300\n"
    "@ SOA ns1 hostmaster 1 2 3 4 5\n"
    "  NS ns1\n"
    "ns1 A 198.18.0.1\n";  // lines 1-5

struct ErrorCase {
    std::string body;  // after kHead, from line 6
    std::string want;  // the whole to_string()
};

TEST(ZoneFile, EveryRecordErrorNamesFileLineAndWhat) {
    const std::vector<ErrorCase> cases = {
        {"x NAPTR 1 2 \"\" \"\" \"\" .\n", "example.test.zone:6: unsupported type 'NAPTR'"},
        {"x TYPE65 \\# 0\n",
         "example.test.zone:6: unsupported type 'TYPE65' (RFC 3597 generic types are not supported)"},
        {"x type1 \\# 4 01020304\n",
         "example.test.zone:6: unsupported type 'type1' (RFC 3597 generic types are not supported)"},
        {"x TYPE A 1.2.3.4\n", "example.test.zone:6: unsupported type 'TYPE'"},
        {"x CH A 1.2.3.4\n", "example.test.zone:6: unsupported class 'CH' (only IN)"},
        {"x 60 hs A 1.2.3.4\n", "example.test.zone:6: unsupported class 'hs' (only IN)"},
        {"x IN 60 IN A 1.2.3.4\n", "example.test.zone:6: a second class 'IN'"},
        {"x 60 IN 70 A 1.2.3.4\n", "example.test.zone:6: a second TTL '70'"},
        {"x 60 IN\n", "example.test.zone:6: the record has no type"},
        {"x MX 70000 mail\n", "example.test.zone:6: MX preference '70000' is out of range 0-65535"},
        {"x MX ten mail\n", "example.test.zone:6: MX preference 'ten' is not a number"},
        // Bytes outside printable ASCII are quoted as \DDD, so the message stays one clean line.
        {"x MX 1\x7f\x01 mail\n", "example.test.zone:6: MX preference '1\\127\\001' is not a number"},
        {"x MX 10\n", "example.test.zone:6: MX record needs 2 fields (preference exchange), got 1"},
        {"x A 1.2.3.4 5.6.7.8\n", "example.test.zone:6: A record has an extra field '5.6.7.8' after its address"},
        {"x SRV 1 2 65536 t\n", "example.test.zone:6: SRV port '65536' is out of range 0-65535"},
        {"x SRV 1 -2 80 t\n", "example.test.zone:6: SRV weight '-2' is not a number"},
        {"x SRV 65536 2 80 t\n", "example.test.zone:6: SRV priority '65536' is out of range 0-65535"},
        {"x 2147483648 A 1.2.3.4\n", "example.test.zone:6: TTL '2147483648' is out of range 0-2147483647"},
        {"x 99999999999999999999999 A 1.2.3.4\n",
         "example.test.zone:6: TTL '99999999999999999999999' is out of range 0-2147483647"},
        {"x 1x A 1.2.3.4\n",
         "example.test.zone:6: TTL '1x' is not a number of seconds or a duration like 1h30m"},
        {"x 4000w A 1.2.3.4\n", "example.test.zone:6: TTL '4000w' is out of range 0-2147483647"},
        {"$TTL 1hh\n", "example.test.zone:6: $TTL '1hh' is not a number of seconds or a duration like 1h30m"},
        {"x A 1.2.3\n", "example.test.zone:6: A record: invalid IPv4 address '1.2.3': has 3 parts, expected 4"},
        {"x AAAA 2001:db8::1::2\n",
         "example.test.zone:6: AAAA record: invalid IPv6 address '2001:db8::1::2': more than one '::' (a second at offset 11)"},
        {"x AAAA fe80::1%lo\n",
         "example.test.zone:6: AAAA record: address 'fe80::1%lo' has a scope ('%'), which DNS data cannot carry"},
        {"x TXT\n", "example.test.zone:6: TXT record needs at least one string"},
        {"x TXT \"" + std::string(256, 'a') + "\"\n",
         "example.test.zone:6: TXT string '" + std::string(40, 'a') +
             "...' is 256 bytes, over the 255 a string can hold: split it into several quoted strings"},
        {"x TXT \"ab\\\"\n", "example.test.zone:6: unterminated quoted string"},
        {"x TXT \"a\\2\"\n", "example.test.zone:6: TXT string 'a\\2' has a \\DDD escape without 3 digits"},
        {"x TXT \"\\256\"\n", "example.test.zone:6: TXT string '\\256' has a \\DDD escape above 255"},
        {"x TXT a\\\n", "example.test.zone:6: TXT string 'a\\' ends with a lone '\\'"},
        {"x CNAME a..b\n",
         "example.test.zone:6: CNAME canonical name: invalid DNS name 'a..b.example.test': empty label at offset 2"},
        {"x NS \"ns1\"\n", "example.test.zone:6: NS name server 'ns1' is quoted: write a name without quotes"},
        {std::string(64, 'a') + " A 1.2.3.4\n",
         "example.test.zone:6: owner: invalid DNS name '" + std::string(40, 'a') +
             "...': label of 64 bytes exceeds 63 at offset 0"},
        {"x PTR a\\\n", "example.test.zone:6: PTR name 'a\\' ends with a lone '\\'"},
        {"x SOA a b 1 2 3 4 5 ; a second one\n",
         "example.test.zone:6: a second SOA record (the first is on line 3)"},
        {"x SOA a b 4294967296 2 3 4 5\n",
         "example.test.zone:6: SOA serial '4294967296' is out of range 0-4294967295"},
        {"x SOA a b 1 2 3 4\n",
         "example.test.zone:6: SOA record needs 7 fields (mname rname serial refresh retry expire minimum), got 6"},
        {"x.other.test. A 1.2.3.4\n",
         "example.test.zone:6: 'x.other.test' is out of zone (not at or below 'example.test')"},
        {"test. A 1.2.3.4\n", "example.test.zone:6: 'test' is out of zone (not at or below 'example.test')"},
        {"$ORIGIN other.\nx A 1.2.3.4\n",
         "example.test.zone:7: 'x.other' is out of zone (not at or below 'example.test')"},
        {"$INCLUDE other.zone\n", "example.test.zone:6: $INCLUDE is not supported"},
        {"$GENERATE 1-2 x$ A 1.2.3.$\n",
         "example.test.zone:6: unsupported directive '$GENERATE' (only $ORIGIN and $TTL)"},
        {"$ORIGIN\n", "example.test.zone:6: $ORIGIN needs a value"},
        {"$TTL 1 2\n", "example.test.zone:6: unexpected '2' after the $TTL value"},
        {"x A 1.2.3.4 )\n", "example.test.zone:6: ')' without a '(' before it"},
        {"x TXT ( a\n ( b ) )\n", "example.test.zone:6: nested '(' (the first is on line 6)"},
        // A record over several lines: the error is on the line it starts on.
        {"x MX (\n  10\n  mail extra )\n",
         "example.test.zone:6: MX record has an extra field 'extra' after its preference exchange"},
        {"x TXT ( \"a\"\n \"b )\n", "example.test.zone:6: unterminated quoted string (on line 7)"},
        {"\n\nx SOA ns1 hostmaster (\n 1 2 3 4 5\n", "example.test.zone:8: '(' is never closed"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.body);
        EXPECT_EQ(error_of(std::string(kHead) + c.body), c.want);
    }
}

TEST(ZoneFile, CnameBesideOtherDataNamesTheSecondRecord) {
    EXPECT_EQ(error_of(std::string(kHead) + "www A 1.2.3.4\nwww CNAME ns1\n"),
              "example.test.zone:7: CNAME at 'www.example.test' beside other data (line 6)");
    EXPECT_EQ(error_of(std::string(kHead) + "www CNAME ns1\nwww TXT hi\n"),
              "example.test.zone:7: TXT at 'www.example.test' beside its CNAME (line 6)");
    EXPECT_EQ(error_of(std::string(kHead) + "www CNAME ns1\nWWW CNAME mail\n"),
              "example.test.zone:7: a second CNAME at 'WWW.example.test' (the first is on line 6)");
    // At the apex the SOA and NS are the other data.
    EXPECT_EQ(error_of(std::string(kHead) + "@ CNAME elsewhere.test.\n"),
              "example.test.zone:6: CNAME at 'example.test' beside other data (line 3)");
    // The same CNAME twice is one record (RFC 2181 section 5), not a conflict.
    auto zone = parse(std::string(kHead) + "www CNAME ns1\nwww 60 CNAME NS1.example.test.\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->records.size(), 4u);
}

TEST(ZoneFile, WholeZoneErrors) {
    EXPECT_EQ(error_of("$ORIGIN example.test.\n$TTL 1\nns1 A 198.18.0.1\n"),
              "example.test.zone: the zone has no SOA record");
    EXPECT_EQ(error_of(""), "example.test.zone: the zone has no SOA record");
    EXPECT_EQ(error_of("; only a comment\n\n   \n"), "example.test.zone: the zone has no SOA record");
    ZoneParseOptions at_apex;
    at_apex.origin = name("example.test");
    EXPECT_EQ(error_of("$TTL 1\nsub SOA a b 1 2 3 4 5\n", at_apex),
              "example.test.zone:2: the SOA is at 'sub.example.test', not at the zone origin 'example.test'");
    // Records before the SOA are checked once the SOA sets the apex.
    EXPECT_EQ(error_of("$TTL 1\nwww.example.test. A 1.2.3.4\nns.test. A 1.2.3.5\n"
                       "example.test. SOA ns.example.test. hm.example.test. 1 2 3 4 5\n"),
              "example.test.zone:3: 'ns.test' is out of zone (not at or below 'example.test')");
    // Text and wire-form suffixes that are not on a label boundary: neither name is below
    // "example.test", though the second one's key ends with the bytes of the apex's key.
    EXPECT_EQ(error_of(std::string(kHead) + "xexample.test. A 1.2.3.4\n"),
              "example.test.zone:6: 'xexample.test' is out of zone (not at or below 'example.test')");
    EXPECT_EQ(error_of(std::string(kHead) + "a\\007example.test. A 1.2.3.4\n"),
              "example.test.zone:6: 'a\\007example.test' is out of zone (not at or below 'example.test')");
}

TEST(ZoneFile, OwnerAndOriginErrors) {
    EXPECT_EQ(error_of("  A 1.2.3.4\n"),
              "example.test.zone:1: the first record has no owner (the line starts with a blank)");
    EXPECT_EQ(error_of("www 60 A 1.2.3.4\n"),
              "example.test.zone:1: owner 'www' is relative and there is no origin: put an $ORIGIN line before "
              "it or end the name with '.'");
    EXPECT_EQ(error_of("@ 60 SOA a. b. 1 2 3 4 5\n"),
              "example.test.zone:1: '@' as owner with no origin: put an $ORIGIN line before it");
    EXPECT_EQ(error_of("example.test. 60 SOA ns1 b. 1 2 3 4 5\n"),
              "example.test.zone:1: SOA mname 'ns1' is relative and there is no origin: put an $ORIGIN line "
              "before it or end the name with '.'");
    EXPECT_EQ(error_of("$ORIGIN sub\n"),
              "example.test.zone:1: $ORIGIN 'sub' is relative and there is no origin: put an $ORIGIN line "
              "before it or end the name with '.'");
    EXPECT_EQ(error_of("$ORIGIN example.test.\nwww A 1.2.3.4\n"),
              "example.test.zone:2: the record has no TTL and no $TTL line precedes it");
}

TEST(ZoneFile, TtlRules) {
    // No $TTL: the SOA takes its minimum, the others the previous record's TTL (RFC 1035).
    auto zone = parse("$ORIGIN example.test.\n@ SOA ns hm 1 2 3 4 77\nns A 1.2.3.4\nx 9 A 1.2.3.5\ny A 1.2.3.6\n"
                      "$TTL 1w\nz A 1.2.3.7\nw 1h30m A 1.2.3.8\nv A 1.2.3.9\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    std::vector<std::uint32_t> ttls;
    for (const auto& rr : zone->records) ttls.push_back(rr.ttl);
    EXPECT_EQ(ttls, (std::vector<std::uint32_t>{77, 77, 9, 9, 604800, 5400, 604800}));

    // The caller's default comes before any $TTL, and an explicit TTL beats it.
    ZoneParseOptions options;
    options.default_ttl = 42;
    zone = parse("$ORIGIN example.test.\n@ SOA ns hm 1 2 3 4 77\nns 5 A 1.2.3.4\nx A 1.2.3.5\n", options);
    ASSERT_TRUE(zone) << zone.error().to_string();
    ttls.clear();
    for (const auto& rr : zone->records) ttls.push_back(rr.ttl);
    EXPECT_EQ(ttls, (std::vector<std::uint32_t>{42, 5, 42}));

    // Units in any case, combined, trailing seconds; the largest TTL is allowed.
    zone = parse("$ORIGIN example.test.\n@ 0 SOA ns hm 1 1D 1H 1W 1M\na 2d A 1.1.1.1\nb 1h30 A 1.1.1.2\n"
                 "c 1w2d3h4m5s A 1.1.1.3\nd 2147483647 A 1.1.1.4\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    ttls.clear();
    for (const auto& rr : zone->records) ttls.push_back(rr.ttl);
    EXPECT_EQ(ttls, (std::vector<std::uint32_t>{0, 172800, 3630, 788645, 2147483647}));
    const auto& soa = std::get<wire::DnsSoa>(zone->records[0].data);
    EXPECT_EQ(soa.refresh, 86400u);
    EXPECT_EQ(soa.retry, 3600u);
    EXPECT_EQ(soa.expire, 604800u);
    EXPECT_EQ(soa.minimum, 60u);
}

TEST(ZoneFile, NamesOriginsAndEscapes) {
    ZoneParseOptions options;
    options.origin = name("Example.TEST");
    options.default_ttl = 60;
    auto zone = parse(
        "@ soa ns1 hm.example.test. 1 2 3 4 5\n"  // before any $ORIGIN: the option's origin
        "a\\.b A 198.18.0.1\n"                    // an escaped dot stays in the label
        "\\065bc A 198.18.0.2\n"                  // \DDD
        "sp\\ ace TXT x\n"                        // an escaped blank
        "$ORIGIN sub\n"                           // relative to the current origin
        "host A 198.18.0.3\n"
        "@ MX 0 @\n"                              // "@" in data too
        "$ORIGIN deeper.sub.example.test.\n"
        "h MX 5 x.example.test.\n"
        "h..x A 1.1.1.1\n",
        options);
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().to_string(),
              "example.test.zone:10: owner: invalid DNS name 'h..x.deeper.sub.example.test': empty label at offset 2");

    ZoneParseOptions again = options;
    zone = parse(
        "@ soa ns1 hm.example.test. 1 2 3 4 5\n"
        "a\\.b A 198.18.0.1\n"
        "\\065bc A 198.18.0.2\n"
        "sp\\ ace TXT x\n"
        "$ORIGIN sub\n"
        "host A 198.18.0.3\n"
        "@ MX 0 @\n"
        "$ORIGIN deeper.sub.example.test.\n"
        "h MX 5 x.example.test.\n",
        again);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(lines_of(*zone), (std::vector<std::string>{
                                   "Example.TEST 60 SOA ns1.Example.TEST hm.example.test 1 2 3 4 5",
                                   "a\\.b.Example.TEST 60 A 198.18.0.1",
                                   "Abc.Example.TEST 60 A 198.18.0.2",
                                   "sp\\032ace.Example.TEST 60 TXT \"x\"",
                                   "host.sub.Example.TEST 60 A 198.18.0.3",
                                   "sub.Example.TEST 60 MX 0 sub.Example.TEST",
                                   "h.deeper.sub.example.test 60 MX 5 x.example.test",
                               }));
    EXPECT_EQ(zone->records[1].name, name("a\\.b.example.test"));
    EXPECT_EQ(zone->origin, name("example.test"));
}

TEST(ZoneFile, SoaOwnerIsTheOriginWithoutOne) {
    // No $ORIGIN, no option: absolute names only, and the SOA's owner is the apex.
    auto zone = parse("example.test. 60 IN SOA ns1.example.test. hm.example.test. 1 2 3 4 5\n"
                      "example.test. 60 IN NS ns1.example.test.\n"
                      "ns1.example.test. 60 IN A 198.18.0.1\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->origin, name("example.test"));
    EXPECT_EQ(zone->records.size(), 3u);

    // The root zone: "." is the origin and everything is in it.
    zone = parse("$ORIGIN .\n$TTL 1\n@ SOA a.root-servers.net. nstld.verisign-grs.com. 1 2 3 4 5\n"
                 "test NS ns.test\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(lines_of(*zone)[1], "test 1 NS ns.test");
}

TEST(ZoneFile, SyntaxDetails) {
    // CRLF lines, tabs, lower-case mnemonics, comments at every place, blank lines,
    // parentheses anywhere in a record, an owner line left blank after parentheses.
    auto zone = parse("$origin example.test.\r\n"
                      "$ttl\t300\r\n"
                      "@\tin\tsoa\tns1 hm ( 1 2 ; serial, refresh\r\n"
                      "\t\t3 4 5 )\r\n"
                      "\r\n"
                      "   ; a comment line with a blank start\r\n"
                      "\tns\tns1\r\n"
                      "ns1 ( a\r\n 198.18.0.1 )\r\n"
                      "t txt \"a\"\"b\"c\r\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(lines_of(*zone), (std::vector<std::string>{
                                   "example.test 300 SOA ns1.example.test hm.example.test 1 2 3 4 5",
                                   "example.test 300 NS ns1.example.test",
                                   "ns1.example.test 300 A 198.18.0.1",
                                   "t.example.test 300 TXT \"a\" \"b\" \"c\"",
                               }));
}

TEST(ZoneFile, IdenticalRecordsAreKeptOnce) {
    auto zone = parse(std::string(kHead) +
                      "ns1 A 198.18.0.1\n"        // same as line 5
                      "NS1 600 A 198.18.0.1\n"    // names ignore case, TTL is not part of identity
                      "ns1 A 198.18.0.2\n"        // different data: kept
                      "@ NS NS1.EXAMPLE.TEST.\n"  // same as line 4, written another way
                      "t TXT \"ab\" \"c\"\n"
                      "t TXT \"a\" \"bc\"\n"      // different strings, same bytes joined: kept
                      "t TXT \"AB\" \"c\"\n");    // TXT is case-sensitive: kept
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(lines_of(*zone), (std::vector<std::string>{
                                   "example.test 300 SOA ns1.example.test hostmaster.example.test 1 2 3 4 5",
                                   "example.test 300 NS ns1.example.test",
                                   "ns1.example.test 300 A 198.18.0.1",
                                   "ns1.example.test 300 A 198.18.0.2",
                                   "t.example.test 300 TXT \"ab\" \"c\"",
                                   "t.example.test 300 TXT \"a\" \"bc\"",
                                   "t.example.test 300 TXT \"AB\" \"c\"",
                               }));
}

TEST(ZoneFile, LineLengthLimitNamesTheLine) {
    ZoneParseOptions options;
    options.limits.max_line_length = 40;
    const std::string ok = std::string(kHead) + "x TXT \"" + std::string(32, 'a') + "\"\n";  // 40 bytes
    auto zone = parse(ok, options);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(error_of(std::string(kHead) + "x TXT (\n\"" + std::string(40, 'a') + "\" )\n", options),
              "example.test.zone:7: line of 44 bytes exceeds the limit of 40");
}

TEST(ZoneFile, RecordLimits) {
    ZoneParseOptions per_name;
    per_name.limits.max_records_per_name = 3;
    // Three at ns1; duplicates do not count against the limit.
    std::string text = std::string(kHead) + "ns1 A 198.18.0.2\nns1 A 198.18.0.1\nns1 AAAA ::1\n";
    auto zone = parse(text, per_name);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->records.size(), 5u);
    EXPECT_EQ(error_of(text + "x A 1.1.1.1\nns1 TXT four\n", per_name),
              "example.test.zone:10: more than 3 records at 'ns1.example.test'");

    ZoneParseOptions whole;
    whole.limits.max_records = 4;
    text = std::string(kHead) + "a A 1.1.1.1\n";
    zone = parse(text, whole);
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->records.size(), 4u);
    EXPECT_EQ(error_of(text + "a A 1.1.1.1\nb A 1.1.1.1\n", whole),
              "example.test.zone:8: more than 4 records in the zone");
}

TEST(ZoneFile, FieldAndRdataCaps) {
    // More fields than any record could need: stopped by the lexer, at the record's line.
    std::string text = std::string(kHead) + "x TXT (\n";
    for (int i = 0; i < 1400; ++i) text += std::string(100, '"') + "\n";  // 50 empty strings a line
    text += ")\n";
    EXPECT_EQ(error_of(text), "example.test.zone:6: record has more than 65543 fields (its data could not fit in "
                              "65535 bytes)");
    // TXT data over 65535 bytes in all.
    text = std::string(kHead) + "x TXT (\n";
    for (int i = 0; i < 300; ++i) text += "\"" + std::string(250, 'x') + "\"\n";
    text += ")\n";
    EXPECT_EQ(error_of(text), "example.test.zone:6: TXT data is over 65535 bytes");
}

// The records as text: parsed again under "$ORIGIN .", every name printed without its dot
// reads back as the same absolute name.
std::string print_zone(const Zone& zone) {
    std::string out = "$ORIGIN .\n";
    for (const auto& rr : zone.records) out += line_of(rr) + "\n";
    return out;
}

TEST(ZoneFile, PrintedRecordsParseBackToTheSameZone) {
    auto zone = parse(kExampleZone);
    ASSERT_TRUE(zone) << zone.error().to_string();
    const std::string printed = print_zone(*zone);
    auto again = parse(printed);
    ASSERT_TRUE(again) << again.error().to_string() << "\n" << printed;
    EXPECT_EQ(again->origin, zone->origin);
    ASSERT_EQ(again->records.size(), zone->records.size());
    for (std::size_t i = 0; i < zone->records.size(); ++i) {
        const auto& a = zone->records[i];
        const auto& b = again->records[i];
        SCOPED_TRACE(line_of(a));
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.type, b.type);
        EXPECT_EQ(a.ttl, b.ttl);
        EXPECT_EQ(wire::dns_rdata_to_string(a.data), wire::dns_rdata_to_string(b.data));
    }
    EXPECT_EQ(print_zone(*again), printed);

    // Bytes a TXT string must escape survive the trip too.
    zone = parse(std::string(kHead) + "t TXT \"\\000\\255\\\"\\\\;()\\009\"\n");
    ASSERT_TRUE(zone) << zone.error().to_string();
    again = parse(print_zone(*zone));
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(std::get<wire::DnsTxt>(again->records.back().data).strings,
              (std::vector<std::string>{std::string("\0\xff\"\\;()\t", 8)}));
}

TEST(ZoneFile, HundredThousandRecordsInOnePass) {
    // Linear work: a zone written by a loop, 100k owners and one RRset of 1000 at one name.
    std::string text = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n  NS ns\nns A 198.18.0.1\n";
    constexpr int kHosts = 100'000;
    for (int i = 0; i < kHosts; ++i) {
        // Appended piece by piece: g++ 12 reports a false -Wrestrict on `"h" + std::string`.
        text.append("h").append(std::to_string(i)).append(" A 10.").append(std::to_string(i >> 16));
        text.append(".").append(std::to_string((i >> 8) & 255)).append(".").append(std::to_string(i & 255));
        text.append("\n");
    }
    for (int i = 0; i < 1000; ++i) text += "many TXT \"" + std::to_string(i) + "\"\n";
    auto zone = parse(text);
    ASSERT_TRUE(zone) << zone.error().to_string();
    ASSERT_EQ(zone->records.size(), 3u + kHosts + 1000);
    EXPECT_EQ(line_of(zone->records[3 + 70000]), "h70000.big.test 60 A 10.1.17.112");
    EXPECT_EQ(line_of(zone->records.back()), "many.big.test 60 TXT \"999\"");
}

class ZoneFileOnDisk : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("weft_zone_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::filesystem::path dir_;
};

TEST_F(ZoneFileOnDisk, LoadsAndNamesThePathInErrors) {
    const auto good = dir_ / "example.test";
    std::ofstream(good) << kExampleZone;
    auto zone = load_zone_file(good.string());
    ASSERT_TRUE(zone) << zone.error().to_string();
    EXPECT_EQ(zone->records.size(), 17u);

    const auto bad = dir_ / "bad.test";
    std::ofstream(bad) << kHead << "x MX 70000 mail\n";
    zone = load_zone_file(bad.string());
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().to_string(), bad.string() + ":6: MX preference '70000' is out of range 0-65535");

    ZoneParseOptions named;
    named.file_name = "zones/bad";
    zone = load_zone_file(bad.string(), named);
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().file, "zones/bad");
    EXPECT_EQ(zone.error().line, 6u);
}

TEST_F(ZoneFileOnDisk, UnreadableFilesAreLineZeroWithTheReason) {
    const auto missing = (dir_ / "missing").string();
    auto zone = load_zone_file(missing);
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().to_string(), missing + ": No such file or directory");
    zone = load_zone_file(dir_.string());
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().to_string(), dir_.string() + ": Is a directory");
    // A file over the cap is refused from its size, before any of it is read: a sparse
    // file of 1 GiB + 1 byte takes no disk space.
    const auto huge = (dir_ / "huge").string();
    std::ofstream(huge).close();
    std::filesystem::resize_file(huge, kZoneMaxFileSize + 1);
    zone = load_zone_file(huge);
    ASSERT_FALSE(zone);
    EXPECT_EQ(zone.error().to_string(), huge + ": file of 1073741825 bytes is over the 1024 MiB limit");
}

}  // namespace
}  // namespace weft::dns
