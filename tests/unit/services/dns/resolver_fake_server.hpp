#pragma once
// A scripted DNS server for the resolver's tests: plain POSIX sockets on loopback, served by
// a thread of its own, so that it misbehaves exactly as told (wrong IDs, wrong questions,
// other source ports, TC, FORMERR, garbage, silence) and counts what it was asked.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/net/endpoint.hpp"
#include "weft/wire/dns.hpp"

namespace weft::dns::test {

using Bytes = std::vector<std::byte>;

/// A query as the fake server saw it.
struct Incoming {
    wire::DnsMessage query;
    bool tcp = false;
    int number = 0;  ///< 0 for the first query this server got, over either transport
    std::uint16_t from_port = 0;  ///< the client's source port
};

/// One message the server sends back.
struct Send {
    Bytes bytes;
    bool from_other_socket = false;  ///< UDP: from a second socket, so from another port
    bool close_connection = false;   ///< TCP: close the connection here instead of sending
};

using Script = std::function<std::vector<Send>(const Incoming&)>;

inline Bytes to_bytes(const wire::DnsMessage& m) { return wire::build_dns(m); }
inline Send send(const wire::DnsMessage& m) { return Send{to_bytes(m), false}; }

inline wire::DnsName name(std::string_view text) { return *wire::DnsName::from_text(text); }

/// The skeleton of a response to `q`: same ID and question, QR set, RD copied.
inline wire::DnsMessage reply_to(const wire::DnsMessage& q, std::uint8_t rcode = wire::kDnsRcodeNoError) {
    wire::DnsMessage r;
    r.header.id = q.header.id;
    r.header.qr = true;
    r.header.rd = q.header.rd;
    r.header.rcode = rcode;
    r.questions = q.questions;
    return r;
}

inline wire::DnsRecord a_record(std::string_view owner, std::string_view address, std::uint32_t ttl = 300) {
    return wire::DnsRecord{name(owner), wire::DnsType::A, wire::DnsClass::IN, ttl,
                           wire::DnsA{*Ipv4Address::parse(address)}};
}
inline wire::DnsRecord ns_record(std::string_view owner, std::string_view server) {
    return wire::DnsRecord{name(owner), wire::DnsType::NS, wire::DnsClass::IN, 86400, wire::DnsNs{name(server)}};
}
inline wire::DnsRecord cname_record(std::string_view owner, std::string_view target) {
    return wire::DnsRecord{name(owner), wire::DnsType::CNAME, wire::DnsClass::IN, 300, wire::DnsCname{name(target)}};
}
inline wire::DnsRecord soa_record(std::string_view zone) {
    wire::DnsSoa soa;
    // Appended, not "x" + string: GCC 12 warns falsely (-Wrestrict) about that operator+.
    const std::string_view suffix = zone == "." ? std::string_view() : zone;
    soa.mname = name(suffix.empty() ? std::string("ns") : std::string("ns.").append(suffix));
    soa.rname = name(suffix.empty() ? std::string("hostmaster") : std::string("hostmaster.").append(suffix));
    soa.serial = 1;
    soa.refresh = 3600;
    soa.retry = 600;
    soa.expire = 86400;
    soa.minimum = 60;
    return wire::DnsRecord{name(zone), wire::DnsType::SOA, wire::DnsClass::IN, 3600, soa};
}

class FakeDnsServer {
public:
    /// Binds UDP and TCP on address:port (port 0: a free port, the same number for both).
    /// Throws std::runtime_error when it cannot bind.
    FakeDnsServer(const std::string& address, std::uint16_t port, Script script) : script_(std::move(script)) {
        for (int attempt = 0; attempt < 50; ++attempt) {
            if (try_bind(address, port)) break;
            close_all();
            if (port != 0) throw std::runtime_error("fake DNS server: cannot bind " + address + ":" + std::to_string(port));
        }
        if (udp_ < 0) throw std::runtime_error("fake DNS server: no free port on " + address);
        other_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in any = loopback(address, 0);
        ::bind(other_, reinterpret_cast<sockaddr*>(&any), sizeof any);
        wake_ = ::eventfd(0, EFD_CLOEXEC);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeDnsServer() {
        const std::uint64_t one = 1;
        (void)!::write(wake_, &one, sizeof one);
        thread_.join();
        close_all();
        ::close(other_);
        ::close(wake_);
    }
    FakeDnsServer(const FakeDnsServer&) = delete;
    FakeDnsServer& operator=(const FakeDnsServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    Endpoint endpoint() const { return Endpoint(address_, port_); }
    int udp_queries() const noexcept { return udp_count_.load(); }
    int tcp_queries() const noexcept { return tcp_count_.load(); }
    std::vector<Incoming> queries() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    static sockaddr_in loopback(const std::string& address, std::uint16_t port) {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
        return sa;
    }

    bool try_bind(const std::string& address, std::uint16_t port) {
        address_ = address;
        udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa = loopback(address, port);
        if (::bind(udp_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return false;
        socklen_t len = sizeof sa;
        ::getsockname(udp_, reinterpret_cast<sockaddr*>(&sa), &len);
        port_ = ntohs(sa.sin_port);
        tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int on = 1;
        ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        return ::bind(tcp_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && ::listen(tcp_, 16) == 0;
    }

    void close_all() {
        if (udp_ >= 0) ::close(udp_);
        if (tcp_ >= 0) ::close(tcp_);
        udp_ = tcp_ = -1;
    }

    std::vector<Send> handle(std::span<const std::byte> bytes, bool tcp, std::uint16_t from_port) {
        auto parsed = wire::parse_dns(bytes);
        if (!parsed) return {};
        Incoming in{std::move(*parsed), tcp, 0, from_port};
        {
            std::lock_guard lock(mutex_);
            in.number = static_cast<int>(seen_.size());
            seen_.push_back(in);
        }
        (tcp ? tcp_count_ : udp_count_).fetch_add(1);
        return script_(in);
    }

    // Waits for `fd` to be readable or the server to stop; false when stopping.
    bool wait_readable(int fd) const {
        pollfd fds[2] = {{fd, POLLIN, 0}, {wake_, POLLIN, 0}};
        for (;;) {
            const int n = ::poll(fds, 2, -1);
            if (n < 0 && errno == EINTR) continue;
            return n > 0 && !(fds[1].revents & POLLIN) && (fds[0].revents & (POLLIN | POLLHUP | POLLERR));
        }
    }

    bool read_n(int fd, std::byte* out, std::size_t n) const {
        for (std::size_t got = 0; got < n;) {
            if (!wait_readable(fd)) return false;
            const ssize_t r = ::recv(fd, out + got, n - got, 0);
            if (r <= 0) return false;
            got += static_cast<std::size_t>(r);
        }
        return true;
    }

    void serve_connection(int fd) {
        for (;;) {
            std::byte head[2];
            if (!read_n(fd, head, 2)) return;
            Bytes body(std::to_integer<std::size_t>(head[0]) << 8 | std::to_integer<std::size_t>(head[1]));
            if (!read_n(fd, body.data(), body.size())) return;
            for (const Send& s : handle(body, true, 0)) {
                if (s.close_connection) return;
                Bytes framed{std::byte(s.bytes.size() >> 8), std::byte(s.bytes.size() & 0xff)};
                framed.insert(framed.end(), s.bytes.begin(), s.bytes.end());
                if (::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL) < 0) return;
            }
        }
    }

    void serve() {
        Bytes buffer(65536);
        for (;;) {
            pollfd fds[3] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}, {wake_, POLLIN, 0}};
            if (::poll(fds, 3, -1) < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[2].revents & POLLIN) return;
            if (fds[0].revents & POLLIN) {
                sockaddr_in from{};
                socklen_t len = sizeof from;
                const ssize_t n = ::recvfrom(udp_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
                if (n >= 0)
                    for (const Send& s : handle(std::span<const std::byte>(buffer).first(std::size_t(n)), false,
                                                ntohs(from.sin_port)))
                        (void)::sendto(s.from_other_socket ? other_ : udp_, s.bytes.data(), s.bytes.size(), 0,
                                       reinterpret_cast<sockaddr*>(&from), len);
            }
            if (fds[1].revents & POLLIN) {
                const int c = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c >= 0) {
                    serve_connection(c);
                    ::close(c);
                }
            }
        }
    }

    Script script_;
    std::string address_;
    std::uint16_t port_ = 0;
    int udp_ = -1, tcp_ = -1, other_ = -1, wake_ = -1;
    std::atomic<int> udp_count_{0}, tcp_count_{0};
    mutable std::mutex mutex_;
    std::vector<Incoming> seen_;
    std::thread thread_;
};

}  // namespace weft::dns::test
