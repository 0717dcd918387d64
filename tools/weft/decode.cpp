// weft decode: frames from a capture file or from hex, taken apart layer by layer by the
// wire/ dissector; a readable table, or one JSON object per frame (DESIGN.md).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli.hpp"
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

std::vector<std::byte> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("cannot read '" + path + "': read error");
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    return bytes;
}

// One line per layer: the name, then key=value pairs wrapped under each other.
void print_table(std::size_t number, const wire::DissectedFrame& frame) {
    std::cout << "frame " << number << ": " << frame.length << " bytes captured";
    if (frame.original_length != frame.length) std::cout << ", " << frame.original_length << " on the wire";
    std::cout << '\n';
    constexpr std::size_t kWidth = 100;
    constexpr std::size_t kIndent = 13;
    for (const wire::DissectLayer& layer : frame.layers) {
        std::string line = "  " + layer.name;
        line.resize(kIndent, ' ');
        std::size_t column = line.size();
        bool first = true;
        for (const wire::DissectField& f : layer.fields) {
            const std::string item = f.name + "=" + wire::to_text(layer, f);
            if (!first && column + 1 + item.size() > kWidth) {
                line += '\n' + std::string(kIndent, ' ');
                column = kIndent;
            } else if (!first) {
                line += ' ';
                ++column;
            }
            line += item;
            column += item.size();
            first = false;
        }
        std::cout << line << '\n';
    }
}

void emit(std::size_t number, const wire::DissectedFrame& frame, bool json) {
    if (json) std::cout << wire::to_json(wire::frame_value(frame, number)) << '\n';
    else print_table(number, frame);
}

void run(const DecodeArgs& args) {
    if (args.pcap.empty() == args.hex.empty()) throw UsageError("decode needs exactly one of --pcap FILE or --hex HEX");
    if (!args.hex.empty()) {
        const std::vector<std::byte> bytes = hex_arg(args.hex);
        emit(1, wire::dissect_frame(bytes, bytes.size(), wire::kLinktypeEthernet), args.json);
        return;
    }
    const std::vector<std::byte> file = read_file(args.pcap);
    auto reader = wire::PcapReader::open(file);
    if (!reader) throw std::runtime_error("'" + args.pcap + "': " + reader.error().to_string());
    for (std::size_t number = 1;; ++number) {
        auto record = reader->next();
        if (!record) throw std::runtime_error("'" + args.pcap + "': " + record.error().to_string());
        if (!*record) break;
        const wire::PcapRecord& r = **record;
        if (!args.json && number > 1) std::cout << '\n';
        emit(number, wire::dissect_frame(r.data, r.original_length, r.linktype), args.json);
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
