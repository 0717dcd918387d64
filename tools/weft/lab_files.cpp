// The files the lab's servers read: the DNS hierarchy of the tutorial as three zones (the
// root delegates test., test. delegates example.test., which knows www) and a small page.
// The addresses come from lab.hpp, so the zones and the lab's links can never disagree.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sys/stat.h>

#include "lab.hpp"

namespace weft::cli::lab {

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

std::string s(std::string_view v) { return std::string(v); }

// Each zone holds its apex (SOA, NS and the server's own address) and, for the upper two, the
// delegation below with glue: without the glue address nobody could reach the child's server.
std::string root_zone() {
    return "; the lab's root zone: it knows who serves test. (a delegation with glue)\n"
           "$ORIGIN .\n$TTL 86400\n"
           "@ SOA a.root-servers.test. hostmaster.root-servers.test. ( 1 1800 900 604800 86400 )\n"
           "@ NS a.root-servers.test.\n"
           "a.root-servers.test. A " + s(kRootDns) + "\n"
           "test. NS ns.nic.test.\n"
           "ns.nic.test. A " + s(kTldDns) + "\n";
}

std::string tld_zone() {
    return "; the top-level domain test.: it knows who serves example.test.\n"
           "$ORIGIN test.\n$TTL 86400\n"
           "@ SOA ns.nic hostmaster.nic ( 1 1800 900 604800 3600 )\n"
           "@ NS ns.nic\n"
           "ns.nic A " + s(kTldDns) + "\n"
           "example NS ns1.example\n"
           "ns1.example A " + s(kZoneDns) + "\n";
}

std::string example_zone() {
    return "; example.test.: the zone that knows the web server's address\n"
           "$ORIGIN example.test.\n$TTL 300\n"
           "@ SOA ns1 hostmaster ( 1 3600 600 86400 60 )\n"
           "@ NS ns1\n"
           "ns1 A " + s(kZoneDns) + "\n"
           "www A " + s(kWebServer) + "\n";
}

std::string index_html() {
    return "<!doctype html>\n<html><head><title>www.example.test</title></head>\n"
           "<body><h1>It works</h1><p>Served by weft http serve in the weft lab's server namespace, "
           "reached through the gateway after DHCP, ARP and DNS.</p></body></html>\n";
}

}  // namespace

void write_lab_files(const std::string& dir) {
    const std::string www = dir + "/www";
    if (::mkdir(www.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create '" + www + "': " + std::strerror(errno));
    write_file(dir + "/root.zone", root_zone());
    write_file(dir + "/test.zone", tld_zone());
    write_file(dir + "/example.test.zone", example_zone());
    write_file(www + "/index.html", index_html());
}

}  // namespace weft::cli::lab
