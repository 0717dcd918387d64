// pcap and pcapng through the one reader: open, read every record (bounded), decode Ethernet
// records; records lie inside the file and offsets only grow. The records read are written
// again with PcapWriter (nanoseconds) and read back equal.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/pcap.hpp"

using namespace weft::wire;
using weft::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto reader = PcapReader::open(input);
    if (!reader) return 0;
    (void)reader->linktype();
    (void)reader->snaplen();

    std::vector<PcapRecord> records;
    std::size_t last_offset = 0;
    for (int i = 0; i < 10000; ++i) {
        auto r = reader->next();
        if (!r || !*r) break;
        const PcapRecord& rec = **r;
        check(weft::fuzz::within(rec.data, input), "record data inside the file");
        check(rec.data.size() <= kMaxPcapRecordBytes, "record within the cap");
        check(records.empty() || rec.offset > last_offset, "records move forward");
        check(reader->offset() <= size, "reader offset inside the file");
        last_offset = rec.offset;
        if (rec.linktype == kLinktypeEthernet) (void)EthernetFrame::parse(rec.data);
        records.push_back(rec);
    }

    std::vector<std::byte> file;
    PcapWriter writer(file, kLinktypeEthernet, TimestampPrecision::nano);
    constexpr std::chrono::nanoseconds kMax = std::chrono::seconds(0xffffffffLL);
    for (const auto& rec : records) writer.write(rec.timestamp, rec.data, rec.original_length);
    auto again = PcapReader::open(file);
    check(again.has_value(), "written pcap opens");
    for (const auto& rec : records) {
        auto r = again->next();
        check(r.has_value() && r->has_value(), "written record reads back");
        check(weft::fuzz::same((*r)->data, rec.data), "record data round trip");
        if (rec.timestamp.count() >= 0 && rec.timestamp < kMax)
            check((*r)->timestamp == rec.timestamp, "record timestamp round trip");
        if (rec.original_length != 0) check((*r)->original_length == rec.original_length, "original length");
    }
    auto end = again->next();
    check(end.has_value() && !end->has_value(), "no extra record");
    return 0;
}
