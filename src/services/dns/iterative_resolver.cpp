// The iterative walk (RFC 1034 section 5.3.3, without a cache): ask a root server, follow
// each referral to a zone closer to the name, resolve name servers that came without glue
// by a walk of their own, restart at the roots for a CNAME's target, and stop at an answer,
// NXDOMAIN or NODATA. Every response passes through the stub resolver's checks first.
#include <algorithm>

#include "weft/services/dns/resolver.hpp"

namespace weft::dns {

namespace {

using wire::DnsName;
using wire::DnsRecord;
using wire::DnsType;

// Names are compared through their canonical keys (lower-cased wire form), so nothing here
// depends on how DnsName holds its labels. Label starts are found by walking length bytes.
std::size_t label_count(const DnsName& name) {
    const std::string key = wire::dns_name_key(name);
    std::size_t count = 0;
    for (std::size_t i = 0; i < key.size() && key[i] != 0; i += 1 + static_cast<unsigned char>(key[i])) ++count;
    return count;
}

// Whether `name` is `zone` or below it, matched at a label boundary (so "xtest" is not
// below "test", nor is a label that merely ends in the bytes of another).
bool at_or_below(const DnsName& name, const DnsName& zone) {
    const std::string n = wire::dns_name_key(name);
    const std::string z = wire::dns_name_key(zone);
    for (std::size_t i = 0; i < n.size(); i += 1 + static_cast<unsigned char>(n[i])) {
        if (n.size() - i < z.size()) return false;
        if (n.size() - i == z.size()) return n.compare(i, std::string::npos, z) == 0;
    }
    return false;
}

std::string name_text(const DnsName& name) {
    std::string t = name.to_text();
    if (t != ".") t += '.';
    return t;
}

// The servers of one zone: addresses to ask now, and name servers still to be looked up.
struct ZoneServers {
    DnsName zone;
    std::vector<IpAddress> addresses;
    std::vector<DnsName> unresolved;
};

struct Final {
    StepOutcome outcome = StepOutcome::answer;
    std::vector<DnsRecord> answers;
    QueryResult last;
};

// State shared by a walk and the nested walks it starts for glue-less name servers.
struct Walk {
    EventLoop* loop = nullptr;
    IterativeOptions options;
    std::vector<ResolutionStep> steps;
    std::size_t referrals = 0;
    bool capped = false;              // the referral cap was hit: every level gives up
    std::vector<std::string> looking_up;  // keys of NS names being resolved (cycle guard)
};

void record(Walk& w, ResolutionStep step) {
    if (w.options.on_step) w.options.on_step(step);
    w.steps.push_back(std::move(step));
}

// The referral in `m`, if it is one: the zone of the first NS record in authority and every
// NS name given for that zone.
bool find_referral(const wire::DnsMessage& m, DnsName& zone, std::vector<DnsName>& servers) {
    for (const DnsRecord& r : m.authority) {
        const auto* ns = std::get_if<wire::DnsNs>(&r.data);
        if (r.type != DnsType::NS || !ns) continue;
        if (servers.empty()) zone = r.name;
        if (r.name == zone) servers.push_back(ns->name);
    }
    return !servers.empty();
}

// The answer records for `owner` of `type` (every type for ANY).
std::vector<DnsRecord> records_for(const wire::DnsMessage& m, const DnsName& owner, DnsType type) {
    std::vector<DnsRecord> out;
    for (const DnsRecord& r : m.answers)
        if (r.name == owner && (r.type == type || (type == DnsType::ANY && r.type != DnsType::OPT))) out.push_back(r);
    return out;
}

const DnsRecord* cname_for(const wire::DnsMessage& m, const DnsName& owner) {
    for (const DnsRecord& r : m.answers)
        if (r.name == owner && r.type == DnsType::CNAME && std::holds_alternative<wire::DnsCname>(r.data)) return &r;
    return nullptr;
}

Task<Expected<Final, std::string>> walk(Walk& w, DnsName qname, DnsType qtype, std::size_t depth);

// Built outside the coroutines, which then hold no braced temporaries (g++ 12 mishandles them
// there; see the question in walk()).
Final make_final(StepOutcome outcome, const std::vector<DnsRecord>& answers, QueryResult last) {
    Final f;
    f.outcome = outcome;
    f.answers = answers;
    f.last = std::move(last);
    return f;
}

ResolveFailure make_failure(std::string message, std::vector<ResolutionStep> steps) {
    ResolveFailure f;
    f.message = std::move(message);
    f.steps = std::move(steps);
    return f;
}

// The A addresses of a name server that came without glue, from a nested walk; empty when
// it cannot be resolved (the error, when the whole resolution must stop, goes to `fatal`).
Task<std::vector<IpAddress>> look_up_server(Walk& w, DnsName server, std::size_t depth, std::string& fatal) {
    std::vector<IpAddress> addresses;
    const std::string key = wire::dns_name_key(server);
    // A name server whose own lookup needs it (ns.a.test serving b.test, ns.b.test serving
    // a.test, both without glue) would recurse forever: such a name is skipped.
    if (depth >= kMaxNestedLookups ||
        std::find(w.looking_up.begin(), w.looking_up.end(), key) != w.looking_up.end())
        co_return addresses;
    w.looking_up.push_back(key);
    auto found = co_await walk(w, server, DnsType::A, depth + 1);
    w.looking_up.pop_back();
    if (!found) {
        if (w.capped) fatal = found.error();
        co_return addresses;
    }
    for (const DnsRecord& r : found->answers)
        if (const auto* a = std::get_if<wire::DnsA>(&r.data)) addresses.emplace_back(a->address);
    co_return addresses;
}

Task<Expected<Final, std::string>> walk(Walk& w, DnsName qname, DnsType qtype, std::size_t depth) {
    QueryOptions per_server = w.options.query;
    per_server.recursion_desired = false;  // we do the recursion ourselves
    std::vector<DnsRecord> chain;          // CNAMEs followed so far
    // Locals are filled by statements rather than braced temporaries (see the question below).
    std::vector<std::string> seen;
    seen.push_back(wire::dns_name_key(qname));
    DnsName target = qname;

    for (;;) {  // once per start at the roots (again after each CNAME)
        ZoneServers servers;
        servers.zone = *DnsName::from_text(".");
        servers.addresses = w.options.roots;
        if (servers.addresses.empty()) servers.addresses = default_root_servers();
        bool restart = false;
        while (!restart) {  // once per zone, root first
            bool referred = false;
            std::string last_problem = "no server to ask";
            std::size_t asked = 0;
            for (std::size_t i = 0; !referred && !restart; ++i) {
                if (i == servers.addresses.size()) {
                    // Glued servers are used up: look up the next glue-less one, if any.
                    if (servers.unresolved.empty()) break;
                    DnsName ns_name = servers.unresolved.front();
                    servers.unresolved.erase(servers.unresolved.begin());
                    std::string fatal;
                    auto ns_addresses = co_await look_up_server(w, ns_name, depth, fatal);
                    if (!fatal.empty()) co_return Unexpected(fatal);
                    if (ns_addresses.empty()) last_problem = "no address found for name server " + name_text(ns_name);
                    servers.addresses.insert(servers.addresses.end(), ns_addresses.begin(), ns_addresses.end());
                    --i;  // the same index now holds the first new address, if any
                    continue;
                }
                ResolutionStep step;
                step.depth = depth;
                step.qname = target;
                step.qtype = qtype;
                step.zone = servers.zone;
                step.server = Endpoint(servers.addresses[i], w.options.port);
                ++asked;
                // A named question, not a braced temporary inside the co_await: g++ 12
                // destroys such a temporary twice when the coroutine resumes.
                wire::DnsQuestion question;
                question.name = target;
                question.type = qtype;
                auto r = co_await query(*w.loop, step.server, question, per_server);
                if (!r) {
                    step.outcome = StepOutcome::no_response;
                    step.detail = r.error().message;
                    last_problem = step.detail;
                    record(w, std::move(step));
                    continue;
                }
                const wire::DnsMessage& m = r->response;
                step.result = *r;
                const std::uint16_t rcode = m.full_rcode();
                if (rcode == wire::kDnsRcodeNxDomain) {
                    step.outcome = StepOutcome::nxdomain;
                    record(w, std::move(step));
                    co_return make_final(StepOutcome::nxdomain, chain, std::move(*r));
                }
                if (rcode != wire::kDnsRcodeNoError) {
                    step.outcome = StepOutcome::rejected;
                    step.detail = "answered " + wire::dns_rcode_to_string(rcode);
                    last_problem = step.server.to_string() + " " + step.detail;
                    record(w, std::move(step));
                    continue;
                }
                if (auto answered = records_for(m, target, qtype); !answered.empty()) {
                    step.outcome = StepOutcome::answer;
                    record(w, std::move(step));
                    chain.insert(chain.end(), answered.begin(), answered.end());
                    co_return make_final(StepOutcome::answer, chain, std::move(*r));
                }
                if (const DnsRecord* cname = qtype == DnsType::CNAME ? nullptr : cname_for(m, target)) {
                    // Follow the chain as far as this response carries it for names inside
                    // the zone this server was asked as a server of (it is authoritative
                    // there, RFC 1034 section 4.3.2); a name elsewhere starts a new walk.
                    step.detail = "CNAME to " + name_text(std::get<wire::DnsCname>(cname->data).name);
                    std::string chain_error;
                    bool chain_done = false;
                    while (cname && chain_error.empty() && !chain_done) {
                        chain.push_back(*cname);
                        const DnsName cname_target = std::get<wire::DnsCname>(cname->data).name;
                        const std::string target_key = wire::dns_name_key(cname_target);
                        cname = nullptr;
                        if (std::find(seen.begin(), seen.end(), target_key) != seen.end()) {
                            chain_error = "CNAME loop: " + name_text(target) + " points back to " +
                                          name_text(cname_target);
                        } else if (chain.size() > kMaxCnameChain) {
                            chain_error = "CNAME chain longer than " + std::to_string(kMaxCnameChain) +
                                          " resolving " + name_text(qname);
                        } else {
                            seen.push_back(target_key);
                            target = cname_target;
                            if (!at_or_below(target, servers.zone)) break;
                            auto chained = records_for(m, target, qtype);
                            chain.insert(chain.end(), chained.begin(), chained.end());
                            chain_done = !chained.empty();
                            if (!chain_done) cname = cname_for(m, target);
                        }
                    }
                    step.outcome = chain_done ? StepOutcome::answer : StepOutcome::cname;
                    if (chain_done) step.detail += ", answered in the same response";
                    record(w, std::move(step));
                    if (!chain_error.empty()) co_return Unexpected(chain_error);
                    if (chain_done) co_return make_final(StepOutcome::answer, chain, std::move(*r));
                    restart = true;
                    break;
                }
                DnsName zone;
                std::vector<DnsName> names;
                if (find_referral(m, zone, names) && m.answers.empty()) {
                    // Only a zone strictly below the one asked and at or above the name is
                    // progress; anything else (the root again, a sibling, the parent) could
                    // send the walk in circles, so that server is passed over.
                    if (!at_or_below(target, zone) || !at_or_below(zone, servers.zone) ||
                        label_count(zone) <= label_count(servers.zone)) {
                        step.outcome = StepOutcome::rejected;
                        step.detail = "referral to " + name_text(zone) + " is not closer to " + name_text(target) +
                                      " than " + name_text(servers.zone);
                        last_problem = step.server.to_string() + ": " + step.detail;
                        record(w, std::move(step));
                        continue;
                    }
                    ZoneServers delegated;
                    delegated.zone = zone;
                    for (const DnsName& ns : names) {
                        // Glue counts only from inside the referring server's zone: anything
                        // else is data it has no authority over (cache poisoning's old door).
                        bool glued = false;
                        for (const DnsRecord& a : m.additional) {
                            const auto* v4 = std::get_if<wire::DnsA>(&a.data);
                            if (a.type != DnsType::A || !v4 || !(a.name == ns) || !at_or_below(a.name, servers.zone))
                                continue;
                            if (std::find(delegated.addresses.begin(), delegated.addresses.end(), IpAddress(v4->address)) ==
                                delegated.addresses.end())
                                delegated.addresses.emplace_back(v4->address);
                            glued = true;
                        }
                        if (!glued) delegated.unresolved.push_back(ns);
                    }
                    step.outcome = StepOutcome::referral;
                    step.referral_zone = zone;
                    step.referral_servers = names;
                    record(w, std::move(step));
                    if (++w.referrals > w.options.max_referrals) {
                        w.capped = true;
                        co_return Unexpected("more than " + std::to_string(w.options.max_referrals) +
                                             " referrals resolving " + name_text(qname) + " (last to " +
                                             name_text(zone) + ")");
                    }
                    servers = std::move(delegated);
                    referred = true;
                    break;
                }
                step.outcome = StepOutcome::nodata;
                record(w, std::move(step));
                co_return make_final(StepOutcome::nodata, chain, std::move(*r));
            }
            if (restart) break;
            if (!referred)
                co_return Unexpected((asked == 0 ? "no name server of zone " + name_text(servers.zone) +
                                                       " has an address, resolving "
                                                 : "no usable answer from " + std::to_string(asked) + " server" +
                                                       (asked == 1 ? "" : "s") + " of zone " +
                                                       name_text(servers.zone) + " for ") +
                                     name_text(target) + " " + wire::dns_type_to_string(qtype) + " (last: " +
                                     last_problem + ")");
        }
        if (w.referrals >= w.options.max_referrals) {
            // Each restart costs at least the root's referral: refuse to begin one that cannot
            // finish, with the same message as the cap itself.
            w.capped = true;
            co_return Unexpected("more than " + std::to_string(w.options.max_referrals) + " referrals resolving " +
                                 name_text(qname));
        }
    }
}

Task<IterativeOutcome> run_walk(EventLoop& loop, DnsName name, DnsType type, IterativeOptions options) {
    Walk w;
    w.loop = &loop;
    w.options = std::move(options);
    auto found = co_await walk(w, name, type, 0);
    if (!found) co_return Unexpected(make_failure(found.error(), std::move(w.steps)));
    IterativeResult result;
    result.outcome = found->outcome;
    result.answers = std::move(found->answers);
    result.final = std::move(found->last);
    result.steps = std::move(w.steps);
    co_return result;
}

}  // namespace

std::vector<IpAddress> default_root_servers() {
    // a.root-servers.net ... m.root-servers.net (IANA root hints; b changed in 2023).
    static constexpr const char* kRoots[] = {
        "198.41.0.4",   "170.247.170.2", "192.33.4.12",   "199.7.91.13", "192.203.230.10",
        "192.5.5.241",  "192.112.36.4",  "198.97.190.53", "192.36.148.17", "192.58.128.30",
        "193.0.14.129", "199.7.83.42",   "202.12.27.33",
    };
    std::vector<IpAddress> out;
    for (const char* text : kRoots) out.push_back(*IpAddress::parse(text));
    return out;
}

std::string_view step_outcome_name(StepOutcome outcome) noexcept {
    switch (outcome) {
    case StepOutcome::referral: return "referral";
    case StepOutcome::answer: return "answer";
    case StepOutcome::cname: return "cname";
    case StepOutcome::nxdomain: return "nxdomain";
    case StepOutcome::nodata: return "nodata";
    case StepOutcome::rejected: return "rejected";
    case StepOutcome::no_response: return "no response";
    }
    return "?";
}

Task<IterativeOutcome> resolve_iterative(EventLoop& loop, DnsName name, DnsType type, IterativeOptions options) {
    return run_walk(loop, std::move(name), type, std::move(options));
}

IterativeOutcome resolve_iterative_blocking(const DnsName& name, DnsType type, const IterativeOptions& options) {
    EventLoop loop;
    return loop.block_on(resolve_iterative(loop, name, type, options));
}

}  // namespace weft::dns
