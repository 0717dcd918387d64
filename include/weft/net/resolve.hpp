#pragma once
// Name resolution over getaddrinfo(3).

#include <string>
#include <string_view>
#include <vector>

#include "weft/expected.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

enum class AddressFamily { unspecified, v4, v6 };

struct ResolveError {
    int code = 0;            ///< the EAI_* value getaddrinfo returned
    std::string message;     ///< "resolve example.invalid:80: Name or service not known"
};

/// Every endpoint `host` and `service` resolve to, in getaddrinfo's order, without duplicates.
/// `service` is a port number or a service name ("http"). A literal address never touches DNS.
/// Blocking: it may wait on DNS.
Expected<std::vector<Endpoint>, ResolveError> resolve(std::string_view host, std::string_view service,
                                                     AddressFamily family = AddressFamily::unspecified);

}  // namespace weft
