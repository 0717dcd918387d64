// weft lab up|down|status: the command line of lab.hpp. Errors are one line naming what
// failed ("lab up: ip netns add weft-lab-host: exit 1: ..."), exit 1.
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "lab.hpp"

namespace weft::cli {

namespace {

const char* const kLabHelp =
    "The tutorial's network in namespaces (needs root; built with iproute2's `ip`, run as a child process):\n"
    "weft-lab-host (eth0, no address) -- weft-lab-gw (198.18.0.1, DHCP server, forwards; 198.19.0.1) --\n"
    "weft-lab-srv (DNS root 198.19.0.2, test. 198.19.0.3, example.test. 198.19.0.4, www.example.test 198.19.0.80:80).\n"
    "Addresses from 198.18.0.0/15 only; nothing is routed out. Daemons' PID files and logs are in /run/weft-lab.\n"
    "One step is not ip's: transmit checksum offload is turned off on the veths with the ethtool ioctl\n"
    "(ETHTOOL_STXCSUM), so that captures hold finished checksums.";

// Runs one action with the command's name in front of any error; SIGINT/SIGTERM during
// `up` or `down` still leave nothing behind.
template <class F>
void guarded(const std::string& what, F action) {
    std::string why;
    if (!lab::can_build(why)) throw std::runtime_error(what + ": " + why);
    try {
        lab::InterruptGuard guard;
        action();
    } catch (const lab::Interrupted& e) {
        std::ostringstream ignored;
        lab::CleanupScope cleaning;
        try {
            lab::down(ignored);
        } catch (const std::exception&) {
        }
        throw std::runtime_error(what + ": " + e.what() + " (lab removed)");
    } catch (const std::exception& e) {
        throw std::runtime_error(what + ": " + e.what());
    }
}

}  // namespace

void add_lab(CLI::App& app) {
    CLI::App* lab = app.add_subcommand("lab", "The tutorial's network in namespaces: host, gateway, servers (root)");
    lab->description(kLabHelp);
    lab->require_subcommand(1);
    lab->add_subcommand("up", "make the lab and start its daemons (first removing what an earlier run left)")
        ->callback([] {
            guarded("lab up", [] {
                std::cout << "lab up:\n";
                lab::up(std::cout);
                std::cout << "the host's interface has no address yet: ip netns exec " << lab::kHostNs
                          << " weft dhcp client --iface " << lab::kHostIf << " --apply\n";
            });
        });
    lab->add_subcommand("down", "stop the lab's daemons (by their recorded PIDs) and remove its namespaces")
        ->callback([] {
            guarded("lab down", [] {
                std::cout << "lab down:\n";
                lab::down(std::cout);
            });
        });
    lab->add_subcommand("status", "the lab's namespaces, addresses and daemons")->callback([] {
        guarded("lab status", [] { lab::status(std::cout); });
    });
}

}  // namespace weft::cli
