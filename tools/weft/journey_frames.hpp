#pragma once
// The journey's captured frames, each labelled with the step of the tutorial it belongs to
// (dhcp, arp, dns, tcp-open, http, ip-fragments, tcp-close; "other" for anything else) and a
// one-sentence note, then printed one line each (or as decode's JSON plus step and note, as
// `weft explain --json` does).

#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "weft/wire/dissect.hpp"

namespace weft::cli::journey {

struct LabelledFrame {
    std::string step;
    std::string note;
    wire::DissectedFrame frame;
};

/// Reads a pcap file and labels its frames in order. `roles` names addresses
/// ("198.19.0.2" -> "the root"). Throws std::runtime_error naming the file when it cannot
/// be read.
std::vector<LabelledFrame> label_capture(const std::string& pcap_path,
                                         const std::map<std::string, std::string>& roles);

/// "frame  1 [dhcp]          342 bytes  ..." lines.
void print_frames(std::ostream& out, const std::vector<LabelledFrame>& frames);
/// One JSON object per line: decode's frame object with "step" and "note" after "frame".
void print_frames_json(std::ostream& out, const std::vector<LabelledFrame>& frames);

/// What the capture shows about how the GET and the UDP datagram crossed the link.
struct CrossingSummary {
    std::vector<std::size_t> get_segments;  ///< TCP payload bytes of each segment of the GET
    bool get_df = true;                     ///< every one of them with DF set
    std::size_t mss = 0;                    ///< the MSS option of the host's SYN
    std::vector<std::size_t> fragment_lengths;  ///< IPv4 total_length of each fragment
    std::vector<std::size_t> fragment_offsets;  ///< their offsets in bytes
    std::size_t checksums_unset = 0;  ///< frames whose TCP/UDP checksum was left to the NIC (offload)
};
CrossingSummary summarize(const std::vector<LabelledFrame>& frames, const std::string& host_address);

}  // namespace weft::cli::journey
