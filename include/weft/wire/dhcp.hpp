#pragma once
// DHCP messages (RFC 2131) and their options (RFC 2132), read and written.
//
//   auto p = weft::wire::parse_dhcp(udp_payload);    // WireResult<DhcpPacket>, views into input
//   if (p && p->message_type() == DhcpMessageType::Discover) ...
//   DhcpMessage offer = ...;                          // owning, for building
//   std::vector<std::byte> bytes = weft::wire::build_dhcp(offer);
//
// Parsing keeps every option in wire order as (code, data view); the typed getters read the
// first instance of an option (list options concatenate all instances, RFC 3396). Options
// whose format RFC 2132 fixes are length-checked while parsing, so the getters cannot fail.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <chrono>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

/// The BOOTP fixed part up to the magic cookie.
inline constexpr std::size_t kDhcpFixedSize = 236;
/// 99.130.83.99: marks the options field as DHCP/vendor extensions (RFC 2131 section 3).
inline constexpr std::uint32_t kDhcpMagicCookie = 0x63825363;
/// The smallest BOOTP message (RFC 1542 section 2.1); build_dhcp pads to it, as clients do.
inline constexpr std::size_t kDhcpMinMessageSize = 300;
///@{
/// Sizes of the chaddr, sname and file fields.
inline constexpr std::size_t kDhcpChaddrSize = 16;
inline constexpr std::size_t kDhcpSnameSize = 64;
inline constexpr std::size_t kDhcpFileSize = 128;
///@}
/// The broadcast bit of `flags` (RFC 2131 figure 2).
inline constexpr std::uint16_t kDhcpFlagBroadcast = 0x8000;
///@{
/// The UDP ports: servers listen on 67, clients on 68.
inline constexpr std::uint16_t kDhcpServerPort = 67;
inline constexpr std::uint16_t kDhcpClientPort = 68;
///@}

///@{
/// The op field: a client's request or a server's reply.
inline constexpr std::uint8_t kBootRequest = 1;
inline constexpr std::uint8_t kBootReply = 2;
///@}

/// Option 53 values (RFC 2132 section 9.6).
enum class DhcpMessageType : std::uint8_t {
    Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7, Inform = 8,
};

/// Option codes weft knows by name.
namespace dhcp_option {
///@{
/// An option code, named as in RFC 2132 (82, relay agent information: RFC 3046).
inline constexpr std::uint8_t kPad = 0;
inline constexpr std::uint8_t kSubnetMask = 1;
inline constexpr std::uint8_t kRouter = 3;
inline constexpr std::uint8_t kDnsServer = 6;
inline constexpr std::uint8_t kHostName = 12;
inline constexpr std::uint8_t kDomainName = 15;
inline constexpr std::uint8_t kBroadcastAddress = 28;
inline constexpr std::uint8_t kVendorSpecific = 43;
inline constexpr std::uint8_t kRequestedIp = 50;
inline constexpr std::uint8_t kLeaseTime = 51;
inline constexpr std::uint8_t kOverload = 52;
inline constexpr std::uint8_t kMessageType = 53;
inline constexpr std::uint8_t kServerId = 54;
inline constexpr std::uint8_t kParameterRequestList = 55;
inline constexpr std::uint8_t kMessage = 56;
inline constexpr std::uint8_t kMaxMessageSize = 57;
inline constexpr std::uint8_t kRenewalTime = 58;    ///< T1
inline constexpr std::uint8_t kRebindingTime = 59;  ///< T2
inline constexpr std::uint8_t kClientId = 61;
inline constexpr std::uint8_t kRelayAgentInfo = 82;
inline constexpr std::uint8_t kEnd = 255;
///@}
}  // namespace dhcp_option

/// "DISCOVER", "OFFER", ..., "INFORM"; other values as "TYPE9".
std::string dhcp_message_type_to_string(std::uint8_t type);

/// One option as found on the wire: its data is a view into the parsed bytes; `offset` is
/// where its code byte is (the sname/file fields when overloaded).
struct DhcpOptionView {
    std::uint8_t code = 0;             ///< the option code (dhcp_option)
    std::span<const std::byte> data;   ///< its value, without code and length
    std::size_t offset = 0;            ///< where its code byte is in the parsed bytes
};

/// The fixed part, shared by the parsed view and the owning message.
struct DhcpFixed {
    ///@{
    /// A BOOTP field, named as in RFC 2131 figure 1: op (kBootRequest or kBootReply), htype
    /// and hlen (hardware type and address length), hops (relay agents passed), xid (the
    /// transaction id a client picks), secs (since the client began), flags (kDhcpFlagBroadcast),
    /// ciaddr (the client's address, when it has one), yiaddr (the address offered: "your"),
    /// siaddr (the next server), giaddr (the relay agent), chaddr (the client's hardware
    /// address, hlen bytes of it used).
    std::uint8_t op = kBootRequest;
    std::uint8_t htype = 1;  ///< 1: Ethernet
    std::uint8_t hlen = 6;
    std::uint8_t hops = 0;
    std::uint32_t xid = 0;
    std::uint16_t secs = 0;
    std::uint16_t flags = 0;
    Ipv4Address ciaddr, yiaddr, siaddr, giaddr;
    std::array<std::uint8_t, kDhcpChaddrSize> chaddr{};
    ///@}

    /// The broadcast flag: the client asks for its replies broadcast.
    bool broadcast() const noexcept { return (flags & kDhcpFlagBroadcast) != 0; }
    /// The first 6 bytes of chaddr as a MAC (meaningful when htype 1, hlen 6).
    MacAddress client_mac() const noexcept;
    /// Puts `mac` in chaddr (the rest zeroed) and sets htype 1, hlen 6.
    void set_client_mac(const MacAddress& mac) noexcept;
};

/// A parsed DHCP message: views into the bytes given to parse_dhcp, valid while they are.
struct DhcpPacket : DhcpFixed {
    ///@{
    /// Up to the first NUL; empty when the field carries options (option 52).
    std::string_view sname;
    std::string_view file;
    ///@}
    /// Option 52's value (1 file, 2 sname, 3 both), 0 without it.
    std::uint8_t overload = 0;
    /// Every option but pad and end, in wire order (options field, then file, then sname).
    std::vector<DhcpOptionView> options;
    /// Whether the options field ended with an end option (255); RFC 2131 requires it,
    /// parse_dhcp tolerates its absence as most stacks do.
    bool end_seen = false;

    /// The first instance of `code`, if present.
    const DhcpOptionView* find(std::uint8_t code) const noexcept;
    /// All instances of `code` joined (RFC 3396 long options).
    std::vector<std::byte> concatenated(std::uint8_t code) const;

    std::optional<DhcpMessageType> message_type() const;  ///< 53; any value 1-255
    std::optional<Ipv4Address> subnet_mask() const;       ///< 1
    std::vector<Ipv4Address> routers() const;             ///< 3, empty when absent
    std::vector<Ipv4Address> dns_servers() const;         ///< 6
    std::optional<std::string_view> host_name() const;    ///< 12
    std::optional<std::string_view> domain_name() const;  ///< 15
    std::optional<Ipv4Address> broadcast_address() const; ///< 28
    std::optional<std::span<const std::byte>> vendor_specific() const;  ///< 43, raw
    std::optional<Ipv4Address> requested_ip() const;      ///< 50
    std::optional<std::chrono::seconds> lease_time() const;     ///< 51 (0xffffffff: infinite)
    std::optional<Ipv4Address> server_id() const;         ///< 54
    std::vector<std::uint8_t> parameter_request_list() const;   ///< 55
    std::optional<std::chrono::seconds> renewal_time() const;   ///< 58, T1
    std::optional<std::chrono::seconds> rebinding_time() const; ///< 59, T2
    std::optional<std::span<const std::byte>> client_id() const;        ///< 61, raw
    std::optional<std::span<const std::byte>> relay_agent_info() const; ///< 82, raw
};

/// Parses a DHCP message (a UDP payload). Errors, with offsets into `bytes`: shorter than
/// 240 bytes, hlen over 16, wrong magic cookie, an option whose length runs past its field,
/// a known option of the wrong length ("option 1 (subnet mask) must be 4 bytes, have 3"),
/// a bad overload value. Bytes after the end option are ignored.
WireResult<DhcpPacket> parse_dhcp(std::span<const std::byte> bytes);

/// One option to build: code and owned data.
struct DhcpOption {
    std::uint8_t code = 0;         ///< the option code (dhcp_option)
    std::vector<std::byte> data;   ///< its value, without code and length
};

/// An owning DHCP message for build_dhcp; options are written in the order given.
struct DhcpMessage : DhcpFixed {
    std::string sname;  ///< cut to 63 bytes (a NUL always ends the field)
    std::string file;   ///< cut to 127 bytes
    std::vector<DhcpOption> options;  ///< written in this order, then the end option

    ///@{
    /// Helpers that append one option each, encoded as RFC 2132 says (addresses as 4 bytes
    /// each, numbers big-endian, text as is); each returns the message, to chain.
    DhcpMessage& add_message_type(DhcpMessageType type);
    DhcpMessage& add_address(std::uint8_t code, Ipv4Address address);
    DhcpMessage& add_addresses(std::uint8_t code, std::span<const Ipv4Address> addresses);
    DhcpMessage& add_seconds(std::uint8_t code, std::chrono::seconds value);  ///< 32-bit
    DhcpMessage& add_u16(std::uint8_t code, std::uint16_t value);
    DhcpMessage& add_text(std::uint8_t code, std::string_view text);
    DhcpMessage& add_bytes(std::uint8_t code, std::span<const std::byte> data);
    DhcpMessage& add_bytes(std::uint8_t code, std::initializer_list<std::uint8_t> data);
    ///@}

    /// An owning copy of a parsed packet (overloaded options end up in the options field).
    static DhcpMessage from_packet(const DhcpPacket& packet);
};

/// Serialises `message`: fixed part, cookie, options in order (an option over 255 bytes is
/// split into several instances, RFC 3396), the end option, then zeros up to 300 bytes.
std::vector<std::byte> build_dhcp(const DhcpMessage& message);

}  // namespace weft::wire
