#pragma once
// The journey's two exchanges that no weft command makes as the tutorial needs them, run by
// this process from inside the lab's namespaces (a thread enters one with setns and leaves
// with it when it ends): the HTTP GET whose head is padded to the tutorial's size, and one UDP
// datagram too large for the link, sent with DF clear so that IP fragments it.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace weft::cli::journey {

/// "GET / HTTP/1.1" with Host, Connection: close and an X-Padding header that brings the
/// head to exactly `size` bytes (the tutorial's GET is 4960).
std::string padded_request(std::string_view host, std::size_t size);

struct PageFetch {
    std::string client;       ///< "198.18.0.100:40312"
    std::string server;       ///< "198.19.0.80:80"
    std::size_t request = 0;  ///< bytes of the GET sent
    std::string status_line;  ///< "HTTP/1.1 200 OK"
    std::size_t response = 0; ///< bytes received until the server closed
    std::size_t body = 0;     ///< of which the body
};
/// From namespace `ns`: connects to server:80, sends padded_request(host_name, head_size),
/// reads the response until the server closes (Connection: close), closes. Throws
/// std::runtime_error naming the address on failure or after `timeout` per call.
PageFetch fetch_page(std::string_view ns, const std::string& server, std::string_view host_name,
                     std::size_t head_size, std::chrono::milliseconds timeout);

struct FragmentedDatagram {
    std::size_t sent = 0;      ///< UDP payload bytes sent
    std::size_t received = 0;  ///< what the receiver got in one recvfrom (the reassembled datagram)
    std::string from;          ///< the sender as the receiver saw it
};
/// Binds server:port in namespace `to_ns`, then sends `payload` bytes there from namespace
/// `from_ns` with IP_PMTUDISC_DONT (DF clear), and waits for the receiver's datagram.
FragmentedDatagram send_fragmented(std::string_view from_ns, std::string_view to_ns, const std::string& server,
                                   std::uint16_t port, std::size_t payload, std::chrono::milliseconds timeout);

}  // namespace weft::cli::journey
