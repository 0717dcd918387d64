// Labels the live journey's frames with the tutorial's steps. The labels come from what each
// frame is (ports, flags, fragment fields) and, for TCP, from where the connection stands:
// the handshake's three segments open it, everything until the first FIN is the HTTP
// exchange, and what follows a FIN closes it.
#include "journey_frames.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "weft/wire/pcap.hpp"

namespace weft::cli::journey {

namespace {

using wire::DissectLayer;
using wire::DissectValue;

const DissectValue* field(const DissectLayer* layer, std::string_view key) {
    return layer ? layer->find(key) : nullptr;
}

std::string text(const DissectLayer* layer, std::string_view key) {
    const DissectValue* v = field(layer, key);
    return v && !v->is_null() ? wire::to_text(*v) : "";
}

std::int64_t number(const DissectLayer* layer, std::string_view key) {
    const DissectValue* v = field(layer, key);
    if (const auto* n = v ? std::get_if<std::int64_t>(&v->value) : nullptr) return *n;
    return 0;
}

bool boolean(const DissectLayer* layer, std::string_view key) {
    const DissectValue* v = field(layer, key);
    const auto* b = v ? std::get_if<bool>(&v->value) : nullptr;
    return b && *b;
}

const DissectValue::List* list(const DissectValue* v) {
    return v ? std::get_if<DissectValue::List>(&v->value) : nullptr;
}

bool has_flag(const DissectLayer* tcp, std::string_view flag) {
    if (const auto* flags = list(field(tcp, "flags")))
        for (const DissectValue& f : *flags)
            if (const auto* s = std::get_if<std::string>(&f.value); s && *s == flag) return true;
    return false;
}

std::size_t tcp_payload(const wire::DissectedFrame& f) {
    const DissectLayer* ip = f.find("ipv4");
    const DissectLayer* tcp = f.find("tcp");
    const std::int64_t n = number(ip, "total_length") - number(ip, "header_length") - number(tcp, "header_length");
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t syn_mss(const DissectLayer* tcp) {
    if (const auto* options = list(field(tcp, "options")))
        for (const DissectValue& o : *options)
            if (const DissectValue* mss = o.find("mss"))
                if (const auto* n = std::get_if<std::int64_t>(&mss->value)) return static_cast<std::size_t>(*n);
    return 0;
}

// A record of a DNS section ("name type data" of its first entry).
std::string first_record(const DissectLayer* dns, std::string_view section, std::string_view want_type = "") {
    if (const auto* records = list(field(dns, section)))
        for (const DissectValue& r : *records) {
            const std::string type = r.find("type") ? wire::to_text(*r.find("type")) : "";
            if (!want_type.empty() && type != want_type) continue;
            return (r.find("name") ? wire::to_text(*r.find("name")) : "") + " " + type + " " +
                   (r.find("data") ? wire::to_text(*r.find("data")) : "");
        }
    return "";
}

class Labeller {
public:
    explicit Labeller(const std::map<std::string, std::string>& roles) : roles_(roles) {}

    LabelledFrame label(wire::DissectedFrame f) {
        LabelledFrame out;
        const DissectLayer* ip = f.find("ipv4");
        if (const DissectLayer* arp = f.find("arp")) {
            out.step = "arp";
            out.note = number(arp, "op") == 1
                           ? "ARP request, broadcast: who has " + text(arp, "target_ip") + "? tell " +
                                 text(arp, "sender_ip")
                           : "ARP reply: " + text(arp, "sender_ip") + " is at " + text(arp, "sender_mac");
        } else if (ip && (boolean(ip, "mf") || number(ip, "fragment_offset") > 0)) {
            out.step = "ip-fragments";
            out.note = "IPv4 fragment " + std::to_string(++fragments_) + " of datagram id " + text(ip, "id") + ": " +
                       text(ip, "total_length") + " bytes at offset " + text(ip, "fragment_offset") +
                       (boolean(ip, "mf") ? ", more fragments follow" : ", the last (MF clear)");
        } else if (const DissectLayer* dhcp = f.find("dhcp")) {
            out.step = "dhcp";
            out.note = dhcp_note(dhcp);
        } else if (const DissectLayer* dns = f.find("dns")) {
            out.step = "dns";
            out.note = dns_note(ip, dns);
        } else if (f.find("tcp")) {
            label_tcp(f, out);
        } else {
            out.step = "other";
            out.note = f.find("icmp") ? "ICMP type " + text(f.find("icmp"), "type") : "not part of the tutorial's story";
        }
        out.frame = std::move(f);
        return out;
    }

private:
    std::string role(const std::string& address) const {
        auto it = roles_.find(address);
        return it == roles_.end() ? address : address + " (" + it->second + ")";
    }

    std::string dhcp_note(const DissectLayer* dhcp) const {
        const std::string type = text(dhcp, "message_type");
        const DissectValue* options = field(dhcp, "options");
        auto option = [&](const char* code) {
            const DissectValue* v = options ? options->find(code) : nullptr;
            if (const auto* l = list(v); l && !l->empty()) v = &l->front();  // routers, DNS servers: the first
            return v ? wire::to_text(*v) : std::string("?");
        };
        if (type == "DISCOVER") return "DHCP DISCOVER: the host, with no address yet, broadcasts for a server";
        if (type == "OFFER") return "DHCP OFFER: the server offers " + text(dhcp, "yiaddr");
        if (type == "REQUEST") return "DHCP REQUEST: the host asks for " + option("50");
        if (type == "ACK")
            return "DHCP ACK: " + text(dhcp, "yiaddr") + " mask " + option("1") + ", gateway " + option("3") +
                   ", DNS " + option("6") + " (the four elements)";
        return "DHCP " + type;
    }

    std::string dns_note(const DissectLayer* ip, const DissectLayer* dns) const {
        std::string question;
        if (const auto* qs = list(field(dns, "questions")); qs && !qs->empty())
            question = wire::to_text(*qs->front().find("name")) + " " + wire::to_text(*qs->front().find("type"));
        if (!boolean(dns, "qr")) return "DNS query to " + role(text(ip, "dst")) + ": " + question + "?";
        const std::string answer = first_record(dns, "answers");
        if (!answer.empty()) return "DNS answer from " + role(text(ip, "src")) + ": " + answer;
        const std::string referral = first_record(dns, "authority", "NS");
        if (!referral.empty()) return "DNS referral from " + role(text(ip, "src")) + ": " + referral;
        return "DNS response from " + role(text(ip, "src")) + ", rcode " + text(dns, "rcode");
    }

    void label_tcp(const wire::DissectedFrame& f, LabelledFrame& out) {
        const DissectLayer* ip = f.find("ipv4");
        const DissectLayer* tcp = f.find("tcp");
        const std::string from = text(ip, "src") + ":" + text(tcp, "src_port");
        const std::size_t payload = tcp_payload(f);
        const bool syn = has_flag(tcp, "SYN"), ack = has_flag(tcp, "ACK"), fin = has_flag(tcp, "FIN");
        if (syn) {
            (ack ? server_isn_ : client_isn_) = number(tcp, "seq");
            if (!ack) client_ = from;
            out.step = "tcp-open";
            out.note = std::string(ack ? "SYN/ACK from the server" : "SYN from the host") + " (MSS " +
                       std::to_string(syn_mss(tcp)) + ")";
            return;
        }
        const bool from_client = from == client_;
        const std::string who = from_client ? "the host" : "the server";
        if (!open_ && from_client && ack && payload == 0) {
            open_ = true;
            out.step = "tcp-open";
            out.note = "ACK from the host: the connection is open";
            return;
        }
        if (fin || closing_) {
            out.step = payload > 0 ? "http" : "tcp-close";
            const bool other_closed = from_client ? server_fin_ : client_fin_;
            if (fin)
                out.note = "FIN from " + who + (payload > 0 ? " with its last " + std::to_string(payload) + " bytes" : "") +
                           (other_closed ? ", acknowledging the other side's FIN in the same segment" : ": it has no more to send");
            else
                out.note = "ACK from " + who + " of the other side's FIN" + (other_closed && (from_client ? client_fin_ : server_fin_)
                                                                                  ? ": the connection is closed" : "");
            closing_ = true;
            (from_client ? client_fin_ : server_fin_) = (from_client ? client_fin_ : server_fin_) || fin;
            return;
        }
        out.step = "http";
        if (payload == 0) {
            // Relative to the other side's initial sequence number, as Wireshark shows it.
            const std::int64_t isn = from_client ? server_isn_ : client_isn_;
            const std::int64_t got = (number(tcp, "ack") - isn - 1 + (std::int64_t{1} << 32)) % (std::int64_t{1} << 32);
            out.note = "ACK from " + who + ": " + std::to_string(got) + " bytes received";
        } else if (from_client) {
            sent_ += payload;
            out.note = "the GET, segment " + std::to_string(++segments_) + ": " + std::to_string(payload) +
                       " bytes (" + std::to_string(sent_) + " of the head sent)";
        } else {
            const DissectLayer* http = f.find("http");
            out.note = http ? "the response: " + text(http, "version") + " " + text(http, "status") + ", " +
                                  std::to_string(payload) + " bytes"
                            : "more of the response, " + std::to_string(payload) + " bytes";
        }
    }

    const std::map<std::string, std::string>& roles_;
    std::string client_;
    bool open_ = false, closing_ = false, client_fin_ = false, server_fin_ = false;
    std::int64_t client_isn_ = 0, server_isn_ = 0;
    std::size_t fragments_ = 0, segments_ = 0, sent_ = 0;
};

}  // namespace

std::vector<LabelledFrame> label_capture(const std::string& pcap_path, const std::map<std::string, std::string>& roles) {
    std::ifstream in(pcap_path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + pcap_path + "': " + std::strerror(errno));
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto file = std::as_bytes(std::span(bytes.data(), bytes.size()));
    auto reader = wire::PcapReader::open(file);
    if (!reader) throw std::runtime_error("'" + pcap_path + "': " + reader.error().to_string());
    Labeller labeller(roles);
    std::vector<LabelledFrame> frames;
    for (;;) {
        auto record = reader->next();
        if (!record) throw std::runtime_error("'" + pcap_path + "': " + record.error().to_string());
        if (!*record) break;
        frames.push_back(labeller.label(wire::dissect_frame((*record)->data, (*record)->original_length,
                                                            (*record)->linktype)));
    }
    return frames;
}

void print_frames(std::ostream& out, const std::vector<LabelledFrame>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        std::ostringstream line;
        line << "  frame " << std::setw(2) << i + 1 << " " << std::left << std::setw(15)
             << ("[" + frames[i].step + "]") << std::right << std::setw(5) << frames[i].frame.length << " bytes  "
             << frames[i].note;
        out << line.str() << '\n';
    }
}

void print_frames_json(std::ostream& out, const std::vector<LabelledFrame>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        DissectValue v = wire::frame_value(frames[i].frame, i + 1);
        auto& object = std::get<DissectValue::Object>(v.value);
        object.insert(object.begin() + 1, {{"step", frames[i].step}, {"note", frames[i].note}});
        out << wire::to_json(v) << '\n';
    }
}

CrossingSummary summarize(const std::vector<LabelledFrame>& frames, const std::string& host_address) {
    CrossingSummary s;
    for (const LabelledFrame& lf : frames) {
        const DissectLayer* ip = lf.frame.find("ipv4");
        const DissectLayer* tcp = lf.frame.find("tcp");
        const DissectLayer* udp = lf.frame.find("udp");
        // null (a fragment's) is not a bad checksum; false is
        for (const DissectLayer* l : {tcp, udp}) {
            const DissectValue* ok = field(l, "checksum_ok");
            if (ok && !ok->is_null() && !boolean(l, "checksum_ok")) ++s.checksums_unset;
        }
        if (!ip || text(ip, "src") != host_address) continue;
        if (lf.step == "tcp-open" && has_flag(tcp, "SYN")) s.mss = syn_mss(tcp);
        if (lf.step == "http" && tcp && tcp_payload(lf.frame) > 0) {
            s.get_segments.push_back(tcp_payload(lf.frame));
            s.get_df = s.get_df && boolean(ip, "df");
        }
        if (lf.step == "ip-fragments") {
            s.fragment_lengths.push_back(static_cast<std::size_t>(number(ip, "total_length")));
            s.fragment_offsets.push_back(static_cast<std::size_t>(number(ip, "fragment_offset")));
        }
    }
    return s;
}

}  // namespace weft::cli::journey
