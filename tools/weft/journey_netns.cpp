// The journey's in-namespace exchanges: a thread per exchange enters the namespace, so the
// rest of the process (and the caller's thread) never changes its network namespace.
#include "journey_netns.hpp"

#include <future>
#include <stdexcept>

#include <netinet/in.h>

#include "lab_netns.hpp"
#include "weft/socket/socket.hpp"

namespace weft::cli::journey {

using lab::in_namespace;

std::string padded_request(std::string_view host, std::size_t size) {
    const std::string head = "GET / HTTP/1.1\r\nHost: " + std::string(host) +
                             "\r\nUser-Agent: weft-tour\r\nAccept: text/html\r\nConnection: close\r\nX-Padding: ";
    const std::string end = "\r\n\r\n";
    // The padding stands for the tutorial's long cookie: it only makes the head this size.
    const std::size_t fill = size > head.size() + end.size() ? size - head.size() - end.size() : 0;
    return head + std::string(fill, 'x') + end;
}

PageFetch fetch_page(std::string_view ns, const std::string& server, std::string_view host_name,
                     std::size_t head_size, std::chrono::milliseconds timeout) {
    const std::string request = padded_request(host_name, head_size);
    return in_namespace(ns, [=] {
        PageFetch result;
        Socket sock;
        sock.settimeout(timeout);
        sock.connect(SocketAddress(server, 80));
        result.client = sock.getsockname().to_string();
        result.server = sock.getpeername().to_string();
        sock.sendall(request);
        result.request = request.size();
        std::string response;
        for (int reads = 0; reads < 10000; ++reads) {  // bounded: the page is small
            std::string part = sock.recv(65536);
            if (part.empty()) break;  // the server closed: the response is complete
            response += part;
        }
        sock.close();
        result.response = response.size();
        result.status_line = response.substr(0, response.find("\r\n"));
        const std::size_t body_at = response.find("\r\n\r\n");
        result.body = body_at == std::string::npos ? 0 : response.size() - body_at - 4;
        return result;
    }).get();
}

FragmentedDatagram send_fragmented(std::string_view from_ns, std::string_view to_ns, const std::string& server,
                                   std::uint16_t port, std::size_t payload, std::chrono::milliseconds timeout) {
    std::promise<void> bound;
    std::future<void> is_bound = bound.get_future();
    auto receiver = in_namespace(to_ns, [&bound, server, port, timeout] {
        FragmentedDatagram got;
        Socket sock(Family::inet, Type::datagram);
        try {
            sock.bind(SocketAddress(server, port));
        } catch (...) {
            bound.set_exception(std::current_exception());
            throw;
        }
        sock.settimeout(timeout);
        bound.set_value();
        // One recvfrom returns the whole datagram: the kernel reassembled the fragments.
        auto [data, from] = sock.recvfrom(65536);
        got.received = data.size();
        got.from = from.to_string();
        return got;
    });
    if (is_bound.wait_for(timeout) != std::future_status::ready)
        throw std::runtime_error("the receiver on " + server + " did not bind");
    is_bound.get();  // rethrows the bind's error, naming the address
    in_namespace(from_ns, [=] {
        Socket sock(Family::inet, Type::datagram);
        // DF clear: the kernel fragments the datagram to the link's MTU instead of refusing it
        // (EMSGSIZE), as the tutorial's IP does.
        sock.setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
        sock.sendto(std::string(payload, 'u'), SocketAddress(server, port));
    }).get();
    FragmentedDatagram result = receiver.get();
    result.sent = payload;
    return result;
}

}  // namespace weft::cli::journey
