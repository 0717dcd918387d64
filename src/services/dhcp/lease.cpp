// ClientKey: a client's identity from a request, and its text form in the lease file.
#include "weft/services/dhcp/lease.hpp"

#include <algorithm>

namespace weft::dhcp {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // upper case is refused: one spelling per key keeps the file canonical
}

}  // namespace

WallTime wall_clock_now() noexcept {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::optional<ClientKey> ClientKey::from_client_id(std::span<const std::byte> id) {
    if (id.empty() || id.size() > kMaxClientIdSize) return std::nullopt;
    std::string raw(1, static_cast<char>(Kind::client_id));
    for (auto b : id) raw.push_back(static_cast<char>(b));
    return ClientKey(std::move(raw));
}

std::optional<ClientKey> ClientKey::from_hardware(std::uint8_t htype, std::span<const std::uint8_t> chaddr) {
    if (chaddr.empty() || chaddr.size() > wire::kDhcpChaddrSize) return std::nullopt;
    std::string raw(1, static_cast<char>(Kind::hardware));
    raw.push_back(static_cast<char>(htype));
    for (auto b : chaddr) raw.push_back(static_cast<char>(b));
    return ClientKey(std::move(raw));
}

std::optional<ClientKey> ClientKey::of(const wire::DhcpPacket& packet) {
    // RFC 2131 4.2: the client identifier, when given, is the key, whatever chaddr says (a
    // client may move to another interface and keep its lease).
    if (auto id = packet.client_id()) return from_client_id(*id);
    const std::size_t hlen = std::min<std::size_t>(packet.hlen, wire::kDhcpChaddrSize);
    return from_hardware(packet.htype, std::span(packet.chaddr.data(), hlen));
}

std::span<const std::byte> ClientKey::bytes() const noexcept {
    if (raw_.empty()) return {};
    return std::as_bytes(std::span(raw_.data() + 1, raw_.size() - 1));
}

std::string ClientKey::to_text() const {
    if (raw_.empty()) return "-";
    std::string out = kind() == Kind::client_id ? "id:" : "hw:";
    for (std::size_t i = 1; i < raw_.size(); ++i) {
        const auto b = static_cast<unsigned char>(raw_[i]);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
    }
    return out;
}

std::optional<ClientKey> ClientKey::parse(std::string_view text) {
    if (text == "-") return ClientKey{};
    if (text.size() < 5 || text.size() % 2 == 0) return std::nullopt;  // "id:" + at least one byte
    const std::string_view tag = text.substr(0, 3);
    const std::string_view hex = text.substr(3);
    std::string bytes;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        bytes.push_back(static_cast<char>(hi << 4 | lo));
    }
    if (tag == "id:") return from_client_id(std::as_bytes(std::span(bytes.data(), bytes.size())));
    // hw: htype, then 1..16 bytes of hardware address.
    if (tag == "hw:" && bytes.size() >= 2)
        return from_hardware(static_cast<std::uint8_t>(bytes[0]),
                             std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()) + 1, bytes.size() - 1));
    return std::nullopt;
}

std::string_view lease_event_name(LeaseEvent event) noexcept {
    switch (event) {
    case LeaseEvent::lease: return "lease";
    case LeaseEvent::release: return "release";
    case LeaseEvent::decline: return "decline";
    }
    return "?";
}

}  // namespace weft::dhcp
