// io_loadgen: the one load generator every echo server in bench/io is measured with.
//
//   io_loadgen tcp CONNS SIZE SLICE_MS SLICES NAME:PORT:PID...
//   io_loadgen udp SOCKETS WINDOW SLICE_MS SLICES NAME:PORT:PID...
//
// tcp: the classic ping-pong. For every server it opens CONNS connections to 127.0.0.1:PORT
// (each server's in its own epoll set), then drives the servers in turn, SLICES rounds of
// one SLICE_MS slice each, the order rotating by one every round (so drift over time hits
// every server alike). In a slice each connection sends a SIZE-byte message and waits for the
// whole echo before sending the next; every echoed byte is compared with what was sent. At
// the slice's end no new message starts; the ones in flight finish and are counted, so the
// slice measures complete round trips over its true duration.
//
// udp: SOCKETS connected client sockets per server, each keeping WINDOW 64-byte datagrams in
// flight (a reply is verified, then answered by the next datagram), so datagrams queue at
// the server. Slices as above; lost datagrams are simply not counted (the window is refilled
// at every slice's start).
//
// For every slice, the server's CPU time (sum of its threads' run time from
// /proc/PID/task/*/schedstat, nanoseconds; utime+stime from /proc/PID/stat as a fallback,
// 10 ms ticks) is read before and after. One line per slice on stdout:
//   slice server=NAME round=R msgs=N bytes=B ns=WALL cpu_ns=CPU
// and once per server "setup server=NAME ms=T" (time to connect everything and complete one
// round trip on every connection). Exit 1, with the reason on stderr, when a server closes,
// stalls (no progress for 10 s) or echoes a wrong byte.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "io_loadgen: %s\n", why.c_str());
    std::exit(1);
}

struct Target {
    std::string name;
    int port = 0;
    int pid = 0;
    int epoll = -1;
};

Target parse_target(const std::string& text) {
    const auto a = text.find(':');
    const auto b = text.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) die("bad server '" + text + "': want NAME:PORT:PID");
    return {text.substr(0, a), std::atoi(text.substr(a + 1, b - a - 1).c_str()), std::atoi(text.substr(b + 1).c_str())};
}

/// CPU time of every thread of pid, in nanoseconds.
std::uint64_t cpu_ns(int pid) {
    std::uint64_t total = 0;
    bool any = false;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::ifstream f(dir + "/" + e->d_name + "/schedstat");
            std::uint64_t ns = 0;
            if (f >> ns) {
                total += ns;
                any = true;
            }
        }
        ::closedir(d);
    }
    if (any && total > 0) return total;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) die("cannot read /proc/" + std::to_string(pid) + "/stat");
    // Fields after the command: state is field 3; utime and stime are 14 and 15.
    std::vector<std::string> fields;
    std::size_t pos = close_paren + 2;
    while (pos < stat.size()) {
        const auto sp = stat.find(' ', pos);
        fields.push_back(stat.substr(pos, sp - pos));
        if (sp == std::string::npos) break;
        pos = sp + 1;
    }
    const std::uint64_t ticks = std::stoull(fields.at(11)) + std::stoull(fields.at(12));
    return ticks * (1'000'000'000ull / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK)));
}

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

void raise_nofile() {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
}

std::int64_t ns_since(Clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

// ---- TCP ping-pong ---------------------------------------------------------------------

struct Conn {
    int fd = -1;
    std::size_t sent = 0;      // of the current message
    std::size_t received = 0;  // of its echo
    std::uint64_t seq = 0;
    bool busy = false;  // a message is in flight
    std::vector<unsigned char> message;
};

class PingPong {
public:
    PingPong(std::size_t size) : size_(size), scratch_(std::max<std::size_t>(size, 65536)) {}

    void open(Target& t, std::size_t conns) {
        t.epoll = ::epoll_create1(EPOLL_CLOEXEC);
        auto& list = conns_.emplace_back();
        list.resize(conns);
        const auto at = loopback(t.port);
        for (std::size_t i = 0; i < conns; ++i) {
            Conn& c = list[i];
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (c.fd < 0) die(std::string("socket: ") + std::strerror(errno));
            if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) < 0)
                die(t.name + ": connect to port " + std::to_string(t.port) + ": " + std::strerror(errno));
            int one = 1;
            ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            linger lg{1, 0};  // reset at the end: no TIME_WAIT pile-up between cells
            ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            ::fcntl(c.fd, F_SETFL, O_NONBLOCK);
            c.message.resize(size_);
            for (std::size_t k = 0; k < size_; ++k) c.message[k] = static_cast<unsigned char>((i * 131 + k * 7) ^ (k >> 8));
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
            ev.data.ptr = &c;
            ::epoll_ctl(t.epoll, EPOLL_CTL_ADD, c.fd, &ev);
        }
    }

    struct Slice {
        std::uint64_t msgs = 0;
        std::int64_t ns = 0;
    };

    /// Drives target t's connections for `length`, then lets in-flight messages finish.
    Slice run(Target& t, std::size_t index, std::chrono::nanoseconds length, std::uint64_t max_msgs_per_conn = 0) {
        auto& list = conns_[index];
        const auto t0 = Clock::now();
        const auto deadline = t0 + length;
        std::uint64_t msgs = 0;
        std::size_t active = 0;
        for (Conn& c : list) {
            start(c, t);
            ++active;
        }
        bool open = true;
        std::vector<std::uint64_t> per_conn(max_msgs_per_conn ? list.size() : 0);
        epoll_event events[512];
        auto last_progress = Clock::now();
        while (active > 0) {
            const int n = ::epoll_wait(t.epoll, events, 512, 100);
            if (n == 0 && Clock::now() - last_progress > std::chrono::seconds(10))
                die(t.name + ": stalled (" + std::to_string(active) + " connections waiting for their echo)");
            if (open && Clock::now() >= deadline) open = false;
            for (int i = 0; i < n; ++i) {
                Conn& c = *static_cast<Conn*>(events[i].data.ptr);
                if (!c.busy) continue;
                if (c.sent < size_) write_some(c, t);
                if (!read_some(c, t)) continue;
                // The whole echo is in: one message.
                ++msgs;
                last_progress = Clock::now();
                c.busy = false;
                bool again = open;
                if (max_msgs_per_conn) again = ++per_conn[static_cast<std::size_t>(&c - list.data())] < max_msgs_per_conn;
                else if (again && (msgs & 63) == 0) again = open = Clock::now() < deadline;
                if (again) start(c, t);
                else --active;
            }
        }
        return {msgs, ns_since(t0)};
    }

    void close_all() {
        for (auto& list : conns_)
            for (Conn& c : list) ::close(c.fd);
        conns_.clear();
    }

private:
    void start(Conn& c, const Target& t) {
        ++c.seq;
        std::memcpy(c.message.data(), &c.seq, std::min<std::size_t>(sizeof c.seq, size_));
        c.sent = c.received = 0;
        c.busy = true;
        write_some(c, t);  // the echo's arrival is an edge: no read until epoll reports it
    }

    void write_some(Conn& c, const Target& t) {
        while (c.sent < size_) {
            const ssize_t w = ::send(c.fd, c.message.data() + c.sent, size_ - c.sent, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN) return;
                die(t.name + ": send: " + std::strerror(errno));
            }
            c.sent += static_cast<std::size_t>(w);
        }
    }

    /// Reads what is there (until EAGAIN or the whole echo); true when the echo is complete.
    bool read_some(Conn& c, const Target& t) {
        while (c.received < size_) {
            const ssize_t r = ::read(c.fd, scratch_.data(), size_ - c.received);
            if (r < 0) {
                if (errno == EAGAIN) return false;
                die(t.name + ": read: " + std::strerror(errno));
            }
            if (r == 0) die(t.name + ": server closed the connection");
            if (std::memcmp(scratch_.data(), c.message.data() + c.received, static_cast<std::size_t>(r)) != 0)
                die(t.name + ": echoed bytes differ from what was sent (message " + std::to_string(c.seq) +
                    ", offset " + std::to_string(c.received) + ")");
            c.received += static_cast<std::size_t>(r);
        }
        return true;
    }

    std::size_t size_;
    std::vector<unsigned char> scratch_;
    std::vector<std::vector<Conn>> conns_;
};

int run_tcp(std::size_t conns, std::size_t size, int slice_ms, int slices, std::vector<Target>& targets) {
    PingPong pp(size);
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto t0 = Clock::now();
        pp.open(targets[i], conns);
        pp.run(targets[i], i, std::chrono::nanoseconds(0), 1);  // one round trip each: all accepted and warm
        std::printf("setup server=%s ms=%.1f\n", targets[i].name.c_str(), static_cast<double>(ns_since(t0)) / 1e6);
    }
    // A short uncounted warm-up slice each.
    for (std::size_t i = 0; i < targets.size(); ++i) pp.run(targets[i], i, std::chrono::milliseconds(slice_ms / 3));
    for (int round = 0; round < slices; ++round) {
        for (std::size_t k = 0; k < targets.size(); ++k) {
            const std::size_t i = (k + static_cast<std::size_t>(round)) % targets.size();
            Target& t = targets[i];
            const auto cpu0 = cpu_ns(t.pid);
            const auto s = pp.run(t, i, std::chrono::milliseconds(slice_ms));
            const auto cpu1 = cpu_ns(t.pid);
            std::printf("slice server=%s round=%d msgs=%llu bytes=%llu ns=%lld cpu_ns=%llu\n", t.name.c_str(), round,
                        static_cast<unsigned long long>(s.msgs), static_cast<unsigned long long>(s.msgs * size),
                        static_cast<long long>(s.ns), static_cast<unsigned long long>(cpu1 - cpu0));
            std::fflush(stdout);
        }
    }
    pp.close_all();
    return 0;
}

// ---- UDP -------------------------------------------------------------------------------

constexpr std::size_t kDatagram = 64;

struct UdpClient {
    int fd = -1;
    std::uint32_t id = 0;
    std::uint32_t next_seq = 0;
};

void fill_datagram(unsigned char* p, std::uint32_t id, std::uint32_t seq) {
    std::memcpy(p, &id, 4);
    std::memcpy(p + 4, &seq, 4);
    for (std::size_t k = 8; k < kDatagram; ++k) p[k] = static_cast<unsigned char>(id * 31 + k);
}

bool datagram_ok(const unsigned char* p, std::size_t n, std::uint32_t id) {
    if (n != kDatagram) return false;
    std::uint32_t got;
    std::memcpy(&got, p, 4);
    if (got != id) return false;
    for (std::size_t k = 8; k < kDatagram; ++k)
        if (p[k] != static_cast<unsigned char>(id * 31 + k)) return false;
    return true;
}

int run_udp(std::size_t sockets, std::size_t window, int slice_ms, int slices, std::vector<Target>& targets) {
    std::vector<std::vector<UdpClient>> clients(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        Target& t = targets[i];
        t.epoll = ::epoll_create1(EPOLL_CLOEXEC);
        const auto at = loopback(t.port);
        for (std::size_t s = 0; s < sockets; ++s) {
            UdpClient c;
            c.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            c.id = static_cast<std::uint32_t>(s);
            if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) < 0) die(std::strerror(errno));
            clients[i].push_back(c);
        }
        for (auto& c : clients[i]) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = &c;
            ::epoll_ctl(t.epoll, EPOLL_CTL_ADD, c.fd, &ev);
        }
    }
    constexpr std::size_t kBatch = 64;
    unsigned char in[kBatch][kDatagram + 16];
    unsigned char out[kBatch][kDatagram];
    mmsghdr hin[kBatch]{}, hout[kBatch]{};
    iovec vin[kBatch], vout[kBatch];
    for (std::size_t k = 0; k < kBatch; ++k) {
        vin[k] = {in[k], sizeof in[k]};
        hin[k].msg_hdr.msg_iov = &vin[k];
        hin[k].msg_hdr.msg_iovlen = 1;
        vout[k] = {out[k], kDatagram};
        hout[k].msg_hdr.msg_iov = &vout[k];
        hout[k].msg_hdr.msg_iovlen = 1;
    }
    auto send_n = [&](UdpClient& c, std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) fill_datagram(out[k], c.id, c.next_seq++);
        // A full socket buffer just drops the rest: those datagrams are lost, not counted.
        (void)::sendmmsg(c.fd, hout, static_cast<unsigned>(n), MSG_DONTWAIT);
    };
    auto one_slice = [&](std::size_t i, std::chrono::milliseconds length, bool count) {
        Target& t = targets[i];
        for (auto& c : clients[i])  // stale replies from the last slice: drop
            while (::recvmmsg(c.fd, hin, kBatch, MSG_DONTWAIT, nullptr) > 0) {
            }
        const auto cpu0 = cpu_ns(t.pid);
        const auto t0 = Clock::now();
        const auto deadline = t0 + length;
        for (auto& c : clients[i]) send_n(c, window);
        std::uint64_t replies = 0;
        bool open = true;
        auto last = Clock::now();
        epoll_event events[256];
        for (;;) {
            const int n = ::epoll_wait(t.epoll, events, 256, open ? 10 : 2);
            const auto now = Clock::now();
            if (open && now >= deadline) open = false;
            if (n <= 0) {
                if (!open && now - last > std::chrono::milliseconds(5)) break;  // drained (or lost)
                if (open && now - last > std::chrono::seconds(10)) die(t.name + ": no replies for 10 s");
                continue;
            }
            last = now;
            for (int e = 0; e < n; ++e) {
                UdpClient& c = *static_cast<UdpClient*>(events[e].data.ptr);
                const int got = ::recvmmsg(c.fd, hin, kBatch, MSG_DONTWAIT, nullptr);
                if (got <= 0) continue;
                for (int k = 0; k < got; ++k)
                    if (!datagram_ok(in[k], hin[k].msg_len, c.id))
                        die(t.name + ": a reply differs from the datagram sent (" + std::to_string(hin[k].msg_len) + " bytes)");
                replies += static_cast<std::uint64_t>(got);
                if (open) send_n(c, static_cast<std::size_t>(got));
            }
        }
        const auto ns = ns_since(t0);
        const auto cpu1 = cpu_ns(t.pid);
        if (count)
            std::printf("slice server=%s round=0 msgs=%llu bytes=%llu ns=%lld cpu_ns=%llu\n", t.name.c_str(),
                        static_cast<unsigned long long>(replies), static_cast<unsigned long long>(replies * kDatagram),
                        static_cast<long long>(ns), static_cast<unsigned long long>(cpu1 - cpu0));
    };
    for (std::size_t i = 0; i < targets.size(); ++i) one_slice(i, std::chrono::milliseconds(slice_ms / 3), false);
    for (int round = 0; round < slices; ++round)
        for (std::size_t k = 0; k < targets.size(); ++k) {
            one_slice((k + static_cast<std::size_t>(round)) % targets.size(), std::chrono::milliseconds(slice_ms), true);
            std::fflush(stdout);
        }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr,
                     "usage: io_loadgen tcp CONNS SIZE SLICE_MS SLICES NAME:PORT:PID...\n"
                     "       io_loadgen udp SOCKETS WINDOW SLICE_MS SLICES NAME:PORT:PID...\n");
        return 2;
    }
    raise_nofile();
    const std::string mode = argv[1];
    const auto a = static_cast<std::size_t>(std::atoll(argv[2]));
    const auto b = static_cast<std::size_t>(std::atoll(argv[3]));
    const int slice_ms = std::atoi(argv[4]);
    const int slices = std::atoi(argv[5]);
    std::vector<Target> targets;
    for (int i = 6; i < argc; ++i) targets.push_back(parse_target(argv[i]));
    if (mode == "tcp") return run_tcp(a, b, slice_ms, slices, targets);
    if (mode == "udp") return run_udp(a, b, slice_ms, slices, targets);
    die("unknown mode '" + mode + "' (tcp or udp)");
}
