// weft lab up|down|status: the namespaces, veth pairs, addresses and daemons of lab.hpp, made
// and removed with `ip` as a child process (what each step does is a command anyone can type).
#include "lab.hpp"
#include "lab_netns.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::cli::lab {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string s(std::string_view v) { return std::string(v); }
std::string run_dir() { return s(kRunDir); }
std::string pid_file(const std::string& name) { return run_dir() + "/" + name + ".pid"; }
std::string log_file(const std::string& name) { return run_dir() + "/" + name + ".log"; }

void ip(std::vector<std::string> args) {
    args.insert(args.begin(), "ip");
    run_checked(args);
}

// Runs a command inside a namespace (sysctl knobs are per namespace for net.*).
void in_ns(std::string_view ns, std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "netns", "exec", s(ns)});
    run_checked(args);
}

// The lab's own namespaces that exist: matched by their exact names, never by prefix, so that
// `down` (and `up`'s cleanup) cannot remove a namespace some other program made with a similar
// name (the unit tests' netns_lab makes weft-lab-<pid>-a while a tour may run beside it).
std::vector<std::string> lab_namespaces() {
    std::vector<std::string> found;
    std::istringstream lines(run_checked({"ip", "netns", "list"}));
    for (std::string line; std::getline(lines, line);) {
        const std::string name = line.substr(0, line.find(' '));
        if (name == kHostNs || name == kGatewayNs || name == kServerNs) found.push_back(name);
    }
    return found;
}

std::optional<ProcessRecord> read_pid_file(const std::string& path) {
    std::ifstream in(path);
    ProcessRecord r;
    if (!(in >> r.pid >> r.start_time) || r.pid <= 0) return std::nullopt;
    return r;
}

void write_pid_file(const std::string& path, const ProcessRecord& r) {
    std::ofstream out(path, std::ios::trunc);
    out << r.pid << ' ' << r.start_time << '\n';
    out.close();
    if (!out) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

std::string last_line_of(const std::string& path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last.empty() ? "(nothing logged)" : last;
}

// A daemon is ready once it has said where it listens (every weft server prints
// "listening on ..." after binding); one that exits first has failed, with its reason logged.
void wait_until_listening(const Daemon& d, const ProcessRecord& p) {
    const auto deadline = Clock::now() + 10s;
    for (;;) {
        throw_if_interrupted();
        std::ifstream in(log_file(d.name));
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.find("listening on ") != std::string::npos) return;
        if (!alive(p))
            throw std::runtime_error(d.name + " (weft " + command_line(d.args) + ") exited: " +
                                     last_line_of(log_file(d.name)));
        if (Clock::now() > deadline)
            throw std::runtime_error(d.name + " did not start listening within 10 s (log " + log_file(d.name) + ")");
        std::this_thread::sleep_for(10ms);  // polling its log, bounded by the deadline
    }
}

void wait_for_carrier(std::string_view ns, std::string_view dev) {
    // Until the link watcher has seen the carrier, a veth drops what is sent on it.
    const auto deadline = Clock::now() + 10s;
    while (run_checked({"ip", "-n", s(ns), "-o", "link", "show", "dev", s(dev)}).find("state UP") ==
           std::string::npos) {
        if (Clock::now() > deadline) throw std::runtime_error(s(ns) + " " + s(dev) + ": link not up after 10 s");
        std::this_thread::sleep_for(10ms);  // polling the link state, bounded by the deadline
    }
}

void build(std::ostream& log) {
    if (::mkdir(run_dir().c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create '" + run_dir() + "': " + std::strerror(errno));
    for (std::string_view ns : {kHostNs, kGatewayNs, kServerNs}) {
        ip({"netns", "add", s(ns)});
        // IPv6 off before any link exists, so the lab's links carry only the journey's IPv4.
        for (const char* knob : {"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"})
            in_ns(ns, {"sysctl", "-q", "-w", knob});
        ip({"-n", s(ns), "link", "set", "lo", "up"});
    }
    in_ns(kGatewayNs, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"});
    ip({"link", "add", s(kHostIf), "netns", s(kHostNs), "type", "veth", "peer", "name", s(kGatewayHostIf), "netns",
        s(kGatewayNs)});
    ip({"link", "add", s(kGatewayServerIf), "netns", s(kGatewayNs), "type", "veth", "peer", "name", s(kServerIf),
        "netns", s(kServerNs)});
    const std::pair<std::string_view, std::string_view> links[] = {
        {kHostNs, kHostIf}, {kGatewayNs, kGatewayHostIf}, {kGatewayNs, kGatewayServerIf}, {kServerNs, kServerIf}};
    for (const auto& [ns, dev] : links) {
        // One segment per packet: a veth otherwise hands TCP's 64 KiB bursts along whole, and
        // a capture would show frames no Ethernet could carry.
        ip({"-n", s(ns), "link", "set", "dev", s(dev), "gso_max_segs", "1"});
        disable_tx_checksum_offload(ns, dev);
    }
    ip({"-n", s(kGatewayNs), "addr", "add", s(kGatewayHostAddress) + s(kHostPrefix), "dev", s(kGatewayHostIf)});
    ip({"-n", s(kGatewayNs), "addr", "add", s(kGatewayServerAddress) + "/24", "dev", s(kGatewayServerIf)});
    for (std::string_view a : {kRootDns, kTldDns, kZoneDns, kWebServer})
        ip({"-n", s(kServerNs), "addr", "add", s(a) + "/24", "dev", s(kServerIf)});
    for (const auto& [ns, dev] : links) ip({"-n", s(ns), "link", "set", "dev", s(dev), "up"});
    for (const auto& [ns, dev] : links) wait_for_carrier(ns, dev);
    // The server side answers the host through the gateway; the gateway itself has no
    // default route, so nothing leaves the lab.
    ip({"-n", s(kServerNs), "route", "add", "default", "via", s(kGatewayServerAddress)});
    log << "  namespaces " << kHostNs << ", " << kGatewayNs << ", " << kServerNs << "; host " << kHostIf
        << " up with no address\n";

    write_lab_files(run_dir());
    const std::string exe = self_exe();
    for (const Daemon& d : daemons()) {
        std::vector<std::string> argv{"ip", "netns", "exec", d.ns, exe};
        argv.insert(argv.end(), d.args.begin(), d.args.end());
        // `ip netns exec` execs the program after entering the namespace: the PID is weft's.
        const ProcessRecord p = start_detached(argv, log_file(d.name));
        write_pid_file(pid_file(d.name), p);
        wait_until_listening(d, p);
        log << "  " << d.name << " in " << d.ns << ": weft " << command_line(d.args) << " (pid " << p.pid << ")\n";
    }
}

}  // namespace

std::vector<Daemon> daemons() {
    const std::string dir = run_dir();
    std::vector<Daemon> list;
    list.push_back({"dhcp", s(kGatewayNs),
                    {"dhcp", "serve", "--iface", s(kGatewayHostIf), "--range", s(kPoolRange), "--router",
                     s(kGatewayHostAddress), "--dns", s(kRootDns), "--lease-file", dir + "/dhcp.leases"}});
    const std::pair<const char*, std::string_view> dns[] = {
        {"root", kRootDns}, {"test", kTldDns}, {"example.test", kZoneDns}};
    for (const auto& [zone, address] : dns)
        list.push_back({std::string("dns-") + zone, s(kServerNs),
                        {"dns", "serve", "--zone", dir + "/" + zone + ".zone", "--host", s(address), "--port", "53",
                         "--threads", "1"}});
    list.push_back({"http", s(kServerNs),
                    {"http", "serve", "--host", s(kWebServer), "--port", "80", "--root", dir + "/www", "--threads",
                     "1"}});
    return list;
}

void record_process(const std::string& name, const ProcessRecord& process) {
    write_pid_file(pid_file(name), process);
}

bool can_build(std::string& why) {
    if (::geteuid() != 0) {
        why = "needs root (it creates network namespaces and veth pairs with ip)";
        return false;
    }
    // A thread of its own tries a new network namespace and ends with it: the rest of the
    // process stays where it was. A container without CAP_SYS_ADMIN fails here.
    int error = 0;
    std::thread([&error] { error = ::unshare(CLONE_NEWNET) == 0 ? 0 : errno; }).join();
    if (error != 0) {
        why = std::string("network namespaces do not work here (unshare CLONE_NEWNET: ") + std::strerror(error) + ")";
        return false;
    }
    bool have_ip = false;
    for (const char* dir : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) have_ip = have_ip || ::access(dir, X_OK) == 0;
    if (!have_ip) {
        why = "iproute2's ip is not installed (Debian package iproute2)";
        return false;
    }
    return true;
}

void up(std::ostream& log) {
    std::string why;
    if (!can_build(why)) throw std::runtime_error(why);
    std::ostringstream quiet;
    down(quiet);  // what a crashed run left: its recorded daemons, namespaces, run directory
    try {
        build(log);
    } catch (...) {
        std::ostringstream ignored;
        CleanupScope cleaning;  // a second Ctrl-C must not stop the removal half-way
        try {
            down(ignored);
        } catch (const std::exception&) {
            // The first failure is the one worth reporting.
        }
        throw;
    }
}

void down(std::ostream& log) {
    std::string why;
    if (!can_build(why)) throw std::runtime_error(why);
    std::vector<std::string> problems;
    std::size_t stopped = 0;
    // Only processes we recorded, identified by PID and start time.
    if (std::filesystem::is_directory(run_dir())) {
        for (const auto& entry : std::filesystem::directory_iterator(run_dir())) {
            if (entry.path().extension() != ".pid") continue;
            if (auto p = read_pid_file(entry.path())) {
                const bool was_alive = alive(*p);
                if (!stop_process(*p, 5s)) problems.push_back("pid " + std::to_string(p->pid) + " did not stop");
                else if (was_alive) ++stopped;
            }
        }
    }
    std::size_t removed = 0;
    for (const std::string& ns : lab_namespaces()) {
        try {
            ip({"netns", "del", ns});  // its veths go with it
            ++removed;
        } catch (const std::runtime_error& e) {
            problems.push_back(e.what());
        }
    }
    std::error_code ec;
    std::filesystem::remove_all(run_dir(), ec);
    if (ec) problems.push_back("cannot remove '" + run_dir() + "': " + ec.message());
    if (!problems.empty()) throw std::runtime_error(problems.front());
    log << "  stopped " << stopped << " daemon" << (stopped == 1 ? "" : "s") << ", removed " << removed
        << " namespace" << (removed == 1 ? "" : "s") << "\n";
}

void status(std::ostream& out) {
    std::string why;
    if (!can_build(why)) throw std::runtime_error(why);
    const std::vector<std::string> spaces = lab_namespaces();
    if (spaces.empty()) {
        out << "lab: down (none of " << kHostNs << ", " << kGatewayNs << ", " << kServerNs << ")\n";
        return;
    }
    out << "lab: " << spaces.size() << " namespaces, run directory " << kRunDir << "\n";
    for (const std::string& ns : spaces) {
        std::istringstream devs(run_checked({"ip", "-n", ns, "-o", "link", "show"}));
        for (std::string line; std::getline(devs, line);) {
            // "2: eth0@if3: <BROADCAST,...> ... state UP ..."
            std::string dev = line.substr(line.find(": ") + 2);
            dev = dev.substr(0, dev.find_first_of("@:"));
            if (dev == "lo") continue;
            std::string addresses;
            std::istringstream addrs(run_checked({"ip", "-n", ns, "-o", "-4", "addr", "show", "dev", dev}));
            for (std::string a; std::getline(addrs, a);) {
                std::istringstream words(a);
                for (std::string w, prev; words >> w; prev = w)
                    if (prev == "inet") addresses += (addresses.empty() ? "" : " ") + w;
            }
            const bool up = line.find("state UP") != std::string::npos;
            out << "  " << ns << std::string(16 - std::min<std::size_t>(ns.size(), 15), ' ') << dev << "  "
                << (up ? "up  " : "down") << "  " << (addresses.empty() ? "(no address)" : addresses) << "\n";
        }
    }
    for (const Daemon& d : daemons()) {
        const auto p = read_pid_file(pid_file(d.name));
        out << "  " << d.name << std::string(14 - std::min<std::size_t>(d.name.size(), 13), ' ');
        if (!p) out << "no pid file\n";
        else out << "pid " << p->pid << (alive(*p) ? " alive" : " not running") << "  weft " << command_line(d.args) << "\n";
    }
}

}  // namespace weft::cli::lab
