// weft decode: frames from a capture file or from hex, taken apart layer by layer by the
// wire/ dissector; a readable table, or one JSON object per frame (DESIGN.md).
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "cli.hpp"
#include "frame_output.hpp"
#include "weft/wire/dissect.hpp"
#include "weft/wire/pcap.hpp"

namespace weft::cli {

namespace {

struct DecodeArgs {
    std::string pcap;
    std::string hex;
    bool json = false;
};

// Whitespace and colons separate nothing: "02:00 0a" is "02000a". Positions count from 1.
std::vector<std::byte> hex_arg(const std::string& text) {
    std::vector<std::byte> out;
    int high = -1;
    std::size_t high_at = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ':' || std::isspace(static_cast<unsigned char>(c))) continue;
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0)
            throw UsageError("invalid --hex: '" + std::string(1, c) + "' at position " + std::to_string(i + 1) +
                             " is not a hex digit");
        if (high < 0) {
            high = v;
            high_at = i;
        } else {
            out.push_back(std::byte(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0)
        throw UsageError("invalid --hex: odd number of hex digits (the digit at position " +
                         std::to_string(high_at + 1) + " has no partner)");
    if (out.empty()) throw UsageError("invalid --hex: no hex digits");
    return out;
}

void run(const DecodeArgs& args) {
    if (args.pcap.empty() == args.hex.empty()) throw UsageError("decode needs exactly one of --pcap FILE or --hex HEX");
    FrameOutput out(args.json);
    if (!args.hex.empty()) {
        const std::vector<std::byte> bytes = hex_arg(args.hex);
        out.frame(1, bytes, bytes.size(), wire::kLinktypeEthernet);
        return;
    }
    // Streamed: the file is mapped and its decoded pages dropped as the reader passes them,
    // so memory stays bounded whatever the file's size.
    CaptureFileBytes file(args.pcap);
    auto reader = wire::PcapReader::open(file.bytes());
    if (!reader) throw std::runtime_error("'" + args.pcap + "': " + reader.error().to_string());
    for (std::size_t number = 1;; ++number) {
        auto record = reader->next();
        if (!record) {
            out.flush();  // every good frame before the damage is shown
            throw std::runtime_error("'" + args.pcap + "': " + record.error().to_string());
        }
        if (!*record) break;
        const wire::PcapRecord& r = **record;
        out.frame(number, r.data, r.original_length, r.linktype);
        file.done_before(r.offset);
    }
}

}  // namespace

void add_decode(CLI::App& app) {
    auto args = std::make_shared<DecodeArgs>();
    CLI::App* cmd = app.add_subcommand("decode", "Decode frames layer by layer (from a pcap/pcapng file or hex)");
    cmd->add_option("--pcap", args->pcap, "Capture file to decode (pcap or pcapng)");
    cmd->add_option("--hex", args->hex, "One Ethernet frame as hex digits (whitespace and colons ignored)");
    cmd->add_flag("--json", args->json, "One JSON object per frame, one per line");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
