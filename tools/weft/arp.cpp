// weft arp: who has this IPv4 address on this link? An ARP request broadcast on the interface
// (built by wire/), the reply's MAC and the round trip, like arping.
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "weft/services/arp/arp_client.hpp"

namespace weft::cli {

namespace {

struct ArpArgs {
    std::string ip;
    std::string interface;
    std::string timeout = "2";
    bool json = false;
};

void run(const ArpArgs& args) {
    auto ip = Ipv4Address::parse(args.ip);
    if (!ip) throw UsageError("invalid address '" + args.ip + "': " + ip.error().message);
    arp::ResolveOptions options;
    options.timeout = seconds_arg(args.timeout, "--timeout");
    options.interval = std::min<std::chrono::nanoseconds>(options.interval, options.timeout / 2);
    auto found = arp::resolve_blocking(args.interface, *ip, options);
    if (!found) throw std::runtime_error(found.error());
    const double rtt_ms = std::chrono::duration<double, std::milli>(found->rtt).count();
    if (args.json) {
        nlohmann::json j{{"ip", found->ip.to_string()}, {"mac", found->mac.to_string()}, {"rtt_ms", rtt_ms},
                         {"interface", args.interface}, {"requests", found->requests}};
        std::cout << j.dump() << std::endl;
        return;
    }
    char rtt[32];
    std::snprintf(rtt, sizeof rtt, "%.3f", rtt_ms);
    std::cout << found->ip.to_string() << " is at " << found->mac.to_string() << " on " << args.interface << " ("
              << rtt << " ms, " << found->requests << (found->requests == 1 ? " request)" : " requests)") << std::endl;
}

}  // namespace

void add_arp(CLI::App& app) {
    auto args = std::make_shared<ArpArgs>();
    CLI::App* cmd = app.add_subcommand("arp", "Ask who has an IPv4 address on a link (ARP request; needs root)");
    cmd->add_option("ip", args->ip, "IPv4 address to resolve")->required()->type_name("IP");
    cmd->add_option("--iface", args->interface, "interface to ask on")->required()->type_name("IF");
    cmd->add_option("--timeout", args->timeout, "seconds to wait for a reply (requests are resent twice a second)")
        ->capture_default_str();
    cmd->add_flag("--json", args->json, "one JSON object: ip, mac, rtt_ms, interface, requests");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
