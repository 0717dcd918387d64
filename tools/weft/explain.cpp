// weft explain: the seed's "open a web page" journey, built offline by wire/journey and shown
// frame by frame through the same dissector as `weft decode`. Nothing is sent.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "cli.hpp"
#include "weft/wire/dissect.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/journey.hpp"
#include "weft/wire/pcap.hpp"

namespace weft::cli {

namespace {

struct ExplainArgs {
    long long mtu = 1500;
    std::string pcap;
    bool json = false;
    bool segment = false;
};

// A fixed start time, so that the capture file is the same on every run.
constexpr std::chrono::seconds kCaptureEpoch{1700000000};

void write_pcap(const std::string& path, const std::vector<wire::JourneyFrame>& frames) {
    std::vector<std::byte> out;
    wire::PcapWriter writer(out);
    for (const wire::JourneyFrame& f : frames) writer.write(kCaptureEpoch + f.time, f.bytes);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (file) file.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (!file) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

std::string field_text(const wire::DissectLayer& layer) {
    std::string out;
    for (const wire::DissectField& f : layer.fields) {
        if (f.value.is_null()) continue;
        if (const auto* list = std::get_if<wire::DissectValue::List>(&f.value.value); list && list->empty()) continue;
        if (f.name == "headers") {
            const auto& list = std::get<wire::DissectValue::List>(f.value.value);
            out += "header_lines=" + std::to_string(list.size()) + " ";
            continue;
        }
        out += f.name + "=" + wire::to_text(layer, f) + " ";
    }
    if (!out.empty()) out.pop_back();
    return out;
}

// Fields as words, wrapped under the layer's line.
void print_wrapped(const std::string& text) {
    constexpr std::size_t kIndent = 21, kWidth = 110;
    std::size_t column = 0, pos = 0;
    while (pos < text.size()) {
        std::size_t space = text.find(' ', pos);
        if (space == std::string::npos) space = text.size();
        const std::string word = text.substr(pos, space - pos);
        if (column == 0 || column + 1 + word.size() > kWidth) {
            std::cout << (column == 0 ? "" : "\n") << std::string(kIndent, ' ') << word;
            column = kIndent + word.size();
        } else {
            std::cout << ' ' << word;
            column += 1 + word.size();
        }
        pos = space + 1;
    }
    if (column != 0) std::cout << '\n';
}

// What each layer adds, in bytes, and why that size.
std::string size_note(const wire::DissectLayer& layer) {
    if (layer.name == "ethernet") return "header: 6 dst + 6 src + 2 type (+4 FCS at the end)";
    if (layer.name == "ipv4") return layer.size == 20 ? "header, no options" : "header with options";
    if (layer.name == "udp") return "header: ports, length, checksum";
    if (layer.name == "tcp") return layer.size == 20 ? "header, no options" : "header with options";
    if (layer.name == "arp") return "request/reply for IPv4 over Ethernet";
    if (layer.name == "dhcp") return "message (BOOTP fixed part + options)";
    if (layer.name == "dns") return "message";
    if (layer.name == "http") return "head (or its part in this frame)";
    if (layer.name == "payload") return "data carried on, not decoded here";
    return "";
}

void print_intro(const wire::JourneyOptions& options) {
    std::cout << "The seed's journey: a freshly booted host opens http://www.google.com. Every frame below is\n"
                 "built offline (nothing is sent); sizes are what each layer adds. An Ethernet frame is a\n"
                 "14-byte header (6-byte destination MAC, 6-byte source MAC, 2-byte type) + 46-"
              << options.mtu << " bytes of data\n(padded to 46, the MTU at most) + a 4-byte FCS (CRC-32) that the NIC adds and captures omit.\n";
}

void print_frame(std::size_t number, const wire::JourneyFrame& jf, const wire::DissectedFrame& frame) {
    std::cout << '\n'
              << "frame " << number << " [" << jf.step << "] " << frame.length << " bytes + 4 FCS = "
              << frame.length + wire::kEthernetFcsSize << " on the wire\n";
    std::cout << "  " << jf.note << '\n';
    std::size_t end = 0;
    for (const wire::DissectLayer& layer : frame.layers) {
        std::cout << "    " << std::left << std::setw(9) << layer.name << std::right << std::setw(5)
                  << ("+" + std::to_string(layer.size)) << "  " << size_note(layer) << '\n';
        if (layer.name != "payload") print_wrapped(field_text(layer));
        end = layer.offset + layer.size;
    }
    if (end < frame.length)
        std::cout << "    " << std::left << std::setw(9) << "padding" << std::right << std::setw(5)
                  << ("+" + std::to_string(frame.length - end))
                  << "  zeros up to Ethernet's 60-byte minimum (not payload)\n";
}

// The summary of the GET: how it crossed a link with this MTU.
void print_summary(const wire::JourneyOptions& options, const std::vector<wire::JourneyFrame>& frames,
                   const std::vector<wire::DissectedFrame>& decoded) {
    std::string lengths, offsets;
    std::size_t count = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const wire::DissectLayer* ip = decoded[i].find("ipv4");
        if (frames[i].step != "http" || !ip || to_text(*ip->find("src")) != "192.168.1.100") continue;
        lengths += (count ? ", " : "") + to_text(*ip->find("total_length"));
        offsets += (count ? ", " : "") + to_text(*ip->find("fragment_offset"));
        ++count;
    }
    const std::size_t mss = options.mtu - 40;
    std::cout << "\nThe GET: " << wire::kJourneyRequestSize << " bytes of HTTP + 20 TCP = "
              << wire::kJourneyRequestSize + 20 << " bytes of segment, + 20 IPv4 = " << wire::kJourneyRequestSize + 40
              << " bytes of datagram.\n";
    if (!options.segment) {
        std::cout << "With MTU " << options.mtu << " and DF clear, IP cut it into " << count << " datagram"
                  << (count == 1 ? "" : "s") << " of " << lengths << " bytes at offsets " << offsets
                  << "\n(each fragment's data a multiple of 8 bytes; the receiver reassembles them by the IP id).\n"
                  << "A real stack avoids IP fragmentation: TCP announces MSS = MTU - 40 = " << mss
                  << " in its SYN, sets DF and\nsends the data in MSS-sized segments (try --segment).\n";
    } else {
        std::cout << "With MSS " << mss << " (MTU " << options.mtu << " - 20 IPv4 - 20 TCP), TCP sent it in " << count
                  << " segment" << (count == 1 ? "" : "s") << " in datagrams of " << lengths
                  << " bytes, DF set:\nno router fragments them, and a lost frame costs one segment, not the whole datagram.\n";
    }
}

void run(const ExplainArgs& args) {
    if (args.mtu < static_cast<long long>(wire::kJourneyMinMtu) || args.mtu > static_cast<long long>(wire::kJourneyMaxMtu))
        throw UsageError("invalid --mtu " + std::to_string(args.mtu) + ": must be " +
                         std::to_string(wire::kJourneyMinMtu) + "-" + std::to_string(wire::kJourneyMaxMtu));
    const wire::JourneyOptions options{static_cast<std::size_t>(args.mtu), args.segment};
    const std::vector<wire::JourneyFrame> frames = wire::build_journey(options);
    std::vector<wire::DissectedFrame> decoded;
    for (const wire::JourneyFrame& f : frames) decoded.push_back(wire::dissect_frame(f.bytes));
    if (!args.pcap.empty()) write_pcap(args.pcap, frames);

    if (args.json) {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            wire::DissectValue v = wire::frame_value(decoded[i], i + 1);
            auto& obj = std::get<wire::DissectValue::Object>(v.value);
            obj.insert(obj.begin() + 1, {{"step", frames[i].step}, {"note", frames[i].note}});
            std::cout << wire::to_json(v) << '\n';
        }
        return;
    }
    print_intro(options);
    for (std::size_t i = 0; i < frames.size(); ++i) print_frame(i + 1, frames[i], decoded[i]);
    print_summary(options, frames, decoded);
    if (!args.pcap.empty())
        std::cout << "\nWrote " << frames.size() << " frames to " << args.pcap << " (open it in Wireshark).\n";
}

}  // namespace

void add_explain(CLI::App& app) {
    auto args = std::make_shared<ExplainArgs>();
    CLI::App* cmd = app.add_subcommand("explain", "The seed's 'open a web page' journey, frame by frame (nothing is sent)");
    cmd->add_option("--mtu", args->mtu, "Link MTU where the GET's datagram is cut (68-65535)")->capture_default_str();
    cmd->add_option("--pcap", args->pcap, "Also write every frame to this pcap file (for Wireshark)");
    cmd->add_flag("--json", args->json, "One JSON object per frame (decode's, plus step and note)");
    cmd->add_flag("--segment", args->segment, "Do what a real stack does: MSS in the SYN, DF set, MSS-sized segments");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
