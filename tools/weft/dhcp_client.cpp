// weft dhcp client: the tutorial's four elements (address and mask, gateway, DNS server) from
// a DHCP server on the link, and with --apply, configured on the interface.
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "weft/services/dhcp/dhcp_client.hpp"

extern char** environ;

namespace weft::cli {

namespace {

struct DhcpClientArgs {
    std::string interface;
    std::string timeout = "30";
    bool apply = false;
    bool json = false;
};

std::string netmask_of(const dhcp::Lease& lease) {
    return lease.netmask ? lease.netmask->to_string() : std::string();
}

// --apply runs iproute2's `ip` (said plainly in --help): the address with its prefix, and a
// default route through the first router.
void ip(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::string program = "ip";
    argv.push_back(program.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, "ip", nullptr, nullptr, argv.data(), environ) != 0)
        throw std::runtime_error("--apply: cannot run ip (iproute2)");
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string line = "--apply: ip";
        for (const auto& a : args) line += " " + a;
        throw std::runtime_error(line + " failed");
    }
}

void configure_interface(const std::string& interface, const dhcp::Lease& lease) {
    const unsigned prefix = lease.prefix.value_or(32);
    ip({"addr", "replace", lease.address.to_string() + "/" + std::to_string(prefix), "dev", interface});
    if (!lease.routers.empty())
        ip({"route", "replace", "default", "via", lease.routers.front().to_string(), "dev", interface});
}

void run(const DhcpClientArgs& args) {
    dhcp::AcquireOptions options;
    options.timeout = seconds_arg(args.timeout, "--timeout");
    auto lease = dhcp::acquire_blocking(args.interface, options);
    if (!lease) throw std::runtime_error(lease.error());
    if (args.apply) configure_interface(args.interface, *lease);
    std::vector<std::string> dns;
    for (const auto& a : lease->dns_servers) dns.push_back(a.to_string());
    const std::string router = lease->routers.empty() ? std::string() : lease->routers.front().to_string();
    if (args.json) {
        nlohmann::json j{{"address", lease->address.to_string()},
                         {"prefix", lease->prefix ? nlohmann::json(*lease->prefix) : nlohmann::json()},
                         {"netmask", lease->netmask ? nlohmann::json(netmask_of(*lease)) : nlohmann::json()},
                         {"router", router.empty() ? nlohmann::json() : nlohmann::json(router)},
                         {"dns", dns},
                         {"lease_time", lease->lease_time.count()},
                         {"server_id", lease->server_id.to_string()},
                         {"interface", args.interface},
                         {"applied", args.apply}};
        std::cout << j.dump() << std::endl;
        return;
    }
    std::string dns_text;
    for (const auto& d : dns) dns_text += (dns_text.empty() ? "" : ", ") + d;
    std::cout << "address     " << lease->address.to_string();
    if (lease->prefix) std::cout << '/' << *lease->prefix;
    std::cout << "\nnetmask     " << (lease->netmask ? netmask_of(*lease) : "-")
              << "\nrouter      " << (router.empty() ? "-" : router)
              << "\ndns         " << (dns_text.empty() ? "-" : dns_text)
              << "\nlease time  " << lease->lease_time.count() << " s"
              << "\nserver id   " << lease->server_id.to_string() << '\n';
    if (args.apply) std::cout << "applied to  " << args.interface << '\n';
    std::cout.flush();
}

}  // namespace

void add_dhcp_client(CLI::App& dhcp) {
    auto args = std::make_shared<DhcpClientArgs>();
    CLI::App* cmd = dhcp.add_subcommand("client", "Get an address, mask, router and DNS server by DHCP (needs root)");
    cmd->add_option("--iface", args->interface, "interface to ask on (it needs no address)")->required()->type_name("IF");
    cmd->add_option("--timeout", args->timeout, "seconds until giving up (DISCOVERs are resent per RFC 2131)")
        ->capture_default_str();
    cmd->add_flag("--apply", args->apply,
                  "configure the address and default route on IF (runs iproute2's ip addr/route replace)");
    cmd->add_flag("--json", args->json,
                  "one JSON object: address, prefix, netmask, router, dns, lease_time, server_id");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
