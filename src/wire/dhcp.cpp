#include "weft/wire/dhcp.hpp"

#include <algorithm>
#include <cstdio>

#include "weft/wire/byte_reader.hpp"
#include "weft/wire/byte_writer.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "dhcp";
constexpr std::size_t kSnameOffset = 44;
constexpr std::size_t kFileOffset = kSnameOffset + kDhcpSnameSize;  // 108
constexpr std::size_t kOptionsOffset = kDhcpFixedSize + 4;          // 240, after the cookie

// How RFC 2132 fixes an option's length; kAny for free-form options.
enum class LengthRule { kAny, kExactly, kAtLeast, kMultipleOf4 };
struct OptionRule {
    std::uint8_t code;
    const char* name;
    LengthRule rule;
    std::size_t length;
};

constexpr OptionRule kRules[] = {
    {dhcp_option::kSubnetMask, "subnet mask", LengthRule::kExactly, 4},
    {dhcp_option::kRouter, "routers", LengthRule::kMultipleOf4, 4},
    {dhcp_option::kDnsServer, "DNS servers", LengthRule::kMultipleOf4, 4},
    {dhcp_option::kHostName, "host name", LengthRule::kAtLeast, 1},
    {dhcp_option::kDomainName, "domain name", LengthRule::kAtLeast, 1},
    {dhcp_option::kBroadcastAddress, "broadcast address", LengthRule::kExactly, 4},
    {dhcp_option::kVendorSpecific, "vendor specific", LengthRule::kAny, 0},
    {dhcp_option::kRequestedIp, "requested IP", LengthRule::kExactly, 4},
    {dhcp_option::kLeaseTime, "lease time", LengthRule::kExactly, 4},
    {dhcp_option::kOverload, "overload", LengthRule::kExactly, 1},
    {dhcp_option::kMessageType, "message type", LengthRule::kExactly, 1},
    {dhcp_option::kServerId, "server id", LengthRule::kExactly, 4},
    {dhcp_option::kParameterRequestList, "parameter request list", LengthRule::kAtLeast, 1},
    {dhcp_option::kMaxMessageSize, "max message size", LengthRule::kExactly, 2},
    {dhcp_option::kRenewalTime, "renewal time", LengthRule::kExactly, 4},
    {dhcp_option::kRebindingTime, "rebinding time", LengthRule::kExactly, 4},
    {dhcp_option::kClientId, "client id", LengthRule::kAtLeast, 2},
    {dhcp_option::kRelayAgentInfo, "relay agent info", LengthRule::kAny, 0},
};

const OptionRule* rule_for(std::uint8_t code) {
    for (const auto& r : kRules)
        if (r.code == code) return &r;
    return nullptr;
}

// Empty when `len` suits the option, else why not.
std::string check_length(std::uint8_t code, std::size_t len) {
    const OptionRule* r = rule_for(code);
    if (r == nullptr) return {};
    std::string what = "option " + std::to_string(code) + " (" + r->name + ") must be ";
    std::string have = ", have " + std::to_string(len);
    switch (r->rule) {
    case LengthRule::kAny: return {};
    case LengthRule::kExactly:
        return len == r->length ? std::string{} : what + std::to_string(r->length) + " bytes" + have;
    case LengthRule::kAtLeast:
        return len >= r->length ? std::string{} : what + "at least " + std::to_string(r->length) + " bytes" + have;
    case LengthRule::kMultipleOf4:
        // A list may be split into instances anywhere (RFC 3396): only the joined length is
        // checked, by check_lists once every field is read.
        return {};
    }
    return {};
}

std::uint32_t be32(std::span<const std::byte> b) {
    ByteReader r(b);
    return r.u32().value_or(0);
}

Ipv4Address address_at(std::span<const std::byte> b) { return Ipv4Address(be32(b)); }

std::vector<Ipv4Address> address_list(std::span<const std::byte> b) {
    std::vector<Ipv4Address> out;
    for (std::size_t i = 0; i + 4 <= b.size(); i += 4) out.push_back(address_at(b.subspan(i, 4)));
    return out;
}

// A NUL-terminated text field (sname, file) as a view up to its first NUL.
std::string_view c_string(std::span<const std::byte> field) {
    auto nul = std::find(field.begin(), field.end(), std::byte{0});
    return {reinterpret_cast<const char*>(field.data()), static_cast<std::size_t>(nul - field.begin())};
}

// Reads the options in bytes[start, end) into `out`. Returns whether an end option was met.
WireResult<bool> parse_options(std::span<const std::byte> bytes, std::size_t start, std::size_t end,
                               const char* field, std::vector<DhcpOptionView>& out) {
    std::size_t pos = start;
    while (pos < end) {
        auto code = static_cast<std::uint8_t>(bytes[pos]);
        if (code == dhcp_option::kPad) {
            ++pos;
            continue;
        }
        // Whatever follows the end option is padding, zero or not.
        if (code == dhcp_option::kEnd) return true;
        if (pos + 1 >= end)
            return wire_error(kLayer,
                              "option " + std::to_string(code) + " cut before its length byte in the " +
                                  field + " field",
                              pos);
        std::size_t len = static_cast<std::uint8_t>(bytes[pos + 1]);
        if (end - pos - 2 < len)
            return wire_error(kLayer,
                              "option " + std::to_string(code) + " length " + std::to_string(len) +
                                  " runs past the end of the " + field + " field (" +
                                  std::to_string(end - pos - 2) + " bytes left)",
                              pos + 1);
        if (auto why = check_length(code, len); !why.empty()) return wire_error(kLayer, why, pos);
        out.push_back({code, bytes.subspan(pos + 2, len), pos});
        pos += 2 + len;
    }
    return false;
}

// List options must come to a non-zero multiple of 4 bytes over all their instances.
WireResult<void> check_lists(const std::vector<DhcpOptionView>& options) {
    for (const auto& r : kRules) {
        if (r.rule != LengthRule::kMultipleOf4) continue;
        std::size_t total = 0;
        const DhcpOptionView* first = nullptr;
        for (const auto& o : options) {
            if (o.code != r.code) continue;
            total += o.data.size();
            if (first == nullptr) first = &o;
        }
        if (first != nullptr && (total == 0 || total % 4 != 0))
            return wire_error(kLayer,
                              "option " + std::to_string(r.code) + " (" + r.name +
                                  ") must be a non-zero multiple of 4 bytes, have " + std::to_string(total),
                              first->offset);
    }
    return {};
}

}  // namespace

std::string dhcp_message_type_to_string(std::uint8_t type) {
    static constexpr const char* kNames[] = {"DISCOVER", "OFFER", "REQUEST", "DECLINE",
                                             "ACK", "NAK", "RELEASE", "INFORM"};
    if (type >= 1 && type <= 8) return kNames[type - 1];
    return "TYPE" + std::to_string(type);
}

MacAddress DhcpFixed::client_mac() const noexcept {
    return MacAddress(MacAddress::Bytes{chaddr[0], chaddr[1], chaddr[2], chaddr[3], chaddr[4], chaddr[5]});
}

void DhcpFixed::set_client_mac(const MacAddress& mac) noexcept {
    chaddr = {};
    std::copy(mac.to_bytes().begin(), mac.to_bytes().end(), chaddr.begin());
    htype = 1;
    hlen = 6;
}

WireResult<DhcpPacket> parse_dhcp(std::span<const std::byte> bytes) {
    if (bytes.size() < kOptionsOffset)
        return wire_error(kLayer,
                          "truncated message: need " + std::to_string(kOptionsOffset) +
                              " bytes (fixed part and magic cookie), have " + std::to_string(bytes.size()),
                          0);
    // The length check above covers every fixed field, so these reads cannot fail.
    ByteReader r(bytes);
    DhcpPacket p;
    p.op = *r.u8();
    p.htype = *r.u8();
    p.hlen = *r.u8();
    p.hops = *r.u8();
    if (p.hlen > kDhcpChaddrSize)
        return wire_error(kLayer, "hlen " + std::to_string(p.hlen) + " exceeds the 16-byte chaddr field", 2);
    p.xid = *r.u32();
    p.secs = *r.u16();
    p.flags = *r.u16();
    p.ciaddr = Ipv4Address(*r.u32());
    p.yiaddr = Ipv4Address(*r.u32());
    p.siaddr = Ipv4Address(*r.u32());
    p.giaddr = Ipv4Address(*r.u32());
    auto chaddr = *r.bytes(kDhcpChaddrSize);
    for (std::size_t i = 0; i < kDhcpChaddrSize; ++i) p.chaddr[i] = static_cast<std::uint8_t>(chaddr[i]);
    // Past sname and file (read later, only when option 52 says they hold options). Cannot
    // fail after the length check, but a seek is checked like every other move of the cursor.
    if (!r.seek(kDhcpFixedSize))
        return wire_error(kLayer, "truncated fixed part: need " + std::to_string(kDhcpFixedSize) + " bytes", r.offset());
    std::uint32_t cookie = *r.u32();
    if (cookie != kDhcpMagicCookie) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "bad magic cookie 0x%08x (want 99.130.83.99)", cookie);
        return wire_error(kLayer, buf, kDhcpFixedSize);
    }

    auto main = parse_options(bytes, kOptionsOffset, bytes.size(), "options", p.options);
    if (!main) return Unexpected(main.error());
    p.end_seen = *main;

    // Option 52 (RFC 2132 section 9.3) moves more options into file and/or sname; it is only
    // honoured in the options field proper, which is all that has been read so far.
    if (const DhcpOptionView* o = p.find(dhcp_option::kOverload)) {
        p.overload = static_cast<std::uint8_t>(o->data[0]);
        if (p.overload < 1 || p.overload > 3)
            return wire_error(kLayer, "option 52 (overload) value " + std::to_string(p.overload) + " is not 1, 2 or 3",
                              o->offset + 2);
    }
    // RFC 2131 section 4.1: the file field is read before sname.
    if (p.overload & 1) {
        auto f = parse_options(bytes, kFileOffset, kFileOffset + kDhcpFileSize, "file", p.options);
        if (!f) return Unexpected(f.error());
    } else {
        p.file = c_string(bytes.subspan(kFileOffset, kDhcpFileSize));
    }
    if (p.overload & 2) {
        auto s = parse_options(bytes, kSnameOffset, kSnameOffset + kDhcpSnameSize, "sname", p.options);
        if (!s) return Unexpected(s.error());
    } else {
        p.sname = c_string(bytes.subspan(kSnameOffset, kDhcpSnameSize));
    }
    if (auto lists = check_lists(p.options); !lists) return Unexpected(lists.error());
    return p;
}

// ---- getters ----

const DhcpOptionView* DhcpPacket::find(std::uint8_t code) const noexcept {
    for (const auto& o : options)
        if (o.code == code) return &o;
    return nullptr;
}

std::vector<std::byte> DhcpPacket::concatenated(std::uint8_t code) const {
    std::vector<std::byte> out;
    for (const auto& o : options)
        if (o.code == code) out.insert(out.end(), o.data.begin(), o.data.end());
    return out;
}

namespace {

std::optional<Ipv4Address> address_option(const DhcpPacket& p, std::uint8_t code) {
    const DhcpOptionView* o = p.find(code);
    if (o == nullptr) return std::nullopt;
    return address_at(o->data);
}

std::optional<std::chrono::seconds> seconds_option(const DhcpPacket& p, std::uint8_t code) {
    const DhcpOptionView* o = p.find(code);
    if (o == nullptr) return std::nullopt;
    return std::chrono::seconds(be32(o->data));
}

std::optional<std::string_view> text_option(const DhcpPacket& p, std::uint8_t code) {
    const DhcpOptionView* o = p.find(code);
    if (o == nullptr) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(o->data.data()), o->data.size());
}

std::optional<std::span<const std::byte>> raw_option(const DhcpPacket& p, std::uint8_t code) {
    const DhcpOptionView* o = p.find(code);
    if (o == nullptr) return std::nullopt;
    return o->data;
}

}  // namespace

std::optional<DhcpMessageType> DhcpPacket::message_type() const {
    const DhcpOptionView* o = find(dhcp_option::kMessageType);
    if (o == nullptr) return std::nullopt;
    return static_cast<DhcpMessageType>(o->data[0]);
}
std::optional<Ipv4Address> DhcpPacket::subnet_mask() const { return address_option(*this, dhcp_option::kSubnetMask); }
std::vector<Ipv4Address> DhcpPacket::routers() const { return address_list(concatenated(dhcp_option::kRouter)); }
std::vector<Ipv4Address> DhcpPacket::dns_servers() const {
    return address_list(concatenated(dhcp_option::kDnsServer));
}
std::optional<std::string_view> DhcpPacket::host_name() const { return text_option(*this, dhcp_option::kHostName); }
std::optional<std::string_view> DhcpPacket::domain_name() const {
    return text_option(*this, dhcp_option::kDomainName);
}
std::optional<Ipv4Address> DhcpPacket::broadcast_address() const {
    return address_option(*this, dhcp_option::kBroadcastAddress);
}
std::optional<std::span<const std::byte>> DhcpPacket::vendor_specific() const {
    return raw_option(*this, dhcp_option::kVendorSpecific);
}
std::optional<Ipv4Address> DhcpPacket::requested_ip() const { return address_option(*this, dhcp_option::kRequestedIp); }
std::optional<std::chrono::seconds> DhcpPacket::lease_time() const {
    return seconds_option(*this, dhcp_option::kLeaseTime);
}
std::optional<Ipv4Address> DhcpPacket::server_id() const { return address_option(*this, dhcp_option::kServerId); }
std::vector<std::uint8_t> DhcpPacket::parameter_request_list() const {
    std::vector<std::uint8_t> out;
    for (auto b : concatenated(dhcp_option::kParameterRequestList)) out.push_back(static_cast<std::uint8_t>(b));
    return out;
}
std::optional<std::chrono::seconds> DhcpPacket::renewal_time() const {
    return seconds_option(*this, dhcp_option::kRenewalTime);
}
std::optional<std::chrono::seconds> DhcpPacket::rebinding_time() const {
    return seconds_option(*this, dhcp_option::kRebindingTime);
}
std::optional<std::span<const std::byte>> DhcpPacket::client_id() const {
    return raw_option(*this, dhcp_option::kClientId);
}
std::optional<std::span<const std::byte>> DhcpPacket::relay_agent_info() const {
    return raw_option(*this, dhcp_option::kRelayAgentInfo);
}

// ---- building ----

DhcpMessage& DhcpMessage::add_message_type(DhcpMessageType type) {
    return add_bytes(dhcp_option::kMessageType, {static_cast<std::uint8_t>(type)});
}

DhcpMessage& DhcpMessage::add_address(std::uint8_t code, Ipv4Address address) {
    return add_addresses(code, std::span(&address, 1));
}

DhcpMessage& DhcpMessage::add_addresses(std::uint8_t code, std::span<const Ipv4Address> addresses) {
    DhcpOption o{code, {}};
    for (const auto& a : addresses)
        for (auto b : a.to_bytes()) o.data.push_back(std::byte{b});
    options.push_back(std::move(o));
    return *this;
}

DhcpMessage& DhcpMessage::add_seconds(std::uint8_t code, std::chrono::seconds value) {
    auto v = static_cast<std::uint32_t>(value.count());
    return add_bytes(code, {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
}

DhcpMessage& DhcpMessage::add_u16(std::uint8_t code, std::uint16_t value) {
    return add_bytes(code, {std::uint8_t(value >> 8), std::uint8_t(value)});
}

DhcpMessage& DhcpMessage::add_text(std::uint8_t code, std::string_view text) {
    return add_bytes(code, std::as_bytes(std::span(text.data(), text.size())));
}

DhcpMessage& DhcpMessage::add_bytes(std::uint8_t code, std::span<const std::byte> data) {
    options.push_back({code, {data.begin(), data.end()}});
    return *this;
}

DhcpMessage& DhcpMessage::add_bytes(std::uint8_t code, std::initializer_list<std::uint8_t> data) {
    DhcpOption o{code, {}};
    for (auto b : data) o.data.push_back(std::byte{b});
    options.push_back(std::move(o));
    return *this;
}

DhcpMessage DhcpMessage::from_packet(const DhcpPacket& packet) {
    DhcpMessage m;
    static_cast<DhcpFixed&>(m) = packet;
    m.sname = packet.sname;
    m.file = packet.file;
    for (const auto& o : packet.options) {
        // The copy puts every option in the options field, so overloading no longer applies.
        if (o.code == dhcp_option::kOverload) continue;
        m.options.push_back({o.code, {o.data.begin(), o.data.end()}});
    }
    return m;
}

std::vector<std::byte> build_dhcp(const DhcpMessage& message) {
    std::vector<std::byte> out;
    out.reserve(kDhcpMinMessageSize);
    ByteWriter w(out);
    w.u8(message.op);
    w.u8(message.htype);
    w.u8(message.hlen);
    w.u8(message.hops);
    w.u32(message.xid);
    w.u16(message.secs);
    w.u16(message.flags);
    for (const auto& a : {message.ciaddr, message.yiaddr, message.siaddr, message.giaddr}) w.u32(a.to_uint());
    for (auto b : message.chaddr) w.u8(b);
    // Text fields keep room for their terminating NUL.
    auto text_field = [&](const std::string& s, std::size_t size) {
        std::size_t n = std::min(s.size(), size - 1);
        w.bytes(std::as_bytes(std::span(s.data(), n)));
        w.zeros(size - n);
    };
    text_field(message.sname, kDhcpSnameSize);
    text_field(message.file, kDhcpFileSize);
    w.u32(kDhcpMagicCookie);
    for (const auto& o : message.options) {
        if (o.code == dhcp_option::kPad || o.code == dhcp_option::kEnd) {
            w.u8(o.code);  // pad and end have no length byte
            continue;
        }
        // RFC 3396: data over 255 bytes goes out as consecutive instances of the option.
        std::span<const std::byte> rest = o.data;
        do {
            std::size_t n = std::min<std::size_t>(rest.size(), 255);
            w.u8(o.code);
            w.u8(static_cast<std::uint8_t>(n));
            w.bytes(rest.first(n));
            rest = rest.subspan(n);
        } while (!rest.empty());
    }
    w.u8(dhcp_option::kEnd);
    if (out.size() < kDhcpMinMessageSize) w.zeros(kDhcpMinMessageSize - out.size());
    return out;
}

}  // namespace weft::wire
