// weft ipcalc: what a subnet mask does to an address, shown the seed's way: in binary, with
// the AND that decides whether two hosts share a network.
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "weft/net/ipv4_network.hpp"

namespace weft::cli {

namespace {

struct IpcalcArgs {
    std::string network;
    std::string other;
    bool json = false;
};

void print_row(const std::string& label, const std::string& text, const std::string& binary,
               const std::string& note = "") {
    std::cout << std::left << std::setw(12) << label << std::setw(19) << text << binary;
    if (!note.empty()) std::cout << "  " << note;
    std::cout << '\n';
}

void run(const IpcalcArgs& args) {
    auto parsed = Ipv4Network::parse(args.network);
    if (!parsed) throw UsageError(parsed.error().message);
    const Ipv4Network net = *parsed;
    std::optional<Ipv4Address> other;
    if (!args.other.empty()) {
        auto o = Ipv4Address::parse(args.other);
        if (!o) throw UsageError(o.error().message);
        other = *o;
    }
    const Ipv4Address mask = net.netmask();
    const std::optional<Ipv4Address> other_net =
        other ? std::optional(Ipv4Address(other->to_uint() & mask.to_uint())) : std::nullopt;

    if (args.json) {
        nlohmann::json j;
        j["address"] = net.address().to_string();
        j["prefix"] = net.prefix();
        j["netmask"] = mask.to_string();
        j["network"] = net.network().to_string();
        j["broadcast"] = net.broadcast() ? nlohmann::json(net.broadcast()->to_string()) : nlohmann::json(nullptr);
        j["first_host"] = net.first_host().to_string();
        j["last_host"] = net.last_host().to_string();
        j["hosts"] = net.host_count();
        j["binary"] = {{"address", net.address().to_binary()},
                       {"netmask", mask.to_binary()},
                       {"network", net.network().to_binary()}};
        if (other) {
            j["other"] = other->to_string();
            j["other_network"] = other_net->to_string();
            j["same_subnet"] = same_subnet(net.address(), *other, mask);
        }
        std::cout << j.dump() << '\n';
        return;
    }

    print_row("address", net.address().to_string(), net.address().to_binary());
    print_row("netmask", mask.to_string() + " = " + std::to_string(net.prefix()), mask.to_binary());
    print_row("network", net.to_string(), net.network().to_binary(), "(address AND netmask)");
    if (auto b = net.broadcast()) print_row("broadcast", b->to_string(), b->to_binary());
    else print_row("broadcast", "none", "", net.prefix() == 31 ? "(/31 point-to-point link, RFC 3021)" : "(/32 single host)");
    std::cout << std::left << std::setw(12) << "hosts" << net.first_host().to_string() << " - "
              << net.last_host().to_string() << " (" << net.host_count() << ")\n";
    if (!other) return;

    std::cout << '\n';
    print_row("other", other->to_string(), other->to_binary());
    print_row("netmask", mask.to_string(), mask.to_binary());
    print_row("AND", other_net->to_string(), other_net->to_binary());
    const bool same = same_subnet(net.address(), *other, mask);
    std::cout << (same ? "same subnet: " : "different subnets: ") << net.address().to_string() << " AND "
              << mask.to_string() << " = " << net.network().to_string() << ", " << other->to_string() << " AND "
              << mask.to_string() << " = " << other_net->to_string()
              << (same ? " (equal: they reach each other directly, no router needed)\n"
                       : " (not equal: traffic between them goes through a router)\n");
}

}  // namespace

void add_ipcalc(CLI::App& app) {
    auto args = std::make_shared<IpcalcArgs>();
    CLI::App* cmd = app.add_subcommand("ipcalc", "network, broadcast, mask and host range of ADDR/PREFIX; "
                                                 "with OTHER_ADDR, whether both share a subnet");
    cmd->add_option("network", args->network, "ADDR/PREFIX, ADDR/NETMASK or ADDR (meaning /32)")->required();
    cmd->add_option("other", args->other, "a second address to compare");
    cmd->add_flag("--json", args->json, "one JSON object");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
