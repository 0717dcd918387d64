#pragma once
// `weft lab`: the tutorial's small network, made of network namespaces and veth pairs with
// iproute2's `ip` (run as a child process), addresses from 198.18.0.0/15 only:
//
//   weft-lab-host          weft-lab-gw                         weft-lab-srv
//   eth0 (no address) ---- eth0 198.18.0.1/24 | eth1 198.19.0.1/24 ---- eth0 198.19.0.2-4, .80
//                          dhcp serve, forwards                      dns serve x3, http serve
//
// Nothing is routed out: the gateway has no default route and the namespaces have no link to
// the machine's own. One step is not `ip`'s: checksum offload off on the veths (an ethtool
// ioctl, lab_offload.cpp), so that captures hold finished checksums. The daemons' PID files, logs, zones and web root live in kRunDir.

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lab_process.hpp"

namespace weft::cli::lab {

/// The lab's namespaces, by their exact names (`down` removes these and no other).
inline constexpr std::string_view kHostNs = "weft-lab-host";
inline constexpr std::string_view kGatewayNs = "weft-lab-gw";
inline constexpr std::string_view kServerNs = "weft-lab-srv";
inline constexpr std::string_view kRunDir = "/run/weft-lab";

inline constexpr std::string_view kHostIf = "eth0";         ///< the host's only interface
inline constexpr std::string_view kGatewayHostIf = "eth0";  ///< the gateway's side to the host
inline constexpr std::string_view kGatewayServerIf = "eth1";
inline constexpr std::string_view kServerIf = "eth0";

inline constexpr std::string_view kGatewayHostAddress = "198.18.0.1";  ///< router, DHCP server
inline constexpr std::string_view kHostPrefix = "/24";
inline constexpr std::string_view kPoolRange = "198.18.0.100-198.18.0.199";
inline constexpr std::string_view kGatewayServerAddress = "198.19.0.1";
inline constexpr std::string_view kRootDns = "198.19.0.2";     ///< a.root-servers.test
inline constexpr std::string_view kTldDns = "198.19.0.3";      ///< ns.nic.test
inline constexpr std::string_view kZoneDns = "198.19.0.4";     ///< ns1.example.test
inline constexpr std::string_view kWebServer = "198.19.0.80";  ///< www.example.test
inline constexpr std::string_view kWebName = "www.example.test";
/// The UDP port the journey's fragmented datagram goes to (discard, RFC 863).
inline constexpr unsigned kDiscardPort = 9;

/// A daemon the lab runs: its name (PID file and log), namespace and arguments to weft.
struct Daemon {
    std::string name;
    std::string ns;
    std::vector<std::string> args;
};
/// The lab's daemons, in the order up starts them.
std::vector<Daemon> daemons();

/// Makes the lab, first removing what an earlier run left. Throws std::runtime_error naming
/// the command that failed ("ip netns add weft-lab-host: exit 1: ..."), having removed what it
/// made; Interrupted on SIGINT/SIGTERM under an InterruptGuard. Progress lines go to `log`.
void up(std::ostream& log);
/// Stops the recorded daemons (by PID) and removes the namespaces and the run directory.
/// Idempotent. Throws std::runtime_error when something could not be removed.
void down(std::ostream& log);
/// Namespaces, interfaces with their addresses, daemons and whether they are alive.
void status(std::ostream& out);
/// True when this process may build the lab (root); otherwise `why` says what is missing.
bool can_build(std::string& why);

/// Records a process started for the lab (its PID file in kRunDir), so that `down` stops it
/// even if the program that started it was killed (the tour's capture).
void record_process(const std::string& name, const ProcessRecord& process);

/// Writes the lab's zone files and web root under `dir` (lab_files.cpp).
void write_lab_files(const std::string& dir);

}  // namespace weft::cli::lab
