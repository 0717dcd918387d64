// weft dns serve: an authoritative DNS server over UDP and TCP for RFC 1035 zone files.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli.hpp"
#include "weft/services/dns/dns_server.hpp"
#include "weft/services/dns/zone.hpp"

namespace weft::cli {

namespace {

struct DnsServeArgs {
    ServerArgs server;
    std::vector<std::string> zones;
};

// Every zone is read before anything binds: a bad file ends the command naming file:line.
std::shared_ptr<const dns::ZoneSet> load_zones(const std::vector<std::string>& files, bool quiet) {
    std::vector<dns::Zone> zones;
    for (const auto& file : files) {
        auto zone = dns::load_zone_file(file);
        if (!zone) throw std::runtime_error(zone.error().to_string());
        if (!quiet) {
            log_line("loaded zone " + zone->origin.to_text() + ". from " + file + " (" +
                     std::to_string(zone->records.size()) + " records)");
        }
        zones.push_back(std::move(*zone));
    }
    auto set = dns::ZoneSet::build(std::move(zones));
    if (!set) throw std::runtime_error(set.error());
    return std::make_shared<const dns::ZoneSet>(std::move(*set));
}

void run(const DnsServeArgs& args) {
    const ServerSettings settings = server_settings(args.server);
    auto zones = load_zones(args.zones, settings.quiet);
    dns::DnsServerOptions options;
    options.threads = settings.threads;
    options.drain_timeout = settings.drain_timeout;
    if (!settings.quiet) options.log = log_line;

    std::unique_ptr<dns::DnsServer> server;
    run_until_signal(
        [&] {
            auto started = dns::DnsServer::start(settings.where, zones, options);
            if (!started)
                throw std::runtime_error("cannot bind " + settings.where.to_string() + ": " +
                                         started.error().message());
            server = std::move(*started);
            const std::size_t count = zones->size();
            print_listening(server->local_endpoint(),
                            "dns, udp and tcp, " + std::to_string(count) + (count == 1 ? " zone" : " zones"),
                            server->threads());
        },
        [&] {
            server->stop();
            server->wait();
            if (settings.quiet) return;
            const auto stats = server->stats();
            std::string line = "stopped: " + std::to_string(stats.udp_queries) + " udp queries in ";
            line += std::to_string(stats.udp_batches) + " batches, ";
            line += std::to_string(stats.tcp_queries) + " tcp queries on ";
            line += std::to_string(stats.tcp_connections) + " connections";
            log_line(line);
        });
}

}  // namespace

void add_dns_serve(CLI::App& dns) {
    auto args = std::make_shared<DnsServeArgs>();
    CLI::App* cmd = dns.add_subcommand("serve", "authoritative DNS server over UDP and TCP for zone files");
    cmd->add_option("--zone", args->zones, "an RFC 1035 zone file (repeat for several zones)")
        ->required()
        ->type_name("FILE");
    add_server_options(*cmd, args->server, "5353", "zone loads and errors");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
