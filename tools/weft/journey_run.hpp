#pragma once
// The tutorial's whole journey, live, in a fresh `weft lab`: with `weft capture` on the host's
// interface, the host gets its four elements by DHCP, ARPs for the gateway, resolves
// www.example.test through the DNS hierarchy, fetches the page with a GET padded to the
// tutorial's 4960 bytes and sends one 5000-byte UDP datagram that IP fragments; then every
// captured frame is shown with its step. The lab is removed at the end, on failure and on
// SIGINT/SIGTERM.

#include <ostream>
#include <string>

namespace weft::cli::journey {

struct JourneySettings {
    std::string pcap;   ///< keep the capture here (empty: a file in the lab's run directory)
    bool json = false;  ///< the frames as JSON objects only, nothing else on `out`
};

/// Runs the journey, printing to `out`. Throws std::runtime_error naming the step and what
/// failed (the lab is gone by then), also when interrupted.
void run_journey(const JourneySettings& settings, std::ostream& out);

}  // namespace weft::cli::journey
