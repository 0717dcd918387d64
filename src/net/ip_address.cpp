#include "weft/net/ip_address.hpp"

namespace weft {

Expected<IpAddress, ParseError> IpAddress::parse(std::string_view text) {
    // A ':' can only belong to IPv6, so the choice is unambiguous and each parser's own
    // message (which names the bad part) reaches the caller unchanged.
    if (text.find(':') != std::string_view::npos) {
        auto v6 = Ipv6Address::parse(text);
        if (!v6) return Unexpected(v6.error());
        return IpAddress(*v6);
    }
    auto v4 = Ipv4Address::parse(text);
    if (!v4) return Unexpected(v4.error());
    return IpAddress(*v4);
}

std::string IpAddress::to_string() const {
    return is_v4() ? v4().to_string() : v6().to_string();
}

bool IpAddress::is_loopback() const noexcept {
    return is_v4() ? v4().is_loopback() : v6().is_loopback();
}

bool IpAddress::is_unspecified() const noexcept {
    return is_v4() ? v4().is_unspecified() : v6().is_unspecified();
}

}  // namespace weft
