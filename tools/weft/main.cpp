// weft: one CLI for the whole toolkit. This file only wires the subcommands together and maps
// outcomes to exit codes: 0 success, 1 runtime failure (one line on stderr), 2 usage error.
#include <csignal>
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
    // A peer that vanishes while we write must be an EPIPE error, never a silent death.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"weft: network programming toolkit (sockets, event loop, packet codecs)", "weft"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "weft " WEFT_VERSION);  // the project version, from CMake

    CLI::App* tcp = app.add_subcommand("tcp", "TCP server and client (the seed's C/S programs)");
    tcp->require_subcommand(1);
    weft::cli::add_tcp_serve(*tcp);
    weft::cli::add_tcp_connect(*tcp);

    CLI::App* udp = app.add_subcommand("udp", "UDP server and client");
    udp->require_subcommand(1);
    weft::cli::add_udp_serve(*udp);
    weft::cli::add_udp_connect(*udp);

    CLI::App* dns = app.add_subcommand("dns", "DNS resolver and authoritative server");
    dns->require_subcommand(1);
    weft::cli::add_dns_query(*dns);
    weft::cli::add_dns_serve(*dns);

    CLI::App* http = app.add_subcommand("http", "HTTP static-file server and client");
    http->require_subcommand(1);
    weft::cli::add_http_serve(*http);
    weft::cli::add_http_get(*http);

    CLI::App* dhcp = app.add_subcommand("dhcp", "DHCP client (and server) on an interface");
    dhcp->require_subcommand(1);
    weft::cli::add_dhcp_client(*dhcp);
    weft::cli::add_dhcp_serve(*dhcp);

    weft::cli::add_arp(app);
    weft::cli::add_capture(app);
    weft::cli::add_lab(app);

    weft::cli::add_ipcalc(app);
    weft::cli::add_tour(app);
    weft::cli::add_decode(app);
    weft::cli::add_explain(app);

    // CLI11 would call an unknown word "a missing subcommand"; name it instead.
    if (argc > 1 && argv[1][0] != '-') {
        try {
            app.get_subcommand(argv[1]);
        } catch (const CLI::OptionNotFound&) {
            std::cerr << "weft: unknown command '" << argv[1] << "' (weft --help lists them)\n";
            return 2;
        }
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "weft: " << e.what() << "\n";
        return 2;
    } catch (const weft::cli::UsageError& e) {
        std::cerr << "weft: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "weft: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
