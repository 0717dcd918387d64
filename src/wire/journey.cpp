// The seed's journey as frames. Every frame is built by the same codecs that decode it, so the
// journey doubles as an end-to-end test of the builders (checksums, lengths, fragmentation).
#include "weft/wire/journey.hpp"

#include <stdexcept>

#include "weft/wire/arp.hpp"
#include "weft/wire/dhcp.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/ipv4.hpp"
#include "weft/wire/ipv4_fragment.hpp"
#include "weft/wire/tcp.hpp"
#include "weft/wire/udp.hpp"

namespace weft::wire {

namespace {

using namespace std::chrono_literals;
using H = JourneyHosts;

constexpr std::uint32_t kDhcpXid = 0x3903f326;
constexpr std::uint16_t kDnsId = 0x5b1d;
constexpr std::uint16_t kDnsClientPort = 53421;
constexpr std::uint32_t kClientIsn = 0x1f3a9c01;
constexpr std::uint32_t kServerIsn = 0x7d2e4b10;
constexpr std::uint16_t kClientWindow = 64240;  // 44 segments of 1460, what Linux opens with
constexpr std::uint16_t kServerWindow = 65535;
constexpr std::uint8_t kClientTtl = 64;
constexpr std::uint8_t kServerTtl = 57;  // 64 less the routers on the way back
constexpr std::uint8_t kDnsTtl = 117;    // 128 less the routers on the way back
const Ipv4Address kBroadcastIp = Ipv4Address::broadcast();

std::string num(std::size_t n) { return std::to_string(n); }

std::string response_text() {
    const std::string body =
        "<!doctype html><html><head><title>Google</title></head><body>Search the world's information.</body></html>\n";
    return "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: " + num(body.size()) +
           "\r\nServer: gws\r\n\r\n" + body;
}

std::span<const std::byte> as_bytes(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// Builds the frames in order, with a clock that moves 1 ms per local hop and 20 ms per
// round trip to the Internet, so a capture's timeline looks plausible.
class JourneyBuilder {
public:
    explicit JourneyBuilder(const JourneyOptions& options) : options_(options) {}

    std::vector<JourneyFrame> build() {
        dhcp();
        arp();
        dns();
        tcp_open();
        http();
        tcp_close();
        return std::move(frames_);
    }

private:
    void emit(std::string step, std::string note, std::chrono::nanoseconds delay, const MacAddress& dst,
              const MacAddress& src, std::uint16_t type, std::span<const std::byte> payload) {
        now_ += delay;
        EthernetFrame eth;
        eth.dst = dst;
        eth.src = src;
        eth.type = type;
        eth.payload = payload;
        frames_.push_back(JourneyFrame{std::move(step), std::move(note), now_, eth.build()});
    }

    Ipv4Packet ip(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol, std::uint8_t ttl,
                  std::span<const std::byte> payload) {
        Ipv4Packet p;
        p.src = src;
        p.dst = dst;
        p.protocol = protocol;
        p.ttl = ttl;
        p.identification = src == H::kClient || src.is_unspecified() ? client_ip_id_++ : server_ip_id_++;
        p.payload = payload;
        return p;
    }

    void udp_frame(std::string step, std::string note, std::chrono::nanoseconds delay, const MacAddress& dst_mac,
                   const MacAddress& src_mac, Ipv4Address src, std::uint16_t sport, Ipv4Address dst,
                   std::uint16_t dport, std::uint8_t ttl, std::span<const std::byte> data) {
        UdpDatagram udp;
        udp.src_port = sport;
        udp.dst_port = dport;
        udp.payload = data;
        const std::vector<std::byte> segment = udp.build(src, dst);
        const std::vector<std::byte> datagram = ip(src, dst, kIpProtocolUdp, ttl, segment).build();
        emit(std::move(step), std::move(note), delay, dst_mac, src_mac, kEtherTypeIpv4, datagram);
    }

    DhcpMessage dhcp_base(std::uint8_t op) const {
        DhcpMessage m;
        m.op = op;
        m.xid = kDhcpXid;
        m.set_client_mac(H::kClientMac);
        return m;
    }

    void dhcp_reply_options(DhcpMessage& m) const {
        const Ipv4Address router[] = {H::kGateway};
        const Ipv4Address dns[] = {H::kDns};
        m.add_address(dhcp_option::kServerId, H::kGateway)
            .add_seconds(dhcp_option::kLeaseTime, 86400s)
            .add_seconds(dhcp_option::kRenewalTime, 43200s)
            .add_seconds(dhcp_option::kRebindingTime, 75600s)
            .add_address(dhcp_option::kSubnetMask, H::kNetmask)
            .add_address(dhcp_option::kBroadcastAddress, Ipv4Address(192, 168, 1, 255))
            .add_addresses(dhcp_option::kRouter, router)
            .add_addresses(dhcp_option::kDnsServer, dns);
    }

    // The seed: the client, knowing nothing, broadcasts from 0.0.0.0:68 to 255.255.255.255:67;
    // the server answers from its own address to 255.255.255.255:68, to the client's MAC.
    void dhcp() {
        DhcpMessage discover = dhcp_base(kBootRequest);
        discover.add_message_type(DhcpMessageType::Discover).add_bytes(dhcp_option::kParameterRequestList, {1, 3, 6, 15, 28, 51});
        client_dhcp("DHCP DISCOVER: the host has no address yet, so it broadcasts from 0.0.0.0:68 to "
                    "255.255.255.255:67 and Ethernet ff:ff:ff:ff:ff:ff.",
                    0ms, discover);

        DhcpMessage offer = dhcp_base(kBootReply);
        offer.yiaddr = H::kClient;
        offer.add_message_type(DhcpMessageType::Offer);
        dhcp_reply_options(offer);
        server_dhcp("DHCP OFFER: the server 192.168.1.1 offers 192.168.1.100/24 with gateway 192.168.1.1 and DNS "
                    "server 8.8.8.8.",
                    offer);

        DhcpMessage request = dhcp_base(kBootRequest);
        request.add_message_type(DhcpMessageType::Request)
            .add_address(dhcp_option::kRequestedIp, H::kClient)
            .add_address(dhcp_option::kServerId, H::kGateway)
            .add_bytes(dhcp_option::kParameterRequestList, {1, 3, 6, 15, 28, 51});
        client_dhcp("DHCP REQUEST: still without an address, the host broadcasts that it takes 192.168.1.100 from "
                    "server 192.168.1.1.",
                    1ms, request);

        DhcpMessage ack = dhcp_base(kBootReply);
        ack.yiaddr = H::kClient;
        ack.add_message_type(DhcpMessageType::Ack);
        dhcp_reply_options(ack);
        server_dhcp("DHCP ACK: the lease is confirmed; the host now knows its address, mask, gateway and DNS "
                    "server.",
                    ack);
    }

    void client_dhcp(std::string note, std::chrono::nanoseconds delay, const DhcpMessage& m) {
        const std::vector<std::byte> data = build_dhcp(m);
        udp_frame("dhcp", std::move(note), delay, MacAddress::broadcast(), H::kClientMac, Ipv4Address::any(),
                  kDhcpClientPort, kBroadcastIp, kDhcpServerPort, kClientTtl, data);
    }
    void server_dhcp(std::string note, const DhcpMessage& m) {
        const std::vector<std::byte> data = build_dhcp(m);
        udp_frame("dhcp", std::move(note), 1ms, H::kClientMac, H::kGatewayMac, H::kGateway, kDhcpServerPort,
                  kBroadcastIp, kDhcpClientPort, kClientTtl, data);
    }

    void arp() {
        const ArpPacket request = ArpPacket::request(H::kClientMac, H::kClient, H::kGateway);
        const std::vector<std::byte> req = request.build();
        emit("arp",
             "ARP request: 8.8.8.8 is not in 192.168.1.0/24, so frames must go to the gateway; who has "
             "192.168.1.1? Tell 192.168.1.100 (broadcast).",
             1ms, MacAddress::broadcast(), H::kClientMac, kEtherTypeArp, req);
        const std::vector<std::byte> rep = ArpPacket::reply_to(request, H::kGatewayMac).build();
        emit("arp", "ARP reply: 192.168.1.1 is at " + H::kGatewayMac.to_string() + ", sent straight to the host.", 1ms,
             H::kClientMac, H::kGatewayMac, kEtherTypeArp, rep);
    }

    void dns() {
        DnsMessage query;
        query.header.id = kDnsId;
        query.header.rd = true;
        DnsName name = *DnsName::from_text("www.google.com");
        query.questions.push_back(DnsQuestion{name, DnsType::A, DnsClass::IN});
        const std::vector<std::byte> q = build_dns(query);
        udp_frame("dns",
                  "DNS query: the host asks 8.8.8.8 (UDP port 53, via the gateway's MAC) for the address of "
                  "www.google.com.",
                  1ms, H::kGatewayMac, H::kClientMac, H::kClient, kDnsClientPort, H::kDns, 53, kClientTtl, q);

        DnsMessage answer = query;
        answer.header.qr = true;
        answer.header.ra = true;
        answer.answers.push_back(DnsRecord{name, DnsType::A, DnsClass::IN, 300, DnsA{H::kServer}});
        const std::vector<std::byte> a = build_dns(answer);
        udp_frame("dns", "DNS response: www.google.com is 172.194.72.105 (the answer's name is a pointer to the question's).",
                  20ms, H::kClientMac, H::kGatewayMac, H::kDns, 53, H::kClient, kDnsClientPort, kDnsTtl, a);
    }

    TcpSegment tcp(bool from_client, std::uint16_t flags) const {
        TcpSegment s;
        s.src_port = from_client ? H::kClientPort : H::kServerPort;
        s.dst_port = from_client ? H::kServerPort : H::kClientPort;
        s.seq = from_client ? client_seq_ : server_seq_;
        s.ack = flags & kTcpAck ? (from_client ? server_seq_ : client_seq_) : 0;
        s.flags = flags;
        s.window = from_client ? kClientWindow : kServerWindow;
        return s;
    }

    // Sends one segment in as many frames as the MTU requires: IP fragments with DF clear by
    // default, one frame with DF set in segment mode (where the caller keeps segments small).
    // `what` names the segment in the notes of its fragments.
    void send_tcp(std::string step, std::string note, std::chrono::nanoseconds delay, bool from_client,
                  TcpSegment segment) {
        const Ipv4Address src = from_client ? H::kClient : H::kServer;
        const Ipv4Address dst = from_client ? H::kServer : H::kClient;
        const std::vector<std::byte> bytes = segment.build(src, dst);
        Ipv4Packet datagram = ip(src, dst, kIpProtocolTcp, from_client ? kClientTtl : kServerTtl, bytes);
        datagram.dont_fragment = options_.segment;
        (from_client ? client_seq_ : server_seq_) +=
            static_cast<std::uint32_t>(segment.payload.size()) + (segment.has(kTcpSyn) || segment.has(kTcpFin) ? 1 : 0);
        const MacAddress& dst_mac = from_client ? H::kGatewayMac : H::kClientMac;
        const MacAddress& src_mac = from_client ? H::kClientMac : H::kGatewayMac;

        auto pieces = fragment(datagram, options_.mtu);
        if (!pieces) throw std::logic_error("journey: " + pieces.error().to_string());  // DF and too big: a bug here
        const std::size_t total = datagram.built_header_length() + bytes.size();
        for (std::size_t i = 0; i < pieces->size(); ++i) {
            std::string text = note;
            if (pieces->size() > 1) {
                auto frag = Ipv4Packet::parse((*pieces)[i]);
                text += " IP fragment " + num(i + 1) + " of " + num(pieces->size()) + " of the " + num(total) +
                        "-byte datagram (MTU " + num(options_.mtu) + "): " + num(frag->total_length) +
                        " bytes at offset " + num(frag->fragment_offset) +
                        (frag->more_fragments ? ", MF set." : ", MF clear: the receiver reassembles by the IP id.");
            }
            emit(step, std::move(text), i == 0 ? delay : 0ms, dst_mac, src_mac, kEtherTypeIpv4, (*pieces)[i]);
        }
    }

    std::size_t mss() const noexcept { return options_.mtu - 40; }  // 20 IPv4 + 20 TCP

    void tcp_open() {
        TcpSegment syn = tcp(true, kTcpSyn);
        if (options_.segment) syn.options.push_back(tcp_mss_option(static_cast<std::uint16_t>(mss())));
        send_tcp("tcp-open",
                 "TCP SYN (handshake 1/3): 192.168.1.100:51775 asks 172.194.72.105:80 to open a connection, with its "
                 "initial sequence number" +
                     std::string(options_.segment ? " and its MSS " + num(mss()) + "." : " (no MSS option, as in the seed)."),
                 1ms, true, syn);
        TcpSegment synack = tcp(false, kTcpSyn | kTcpAck);
        if (options_.segment) synack.options.push_back(tcp_mss_option(static_cast<std::uint16_t>(mss())));
        send_tcp("tcp-open", "TCP SYN/ACK (handshake 2/3): the server acknowledges the SYN and sends its own.", 20ms,
                 false, synack);
        send_tcp("tcp-open", "TCP ACK (handshake 3/3): the host acknowledges; the connection is open.", 1ms, true,
                 tcp(true, kTcpAck));
    }

    // Sends application data: one segment (fragmented by IP as the MTU requires) by default;
    // in segment mode MSS-sized segments, as a real stack does, so nothing is fragmented.
    void send_data(const std::string& note, std::chrono::nanoseconds delay, bool from_client,
                   std::span<const std::byte> data) {
        const std::size_t count = options_.segment ? (data.size() + mss() - 1) / mss() : 1;
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t at = options_.segment ? i * mss() : 0;
            const std::size_t n = options_.segment ? std::min(mss(), data.size() - at) : data.size();
            TcpSegment seg = tcp(from_client, i + 1 == count ? kTcpPsh | kTcpAck : kTcpAck);
            seg.payload = data.subspan(at, n);
            std::string text = note;
            if (count > 1)
                text += " TCP segment " + num(i + 1) + " of " + num(count) + ": bytes " + num(at) + "-" +
                        num(at + n - 1) + " (MSS " + num(mss()) + "), DF set: no router needs to fragment it.";
            send_tcp("http", std::move(text), i == 0 ? delay : 0ms, from_client, seg);
        }
    }

    void http() {
        const std::string request = journey_http_request();
        send_data(options_.segment ? "HTTP GET: 4960 bytes of request, cut by TCP at the MSS."
                                   : "HTTP GET: 4960 bytes of request in a 4980-byte TCP segment in a 5000-byte "
                                     "IPv4 datagram, DF clear.",
                  1ms, true, as_bytes(request));
        const std::string response = response_text();
        send_data("HTTP response 200 OK (" + num(response.size()) +
                      " bytes); its ACK number acknowledges every byte of the GET.",
                  20ms, false, as_bytes(response));
    }

    void tcp_close() {
        send_tcp("tcp-close", "TCP FIN (close 1/4): the host has nothing more to send.", 5ms, true,
                 tcp(true, kTcpFin | kTcpAck));
        send_tcp("tcp-close", "TCP ACK (close 2/4): the server acknowledges the host's FIN.", 20ms, false,
                 tcp(false, kTcpAck));
        send_tcp("tcp-close", "TCP FIN (close 3/4): the server closes its side too.", 0ms, false,
                 tcp(false, kTcpFin | kTcpAck));
        send_tcp("tcp-close",
                 "TCP ACK (close 4/4): the host acknowledges and waits in TIME_WAIT; the connection is closed.", 1ms,
                 true, tcp(true, kTcpAck));
    }

    JourneyOptions options_;
    std::vector<JourneyFrame> frames_;
    std::chrono::nanoseconds now_{0};
    std::uint16_t client_ip_id_ = 0x4a10;
    std::uint16_t server_ip_id_ = 0x9c00;
    std::uint32_t client_seq_ = kClientIsn;
    std::uint32_t server_seq_ = kServerIsn;
};

}  // namespace

std::string journey_http_request() {
    // The seed's headers; the Cookie (long cookies were common) fills the head to 4960 bytes.
    const std::string before =
        "GET / HTTP/1.1\r\n"
        "Host: www.google.com\r\n"
        "Connection: keep-alive\r\n"
        "User-Agent: Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0 Safari/537.36\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Encoding: gzip,deflate,sdch\r\n"
        "Accept-Language: zh-CN,zh;q=0.8\r\n"
        "Accept-Charset: GBK,utf-8;q=0.7,*;q=0.3\r\n"
        "Cookie: NID=";
    const std::string after = "\r\n\r\n";
    std::string cookie;
    const std::string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (std::size_t i = 0; before.size() + cookie.size() + after.size() < kJourneyRequestSize; ++i)
        cookie += alphabet[(i * 7 + 3) % alphabet.size()];
    return before + cookie + after;
}

std::vector<JourneyFrame> build_journey(const JourneyOptions& options) {
    if (options.mtu < kJourneyMinMtu || options.mtu > kJourneyMaxMtu)
        throw std::invalid_argument("invalid MTU " + num(options.mtu) + ": must be " + num(kJourneyMinMtu) + "-" +
                                    num(kJourneyMaxMtu));
    return JourneyBuilder(options).build();
}

}  // namespace weft::wire
