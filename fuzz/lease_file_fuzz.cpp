// Lease files: any bytes as a lease file, read twice: as they are, and with every complete
// line given its correct CRC32 (so that the fuzzer reaches the field checks behind the CRC
// gate). Checked: no crash; every issue is one line on a line of the input; the records name
// each address once and each client once, a lease always with a client, a decline never;
// they are in address order; written back they read back the same with no issue; a lease
// table restored from them agrees (each client at its address).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include "fuzz_check.hpp"
#include "weft/services/dhcp/lease_file.hpp"
#include "weft/services/dhcp/lease_table.hpp"
#include "weft/wire/ethernet.hpp"

using namespace weft;
using namespace weft::dhcp;
using weft::fuzz::check;

namespace {

// Every line that ends in a newline gets " <crc32>" appended; a last line without one is kept.
std::string with_crcs(std::string_view text) {
    std::string out;
    std::size_t at = 0;
    for (auto nl = text.find('\n'); nl != std::string_view::npos; at = nl + 1, nl = text.find('\n', at)) {
        const std::string_view line = text.substr(at, nl - at);
        char crc[10];
        std::snprintf(crc, sizeof crc, " %08x", wire::crc32(std::as_bytes(std::span(line.data(), line.size()))));
        out.append(line).append(crc).push_back('\n');
    }
    out.append(text.substr(at));
    return out;
}

void check_log(std::string_view text) {
    const LeaseLog log = parse_lease_log(text, "fuzz");

    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    check(log.issues.size() <= kLeaseFileMaxIssues + 2, "issues are capped");
    for (const auto& issue : log.issues) {
        check(!issue.message.empty() && issue.message.find('\n') == std::string::npos, "an issue is one line");
        check(issue.line >= 1 && issue.line <= lines, "an issue names a line of the input");
        check(issue.to_string().rfind("fuzz:", 0) == 0, "an issue names the file");
    }

    std::set<Ipv4Address> addresses;
    std::set<ClientKey> clients;
    for (std::size_t i = 0; i < log.records.size(); ++i) {
        const auto& r = log.records[i];
        check(addresses.insert(r.address).second, "an address once");
        if (i > 0) check(log.records[i - 1].address < r.address, "records in address order");
        if (r.event == LeaseEvent::lease) check(!r.client.empty(), "a lease has a client");
        if (r.event == LeaseEvent::decline) check(r.client.empty(), "a decline has no client");
        if (!r.client.empty()) check(clients.insert(r.client).second, "a client once");
    }

    std::string again;
    for (const auto& r : log.records) append_lease_line(again, r);
    const LeaseLog back = parse_lease_log(again, "fuzz");
    check(back.issues.empty(), "written records read back without issues");
    check(back.records == log.records, "written records read back the same");

    LeaseTable table({Ipv4Address(0u), Ipv4Address(0xffffffffu)});
    check(table.restore(log.records) == 0, "the whole range takes every record");
    for (const auto& r : log.records) {
        const auto* e = table.find(r.address);
        check(e != nullptr, "every record has its entry");
        if (!r.client.empty()) check(table.address_of(r.client) == r.address, "the table agrees on the client");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = weft::fuzz::as_text(data, size);
    check_log(text);
    check_log(with_crcs(text));
    return 0;
}
