// The stub resolver: one question to one server, with the checks that make a spoofed or
// stray datagram harmless (source, ID, question), retries, and the TCP and no-EDNS
// fallbacks. Everything runs on the caller's loop; each wait is bounded by a try's timeout
// and the optional total.
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <random>

#include "weft/io/io_error.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/tcp_stream.hpp"
#include "weft/io/udp_socket.hpp"
#include "weft/services/dns/resolver.hpp"

namespace weft::dns {

namespace {

using Clock = std::chrono::steady_clock;

// The largest datagram a UDP response can be; anything bigger is cut by the kernel and
// then fails to parse, which only makes it one more ignored datagram.
constexpr std::size_t kMaxUdpResponse = 65535;

// "2 s", "0.5 s": how a person wrote the timeout on the command line.
std::string seconds_text(std::chrono::nanoseconds d) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", std::chrono::duration<double>(d).count());
    return text;
}

// The query ID comes from the kernel's CSPRNG: an off-path attacker must guess it (and the
// source port) to have a forged response accepted, so a predictable generator such as
// std::mt19937 seeded from the clock would undo the point of the check.
std::uint16_t random_query_id() {
    std::uint16_t id = 0;
    for (;;) {
        const ssize_t n = ::getrandom(&id, sizeof id, 0);
        if (n == static_cast<ssize_t>(sizeof id)) return id;
        if (n < 0 && errno == EINTR) continue;
        break;
    }
    // getrandom only fails on kernels older than 3.17; libstdc++'s random_device then reads
    // /dev/urandom, the same pool.
    std::random_device device;
    return static_cast<std::uint16_t>(device());
}

wire::DnsMessage make_query(const wire::DnsQuestion& question, std::uint16_t id, bool edns, bool rd) {
    wire::DnsMessage m;
    m.header.id = id;
    m.header.opcode = wire::kDnsOpcodeQuery;
    m.header.rd = rd;
    m.questions.push_back(question);
    if (edns) {
        wire::DnsEdns opt;
        opt.udp_payload_size = kEdnsPayloadSize;
        m.additional.push_back(wire::make_opt_record(opt));
    }
    return m;
}

bool is_edns_rejection(const wire::DnsMessage& m) {
    return m.header.rcode == wire::kDnsRcodeFormErr || m.header.rcode == wire::kDnsRcodeNotImp;
}

// Whether `m` is the response to our query. A server that does not understand the query
// (FORMERR, NOTIMP: RFC 6891 section 7 expects those from responders without EDNS) may
// answer with the header alone, so for those an empty question section is accepted; the
// source and the ID still have to match.
bool answers(const wire::DnsMessage& m, std::uint16_t id, const wire::DnsQuestion& question) {
    if (!m.header.qr || m.header.id != id) return false;
    if (m.questions.empty()) return is_edns_rejection(m);
    if (m.questions.size() != 1) return false;
    const wire::DnsQuestion& q = m.questions.front();
    return q.type == question.type && q.qclass == question.qclass && q.name == question.name;
}

QueryError failure(QueryErrc code, const Endpoint& server, std::string message) {
    return QueryError{code, server, std::move(message)};
}

QueryError socket_failure(const Endpoint& server, Transport transport, const std::error_code& ec) {
    const std::string via = std::string(transport_name(transport));
    if (ec == std::errc::connection_refused)
        return failure(QueryErrc::refused, server,
                       "query to " + server.to_string() + " over " + via +
                           ": connection refused (nothing listens on that port)");
    return failure(QueryErrc::network, server, "query to " + server.to_string() + " over " + via + ": " + ec.message());
}

QueryError no_response(const Endpoint& server, Transport transport, unsigned tries, const QueryOptions& options,
                       bool deadline_hit) {
    std::string m = "no response from " + server.to_string();
    if (transport == Transport::tcp) m += " over tcp";
    m += " after " + std::to_string(tries) + (tries == 1 ? " try" : " tries") + " (" + seconds_text(options.timeout) +
         " each)";
    if (deadline_hit) m += " within the total of " + seconds_text(options.total);
    return failure(QueryErrc::timed_out, server, std::move(m));
}

struct Phase {
    Endpoint server;
    wire::DnsQuestion question;
    QueryOptions options;
    bool edns = true;
    Clock::time_point deadline;
};

// One UDP phase: a connected socket, up to retries + 1 sends of the same query. connect()
// on an unbound UDP socket makes the kernel pick the source port, and Linux picks UDP
// ephemeral ports at random (a random start in ip_local_port_range, then the first free
// one), so every query gets an unpredictable port without a bind-and-retry loop of our own.
// The connection also makes the kernel report ICMP port unreachable as ECONNREFUSED and
// drop datagrams from any other address or port (checked again below regardless).
Task<QueryOutcome> ask_udp(EventLoop& loop, Phase p) {
    auto socket = UdpSocket::open(loop, p.server, true);
    if (!socket) co_return Unexpected(socket_failure(p.server, Transport::udp, socket.error()));
    const std::uint16_t id = random_query_id();
    const std::vector<std::byte> query = wire::build_dns(make_query(p.question, id, p.edns, p.options.recursion_desired));
    std::vector<std::byte> buffer(kMaxUdpResponse);
    unsigned tries = 0;
    for (; tries <= p.options.retries; ++tries) {
        const Clock::time_point sent_at = Clock::now();
        if (sent_at >= p.deadline) break;
        auto sent = co_await socket->send_to(query, p.server);
        if (!sent) co_return Unexpected(socket_failure(p.server, Transport::udp, sent.error()));
        const Clock::time_point try_end = std::min(sent_at + p.options.timeout, p.deadline);
        // Anything that is not our response is dropped and the same try goes on waiting.
        for (;;) {
            const auto left = try_end - Clock::now();
            if (left <= Clock::duration::zero()) break;
            auto got = co_await with_timeout(left, socket->recv_from(buffer));
            if (!got) {
                if (got.error() == std::errc::timed_out) break;
                co_return Unexpected(socket_failure(p.server, Transport::udp, got.error()));
            }
            if (got->from != p.server) continue;
            auto message = wire::parse_dns(std::span<const std::byte>(buffer).first(got->size));
            if (!message || !answers(*message, id, p.question)) continue;
            QueryResult r;
            r.response = std::move(*message);
            r.server = p.server;
            r.transport = Transport::udp;
            r.rtt = Clock::now() - sent_at;
            co_return r;
        }
    }
    co_return Unexpected(no_response(p.server, Transport::udp, tries, p.options, Clock::now() >= p.deadline));
}

// One TCP try: connect, send the framed query, read framed messages until ours (RFC 1035
// section 4.2.2: each message preceded by its length in two bytes). Bounded from outside.
Task<QueryOutcome> tcp_exchange(EventLoop& loop, Endpoint server, std::vector<std::byte> framed, std::uint16_t id,
                                wire::DnsQuestion question) {
    const Clock::time_point start = Clock::now();
    auto stream = co_await connect(loop, server);
    if (!stream) co_return Unexpected(socket_failure(server, Transport::tcp, stream.error()));
    auto sent = co_await stream->write_all(framed);
    if (!sent) co_return Unexpected(socket_failure(server, Transport::tcp, sent.error()));
    std::vector<std::byte> body;
    for (;;) {
        std::array<std::byte, 2> length{};
        auto head = co_await stream->read_exact(length);
        if (!head) {
            if (head.error() == weft::IoErrc::eof)
                co_return Unexpected(failure(QueryErrc::bad_response, server,
                                             "query to " + server.to_string() +
                                                 " over tcp: the server closed the connection without answering"));
            co_return Unexpected(socket_failure(server, Transport::tcp, head.error()));
        }
        body.resize(std::size_t(std::to_integer<unsigned>(length[0]) << 8 | std::to_integer<unsigned>(length[1])));
        auto read = co_await stream->read_exact(body);
        if (!read) {
            if (read.error() == weft::IoErrc::eof)
                co_return Unexpected(failure(QueryErrc::bad_response, server,
                                             "query to " + server.to_string() + " over tcp: the server closed the "
                                                                                "connection in the middle of a message"));
            co_return Unexpected(socket_failure(server, Transport::tcp, read.error()));
        }
        auto message = wire::parse_dns(body);
        // A stream keeps its framing whatever the content, so a message that does not parse
        // or is not ours is skipped like a stray datagram.
        if (!message || !answers(*message, id, question)) continue;
        QueryResult r;
        r.response = std::move(*message);
        r.server = server;
        r.transport = Transport::tcp;
        r.rtt = Clock::now() - start;
        co_return r;
    }
}

Task<QueryOutcome> ask_tcp(EventLoop& loop, Phase p) {
    const std::uint16_t id = random_query_id();
    const std::vector<std::byte> query = wire::build_dns(make_query(p.question, id, p.edns, p.options.recursion_desired));
    std::vector<std::byte> framed;
    framed.reserve(query.size() + 2);
    framed.push_back(std::byte(query.size() >> 8));
    framed.push_back(std::byte(query.size() & 0xff));
    framed.insert(framed.end(), query.begin(), query.end());
    unsigned tries = 0;
    for (; tries <= p.options.retries; ++tries) {
        const Clock::time_point now = Clock::now();
        if (now >= p.deadline) break;
        const auto limit = std::min<Clock::duration>(p.options.timeout, p.deadline - now);
        auto r = co_await with_timeout(limit, tcp_exchange(loop, p.server, framed, id, p.question));
        if (r) co_return std::move(*r);  // a response, or an error that a retry cannot mend
    }
    co_return Unexpected(no_response(p.server, Transport::tcp, tries, p.options, Clock::now() >= p.deadline));
}

}  // namespace

std::string_view transport_name(Transport transport) noexcept { return transport == Transport::tcp ? "tcp" : "udp"; }

Expected<wire::DnsQuestion, ParseError> make_question(std::string_view name, wire::DnsType type) {
    auto parsed = wire::DnsName::from_text(name);
    if (!parsed) return Unexpected(parsed.error());
    return wire::DnsQuestion{std::move(*parsed), type, wire::DnsClass::IN};
}

Task<QueryOutcome> query(EventLoop& loop, Endpoint server, wire::DnsQuestion question, QueryOptions options) {
    Phase p{server, std::move(question), options, options.edns,
            options.total > std::chrono::nanoseconds::zero() ? Clock::now() + options.total : Clock::time_point::max()};
    std::vector<std::string> notes;
    std::optional<QueryResult> truncated;
    if (!options.tcp_only) {
        auto r = co_await ask_udp(loop, p);
        if (r && p.edns && is_edns_rejection(r->response)) {
            notes.push_back(wire::dns_rcode_to_string(r->response.header.rcode) +
                            " to a query with EDNS: asked again without OPT");
            p.edns = false;
            r = co_await ask_udp(loop, p);
        }
        if (!r) co_return r;
        if (!r->response.header.tc) {
            r->notes = std::move(notes);
            co_return r;
        }
        notes.emplace_back("UDP response truncated (TC): asked again over TCP");
        truncated = std::move(*r);
    }
    auto t = co_await ask_tcp(loop, p);
    if (t && p.edns && is_edns_rejection(t->response)) {
        notes.push_back(wire::dns_rcode_to_string(t->response.header.rcode) +
                        " to a query with EDNS: asked again without OPT");
        p.edns = false;
        t = co_await ask_tcp(loop, p);
    }
    if (!t && truncated) {
        // A server that truncates but does not speak TCP: the partial answer is still an
        // answer (dig shows it too), marked as such.
        truncated->notes = std::move(notes);
        truncated->notes.push_back("TCP failed (" + t.error().message + "): the truncated UDP response is shown");
        co_return std::move(*truncated);
    }
    if (t) t->notes = std::move(notes);
    co_return t;
}

QueryOutcome query_blocking(const Endpoint& server, const wire::DnsQuestion& question, const QueryOptions& options) {
    EventLoop loop;
    return loop.block_on(query(loop, server, question, options));
}

}  // namespace weft::dns
