// The live journey: each host step is a weft command run in the host's namespace
// (`ip netns exec weft-lab-host weft ...`, the very command a reader can type), except the
// padded GET and the fragmented datagram, which this process sends from a thread inside the
// namespace (journey_netns.cpp). The capture runs throughout and is read back at the end.
#include "journey_run.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "journey_frames.hpp"
#include "journey_netns.hpp"
#include "lab.hpp"

namespace weft::cli::journey {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kGetHeadSize = 4960;      // the tutorial's GET
constexpr std::size_t kDatagramPayload = 4972;  // + 8 UDP + 20 IPv4 = the tutorial's 5000 bytes

std::string s(std::string_view v) { return std::string(v); }

std::string indent(const std::string& text, const std::string& by = "    ") {
    std::string result;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) result += by + line + "\n";
    return result;
}

// Words wrapped to 100 columns under a two-space indent.
std::string wrap(const std::string& text) {
    std::string out, line = " ";
    std::istringstream words(text);
    for (std::string w; words >> w;) {
        if (line.size() + 1 + w.size() > 100) {
            out += line + "\n";
            line = " ";
        }
        line.append(" ").append(w);  // (g++ 12 warns falsely about `" " + w`: -Wrestrict)
    }
    return out + line + "\n";
}

std::string join(const std::vector<std::size_t>& v) {
    std::string r;
    for (std::size_t x : v) r += (r.empty() ? "" : ", ") + std::to_string(x);
    return r;
}

// The inodes of a process's sockets, from its file descriptors.
std::vector<std::string> socket_inodes(pid_t pid) {
    std::vector<std::string> inodes;
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
        if (!ec && target.starts_with("socket:[")) inodes.push_back(target.substr(8, target.size() - 9));
    }
    return inodes;
}

// True once the process holds a packet socket bound to interface `ifindex` and running:
// from then on every frame of the interface reaches its ring.
bool capturing(pid_t pid, const std::string& ifindex) {
    std::ifstream table("/proc/" + std::to_string(pid) + "/net/packet");
    const std::vector<std::string> mine = socket_inodes(pid);
    std::string line;
    std::getline(table, line);  // "sk RefCnt Type Proto Iface R Rmem User Inode"
    while (std::getline(table, line)) {
        std::istringstream f(line);
        std::string sk, refs, type, proto, iface, running, rmem, user, inode;
        if (!(f >> sk >> refs >> type >> proto >> iface >> running >> rmem >> user >> inode)) continue;
        if (iface == ifindex && running == "1" && std::find(mine.begin(), mine.end(), inode) != mine.end())
            return true;
    }
    return false;
}

class Journey {
public:
    Journey(const JourneySettings& settings, std::ostream& out)
        : settings_(settings), out_(out), exe_(lab::self_exe()) {}

    void run() {
        out_ << "  weft lab up: the network of `weft lab` (iproute2's ip as a child process)\n";
        try {
            lab::up(out_);
        } catch (const lab::Interrupted&) {
            throw;
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("lab up: ") + e.what());
        }
        pcap_ = settings_.pcap.empty() ? s(lab::kRunDir) + "/journey.pcap"
                                       : std::filesystem::absolute(settings_.pcap).string();
        // Between steps as well as inside them: the GET and the datagram are sent by this
        // process, where no child can be stopped to cut a wait short.
        for (void (Journey::*step)() : {&Journey::start_capture, &Journey::dhcp, &Journey::arp, &Journey::dns,
                                        &Journey::http, &Journey::fragments, &Journey::stop_capture,
                                        &Journey::show_frames}) {
            lab::throw_if_interrupted();
            (this->*step)();
        }
    }

    // Stops what is still running and removes the lab; called on every way out.
    void finish(std::ostream& log) {
        if (capture_.pid > 0) lab::stop_child(capture_, SIGTERM, 2s);
        lab::down(log);
    }

private:
    std::vector<std::string> in_host(std::vector<std::string> args) const {
        args.insert(args.begin(), {"ip", "netns", "exec", s(lab::kHostNs), exe_});
        return args;
    }

    std::string weft_line(const std::vector<std::string>& args) const {
        return "ip netns exec " + s(lab::kHostNs) + " weft " + lab::command_line(args);
    }

    std::string host_weft(const std::vector<std::string>& args, const char* step) {
        out_ << "  " << step << ": " << weft_line(args) << "\n";
        lab::CommandResult r = lab::run_command(in_host(args), 30s);
        if (r.exit_code != 0)
            throw std::runtime_error(std::string(step) + ": weft " + lab::command_line(args) + ": exit " +
                                     std::to_string(r.exit_code) + ": " + r.err.substr(0, r.err.find('\n')));
        return r.out;
    }

    void start_capture() {
        const std::vector<std::string> args{"capture", "--iface", s(lab::kHostIf), "--write", pcap_};
        out_ << "  capture: " << weft_line(args) << "\n";
        capture_ = lab::start_child(in_host(args), s(lab::kRunDir) + "/capture.log");
        // Recorded like the lab's daemons: were this process killed, `lab down` (or the next
        // `up`) would still stop it.
        if (auto start = lab::start_time_of(capture_.pid)) lab::record_process("capture", {capture_.pid, *start});
        const std::string link = lab::run_checked({"ip", "-n", s(lab::kHostNs), "-o", "link", "show", "dev", s(lab::kHostIf)});
        const std::string ifindex = link.substr(0, link.find(':'));
        const auto deadline = Clock::now() + 10s;
        while (!capturing(capture_.pid, ifindex)) {
            lab::throw_if_interrupted();
            if (!lab::start_time_of(capture_.pid)) throw std::runtime_error("capture: exited: " + capture_log());
            if (Clock::now() > deadline) throw std::runtime_error("capture: not capturing on " + s(lab::kHostIf) + " after 10 s");
            std::this_thread::sleep_for(5ms);  // polling its packet socket, bounded by the deadline
        }
    }

    std::string capture_log() const {
        std::ifstream in(s(lab::kRunDir) + "/capture.log");
        std::string line, last;
        while (std::getline(in, line))
            if (!line.empty()) last = line;
        return last;
    }

    void dhcp() {
        const std::string json = host_weft({"dhcp", "client", "--iface", s(lab::kHostIf), "--apply", "--json", "--timeout", "10"}, "dhcp");
        const nlohmann::json lease = nlohmann::json::parse(json, nullptr, false);
        if (lease.is_discarded() || !lease.contains("address")) throw std::runtime_error("dhcp: no lease in: " + json);
        address_ = lease.value("address", "");
        // (find, not [], on a const object: a missing key must be an error here, not undefined)
        if (auto r = lease.find("router"); r != lease.end() && r->is_string()) router_ = r->get<std::string>();
        if (auto d = lease.find("dns"); d != lease.end() && d->is_array() && !d->empty() && d->front().is_string())
            dns_ = d->front().get<std::string>();
        if (router_.empty() || dns_.empty()) throw std::runtime_error("dhcp: the lease lacks a router or a DNS server: " + json);
        out_ << "    the four elements: address " << address_ << ", netmask " << lease.value("netmask", "?")
             << ", gateway " << router_ << ", DNS " << dns_ << " (applied to " << lab::kHostIf << ")\n";
    }

    void arp() {
        const std::string json = host_weft({"arp", router_, "--iface", s(lab::kHostIf), "--json", "--timeout", "3"}, "arp");
        const nlohmann::json found = nlohmann::json::parse(json, nullptr, false);
        if (found.is_discarded() || !found.contains("mac")) throw std::runtime_error("arp: no answer in: " + json);
        const std::string mac = found["mac"].get<std::string>();
        // What a stack does with the answer: the gateway goes into the neighbour table, so
        // the kernel sends the host's packets there without asking again.
        lab::run_checked({"ip", "-n", s(lab::kHostNs), "neigh", "replace", router_, "lladdr", mac, "dev",
                          s(lab::kHostIf), "nud", "reachable"});
        char rtt[32];
        std::snprintf(rtt, sizeof rtt, "%.3f", found.value("rtt_ms", 0.0));
        out_ << "    the gateway " << router_ << " is at " << mac << " (" << rtt
             << " ms); entered in the host's neighbour table (ip neigh replace)\n";
    }

    void dns() {
        // Tries of 5 s: on a loaded machine a slow answer must not become a retry in the frames shown.
        const std::string text = host_weft(
            {"dns", "query", s(lab::kWebName), "--trace", "--root", dns_, "--port", "53", "--timeout", "5"}, "dns");
        out_ << indent(text);
        // The answer is the last line: "www.example.test. 300 IN A 198.19.0.80".
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            const std::size_t a = line.find(" IN A ");
            if (line.starts_with(s(lab::kWebName) + ".") && a != std::string::npos) web_ = line.substr(a + 6);
        }
        if (web_.empty()) throw std::runtime_error("dns: no address for " + s(lab::kWebName) + " in the trace");
        out_ << "    (the lab has no recursive resolver: the host walks the hierarchy itself, from the root DHCP named)\n";
    }

    void http() {
        out_ << "  http: GET http://" << lab::kWebName << "/ from the host to " << web_
             << ":80, its head padded (X-Padding) to " << kGetHeadSize << " bytes\n";
        const PageFetch page = fetch_page(lab::kHostNs, web_, lab::kWebName, kGetHeadSize, 5s);
        out_ << "    " << page.client << " -> " << page.server << ": sent " << page.request << " bytes, got "
             << page.status_line << ", " << page.response << " bytes (" << page.body
             << " of page); the server closed (Connection: close)\n";
        if (page.status_line.find(" 200 ") == std::string::npos)
            throw std::runtime_error("http: " + page.server + " answered '" + page.status_line + "'");
    }

    void fragments() {
        out_ << "  ip-fragments: one UDP datagram, " << kDatagramPayload << " bytes of payload (" << kDatagramPayload + 28
             << " with its headers), to " << web_ << ":" << lab::kDiscardPort << " with DF clear\n";
        const FragmentedDatagram d = send_fragmented(lab::kHostNs, lab::kServerNs, web_,
                                                     static_cast<std::uint16_t>(lab::kDiscardPort), kDatagramPayload, 5s);
        out_ << "    the server side received it whole: " << d.received << " bytes in one recvfrom from " << d.from
             << " (reassembled by its IP)\n";
        if (d.received != kDatagramPayload) throw std::runtime_error("ip-fragments: received " + std::to_string(d.received) + " bytes");
    }

    void stop_capture() {
        const int rc = lab::stop_child(capture_, SIGINT, 10s);
        if (rc != 0) throw std::runtime_error("capture: exit " + std::to_string(rc) + ": " + capture_log());
        out_ << "  capture stopped: " << capture_log() << "\n";
    }

    void show_frames() {
        const std::map<std::string, std::string> roles{
            {s(lab::kRootDns), "the root"}, {s(lab::kTldDns), "test."}, {s(lab::kZoneDns), "example.test."},
            {s(lab::kWebServer), "www"}, {s(lab::kGatewayHostAddress), "the gateway"}};
        const std::vector<LabelledFrame> frames = label_capture(pcap_, roles);
        const std::string host = address_.substr(0, address_.find('/'));
        if (settings_.json) {
            print_frames_json(std::cout, frames);
            return;
        }
        out_ << "\n  The frames the host's " << lab::kHostIf << " saw, in order:\n";
        print_frames(out_, frames);
        const CrossingSummary c = summarize(frames, host);
        std::size_t largest = 0;
        for (std::size_t n : c.get_segments) largest = std::max(largest, n);
        std::ostringstream why;
        why << "Where the live run differs from the tutorial: the " << kGetHeadSize
            << "-byte GET did not travel as IP fragments but as " << c.get_segments.size() << " TCP segments of "
            << join(c.get_segments) << " bytes" << (c.get_df ? " in datagrams with DF set" : "") << ". TCP announced MSS "
            << c.mss << " (MTU 1500 - 20 IPv4 - 20 TCP) in its SYN and cuts its byte stream to fit";
        if (largest > 0 && largest < c.mss) why << " (" << c.mss - largest << " bytes of each go to the timestamp option)";
        why << ", so no router has to fragment it and a lost frame costs one segment, not the whole datagram. "
               "Only the UDP datagram, sent with DF clear, was cut by IP: "
            << join(c.fragment_lengths) << " bytes at offsets " << join(c.fragment_offsets)
            << ", and put back together by the server's IP.";
        out_ << '\n' << wrap(why.str());
        if (c.checksums_unset > 0)
            out_ << "  " << c.checksums_unset
                 << " frames show checksum_ok=false: the sending kernel leaves TCP and UDP checksums to the NIC\n"
                    "  (offload); a veth has no hardware to fill them in and hands the packet over marked as checked,\n"
                    "  so the capture holds the unfinished sum.\n";
        if (!settings_.pcap.empty()) out_ << "  The capture is in " << pcap_ << " (weft decode --pcap, or Wireshark).\n";
    }

    const JourneySettings& settings_;
    std::ostream& out_;
    std::string exe_;
    std::string pcap_;
    lab::Child capture_;
    std::string address_, router_, dns_, web_;
};

}  // namespace

void run_journey(const JourneySettings& settings, std::ostream& out) {
    const auto started = Clock::now();
    std::ostringstream unused;
    std::ostream& log = settings.json ? unused : out;
    lab::InterruptGuard guard;
    Journey journey(settings, log);
    try {
        journey.run();
    } catch (const std::exception& e) {
        std::ostringstream ignored;
        lab::CleanupScope cleaning;  // removal runs to its end, whatever signal comes now
        try {
            journey.finish(ignored);
        } catch (const std::exception&) {
            // The first failure is the one worth reporting.
        }
        if (lab::interrupted())
            throw std::runtime_error("journey interrupted by signal " + std::to_string(lab::interrupted()) +
                                     "; the lab was removed");
        throw std::runtime_error(std::string("journey: ") + e.what() + " (the lab was removed)");
    }
    log << "  weft lab down:\n";
    lab::CleanupScope cleaning;
    journey.finish(log);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    char took[64];
    std::snprintf(took, sizeof took, "%.1f", seconds);
    log << "  The journey took " << took << " s, the lab's making and removal included.\n";
}

}  // namespace weft::cli::journey
