// The answer engine: how an authoritative server answers one query (see the header for the
// rules and the RFCs behind them).

#include "weft/services/dns/answer.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "response_writer.hpp"

namespace weft::dns {
namespace {

using detail::ResponseWriter;
using detail::Section;
using wire::DnsMessage;
using wire::DnsName;
using wire::DnsRecord;
using wire::DnsType;

// A record chosen for the response, and the name it goes out under.
struct Item {
    const DnsRecord* record;
    const DnsName* owner;
};

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
        : zones_(zones), query_(query), options_(options), edns_(query.edns()) {}

    /// Decides what the response holds and writes it into `out`.
    void respond(std::vector<std::byte>& out) {
        out_ = &out;
        decide();
    }

private:
    void decide() {
        const auto opts = std::count_if(query_.additional.begin(), query_.additional.end(),
                                        [](const DnsRecord& r) { return r.type == DnsType::OPT; });
        if (query_.header.opcode != wire::kDnsOpcodeQuery) {
            with_question_ = query_.questions.size() == 1;
            return finish(wire::kDnsRcodeNotImp);
        }
        if (opts > 1 || query_.questions.size() != 1) return finish(wire::kDnsRcodeFormErr);
        with_question_ = true;
        if (edns_ && edns_->version != 0) return finish(kRcodeBadVers);
        const auto& question = query_.questions.front();
        if (question.type == DnsType::OPT) return finish(wire::kDnsRcodeFormErr);
        if (question.qclass != wire::DnsClass::IN || question.type == DnsType::AXFR || question.type == kIxfr) {
            return finish(wire::kDnsRcodeRefused);
        }
        const std::string key = wire::dns_name_key(question.name);
        zone_ = zones_.find_zone(key);
        if (zone_ == nullptr) return finish(wire::kDnsRcodeRefused);
        // DS at a zone's apex belongs to the parent side of the cut (RFC 4035 3.1.4.1): when
        // this server holds the parent too, the parent answers it.
        if (question.type == DnsType::DS && key == zone_->apex_key && key.size() > 1) {
            if (const IndexedZone* parent = zones_.find_zone(parent_key(key))) zone_ = parent;
        }
        return finish(lookup(question.name, key, question.type));
    }

    // Resolves inside the zone, following CNAMEs that stay in it; fills the sections and
    // returns the rcode.
    std::uint16_t lookup(const DnsName& qname, std::string key, DnsType type) {
        aa_ = true;
        const DnsName* name = &qname;
        std::vector<std::string> seen{key};
        for (std::size_t link = 0;; ++link) {
            if (const ZoneNode* cut = find_cut(key, type)) {
                // At or below a delegation: the child's servers know. After a CNAME the
                // answer so far is ours (AA stays); the referral tells where to go on.
                if (link == 0) aa_ = false;
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
                    append(answers_, *cname, name);
                    const auto& target = std::get<wire::DnsCname>(cname->records.front().data).name;
                    std::string target_key = wire::dns_name_key(target);
                    const bool loop = std::find(seen.begin(), seen.end(), target_key) != seen.end();
                    // Only inside this zone: a target in a zone of its own (a child held
                    // here too) or elsewhere is the resolver's to follow.
                    if (loop || link + 1 >= kMaxChain || zones_.find_zone(target_key) != zone_) {
                        return wire::kDnsRcodeNoError;  // the resolver takes it from here
                    }
                    name = &target;
                    key = std::move(target_key);
                    seen.push_back(key);
                    continue;
                }
            }
            bool any = false;
            for (const auto& rrset : node->rrsets) {
                if (rrset.type == type || type == DnsType::ANY) {
                    append(answers_, rrset, name);
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

    // The highest node strictly below the apex, at or above `key`, that holds NS records. DS
    // at the cut itself is the parent's to answer (RFC 4035 section 3.1.4.1), so for DS the
    // search starts one label up.
    const ZoneNode* find_cut(std::string_view key, DnsType type) const {
        std::array<std::string_view, 128> path{};
        std::size_t depth = 0;
        if (type == DnsType::DS && key.size() > zone_->apex_key.size()) key = parent_key(key);
        for (auto k = key; k.size() > zone_->apex_key.size() && depth < path.size(); k = parent_key(k)) {
            path[depth++] = k;
        }
        while (depth > 0) {
            const ZoneNode* node = zone_->find(path[--depth]);
            if (node != nullptr && node->find(DnsType::NS) != nullptr) return node;
        }
        return nullptr;
    }

    // The query's spelling of the name when it is the question (a pointer to it on the wire).
    static void append(std::vector<Item>& section, const RRset& rrset, const DnsName* owner) {
        for (const auto& record : rrset.records) section.push_back({&record, owner});
    }

    // NXDOMAIN and NODATA carry the SOA, its TTL capped by its minimum (RFC 2308 section 3).
    void negative() {
        soa_ = zone_->soa->records.front();
        const auto& data = std::get<wire::DnsSoa>(soa_.data);
        soa_.ttl = std::min(soa_.ttl, data.minimum);
        authority_.push_back({&soa_, &zone_->apex});
    }

    void refer(const ZoneNode& cut) {
        const RRset* ns = cut.find(DnsType::NS);
        append(authority_, *ns, &cut.name);
        const std::string cut_key = wire::dns_name_key(cut.name);
        // Glue inside the child zone is required (without it the referral cannot be
        // followed, RFC 9471): it goes first, so truncation drops the optional glue first.
        std::vector<Item> optional_glue;
        for (const auto& record : ns->records) {
            const auto& server = std::get<wire::DnsNs>(record.data).name;
            const std::string server_key = wire::dns_name_key(server);
            if (!key_is_at_or_below(server_key, zone_->apex_key)) continue;
            const bool in_child = key_is_at_or_below(server_key, cut_key);
            const std::size_t before = additional_.size();
            add_addresses(server_key, in_child ? additional_ : optional_glue);
            if (in_child) required_glue_ += additional_.size() - before;
        }
        additional_.insert(additional_.end(), optional_glue.begin(), optional_glue.end());
    }

    // Additional section processing (RFC 1035 section 3.3): the addresses of the names an
    // NS, MX or SRV answer points to, when this zone has them.
    void add_target_addresses() {
        std::vector<std::string> done;
        for (const auto& item : answers_) {
            const auto& data = item.record->data;
            const DnsName* target = nullptr;
            if (const auto* ns = std::get_if<wire::DnsNs>(&data)) target = &ns->name;
            if (const auto* mx = std::get_if<wire::DnsMx>(&data)) target = &mx->exchange;
            if (const auto* srv = std::get_if<wire::DnsSrv>(&data)) target = &srv->target;
            if (target == nullptr) continue;
            std::string key = wire::dns_name_key(*target);
            if (!key_is_at_or_below(key, zone_->apex_key)) continue;
            if (std::find(done.begin(), done.end(), key) != done.end()) continue;
            add_addresses(key, additional_);
            done.push_back(std::move(key));
        }
    }

    void add_addresses(std::string_view key, std::vector<Item>& section) const {
        const ZoneNode* node = zone_->find(key);
        if (node == nullptr) return;
        for (auto type : {DnsType::A, DnsType::AAAA}) {
            if (const RRset* rrset = node->find(type)) append(section, *rrset, &node->name);
        }
    }

    void finish(std::uint16_t rcode) {
        ResponseWriter w(*out_, size_limit(edns_, options_));
        const auto& h = query_.header;
        w.header(h.id, h.opcode, aa_, h.rd, h.cd, static_cast<std::uint8_t>(rcode & 0x0f));
        if (with_question_) w.question(query_.questions.front());
        // RFC 3225: DO is echoed; RFC 6891: the extended rcode's upper 8 bits live in OPT.
        if (edns_) w.reserve_opt(options_.edns_payload, static_cast<std::uint8_t>(rcode >> 4), edns_->dnssec_ok);
        const std::pair<Section, const std::vector<Item>*> sections[] = {
            {Section::answer, &answers_}, {Section::authority, &authority_}, {Section::additional, &additional_}};
        for (const auto& [section, items] : sections) {
            for (const auto& item : *items) {
                if (!w.record(section, *item.owner, *item.record)) break;
            }
        }
        if (w.additional() < required_glue_) w.set_truncated();
        w.finish();
    }

    const ZoneSet& zones_;
    const DnsMessage& query_;
    const AnswerOptions& options_;
    std::optional<wire::DnsEdns> edns_;
    std::vector<std::byte>* out_ = nullptr;
    const IndexedZone* zone_ = nullptr;
    bool aa_ = false;
    bool with_question_ = false;
    std::vector<Item> answers_, authority_, additional_;
    DnsRecord soa_;  // the negative answer's SOA, its TTL capped
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
    Responder(zones, *parsed, options).respond(response);
    return true;
}

}  // namespace weft::dns
