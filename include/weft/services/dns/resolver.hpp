#pragma once
// The DNS resolver: one call asks one server one question (a stub resolver, like dig), and
// an iterative walk asks the root, then each zone's servers down to the name's own (dig
// +trace). Nobody hand-writes ID matching, retries or the TCP fallback again.
//
//   weft::EventLoop loop;
//   auto question = weft::dns::make_question("www.example.test", weft::wire::DnsType::A);
//   auto r = loop.block_on(weft::dns::query(loop, {"127.0.0.1", 5353}, *question));
//   if (!r) std::cerr << r.error().message << '\n';   // "no response from 127.0.0.1:5353 ..."
//   else for (const auto& rr : r->response.answers) ...
//
// Or without a loop: weft::dns::query_blocking(server, question). Errors are values
// (QueryError, ResolveFailure), never exceptions, each with a one-line message naming the
// server. Every call is bounded in time (per-try timeout x tries, and an optional total).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"
#include "weft/net/endpoint.hpp"
#include "weft/wire/dns.hpp"

namespace weft::dns {

/// The EDNS(0) UDP payload size we advertise: 1232 bytes fits every IPv6 path without
/// fragmentation (the DNS Flag Day 2020 value).
inline constexpr std::uint16_t kEdnsPayloadSize = 1232;

/// The transport a query went over (UDP, or TCP after TC or with tcp_only).
enum class Transport : std::uint8_t { udp, tcp };
/// "udp" / "tcp".
std::string_view transport_name(Transport transport) noexcept;

/// How query() asks: timeouts, retries, EDNS and the transport. The defaults suit a stub.
struct QueryOptions {
    /// How long each try waits for its answer (UDP: one datagram sent; TCP: connect, send
    /// and read). Must be positive.
    std::chrono::nanoseconds timeout = std::chrono::seconds(2);
    /// Re-sends after the first try (so retries + 1 tries), per transport.
    unsigned retries = 2;
    /// Bound on the whole call, fallbacks included; zero: only the tries bound it.
    std::chrono::nanoseconds total = {};
    /// Send an OPT record (EDNS0, payload kEdnsPayloadSize). Dropped by itself when the
    /// server answers FORMERR or NOTIMP to it.
    bool edns = true;
    /// Ask over TCP from the start (dig +tcp); otherwise UDP first and TCP after TC.
    bool tcp_only = false;
    /// The RD bit: true for a stub asking a recursive server, false for an iterative walk.
    bool recursion_desired = true;
};

/// A response that passed every check: from the server asked, same ID, same question.
struct QueryResult {
    /// The parsed response.
    wire::DnsMessage response;
    /// The server that answered (the one asked).
    Endpoint server;
    /// The transport the response came over (tcp after a truncated UDP response).
    Transport transport = Transport::udp;
    /// From the last send (or TCP connect) to the response's arrival.
    std::chrono::nanoseconds rtt{};
    /// What happened on the way, one line each ("UDP response truncated (TC): asked again
    /// over TCP", "FORMERR to EDNS: asked again without OPT"), for a verbose caller.
    std::vector<std::string> notes;
};

/// Why query() got no usable response (QueryError::code).
enum class QueryErrc : std::uint8_t {
    timed_out,     ///< no acceptable response within the tries or the total
    refused,       ///< ICMP port unreachable / TCP RST: nothing listens there
    network,       ///< any other socket error (unreachable network, ...)
    bad_response,  ///< a TCP peer closed or sent a frame that can never match
};

/// The error of query(): a kind to branch on and a one-line message to show.
struct QueryError {
    /// What kind of failure (for a program to branch on; the message says it for a person).
    QueryErrc code = QueryErrc::timed_out;
    /// The server asked.
    Endpoint server;
    /// One line naming the server: "no response from 127.0.0.1:5353 after 3 tries (2 s
    /// each)", "127.0.0.1:5353 refused the query over udp (connection refused: nothing
    /// listens there)".
    std::string message;
};

/// What query() gives: the checked response, or why there is none.
using QueryOutcome = Expected<QueryResult, QueryError>;

/// The question for `name` (text, trailing dot optional) of `type`, class IN; the name's
/// error ("invalid DNS name 'a..b': empty label at offset 2") when it does not parse.
Expected<wire::DnsQuestion, ParseError> make_question(std::string_view name, wire::DnsType type);

/// Asks `server` one question. Each call draws a fresh 16-bit ID from the kernel's CSPRNG
/// (getrandom) and a fresh random source port; a datagram counts only when it comes from
/// `server`'s address and port, parses, is a response with the same ID and the same
/// question (name compared case-insensitively, type, class); everything else is dropped
/// and the wait goes on until the try's timeout. TC over UDP: asked again over TCP.
/// FORMERR or NOTIMP to a query with OPT: asked again without OPT. ICMP port unreachable
/// ends the call at once (QueryErrc::refused). Runs on `loop` (the caller's thread).
Task<QueryOutcome> query(EventLoop& loop, Endpoint server, wire::DnsQuestion question, QueryOptions options = {});

/// query() on a loop of its own, for callers without one. Blocks the calling thread.
QueryOutcome query_blocking(const Endpoint& server, const wire::DnsQuestion& question,
                            const QueryOptions& options = {});

// ---- iterative resolution ------------------------------------------------------------------

/// At most this many referrals in one resolution, nested name-server lookups and CNAME
/// restarts included: what bounds a delegation loop or an endless chain of zones.
inline constexpr std::size_t kMaxReferrals = 30;
/// Longest CNAME chain followed (a loop is caught before that, by name).
inline constexpr std::size_t kMaxCnameChain = 16;
/// Deepest nesting of glue-less name-server lookups (a lookup for an NS name that itself
/// needs a glue-less lookup, ...).
inline constexpr std::size_t kMaxNestedLookups = 4;

/// The 13 root servers' IPv4 addresses, a.root-servers.net to m.root-servers.net.
std::vector<IpAddress> default_root_servers();

/// What one server's response meant to an iterative walk (ResolutionStep::outcome).
enum class StepOutcome : std::uint8_t {
    referral,   ///< delegated to a zone closer to the name
    answer,     ///< records of the type asked for (the walk ends, or goes on after a CNAME)
    cname,      ///< a CNAME for the name; the walk restarts for its target
    nxdomain,   ///< the name does not exist (the walk ends)
    nodata,     ///< the name exists without records of that type (the walk ends)
    rejected,   ///< a response that cannot be used (SERVFAIL, REFUSED, a sideways or
                ///< upward referral, a referral without usable servers): the next server
    no_response ///< the server did not answer (QueryError in `detail`): the next server
};
/// "referral", "answer", "cname", "nxdomain", "nodata", "rejected", "no response".
std::string_view step_outcome_name(StepOutcome outcome) noexcept;

/// One server asked, and what it said.
struct ResolutionStep {
    /// 0 for the walk itself; 1 and more inside the lookup of a glue-less name server.
    std::size_t depth = 0;
    /// The name asked about at this step (a CNAME target or a name server's name after a restart).
    wire::DnsName qname;
    /// The type asked for at this step.
    wire::DnsType qtype = wire::DnsType::A;
    /// The zone the server was asked as a server of ("." for a root server).
    wire::DnsName zone;
    /// The server asked.
    Endpoint server;
    /// What the response meant, and so what the walk did next.
    StepOutcome outcome = StepOutcome::no_response;
    /// The response, unless outcome is no_response.
    std::optional<QueryResult> result;
    /// referral: the zone delegated to and its name servers (with the addresses to ask).
    wire::DnsName referral_zone;
    /// referral: the name servers of referral_zone.
    std::vector<wire::DnsName> referral_servers;
    /// One line: the error (no_response), why the response was rejected, the CNAME target.
    std::string detail;
};

/// How resolve_iterative walks: where it starts, how each server is asked, how far it may go.
struct IterativeOptions {
    /// Servers of the root zone, tried in order; empty: default_root_servers().
    std::vector<IpAddress> roots;
    /// The port every server of the walk is asked on (a lab runs them all on one port).
    std::uint16_t port = 53;
    /// Per-server options. RD is cleared whatever it says.
    QueryOptions query;
    /// The walk fails ("more than N referrals ...") when it needs more referrals than this, nested
    /// lookups and CNAME restarts included.
    std::size_t max_referrals = kMaxReferrals;
    /// Called after each step, as it happens (a CLI prints it at once).
    std::function<void(const ResolutionStep&)> on_step;
};

/// A walk that ended: the records found (or the negative answer) and every step on the way.
struct IterativeResult {
    /// How the walk ended: answer, nxdomain or nodata.
    StepOutcome outcome = StepOutcome::answer;
    /// The CNAMEs followed, then the final answer's records of the name asked for.
    std::vector<wire::DnsRecord> answers;
    /// The last response, the one that ended the walk.
    QueryResult final;
    /// Every server asked, in order, nested lookups included (as on_step saw them).
    std::vector<ResolutionStep> steps;
};

/// The error of resolve_iterative: a one-line message and the steps taken before giving up.
struct ResolveFailure {
    /// One line: "no server of zone test. answered (127.0.0.3:53: no response after ...)",
    /// "more than 30 referrals resolving www.example.test", "CNAME loop at a.test".
    std::string message;
    /// Every server asked before the walk gave up, in order, to show where it went wrong.
    std::vector<ResolutionStep> steps;
};

/// What resolve_iterative() gives: the walk's result, or why it failed.
using IterativeOutcome = Expected<IterativeResult, ResolveFailure>;

/// Resolves `name`/`type` from the roots down, RD clear: follows referrals (NS records in
/// authority for a zone strictly closer to the name, their A glue from additional when in
/// the referring zone; NS names without glue resolved by a nested walk), restarts the walk
/// for a CNAME's target, and stops at an authoritative answer, NXDOMAIN or NODATA. A server
/// that does not answer or answers unusably is recorded as a step and the next one of its
/// zone is asked. IPv4 only (A glue), as the tutorial's walk.
Task<IterativeOutcome> resolve_iterative(EventLoop& loop, wire::DnsName name, wire::DnsType type,
                                         IterativeOptions options = {});

/// resolve_iterative() on a loop of its own. Blocks the calling thread.
IterativeOutcome resolve_iterative_blocking(const wire::DnsName& name, wire::DnsType type,
                                            const IterativeOptions& options = {});

// ---- the system's resolver configuration ---------------------------------------------------

/// The address of the first `nameserver` line of a resolv.conf(5) file (port 53), e.g.
/// "/etc/resolv.conf". Comments (# or ;) and other keywords are skipped. Errors, one line
/// naming the file: cannot be read, no nameserver line, an address that does not parse
/// ("/etc/resolv.conf:3: invalid IPv4 address ...").
Expected<Endpoint, std::string> nameserver_from_resolv_conf(const std::string& path);

}  // namespace weft::dns
