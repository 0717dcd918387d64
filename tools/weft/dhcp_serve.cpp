// weft dhcp serve: a DHCP server on one interface, handing out the tutorial's four elements
// (address and mask, router, DNS server) with leases that survive kill -9.
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "cli.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/net/ipv4_network.hpp"
#include "weft/services/dhcp/dhcp_server.hpp"
#include "weft/socket/interface.hpp"

namespace weft::cli {

namespace {

struct DhcpServeArgs {
    std::string interface;
    std::string range;
    std::string netmask;
    std::string router;
    std::string dns;
    std::string lease_time = "3600";
    std::string lease_file;  // empty: /var/lib/weft/dhcp-leases-IF
    bool quiet = false;
};

Ipv4Address address_arg(const std::string& text, const std::string& what) {
    auto a = Ipv4Address::parse(text);
    if (!a) throw UsageError("invalid " + what + " '" + text + "': not an IPv4 address");
    return *a;
}

std::vector<Ipv4Address> address_list_arg(const std::string& text, const std::string& what) {
    std::vector<Ipv4Address> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        const std::size_t end = comma == std::string::npos ? text.size() : comma;
        out.push_back(address_arg(text.substr(start, end - start), what));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

// Everything but the interface's own state is checked before anything is opened, so a typo
// is a usage error (exit 2) naming the value.
dhcp::ServerConfig config_from(const DhcpServeArgs& args) {
    auto info = interface_info(args.interface);
    if (!info) throw UsageError("--iface: " + info.error());
    if (info->ipv4.empty())
        throw UsageError("interface '" + args.interface + "' has no IPv4 address to serve from");
    const Ipv4Network own = info->ipv4.front();
    dhcp::ServerConfig config;
    config.server_address = own.address();
    config.netmask = args.netmask.empty() ? own.netmask() : address_arg(args.netmask, "--netmask");
    auto range = dhcp::parse_address_range(args.range);
    if (!range) throw UsageError("--range: " + range.error());
    config.range = *range;
    if (!args.router.empty()) config.routers = address_list_arg(args.router, "--router");
    if (!args.dns.empty()) config.dns_servers = address_list_arg(args.dns, "--dns");
    const auto lease = seconds_arg(args.lease_time, "--lease-time");
    config.lease_time = std::chrono::duration_cast<std::chrono::seconds>(lease);
    if (auto ok = dhcp::validate(config); !ok) throw UsageError(ok.error());
    return config;
}

// The default lease file's directory; the store itself creates the file durably.
void make_directory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
}

Task<void> stop_on_signal(EventLoop& loop, StopSignals& signals, dhcp::DhcpServer& server) {
    (void)co_await signals.next(loop);
    server.stop();
}

void run(const DhcpServeArgs& args) {
    dhcp::DhcpServerOptions options;
    options.interface = args.interface;
    options.config = config_from(args);
    options.lease_file = args.lease_file;
    if (options.lease_file.empty()) {
        make_directory("/var/lib/weft");
        options.lease_file = "/var/lib/weft/dhcp-leases-" + args.interface;
    }
    // --quiet drops the routine lines (OFFER, ACK); NAKs, full pools, lease-file issues and
    // sync failures still need a person's eye.
    options.log = [](std::string_view line) { log_line(line); };
    options.log_offers_and_acks = !args.quiet;
    auto signals = StopSignals::open();  // before the loop: SIGINT/SIGTERM never kill us mid-batch
    if (!signals) throw std::runtime_error("cannot watch SIGINT/SIGTERM: " + signals.error().message());
    EventLoop loop;
    const std::string range = options.config.range.to_string();
    const std::string address = options.config.server_address.to_string();
    auto server = dhcp::DhcpServer::open(loop, std::move(options));
    if (!server) throw std::runtime_error(server.error());
    std::cout << "listening on " << address << ":67 (dhcp, " << args.interface << ", range " << range << ")"
              << std::endl;
    loop.spawn(stop_on_signal(loop, *signals, **server));
    loop.block_on((*server)->run());
    std::cout << "stopped: " << (*server)->requests() << " requests, " << (*server)->leases() << " leases"
              << std::endl;
}

}  // namespace

void add_dhcp_serve(CLI::App& dhcp) {
    auto args = std::make_shared<DhcpServeArgs>();
    CLI::App* cmd = dhcp.add_subcommand("serve", "Serve addresses, mask, router and DNS by DHCP on IF (needs root)");
    cmd->add_option("--iface", args->interface, "interface to serve (its first IPv4 address is the server's)")
        ->required()
        ->type_name("IF");
    cmd->add_option("--range", args->range, "the pool, e.g. 198.18.0.10-198.18.0.99")->required()->type_name("START-END");
    cmd->add_option("--netmask", args->netmask, "subnet mask (default: from IF's address prefix)")->type_name("M");
    cmd->add_option("--router", args->router, "default gateway (option 3)")->type_name("R");
    cmd->add_option("--dns", args->dns, "DNS servers (option 6)")->type_name("A[,B]");
    cmd->add_option("--lease-time", args->lease_time, "lease time in seconds")->capture_default_str()->type_name("S");
    cmd->add_option("--lease-file", args->lease_file, "lease file (default /var/lib/weft/dhcp-leases-IF)")
        ->type_name("FILE");
    cmd->add_flag("--quiet", args->quiet, "no line per OFFER/ACK (problems are still logged)");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
