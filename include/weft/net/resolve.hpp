#pragma once
// Name resolution over getaddrinfo(3).

#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// Which addresses resolve() returns: both families, IPv4 only or IPv6 only.
enum class AddressFamily { unspecified, v4, v6 };

/// Why resolve() failed.
struct ResolveError {
    int code = 0;            ///< the EAI_* value getaddrinfo returned
    std::string message;     ///< "resolve example.invalid:80: Name or service not known"
};

/// Every endpoint `host` and `service` resolve to, in getaddrinfo's order, without duplicates.
/// `service` is a port number or a service name ("http"); empty means port 0. An empty host
/// means the loopback addresses. A literal address never touches DNS, and names under
/// ".invalid" fail at once without asking it (RFC 6761). AI_ADDRCONFIG is off, so "::1"
/// resolves on a host without IPv6 routes. Blocking: it may wait on DNS. Never throws.
/// The error names host and service: "resolve nosuch.invalid:80: Name or service not known".
Expected<std::vector<Endpoint>, ResolveError> resolve(std::string_view host, std::string_view service,
                                                     AddressFamily family = AddressFamily::unspecified);

}  // namespace weft
