#include "weft/socket/create.hpp"

#include "weft/net/resolve.hpp"

namespace weft {

Socket create_connection(std::string_view host, std::uint16_t port, Socket::Timeout timeout) {
    const std::string where = std::string(host) + ":" + std::to_string(port);
    auto endpoints = resolve(host, std::to_string(port));
    if (!endpoints)
        throw SocketError("connect", where, std::make_error_code(std::errc::host_unreachable),
                          endpoints.error().message);

    // Each address gets its own socket (its family may differ) and its own timeout, as in
    // Python; the error of the last attempt is the one reported.
    std::error_code last;
    std::string last_address = where;
    for (const Endpoint& ep : *endpoints) {
        Socket sock(ep.address().is_v4() ? Family::inet : Family::inet6, Type::stream);
        sock.settimeout(timeout);
        last = sock.connect_ex(ep);
        if (!last) return sock;
        last_address = ep.to_string();
    }
    if (last == std::errc::timed_out) throw TimeoutError("connect", last_address);
    throw SocketError("connect", last_address, last);
}

Socket create_server(const SocketAddress& address, const CreateServerOptions& options) {
    Family family = Family::unix_domain;
    if (address.is_ip()) family = address.endpoint().address().is_v4() ? Family::inet : Family::inet6;
    Socket sock(family, options.type);
    if (address.is_ip()) {
        if (options.reuse_address) sock.setsockopt(ReuseAddress{true});
        if (options.reuse_port) sock.setsockopt(ReusePort{true});
        if (family == Family::inet6) sock.setsockopt(Ipv6V6Only{!options.dual_stack});
    }
    sock.bind(address);
    if (options.type == Type::stream) sock.listen(options.backlog);
    return sock;
}

}  // namespace weft
