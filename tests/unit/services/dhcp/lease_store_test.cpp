// services/dhcp lease file and store: the line format (checked against zlib's CRC-32 as
// Python computes it), a damaged line named file:line with the others kept, a torn last
// record cut at every byte, append + sync, a crash before sync, compaction that keeps exactly
// the live set, a crash in the middle of a compaction, and the lock.
#include "weft/services/dhcp/lease_file.hpp"
#include "weft/services/dhcp/lease_store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "weft/wire/ethernet.hpp"

namespace weft::dhcp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const WallTime kT0{std::chrono::seconds(1'700'000'000)};

ClientKey key(std::uint8_t n) {
    return ClientKey::parse("hw:0102000000000" + std::to_string(n % 10)).value();
}
MacAddress mac(std::uint8_t n) { return MacAddress({2, 0, 0, 0, 0, n}); }
Ipv4Address addr(unsigned host) { return Ipv4Address(198, 18, 0, static_cast<std::uint8_t>(host)); }
LeaseRecord lease(unsigned host, std::uint8_t client, WallTime until) {
    return {LeaseEvent::lease, addr(host), key(client), mac(client), until};
}

// A line with a correct CRC around any body, to reach the field checks.
std::string signed_line(const std::string& body) {
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08x", wire::crc32(std::as_bytes(std::span(body.data(), body.size()))));
    return body + " " + crc + "\n";
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

// A fresh directory per test, removed at the end.
class LeaseStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string templ = (fs::path(::testing::TempDir()) / "weft-leases-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
        path_ = (dir_ / "dhcp-leases-test0").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    LeaseStore::Opened open() {
        auto opened = LeaseStore::open(path_);
        EXPECT_TRUE(opened.has_value()) << (opened ? "" : opened.error());
        return std::move(opened).value();
    }

    fs::path dir_;
    std::string path_;
};

// ---- the format ----

TEST(DhcpLeaseFile, TheHeadersExampleLinesAreWhatTheWriterWrites) {
    // The lines shown in lease_file.hpp, CRCs computed with Python's zlib.crc32.
    const std::string text = std::string(kLeaseFileHeader) +
                             "lease 198.18.0.10 hw:01020000000001 02:00:00:00:00:01 1700003600 3b62d3e8\n"
                             "release 198.18.0.10 hw:01020000000001 02:00:00:00:00:01 1700000100 a90ed17f\n"
                             "decline 198.18.0.11 - 02:00:00:00:00:02 1700000700 1f4f7d5f\n";
    auto log = parse_lease_log(text, "leases");
    EXPECT_TRUE(log.issues.empty()) << log.issues[0].to_string();
    EXPECT_EQ(log.lines, 3u);
    ASSERT_EQ(log.records.size(), 2u);
    EXPECT_EQ(log.records[0].event, LeaseEvent::release) << "the last line about .10 wins";
    EXPECT_EQ(log.records[0].time, WallTime(1'700'000'100s));
    EXPECT_EQ(log.records[1].event, LeaseEvent::decline);
    EXPECT_EQ(format_lease_line(lease(10, 1, WallTime(1'700'003'600s))),
              "lease 198.18.0.10 hw:01020000000001 02:00:00:00:00:01 1700003600 3b62d3e8\n");
}

TEST(DhcpLeaseFile, RoundTripOfEveryKindOfRecord) {
    const std::vector<LeaseRecord> records = {
        lease(10, 1, kT0 + 3600s),
        {LeaseEvent::release, addr(11), key(2), mac(2), kT0},
        {LeaseEvent::release, addr(12), ClientKey{}, mac(3), kT0},
        {LeaseEvent::decline, addr(13), ClientKey{}, MacAddress{}, kT0 + 600s},
        {LeaseEvent::lease, addr(14), ClientKey::parse("id:" + std::string(510, 'a')).value(), mac(5), kT0},
    };
    std::string text;
    for (const auto& r : records) append_lease_line(text, r);
    auto log = parse_lease_log(text, "x");
    EXPECT_TRUE(log.issues.empty());
    EXPECT_EQ(log.records, records);
}

TEST(DhcpLeaseFile, CommentsAndEmptyLinesAreSkipped) {
    auto log = parse_lease_log("# a comment\n\n" + format_lease_line(lease(10, 1, kT0)) + "\n#\n", "x");
    EXPECT_TRUE(log.issues.empty());
    EXPECT_EQ(log.records.size(), 1u);
    EXPECT_EQ(log.lines, 1u);
}

TEST(DhcpLeaseFile, ADamagedLineIsNamedAndTheOthersAreKept) {
    struct Case {
        std::string line;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"lease 198.18.0.12 hw:01020000000002 02:00:00:00:00:02 1700003600 00000000\n",
         "CRC32 does not match: the line is damaged"},
        {"lease 198.18.0.12 hw:01020000000002\n", "no CRC32 at the end of the line"},
        {"garbage\n", "no CRC32 at the end of the line"},
        {std::string(700, 'x') + "\n", "line of 700 bytes is longer than 640"},
        {signed_line("lease 198.18.0.12 hw:01020000000002 02:00:00:00:00:02"),
         "expected EVENT ADDRESS CLIENT MAC UNIX-TIME CRC32"},
        {signed_line("lease 198.18.0.12 hw:01020000000002 02:00:00:00:00:02 1 2"),
         "expected EVENT ADDRESS CLIENT MAC UNIX-TIME CRC32"},
        {signed_line("lease  198.18.0.12 hw:01020000000002 02:00:00:00:00:02 1"),
         "expected EVENT ADDRESS CLIENT MAC UNIX-TIME CRC32"},
        {signed_line("bind 198.18.0.12 hw:01020000000002 02:00:00:00:00:02 1"), "unknown event 'bind'"},
        {signed_line("lease 198.18.0.312 hw:01020000000002 02:00:00:00:00:02 1"), "bad address '198.18.0.312': "},
        {signed_line("lease 198.18.0.12 hw:01 02:00:00:00:00:02 1"), "bad client 'hw:01'"},
        {signed_line("lease 198.18.0.12 - 02:00:00:00:00:02 1"), "a lease without a client"},
        {signed_line("decline 198.18.0.12 hw:01020000000002 02:00:00:00:00:02 1"), "a decline names a client"},
        {signed_line("lease 198.18.0.12 hw:01020000000002 02:00:00:00:02 1"), "bad MAC '02:00:00:00:02'"},
        {signed_line("lease 198.18.0.12 hw:01020000000002 02:00:00:00:00:02 -1"), "bad UNIX-TIME '-1'"},
        {signed_line("lease 198.18.0.12 hw:01020000000002 02:00:00:00:00:02 9999999999999"),
         "bad UNIX-TIME '9999999999999'"},
    };
    for (const auto& k : cases) {
        const std::string text = std::string(kLeaseFileHeader) + format_lease_line(lease(10, 1, kT0)) + k.line +
                                 format_lease_line(lease(11, 3, kT0));
        auto log = parse_lease_log(text, "/var/lib/weft/dhcp-leases-eth0");
        ASSERT_EQ(log.issues.size(), 1u) << k.line;
        EXPECT_FALSE(log.issues[0].torn_tail);
        EXPECT_TRUE(log.damaged());
        const std::string expected = std::string("/var/lib/weft/dhcp-leases-eth0:3: ") + k.message;
        EXPECT_EQ(log.issues[0].to_string().rfind(expected, 0), 0u) << log.issues[0].to_string();
        ASSERT_EQ(log.records.size(), 2u) << "the good lines around it";
        EXPECT_EQ(log.records[0].address, addr(10));
        EXPECT_EQ(log.records[1].address, addr(11));
    }
}

TEST(DhcpLeaseFile, ManyDamagedLinesAreCountedNotListed) {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "junk\n";
    auto log = parse_lease_log(text, "f");
    ASSERT_EQ(log.issues.size(), kLeaseFileMaxIssues + 1);
    EXPECT_EQ(log.issues.back().message, "and 80 more damaged lines");
}

TEST(DhcpLeaseFile, AClientOnTwoAddressesKeepsItsLatestLine) {
    const std::string text = format_lease_line(lease(10, 1, kT0)) + format_lease_line(lease(11, 1, kT0)) +
                             format_lease_line(lease(12, 2, kT0));
    auto log = parse_lease_log(text, "f");
    ASSERT_EQ(log.records.size(), 2u);
    EXPECT_EQ(log.records[0].address, addr(11));
    EXPECT_EQ(log.records[1].address, addr(12));
}

TEST(DhcpLeaseFile, ATornLastRecordAtEveryByteIsDroppedAndNothingIsInvented) {
    const std::string good = std::string(kLeaseFileHeader) + format_lease_line(lease(10, 1, kT0)) +
                             format_lease_line({LeaseEvent::release, addr(11), key(2), mac(2), kT0});
    const std::string last = format_lease_line(lease(12, 3, kT0 + 3600s));
    for (std::size_t cut = 0; cut <= last.size(); ++cut) {
        auto log = parse_lease_log(good + last.substr(0, cut), "f");
        const bool whole = cut == last.size();
        ASSERT_EQ(log.records.size(), whole ? 3u : 2u) << "cut at " << cut;
        EXPECT_EQ(log.records[0], lease(10, 1, kT0));
        EXPECT_FALSE(log.damaged()) << "cut at " << cut << ": " << log.issues[0].to_string();
        EXPECT_EQ(log.issues.size(), cut == 0 || whole ? 0u : 1u) << "cut at " << cut;
        if (!log.issues.empty()) {
            EXPECT_TRUE(log.issues[0].torn_tail);
            EXPECT_EQ(log.issues[0].line, 4u);
        }
        if (whole) {
            EXPECT_EQ(log.records[2], lease(12, 3, kT0 + 3600s));
        }
    }
}

// ---- the store ----

TEST_F(LeaseStoreTest, ANewFileStartsWithTheHeader) {
    auto opened = open();
    EXPECT_TRUE(opened.rewritten);
    EXPECT_TRUE(opened.log.records.empty());
    EXPECT_EQ(read_file(path_), kLeaseFileHeader);
}

TEST_F(LeaseStoreTest, AppendThenSyncIsThereAfterReopening) {
    const std::vector<LeaseRecord> batch = {lease(10, 1, kT0), lease(11, 2, kT0), lease(12, 3, kT0)};
    {
        auto opened = open();
        opened.store.append(batch);  // a group commit: three ACKs, one fdatasync
        EXPECT_EQ(opened.store.pending(), 3u);
        ASSERT_TRUE(opened.store.sync());
        EXPECT_EQ(opened.store.pending(), 0u);
        EXPECT_EQ(opened.store.lines(), 3u);
        opened.store.append(LeaseRecord{LeaseEvent::release, addr(10), key(1), mac(1), kT0 + 5s});
        ASSERT_TRUE(opened.store.sync());
        ASSERT_TRUE(opened.store.sync()) << "nothing pending: nothing to do";
    }
    auto again = open();
    EXPECT_FALSE(again.rewritten) << "a clean file is appended to as it is";
    EXPECT_TRUE(again.log.issues.empty());
    ASSERT_EQ(again.log.records.size(), 3u);
    EXPECT_EQ(again.log.records[0].event, LeaseEvent::release);
    EXPECT_EQ(again.log.records[1], batch[1]);
    EXPECT_EQ(again.log.records[2], batch[2]);
    EXPECT_EQ(again.store.lines(), 4u);
}

TEST_F(LeaseStoreTest, WhatWasNotSyncedIsNotThereAfterACrash) {
    {
        auto opened = open();
        opened.store.append(lease(10, 1, kT0));
        ASSERT_TRUE(opened.store.sync());
        opened.store.append(lease(11, 2, kT0));  // its ACK never left: the "crash" comes first
    }
    auto again = open();
    ASSERT_EQ(again.log.records.size(), 1u);
    EXPECT_EQ(again.log.records[0].address, addr(10));
}

TEST_F(LeaseStoreTest, ATornTailIsDroppedAndTheNextAppendStartsOnACleanLine) {
    {
        auto opened = open();
        opened.store.append(std::vector{lease(10, 1, kT0), lease(11, 2, kT0)});
        ASSERT_TRUE(opened.store.sync());
    }
    const std::string whole = read_file(path_);
    const std::string last = format_lease_line(lease(12, 3, kT0));
    for (std::size_t cut = 1; cut < last.size(); ++cut) {
        write_file(path_, whole + last.substr(0, cut));  // the crash cut the write at `cut`
        {
            auto opened = open();
            ASSERT_EQ(opened.log.records.size(), 2u) << "cut at " << cut;
            ASSERT_EQ(opened.log.issues.size(), 1u);
            EXPECT_TRUE(opened.log.issues[0].torn_tail);
            EXPECT_TRUE(opened.rewritten);
            EXPECT_FALSE(fs::exists(path_ + ".damaged")) << "a torn tail is no damage";
            opened.store.append(lease(13, 4, kT0));
            ASSERT_TRUE(opened.store.sync());
        }
        auto again = open();
        EXPECT_TRUE(again.log.issues.empty()) << "cut at " << cut << ": " << again.log.issues[0].to_string();
        ASSERT_EQ(again.log.records.size(), 3u);
        EXPECT_EQ(again.log.records[2], lease(13, 4, kT0));
        write_file(path_, whole);
    }
}

TEST_F(LeaseStoreTest, ADamagedFileIsKeptAsideRewrittenAndNamedFileLine) {
    write_file(path_, std::string(kLeaseFileHeader) + format_lease_line(lease(10, 1, kT0)) + "lease 198.18.0.11 XX\n" +
                          format_lease_line(lease(12, 3, kT0)));
    const std::string before = read_file(path_);
    {
        auto opened = open();
        ASSERT_EQ(opened.log.issues.size(), 1u);
        EXPECT_EQ(opened.log.issues[0].to_string(), path_ + ":3: no CRC32 at the end of the line");
        EXPECT_EQ(opened.log.records.size(), 2u);
        EXPECT_TRUE(opened.rewritten);
    }
    EXPECT_EQ(read_file(path_ + ".damaged"), before);
    auto again = open();
    EXPECT_TRUE(again.log.issues.empty());
    EXPECT_EQ(again.log.records.size(), 2u);
}

TEST_F(LeaseStoreTest, CompactionKeepsExactlyTheLiveSet) {
    auto opened = open();
    for (int round = 0; round < 50; ++round) {
        opened.store.append(lease(10 + round % 5, static_cast<std::uint8_t>(round % 5), kT0 + std::chrono::seconds(round)));
        ASSERT_TRUE(opened.store.sync());
    }
    EXPECT_EQ(opened.store.lines(), 50u);
    auto live = parse_lease_log(read_file(path_), path_).records;
    ASSERT_EQ(live.size(), 5u);
    ASSERT_TRUE(opened.store.compact(live));
    EXPECT_EQ(opened.store.lines(), 5u);
    std::string expected(kLeaseFileHeader);
    for (const auto& r : live) append_lease_line(expected, r);
    EXPECT_EQ(read_file(path_), expected);
    EXPECT_FALSE(fs::exists(path_ + ".tmp"));
    // Appends go to the new file.
    opened.store.append(lease(20, 7, kT0));
    ASSERT_TRUE(opened.store.sync());
    EXPECT_EQ(parse_lease_log(read_file(path_), path_).records.size(), 6u);
}

TEST_F(LeaseStoreTest, ACrashBeforeTheRenameLeavesTheOldFileWhole) {
    {
        auto opened = open();
        opened.store.append(std::vector{lease(10, 1, kT0), lease(11, 2, kT0)});
        ASSERT_TRUE(opened.store.sync());
        // Compaction's first half, then the "crash": FILE.tmp written (whole, then cut short),
        // never renamed.
        const std::vector<LeaseRecord> next = {lease(10, 1, kT0 + 60s)};
        ASSERT_TRUE(write_lease_file(path_ + ".tmp", next));
        const std::string tmp = read_file(path_ + ".tmp");
        write_file(path_ + ".tmp", tmp.substr(0, tmp.size() / 2));
    }
    auto again = open();
    EXPECT_TRUE(again.log.issues.empty());
    ASSERT_EQ(again.log.records.size(), 2u);
    EXPECT_EQ(again.log.records[0], lease(10, 1, kT0));
    EXPECT_FALSE(fs::exists(path_ + ".tmp")) << "the leftover is removed";
}

TEST_F(LeaseStoreTest, ASecondProcessCannotOpenTheSameFile) {
    auto first = open();
    auto second = LeaseStore::open(path_);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), "lease file " + path_ + " is in use by another process (" + path_ + ".lock is locked)");
}

TEST_F(LeaseStoreTest, AMissingDirectoryIsAOneLineError) {
    auto opened = LeaseStore::open((dir_ / "no-such-dir" / "leases").string());
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().find("no-such-dir/leases: open"), std::string::npos) << opened.error();
    EXPECT_NE(opened.error().find("No such file or directory"), std::string::npos) << opened.error();
}

TEST_F(LeaseStoreTest, ALongLogIsCompactedAtOpenAndWhenAsked) {
    {
        auto opened = open();
        for (std::size_t i = 0; i <= LeaseStore::kCompactMinLines; ++i)
            opened.store.append(lease(10 + i % 3, static_cast<std::uint8_t>(i % 3), kT0 + std::chrono::seconds(i)));
        ASSERT_TRUE(opened.store.sync());
        EXPECT_TRUE(opened.store.should_compact(3));
        EXPECT_FALSE(opened.store.should_compact(LeaseStore::kCompactMinLines));
    }
    auto again = open();
    EXPECT_TRUE(again.rewritten);
    EXPECT_EQ(again.store.lines(), 3u);
    EXPECT_EQ(again.log.records.size(), 3u);
}

TEST_F(LeaseStoreTest, AStoreMovesWithItsLock) {
    auto opened = open();
    LeaseStore moved = std::move(opened.store);
    moved.append(lease(10, 1, kT0));
    ASSERT_TRUE(moved.sync());
    EXPECT_FALSE(LeaseStore::open(path_)) << "still locked";
}

}  // namespace
}  // namespace weft::dhcp
