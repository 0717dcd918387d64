// The answer engine: how an authoritative server answers one query (see the header for the
// rules and the RFCs behind them).

#include "weft/services/dns/answer.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace weft::dns {
namespace {

using wire::DnsMessage;
using wire::DnsName;
using wire::DnsRecord;
using wire::DnsType;

constexpr std::uint16_t kRcodeBadVers = 16;  // RFC 6891: an extended rcode, 12 bits
constexpr std::size_t kMaxChain = 16;         // CNAME links followed inside a zone
constexpr auto kIxfr = static_cast<DnsType>(251);

std::size_t size_limit(const std::optional<wire::DnsEdns>& edns, const AnswerOptions& options) {
    if (options.transport == QueryTransport::tcp) return 65535;
    if (!edns) return 512;
    const std::size_t asked = std::min(edns->udp_payload_size, options.edns_payload);
    return std::max<std::size_t>(512, asked);
}

// The response when the query's header is all we can trust: ID, opcode and RD echoed.
void header_only(std::span<const std::byte> query, std::uint8_t rcode, std::vector<std::byte>& out) {
    out.assign(query.begin(), query.begin() + wire::kDnsHeaderSize);
    out[2] = std::byte((std::to_integer<std::uint8_t>(query[2]) & 0x79) | 0x80);  // QR, opcode, RD
    out[3] = std::byte(rcode & 0x0f);
    std::fill(out.begin() + 4, out.end(), std::byte{0});
}

class Responder {
public:
    Responder(const ZoneSet& zones, const DnsMessage& query, const AnswerOptions& options)
        : zones_(zones), query_(query), options_(options), edns_(query.edns()) {
        auto& h = response_.header;
        h.id = query.header.id;
        h.qr = true;
        h.opcode = query.header.opcode;
        h.rd = query.header.rd;
        h.cd = query.header.cd;
    }

    std::vector<std::byte> respond() {
        const auto opts = std::count_if(query_.additional.begin(), query_.additional.end(),
                                        [](const DnsRecord& r) { return r.type == DnsType::OPT; });
        if (query_.header.opcode != wire::kDnsOpcodeQuery) {
            response_.questions = query_.questions;
            return finish(wire::kDnsRcodeNotImp);
        }
        if (opts > 1 || query_.questions.size() != 1) return finish(wire::kDnsRcodeFormErr);
        response_.questions = query_.questions;
        if (edns_ && edns_->version != 0) return finish(kRcodeBadVers);
        const auto& question = query_.questions.front();
        if (question.type == DnsType::OPT) return finish(wire::kDnsRcodeFormErr);
        if (question.qclass != wire::DnsClass::IN || question.type == DnsType::AXFR || question.type == kIxfr) {
            return finish(wire::kDnsRcodeRefused);
        }
        const std::string key = wire::dns_name_key(question.name);
        zone_ = zones_.find_zone(key);
        if (zone_ == nullptr) return finish(wire::kDnsRcodeRefused);
        return finish(lookup(question.name, key, question.type));
    }

private:
    // Resolves inside the zone, following CNAMEs that stay in it; fills the sections and
    // returns the rcode.
    std::uint16_t lookup(DnsName name, std::string key, DnsType type) {
        response_.header.aa = true;
        std::vector<std::string> seen{key};
        for (std::size_t link = 0;; ++link) {
            if (const ZoneNode* cut = find_cut(key)) {
                // At or below a delegation: the child's servers know. After a CNAME the
                // answer so far is ours (AA stays); the referral tells where to go on.
                if (link == 0) response_.header.aa = false;
                refer(*cut);
                return wire::kDnsRcodeNoError;
            }
            const ZoneNode* node = zone_->find(key);
            if (node == nullptr) {
                negative();
                return wire::kDnsRcodeNxDomain;
            }
            if (type != DnsType::CNAME && type != DnsType::ANY) {
                if (const RRset* cname = node->find(DnsType::CNAME)) {
                    append(response_.answers, *cname, name);
                    const auto& target = std::get<wire::DnsCname>(cname->records.front().data).name;
                    std::string target_key = wire::dns_name_key(target);
                    const bool loop = std::find(seen.begin(), seen.end(), target_key) != seen.end();
                    if (loop || link + 1 >= kMaxChain || !key_is_at_or_below(target_key, zone_->apex_key)) {
                        return wire::kDnsRcodeNoError;  // the resolver takes it from here
                    }
                    name = target;
                    key = std::move(target_key);
                    seen.push_back(key);
                    continue;
                }
            }
            bool any = false;
            for (const auto& rrset : node->rrsets) {
                if (rrset.type == type || type == DnsType::ANY) {
                    append(response_.answers, rrset, name);
                    any = true;
                }
            }
            if (!any) {
                negative();  // NODATA
                return wire::kDnsRcodeNoError;
            }
            add_target_addresses();
            return wire::kDnsRcodeNoError;
        }
    }

    // The highest node strictly below the apex, at or above `key`, that holds NS records.
    const ZoneNode* find_cut(std::string_view key) const {
        std::array<std::string_view, 128> path{};
        std::size_t depth = 0;
        for (auto k = key; k.size() > zone_->apex_key.size() && depth < path.size(); k = parent_key(k)) {
            path[depth++] = k;
        }
        while (depth > 0) {
            const ZoneNode* node = zone_->find(path[--depth]);
            if (node != nullptr && node->find(DnsType::NS) != nullptr) return node;
        }
        return nullptr;
    }

    static void append(std::vector<DnsRecord>& section, const RRset& rrset, const DnsName& owner) {
        for (const auto& record : rrset.records) {
            section.push_back(record);
            section.back().name = owner;  // the query's spelling when it is the question
        }
    }

    // NXDOMAIN and NODATA carry the SOA, its TTL capped by its minimum (RFC 2308 section 3).
    void negative() {
        DnsRecord soa = zone_->soa->records.front();
        const auto& data = std::get<wire::DnsSoa>(soa.data);
        soa.ttl = std::min(soa.ttl, data.minimum);
        response_.authority.push_back(std::move(soa));
    }

    void refer(const ZoneNode& cut) {
        const RRset* ns = cut.find(DnsType::NS);
        append(response_.authority, *ns, cut.name);
        const std::string cut_key = wire::dns_name_key(cut.name);
        // Glue inside the child zone is required (without it the referral cannot be
        // followed, RFC 9471): it goes first, so truncation drops the optional glue first.
        std::vector<DnsRecord> optional_glue;
        for (const auto& record : ns->records) {
            const auto& server = std::get<wire::DnsNs>(record.data).name;
            const std::string server_key = wire::dns_name_key(server);
            if (!key_is_at_or_below(server_key, zone_->apex_key)) continue;
            const bool in_child = key_is_at_or_below(server_key, cut_key);
            const std::size_t before = response_.additional.size();
            add_addresses(server_key, in_child ? response_.additional : optional_glue);
            if (in_child) required_glue_ += response_.additional.size() - before;
        }
        for (auto& record : optional_glue) response_.additional.push_back(std::move(record));
    }

    // Additional section processing (RFC 1035 section 3.3): the addresses of the names an
    // NS, MX or SRV answer points to, when this zone has them.
    void add_target_addresses() {
        std::vector<std::string> done;
        for (const auto& record : response_.answers) {
            const DnsName* target = nullptr;
            if (const auto* ns = std::get_if<wire::DnsNs>(&record.data)) target = &ns->name;
            if (const auto* mx = std::get_if<wire::DnsMx>(&record.data)) target = &mx->exchange;
            if (const auto* srv = std::get_if<wire::DnsSrv>(&record.data)) target = &srv->target;
            if (target == nullptr) continue;
            std::string key = wire::dns_name_key(*target);
            if (!key_is_at_or_below(key, zone_->apex_key)) continue;
            if (std::find(done.begin(), done.end(), key) != done.end()) continue;
            add_addresses(key, response_.additional);
            done.push_back(std::move(key));
        }
    }

    void add_addresses(std::string_view key, std::vector<DnsRecord>& section) const {
        const ZoneNode* node = zone_->find(key);
        if (node == nullptr) return;
        for (auto type : {DnsType::A, DnsType::AAAA}) {
            if (const RRset* rrset = node->find(type)) append(section, *rrset, node->name);
        }
    }

    std::vector<std::byte> finish(std::uint16_t rcode) {
        response_.header.rcode = static_cast<std::uint8_t>(rcode & 0x0f);
        std::size_t opt = 0;
        if (edns_) {
            wire::DnsEdns edns;
            edns.udp_payload_size = options_.edns_payload;
            edns.extended_rcode = static_cast<std::uint8_t>(rcode >> 4);
            edns.dnssec_ok = edns_->dnssec_ok;  // RFC 3225: DO is echoed
            response_.additional.push_back(wire::make_opt_record(edns));
            opt = 1;
        }
        auto bytes = wire::build_dns(response_, size_limit(edns_, options_));
        if (required_glue_ > 0 && bytes.size() >= wire::kDnsHeaderSize) {
            const std::size_t arcount = (std::to_integer<std::size_t>(bytes[10]) << 8) | std::to_integer<std::size_t>(bytes[11]);
            if (arcount < required_glue_ + opt) bytes[2] |= std::byte{0x02};  // TC
        }
        return bytes;
    }

    const ZoneSet& zones_;
    const DnsMessage& query_;
    const AnswerOptions& options_;
    std::optional<wire::DnsEdns> edns_;
    const IndexedZone* zone_ = nullptr;
    DnsMessage response_;
    std::size_t required_glue_ = 0;
};

}  // namespace

bool answer_query(const ZoneSet& zones, std::span<const std::byte> query, const AnswerOptions& options,
                  std::vector<std::byte>& response) {
    response.clear();
    if (query.size() < wire::kDnsHeaderSize) return false;
    if ((std::to_integer<std::uint8_t>(query[2]) & 0x80) != 0) return false;  // a response
    auto parsed = wire::parse_dns(query);
    if (!parsed) {
        header_only(query, wire::kDnsRcodeFormErr, response);
        return true;
    }
    response = Responder(zones, *parsed, options).respond();
    return true;
}

}  // namespace weft::dns
