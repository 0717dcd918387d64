// weft tour, "what crossed the wire": the client's "hello!" segment of the first exchange,
// rebuilt byte for byte with weft's codecs and taken apart again by the dissector. The
// addresses and ports are the ones the exchange really used; the sequence numbers and
// timestamps are illustrative (the kernel picks its own).
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "weft/wire/dissect.hpp"
#include "weft/wire/ethernet.hpp"
#include "weft/wire/ipv4.hpp"
#include "weft/wire/tcp.hpp"

namespace weft::cli {

namespace {

// The fields worth a line per layer; the rest are in `weft decode`.
const std::vector<std::pair<std::string, std::vector<std::string>>> kShown = {
    {"ethernet", {"dst", "src", "type"}},
    {"ipv4", {"src", "dst", "ttl", "protocol", "total_length", "df", "checksum_ok"}},
    {"tcp", {"src_port", "dst_port", "seq", "ack", "flags", "window", "checksum_ok", "options"}},
    {"payload", {"length"}},
};

std::vector<std::byte> hello_frame(const Endpoint& client, const Endpoint& server) {
    const std::string_view message = "hello!";
    wire::TcpSegment tcp;
    tcp.src_port = client.port();
    tcp.dst_port = server.port();
    tcp.seq = 1;
    tcp.ack = 1;
    tcp.flags = wire::kTcpPsh | wire::kTcpAck;
    tcp.window = 512;
    // Linux puts timestamps on every segment of a connection that negotiated them.
    tcp.options.push_back(wire::tcp_nop_option());
    tcp.options.push_back(wire::tcp_nop_option());
    tcp.options.push_back(wire::tcp_timestamps_option(1000, 1000));
    tcp.payload = std::as_bytes(std::span(message.data(), message.size()));

    wire::Ipv4Packet ip;
    ip.src = client.address().v4();
    ip.dst = server.address().v4();
    ip.protocol = wire::kIpProtocolTcp;
    ip.dont_fragment = true;
    ip.identification = 1;
    const std::vector<std::byte> segment = tcp.build(ip.src, ip.dst);
    ip.payload = segment;
    const std::vector<std::byte> datagram = ip.build();

    // The loopback device frames packets as Ethernet with all-zero addresses.
    wire::EthernetFrame eth;
    eth.type = wire::kEtherTypeIpv4;
    eth.payload = datagram;
    return eth.build(/*pad=*/false);
}

}  // namespace

void tour_wire_section(int number, const Endpoint& client, const Endpoint& server) {
    std::cout << '\n' << number << ". What crossed the wire: the client's \"hello!\" of section 1, rebuilt with weft's codecs\n";
    if (!client.address().is_v4() || !server.address().is_v4()) return;
    const std::vector<std::byte> frame = hello_frame(client, server);
    const wire::DissectedFrame dissected = wire::dissect_frame(frame);
    for (const wire::DissectLayer& layer : dissected.layers) {
        std::ostringstream line;
        line << "  " << std::left << std::setw(9) << layer.name << std::right << std::setw(3) << layer.size << " bytes ";
        for (const auto& [name, keys] : kShown) {
            if (name != layer.name) continue;
            for (const std::string& key : keys)
                if (const wire::DissectValue* v = layer.find(key)) line << ' ' << key << '=' << wire::to_text(*v);
        }
        std::cout << line.str() << '\n';
    }
    std::cout << "  " << frame.size() << " bytes on the wire (plus a 4-byte FCS on a real Ethernet) to carry 6 bytes of "
                 "message.\n  The frame in hex; `weft decode --hex` takes it apart the same way:\n";
    for (std::size_t i = 0; i < frame.size(); i += 16) {
        std::ostringstream row;
        row << "    " << std::hex << std::setfill('0') << std::setw(4) << i << ' ';
        for (std::size_t j = i; j < std::min(i + 16, frame.size()); ++j)
            row << ' ' << std::setw(2) << static_cast<unsigned>(frame[j]);
        std::cout << row.str() << '\n';
    }
}

}  // namespace weft::cli
