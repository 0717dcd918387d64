#include "weft/net/resolve.hpp"

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

#include <netdb.h>
#include <sys/socket.h>

namespace weft {
namespace {

/// RFC 6761 section 6.4: resolvers SHOULD answer names under "invalid." negatively at once.
/// glibc would still ask DNS (and hang for seconds when it is unreachable), so we do it here.
bool is_invalid_tld(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    constexpr std::string_view kTld = "invalid";
    if (host.size() < kTld.size()) return false;
    const std::string_view last = host.substr(host.size() - kTld.size());
    for (std::size_t i = 0; i < kTld.size(); ++i) {
        const char c = last[i];
        const char lower = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
        if (lower != kTld[i]) return false;
    }
    return host.size() == kTld.size() || host[host.size() - kTld.size() - 1] == '.';
}

ResolveError make_error(int code, std::string_view host, std::string_view service, int saved_errno) {
    std::string message = "resolve ";
    // Brackets keep "::1:80" readable as address and service.
    if (host.find(':') != std::string_view::npos) {
        message += '[';
        message += host;
        message += ']';
    } else {
        message += host;
    }
    message += ':';
    message += service;
    message += ": ";
    if (code == EAI_SYSTEM) {
        message += std::generic_category().message(saved_errno);  // strerror is not thread-safe
    } else {
        message += gai_strerror(code);
    }
    return ResolveError{code, std::move(message)};
}

}  // namespace

Expected<std::vector<Endpoint>, ResolveError> resolve(std::string_view host, std::string_view service,
                                                     AddressFamily family) {
    if (is_invalid_tld(host)) return Unexpected(make_error(EAI_NONAME, host, service, 0));

    addrinfo hints{};
    hints.ai_family = family == AddressFamily::v4 ? AF_INET : family == AddressFamily::v6 ? AF_INET6 : AF_UNSPEC;
    // No AI_ADDRCONFIG: it drops "::1" on a host whose only IPv6 address is loopback (common
    // in containers), and callers asking for a literal want that literal. The cost: a name
    // may yield a family the host cannot route; connect reports that per endpoint.
    hints.ai_flags = 0;
    // Any socket type: a service name known only for UDP still resolves. The duplicates this
    // yields (one entry per type) are removed below.
    hints.ai_socktype = 0;

    const std::string host_z(host);
    const std::string service_z(service);
    addrinfo* list = nullptr;
    errno = 0;
    const int rc = getaddrinfo(host_z.empty() ? nullptr : host_z.c_str(),
                               service_z.empty() ? nullptr : service_z.c_str(), &hints, &list);
    const int saved_errno = errno;
    if (rc != 0) return Unexpected(make_error(rc, host, service, saved_errno));
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, &freeaddrinfo);

    std::vector<Endpoint> endpoints;
    for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        auto endpoint = Endpoint::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
        if (!endpoint) continue;  // a family we do not model (none expected with these hints)
        // Linear search: lists are a handful of entries, and order must be kept.
        bool seen = false;
        for (const Endpoint& e : endpoints) seen = seen || e == *endpoint;
        if (!seen) endpoints.push_back(*endpoint);
    }
    if (endpoints.empty()) return Unexpected(make_error(EAI_NODATA, host, service, 0));
    return endpoints;
}

}  // namespace weft
