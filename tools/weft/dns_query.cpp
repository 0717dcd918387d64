// weft dns query: a stub resolver like dig (one question to one server), and with --trace
// the iterative walk from the roots down, one block (or JSON line) per server asked.
// Arguments are checked here; the asking is services/dns/resolver.hpp's.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "weft/net/resolve.hpp"
#include "weft/services/dns/resolver.hpp"
#include "weft/wire/dissect.hpp"

namespace weft::cli {

namespace {

using wire::DnsType;

// As udp connect: a larger count is more likely a typo than a plan.
constexpr int kMaxRetries = 100;

struct DnsQueryArgs {
    std::string name;
    std::string type = "A";
    std::string server;
    bool tcp = false;
    std::string timeout = "2";
    int retries = 2;
    bool no_edns = false;
    bool json = false;
    bool trace = false;
    std::string roots;
    std::string port;
};

DnsType type_arg(const std::string& text) {
    static constexpr std::pair<const char*, DnsType> kTypes[] = {
        {"A", DnsType::A},     {"AAAA", DnsType::AAAA}, {"NS", DnsType::NS},   {"CNAME", DnsType::CNAME},
        {"SOA", DnsType::SOA}, {"PTR", DnsType::PTR},   {"MX", DnsType::MX},   {"TXT", DnsType::TXT},
        {"SRV", DnsType::SRV}, {"ANY", DnsType::ANY},
    };
    std::string upper = text;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    for (const auto& [name, type] : kTypes)
        if (upper == name) return type;
    throw UsageError("invalid --type '" + text + "': must be one of A, AAAA, NS, CNAME, SOA, PTR, MX, TXT, SRV, ANY");
}

// A destination port: 0 is a valid port to bind, never one to send to.
std::uint16_t destination_port(const std::string& text, const std::string& what) {
    auto port = parse_port(text);
    if (!port) throw UsageError("invalid " + what + ": " + port.error().message);
    if (*port == 0) throw UsageError("invalid " + what + " '" + text + "': must be 1-65535");
    return *port;
}

// HOST[:PORT]: "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353", "ns.example" (resolved
// with the system's resolver, as dig's @server is).
Endpoint server_arg(const std::string& text) {
    const std::string what = "--server '" + text + "'";
    std::string host = text;
    std::uint16_t port = 53;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) throw UsageError("invalid " + what + ": '[' without ']'");
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') throw UsageError("invalid " + what + ": expected ':PORT' after ']'");
            port = destination_port(text.substr(close + 2), what);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const auto colon = text.find(':');
        host = text.substr(0, colon);
        port = destination_port(text.substr(colon + 1), what);
    }  // more than one ':' without brackets: a bare IPv6 address, port 53
    if (host.empty()) throw UsageError("invalid " + what + ": no host");
    if (auto ip = IpAddress::parse(host)) return Endpoint(*ip, port);
    auto found = resolve(host, std::to_string(port));
    if (!found) throw UsageError("invalid " + what + ": " + found.error().message);
    return found->front();
}

std::vector<IpAddress> roots_arg(const std::string& text) {
    std::vector<IpAddress> roots;
    std::size_t start = 0;
    for (;;) {
        const auto comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto ip = IpAddress::parse(item);
        if (!ip) throw UsageError("invalid --root '" + text + "': " + ip.error().message);
        roots.push_back(*ip);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return roots;
}

// ---- printing ------------------------------------------------------------------------------

std::string fqdn(const wire::DnsName& name) {
    std::string t = name.to_text();
    if (t != ".") t += '.';
    return t;
}

// Record data in master-file form: names absolute (trailing dot), unknown types as RFC 3597's
// "\# length hex".
std::string rdata_text(const wire::DnsRdata& data) {
    if (const auto* d = std::get_if<wire::DnsNs>(&data)) return fqdn(d->name);
    if (const auto* d = std::get_if<wire::DnsCname>(&data)) return fqdn(d->name);
    if (const auto* d = std::get_if<wire::DnsPtr>(&data)) return fqdn(d->name);
    if (const auto* d = std::get_if<wire::DnsMx>(&data)) return std::to_string(d->preference) + ' ' + fqdn(d->exchange);
    if (const auto* d = std::get_if<wire::DnsSoa>(&data))
        return fqdn(d->mname) + ' ' + fqdn(d->rname) + ' ' + std::to_string(d->serial) + ' ' +
               std::to_string(d->refresh) + ' ' + std::to_string(d->retry) + ' ' + std::to_string(d->expire) + ' ' +
               std::to_string(d->minimum);
    if (const auto* d = std::get_if<wire::DnsSrv>(&data))
        return std::to_string(d->priority) + ' ' + std::to_string(d->weight) + ' ' + std::to_string(d->port) + ' ' +
               fqdn(d->target);
    if (const auto* d = std::get_if<wire::DnsRaw>(&data)) {
        std::string out = "\\# " + std::to_string(d->data.size());
        if (!d->data.empty()) out += ' ' + wire::dns_hex(d->data);
        return out;
    }
    // A, AAAA, TXT (quoted strings), OPT: the wire layer's presentation form is already the
    // master-file one.
    return wire::dns_rdata_to_string(data);
}

std::string record_text(const wire::DnsRecord& r) {
    return fqdn(r.name) + ' ' + std::to_string(r.ttl) + ' ' + wire::dns_class_to_string(r.rclass) + ' ' +
           wire::dns_type_to_string(r.type) + ' ' + rdata_text(r.data);
}

std::string flags_text(const wire::DnsHeader& h) {
    std::string out;
    const std::pair<bool, const char*> flags[] = {{h.qr, "qr"}, {h.aa, "aa"}, {h.tc, "tc"}, {h.rd, "rd"},
                                                  {h.ra, "ra"}, {h.ad, "ad"}, {h.cd, "cd"}};
    for (const auto& [on, name] : flags)
        if (on) out += std::string(out.empty() ? "" : " ") + name;
    return out;
}

std::string opcode_text(std::uint8_t opcode) {
    switch (opcode) {
    case 0: return "QUERY";
    case 1: return "IQUERY";
    case 2: return "STATUS";
    case 4: return "NOTIFY";
    case 5: return "UPDATE";
    default: return "OPCODE" + std::to_string(opcode);
    }
}

std::string ms_text(std::chrono::nanoseconds d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f ms", std::chrono::duration<double, std::milli>(d).count());
    return text;
}

void print_section(const char* title, const std::vector<wire::DnsRecord>& records) {
    bool any = false;
    for (const wire::DnsRecord& r : records) {
        if (r.type == DnsType::OPT) continue;  // shown as the EDNS line, as dig does
        if (!any) std::cout << "\n;; " << title << " SECTION:\n";
        any = true;
        std::cout << record_text(r) << '\n';
    }
}

void print_text(const dns::QueryResult& r) {
    const wire::DnsMessage& m = r.response;
    for (const std::string& note : r.notes) std::cout << ";; " << note << '\n';
    std::cout << ";; status: " << wire::dns_rcode_to_string(m.full_rcode()) << ", id: " << m.header.id
              << ", flags: " << flags_text(m.header) << ", opcode: " << opcode_text(m.header.opcode)
              << "; QUERY: " << m.questions.size() << ", ANSWER: " << m.answers.size()
              << ", AUTHORITY: " << m.authority.size() << ", ADDITIONAL: " << m.additional.size() << '\n';
    if (auto edns = m.edns())
        std::cout << ";; EDNS: version " << unsigned{edns->version} << ", udp " << edns->udp_payload_size << '\n';
    if (!m.questions.empty()) std::cout << "\n;; QUESTION SECTION:\n";
    for (const wire::DnsQuestion& q : m.questions)
        std::cout << ';' << fqdn(q.name) << ' ' << wire::dns_class_to_string(q.qclass) << ' '
                  << wire::dns_type_to_string(q.type) << '\n';
    print_section("ANSWER", m.answers);
    print_section("AUTHORITY", m.authority);
    print_section("ADDITIONAL", m.additional);
    std::cout << "\n;; SERVER: " << r.server.to_string() << " (" << dns::transport_name(r.transport) << "), "
              << ms_text(r.rtt) << '\n';
}

// decode's `dns` object plus where the response came from and how long it took.
std::string json_line(const dns::QueryResult& r) {
    auto j = nlohmann::ordered_json::parse(wire::to_json(wire::dns_value(r.response)));
    j["server"] = r.server.to_string();
    j["transport"] = std::string(dns::transport_name(r.transport));
    j["rtt_ms"] = std::round(std::chrono::duration<double, std::micro>(r.rtt).count()) / 1000.0;
    return j.dump();
}

// One block per server asked: who, for what, what it said, and the records that say it.
void print_step(const dns::ResolutionStep& s, std::size_t number) {
    std::cout << ";; " << number << ". " << std::string(2 * s.depth, ' ')
              << (s.depth ? "(looking up a name server) " : "") << "asked " << s.server.to_string()
              << ", a server of " << fqdn(s.zone) << ", for " << fqdn(s.qname) << ' '
              << wire::dns_type_to_string(s.qtype) << ": ";
    switch (s.outcome) {
    case dns::StepOutcome::referral: {
        std::cout << "referral to " << fqdn(s.referral_zone) << " (";
        for (std::size_t i = 0; i < s.referral_servers.size(); ++i)
            std::cout << (i ? " " : "") << fqdn(s.referral_servers[i]);
        std::cout << ')';
        break;
    }
    case dns::StepOutcome::answer:
        std::cout << (s.result->response.header.aa ? "authoritative answer" : "answer (not authoritative)");
        if (!s.detail.empty()) std::cout << " (" << s.detail << ')';
        break;
    case dns::StepOutcome::cname: std::cout << s.detail; break;
    case dns::StepOutcome::nxdomain: std::cout << "NXDOMAIN (no such name)"; break;
    case dns::StepOutcome::nodata: std::cout << "NODATA (no " << wire::dns_type_to_string(s.qtype) << " records)"; break;
    case dns::StepOutcome::rejected: std::cout << "not usable: " << s.detail; break;
    case dns::StepOutcome::no_response: std::cout << s.detail; break;
    }
    if (s.result)
        std::cout << " [" << dns::transport_name(s.result->transport) << ", " << ms_text(s.result->rtt) << ']';
    std::cout << '\n';
    if (!s.result) return;
    const wire::DnsMessage& m = s.result->response;
    for (const std::string& note : s.result->notes) std::cout << ";; " << note << '\n';
    const bool referral = s.outcome == dns::StepOutcome::referral;
    const bool negative = s.outcome == dns::StepOutcome::nxdomain || s.outcome == dns::StepOutcome::nodata;
    for (const wire::DnsRecord& r : m.answers) std::cout << record_text(r) << '\n';
    if (referral || negative)
        for (const wire::DnsRecord& r : m.authority) std::cout << record_text(r) << '\n';
    if (referral)
        for (const wire::DnsRecord& r : m.additional)
            if (r.type == DnsType::A || r.type == DnsType::AAAA) std::cout << record_text(r) << '\n';
}

dns::QueryOptions query_options(const DnsQueryArgs& args) {
    dns::QueryOptions o;
    o.timeout = seconds_arg(args.timeout, "--timeout");
    o.retries = static_cast<unsigned>(args.retries);
    o.edns = !args.no_edns;
    o.tcp_only = args.tcp;
    return o;
}

void run_trace(const DnsQueryArgs& args, const wire::DnsName& name, DnsType type) {
    dns::IterativeOptions o;
    o.query = query_options(args);
    if (!args.roots.empty()) o.roots = roots_arg(args.roots);
    if (!args.port.empty()) o.port = destination_port(args.port, "--port '" + args.port + "'");
    std::size_t number = 0;
    o.on_step = [&](const dns::ResolutionStep& s) {
        ++number;
        if (args.json) {
            if (s.result) std::cout << json_line(*s.result) << std::endl;
            return;
        }
        if (number > 1) std::cout << '\n';
        print_step(s, number);
        std::cout.flush();  // a slow walk shows each step as it happens
    };
    auto outcome = dns::resolve_iterative_blocking(name, type, o);
    if (!outcome) throw std::runtime_error("trace " + fqdn(name) + " " + wire::dns_type_to_string(type) + ": " +
                                           outcome.error().message);
    if (args.json) return;
    std::cout << "\n;; resolved " << fqdn(name) << ' ' << wire::dns_type_to_string(type) << ": "
              << (outcome->outcome == dns::StepOutcome::answer   ? "answer"
                  : outcome->outcome == dns::StepOutcome::nxdomain ? "NXDOMAIN"
                                                                   : "NODATA")
              << " after " << outcome->steps.size() << (outcome->steps.size() == 1 ? " step" : " steps") << '\n';
    for (const wire::DnsRecord& r : outcome->answers) std::cout << record_text(r) << '\n';
}

void run(const DnsQueryArgs& args, bool port_given, bool roots_given) {
    // Every argument is checked before anything is sent (usage errors exit 2).
    const DnsType type = type_arg(args.type);
    auto name = wire::DnsName::from_text(args.name);
    if (!name) throw UsageError(name.error().message);
    (void)seconds_arg(args.timeout, "--timeout");
    if (args.trace) {
        if (!args.server.empty()) throw UsageError("--server cannot be combined with --trace (use --root)");
        if (!args.roots.empty()) (void)roots_arg(args.roots);
        if (port_given) (void)destination_port(args.port, "--port '" + args.port + "'");
        return run_trace(args, *name, type);
    }
    if (roots_given) throw UsageError("--root needs --trace");
    if (port_given) throw UsageError("--port needs --trace (give the port with --server HOST:PORT)");
    Endpoint server;
    if (!args.server.empty()) {
        server = server_arg(args.server);
    } else {
        auto found = dns::nameserver_from_resolv_conf("/etc/resolv.conf");
        if (!found) throw std::runtime_error(found.error());
        server = *found;
    }
    auto result = dns::query_blocking(server, wire::DnsQuestion{*name, type, wire::DnsClass::IN}, query_options(args));
    if (!result) throw std::runtime_error(result.error().message);
    if (args.json)
        std::cout << json_line(*result) << '\n';
    else
        print_text(*result);
}

}  // namespace

void add_dns_query(CLI::App& dns) {
    auto args = std::make_shared<DnsQueryArgs>();
    CLI::App* cmd = dns.add_subcommand("query", "ask a DNS server (like dig), or walk from the roots with --trace");
    cmd->add_option("name", args->name, "domain name to look up")->required();
    cmd->add_option("--type", args->type, "A, AAAA, NS, CNAME, SOA, PTR, MX, TXT, SRV or ANY")->capture_default_str();
    cmd->add_option("--server", args->server, "HOST[:PORT] to ask (default: first nameserver of /etc/resolv.conf)");
    cmd->add_flag("--tcp", args->tcp, "ask over TCP from the start");
    cmd->add_option("--timeout", args->timeout, "seconds to wait for each try")->capture_default_str();
    // CLI11 rejects a bad count as a usage error naming the option.
    cmd->add_option("--retries", args->retries, "re-sends after the first try")
        ->check(CLI::Range(0, kMaxRetries))
        ->capture_default_str();
    cmd->add_flag("--no-edns", args->no_edns, "send no OPT record (EDNS0)");
    cmd->add_flag("--json", args->json, "one JSON object (decode's dns object + server, transport, rtt_ms)");
    cmd->add_flag("--trace", args->trace, "resolve iteratively from the root servers, printing each step");
    CLI::Option* roots = cmd->add_option("--root", args->roots, "with --trace: root servers to start from (HOST,...)");
    CLI::Option* port = cmd->add_option("--port", args->port, "with --trace: the port of every server asked (53)");
    cmd->callback([args, roots, port] { run(*args, port->count() > 0, roots->count() > 0); });
}

}  // namespace weft::cli
