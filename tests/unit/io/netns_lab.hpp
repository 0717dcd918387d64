#pragma once
// NetnsLab: two network namespaces joined by a veth link — the second host a test needs
// (packet sockets, ARP, DHCP). Needs root and iproute2; create() says why when it can't.
//
//   std::string why;
//   auto lab = weft::test::NetnsLab::create(why);
//   if (!lab) GTEST_SKIP() << why;
//   weft::test::NetnsLab::on_thread([&] {   // a fresh thread: the test's own never moves
//       lab->enter(weft::test::NetnsLab::a); // sockets created now live in namespace a
//       ...
//   });
//
// Side a is namespace weft-lab-<pid>-a with interface weft-a, 198.18.0.1/24; side b the
// same with -b and 198.18.0.2/24. IPv6 is off in both, so the link carries only what the test
// sends and what the kernel answers to it (an ARP request for .1 or .2 gets a reply): no
// duplicate address detection, no router solicitations.
//
// The destructor deletes both namespaces, which takes the veth pair along (a socket still
// open keeps its namespace alive, nameless, until it closes). create() first deletes what
// lab processes that died before their destructor ran left behind; the pid in the names keeps
// concurrent test processes (ctest -j) apart.

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace weft::test {

class NetnsLab {
public:
    enum Side { a = 0, b = 1 };
    static constexpr std::string_view kPrefix = "weft-lab-";

    /// The lab, or nullptr with `why` set (not root, no `ip netns`, ...).
    static std::unique_ptr<NetnsLab> create(std::string& why) {
        if (::geteuid() != 0) {
            why = "needs root: network namespaces and AF_PACKET sockets";
            return nullptr;
        }
        remove_leftovers();
        std::unique_ptr<NetnsLab> lab(new NetnsLab);
        const std::string stem = std::string(kPrefix) + std::to_string(::getpid());
        for (Side s : {a, b}) {
            lab->ns_[s] = stem + (s == a ? "-a" : "-b");
            std::string output;
            if (run({"ip", "netns", "add", lab->ns_[s]}, &output) != 0) {
                why = "cannot create a network namespace (ip netns add): " + output;
                return nullptr;
            }
            lab->created_[s] = true;
        }
        // IPv6 off before the veth exists, so neither end ever gets a link-local address. The
        // sysctl files under /proc/sys/net belong to the namespace of the thread opening them.
        bool ipv6_off = true;
        on_thread([&] {
            for (Side s : {a, b}) {
                if (!lab->enter(s)) {
                    ipv6_off = false;
                    return;
                }
                for (const char* which : {"all", "default"}) {
                    std::ofstream(std::string("/proc/sys/net/ipv6/conf/") + which + "/disable_ipv6") << "1\n";
                }
            }
        });
        if (!ipv6_off) {
            why = "cannot enter the namespace just created (setns)";
            return nullptr;
        }
        std::string output;
        // Each end is created in its namespace directly: no name is ever taken in ours.
        if (run({"ip", "link", "add", std::string(interface(a)), "netns", lab->ns_[a], "type", "veth", "peer",
                 "name", std::string(interface(b)), "netns", lab->ns_[b]},
                &output) != 0) {
            why = "cannot create a veth pair: " + output;
            return nullptr;
        }
        for (Side s : {a, b}) {
            const std::string dev(interface(s));
            if (run({"ip", "-n", lab->ns_[s], "addr", "add", std::string(address(s)) + "/24", "dev", dev}, &output) != 0 ||
                run({"ip", "-n", lab->ns_[s], "link", "set", dev, "up"}, &output) != 0) {
                why = "cannot configure " + dev + ": " + output;
                return nullptr;
            }
        }
        // Until the kernel's link watcher has seen the carrier come up, the end brought up first
        // keeps a qdisc that drops everything sent; its operstate turns UP in the same step.
        // The watcher runs within a second; the bound leaves room for a loaded machine.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (Side s : {a, b}) {
            while (!lab->link_up(s)) {
                if (std::chrono::steady_clock::now() > deadline) {
                    why = "the veth link did not come up within 10 s";
                    return nullptr;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        return lab;
    }

    ~NetnsLab() {
        for (Side s : {a, b}) {
            if (created_[s] && run({"ip", "netns", "del", ns_[s]}) != 0)
                std::fprintf(stderr, "netns_lab: could not delete namespace %s\n", ns_[s].c_str());
        }
    }
    NetnsLab(const NetnsLab&) = delete;
    NetnsLab& operator=(const NetnsLab&) = delete;

    const std::string& ns(Side s) const { return ns_[s]; }
    static std::string_view interface(Side s) { return s == a ? "weft-a" : "weft-b"; }
    static std::string_view address(Side s) { return s == a ? "198.18.0.1" : "198.18.0.2"; }

    /// Moves the calling thread (only it: namespaces are per thread) into side s's network
    /// namespace. Call it on a thread from on_thread, never on the test's own.
    bool enter(Side s) const {
        const int fd = ::open(("/var/run/netns/" + ns_[s]).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        const bool ok = ::setns(fd, CLONE_NEWNET) == 0;
        ::close(fd);
        return ok;
    }

    /// Runs fn on a new thread and waits for it: what may enter() a namespace.
    template <class F>
    static void on_thread(F&& fn) {
        std::thread t(std::forward<F>(fn));
        t.join();
    }

    /// The interface's promiscuity count (`ip -d link`: "promiscuity N"), -1 if unreadable.
    /// Packet sockets' PACKET_MR_PROMISC memberships raise it; IFF_PROMISC in `ip link`'s flags
    /// shows only the administrative setting, so the count is what tells.
    int promiscuity(Side s) const {
        std::string output;
        if (run({"ip", "-d", "-n", ns_[s], "link", "show", "dev", std::string(interface(s))}, &output) != 0) return -1;
        const auto at = output.find("promiscuity ");
        if (at == std::string::npos) return -1;
        return std::atoi(output.c_str() + at + 12);
    }

    /// Runs argv (no shell) with stdout and stderr into `output` if given; its exit status, or
    /// -1 if it could not run or was killed.
    static int run(const std::vector<std::string>& argv, std::string* output = nullptr) {
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return -1;
        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        ::posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
        ::posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        pid_t pid = -1;
        const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
        ::posix_spawn_file_actions_destroy(&actions);
        ::close(pipe_fds[1]);
        std::string text;
        char buffer[4096];
        for (;;) {
            const auto n = ::read(pipe_fds[0], buffer, sizeof buffer);
            if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
            else if (n == 0 || errno != EINTR) break;
        }
        ::close(pipe_fds[0]);
        if (output) *output = text;
        if (spawned != 0) return -1;
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) return -1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    NetnsLab() = default;

    bool link_up(Side s) const {
        std::string output;
        return run({"ip", "-n", ns_[s], "link", "show", "dev", std::string(interface(s))}, &output) == 0 &&
               output.find(" state UP ") != std::string::npos;
    }

    /// Deletes weft-lab-<pid>-* namespaces whose process is gone (killed mid-test). A live
    /// pid's are another test's, running now: left alone — except our own pid's, left by a
    /// dead process that had it before (a process holds one lab at a time).
    static void remove_leftovers() {
        DIR* dir = ::opendir("/var/run/netns");
        if (!dir) return;
        std::vector<std::string> stale;
        while (const dirent* entry = ::readdir(dir)) {
            const std::string_view name = entry->d_name;
            if (name.substr(0, kPrefix.size()) != kPrefix) continue;
            const long pid = std::strtol(std::string(name.substr(kPrefix.size())).c_str(), nullptr, 10);
            if (pid <= 0) continue;
            if (pid == ::getpid() || (::kill(static_cast<pid_t>(pid), 0) < 0 && errno == ESRCH))
                stale.emplace_back(name);
        }
        ::closedir(dir);
        for (const auto& name : stale) run({"ip", "netns", "del", name});
    }

    std::array<std::string, 2> ns_;
    std::array<bool, 2> created_{};
};

}  // namespace weft::test
