#pragma once
// SocketAddress: what a socket binds to, connects to, or hears from: an IP endpoint
// (address + port) or a UNIX-domain name (a filesystem path or a Linux abstract name).

#include <string>
#include <string_view>
#include <variant>

#include <sys/socket.h>

#include "weft/expected.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// A UNIX-domain socket name. An abstract name (Linux) lives outside the filesystem and
/// vanishes with its last socket; it is written "@name".
class UnixAddress {
public:
    UnixAddress() = default;
    /// A filesystem path. Paths longer than sun_path (107 bytes) are rejected at use.
    static UnixAddress path(std::string path) { return UnixAddress(std::move(path), false); }
    /// A Linux abstract name (no leading NUL needed; weft adds it).
    static UnixAddress abstract(std::string name) { return UnixAddress(std::move(name), true); }

    /// The path, or the abstract name without its "@" (nor the kernel's leading NUL).
    const std::string& name() const noexcept { return name_; }
    /// True for a Linux abstract name.
    bool is_abstract() const noexcept { return abstract_; }
    /// An unnamed socket (socketpair, or a client that never bound).
    bool is_unnamed() const noexcept { return name_.empty() && !abstract_; }
    /// "/tmp/weft.sock", "@weft-test", or "" when unnamed.
    std::string to_string() const { return abstract_ ? "@" + name_ : name_; }

    /// Same name, same kind.
    bool operator==(const UnixAddress&) const = default;

private:
    UnixAddress(std::string name, bool abstract) : name_(std::move(name)), abstract_(abstract) {}
    std::string name_;
    bool abstract_ = false;
};

/// What a Socket binds to, connects to or hears from: an IP Endpoint or a UnixAddress.
/// Implicit from either, so `sk.bind({"127.0.0.1", 8898})` reads as in Python.
class SocketAddress {
public:
    /// The IP endpoint 0.0.0.0:0.
    SocketAddress() = default;
    /// An IP endpoint.
    SocketAddress(Endpoint endpoint) : address_(endpoint) {}
    /// An IP address and a port.
    SocketAddress(IpAddress address, std::uint16_t port) : address_(Endpoint(address, port)) {}
    /// Python's ('127.0.0.1', 8898): an IP literal and a port. Bad text throws
    /// std::invalid_argument with the parser's message (use Endpoint::parse to check first),
    /// as Endpoint's constructor of the same shape, which it is.
    SocketAddress(std::string_view ip_literal, std::uint16_t port) : address_(Endpoint(ip_literal, port)) {}
    /// The same from a C string; throws likewise.
    SocketAddress(const char* ip_literal, std::uint16_t port) : SocketAddress(std::string_view(ip_literal), port) {}
    /// A UNIX-domain name.
    SocketAddress(UnixAddress unix_address) : address_(std::move(unix_address)) {}

    /// True for an IP endpoint.
    bool is_ip() const noexcept { return address_.index() == 0; }
    /// True for a UNIX-domain name.
    bool is_unix() const noexcept { return address_.index() == 1; }
    ///@{
    /// The address as its own type. Precondition: is_ip() / is_unix(); otherwise
    /// std::bad_variant_access is thrown.
    const Endpoint& endpoint() const { return std::get<0>(address_); }
    const UnixAddress& unix_address() const { return std::get<1>(address_); }
    ///@}

    /// The text form used in messages: "127.0.0.1:8898", "[::1]:80", "/tmp/s", "@name".
    std::string to_string() const;

    /// Fills `out`; returns the length to pass to the kernel, or a ParseError when the UNIX
    /// name does not fit in sun_path.
    Expected<socklen_t, ParseError> to_sockaddr(sockaddr_storage& out) const;
    /// From what accept/recvfrom/getsockname filled in (AF_INET, AF_INET6 or AF_UNIX).
    static Expected<SocketAddress, ParseError> from_sockaddr(const sockaddr* sa, socklen_t len);

    /// Same kind and same address.
    bool operator==(const SocketAddress&) const = default;

private:
    std::variant<Endpoint, UnixAddress> address_;
};

}  // namespace weft
