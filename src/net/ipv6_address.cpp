#include "weft/net/ipv6_address.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <net/if.h>

#include "text_detail.hpp"

namespace weft {
namespace {

constexpr std::size_t kGroups = 8;
constexpr std::size_t kMaxHexDigits = 4;

/// One colon-separated piece of the address text, with where it starts in the whole input.
struct Piece {
    std::string_view text;
    std::size_t offset;
};

/// Splits `text` (a side of "::", possibly empty) on ':'. An empty piece is a stray colon.
std::vector<Piece> split_groups(std::string_view text, std::size_t base) {
    std::vector<Piece> pieces;
    if (text.empty()) return pieces;
    std::size_t start = 0;
    while (true) {
        const std::size_t colon = text.find(':', start);
        const std::size_t end = colon == std::string_view::npos ? text.size() : colon;
        pieces.push_back({text.substr(start, end - start), base + start});
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    return pieces;
}

/// The zone: all digits is an index as is (like getaddrinfo: the interface need not exist
/// now); anything else is an interface name that must exist.
Expected<std::uint32_t, std::string> parse_zone(std::string_view zone) {
    if (zone.empty()) return Unexpected(std::string("zone after '%' is empty"));
    bool numeric = true;
    for (char c : zone) numeric = numeric && detail::is_digit(c);
    if (numeric) {
        std::uint64_t index = 0;
        for (char c : zone) {
            index = index * 10 + std::uint64_t(c - '0');
            if (index > 0xffffffffu) return Unexpected("zone " + detail::quoted(zone) + " is too large for an index");
        }
        return std::uint32_t(index);
    }
    if (zone.size() >= IF_NAMESIZE) {
        return Unexpected("zone " + detail::quoted(zone) + " is longer than an interface name can be");
    }
    const std::string name(zone);
    const unsigned index = if_nametoindex(name.c_str());
    if (index == 0) return Unexpected("zone " + detail::quoted(zone) + " is not a known interface");
    return std::uint32_t(index);
}

}  // namespace

Expected<Ipv6Address, ParseError> Ipv6Address::parse(std::string_view text) {
    const std::string what = "invalid IPv6 address " + detail::quoted(text);
    auto fail = [&](std::string reason, std::size_t offset) {
        return Unexpected(ParseError{what + ": " + std::move(reason), offset});
    };
    if (text.empty()) return fail("empty", 0);

    std::uint32_t scope_id = 0;
    std::string_view address = text;
    if (const std::size_t percent = text.find('%'); percent != std::string_view::npos) {
        address = text.substr(0, percent);
        auto zone = parse_zone(text.substr(percent + 1));
        if (!zone) return fail(zone.error(), percent + 1);
        scope_id = *zone;
    }
    if (address.empty()) return fail("no address before the zone", 0);

    // At most one "::"; it stands for one or more zero groups (RFC 4291 section 2.2).
    const std::size_t gap = address.find("::");
    std::string_view head = address;
    std::string_view tail;
    if (gap != std::string_view::npos) {
        head = address.substr(0, gap);
        tail = address.substr(gap + 2);
        if (const std::size_t again = tail.find("::"); again != std::string_view::npos) {
            return fail("more than one '::' (a second at offset " + std::to_string(gap + 2 + again) + ")",
                        gap + 2 + again);
        }
    }
    const std::vector<Piece> before = split_groups(head, 0);
    const std::vector<Piece> after = split_groups(tail, gap + 2);

    // Decode both sides into 16-bit groups; an embedded IPv4 address adds two.
    std::array<std::uint16_t, kGroups> groups{};
    std::size_t count_before = 0;
    std::size_t count_after = 0;
    std::array<std::uint16_t, kGroups> after_groups{};
    std::size_t number = 0;  // 1-based group number in the text, for messages
    for (int side = 0; side < 2; ++side) {
        const std::vector<Piece>& pieces = side == 0 ? before : after;
        auto& out = side == 0 ? groups : after_groups;
        std::size_t& count = side == 0 ? count_before : count_after;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const Piece& piece = pieces[i];
            ++number;
            const std::string label = "group " + std::to_string(number);
            if (piece.text.empty()) {
                // An empty group means a ':' with nothing on one side that is not part of "::".
                return fail("stray ':' (" + label + " is empty)", piece.offset);
            }
            if (count_before + count_after >= kGroups) {
                return fail("more than 8 groups (" + label + " " + detail::quoted(piece.text) + " is extra)",
                            piece.offset);
            }
            if (piece.text.find('.') != std::string_view::npos) {
                // Dotted IPv4 may only be the last 32 bits: the final piece of the text, with
                // no "::" after it.
                const bool last = side == 0 ? gap == std::string_view::npos && i + 1 == pieces.size()
                                            : i + 1 == pieces.size();
                if (!last) {
                    return fail("embedded IPv4 " + detail::quoted(piece.text) +
                                    " is not in the last 32 bits",
                                piece.offset);
                }
                auto v4 = detail::parse_dotted_quad(piece.text);
                if (!v4) return fail("embedded IPv4 " + v4.error().message, piece.offset + v4.error().offset);
                if (count_before + count_after + 2 > kGroups) {
                    return fail("more than 8 groups (embedded IPv4 " + detail::quoted(piece.text) +
                                    " needs two)",
                                piece.offset);
                }
                out[count++] = std::uint16_t(*v4 >> 16);
                out[count++] = std::uint16_t(*v4 & 0xffff);
                continue;
            }
            unsigned value = 0;
            for (char c : piece.text) {
                const int digit = detail::hex_value(c);
                if (digit < 0) {
                    return fail(label + " " + detail::quoted(piece.text) + " contains " +
                                    detail::quoted(std::string_view(&c, 1)) + ", not a hex digit",
                                piece.offset);
                }
                value = (value << 4 | unsigned(digit)) & 0xfffffu;  // masked: no overflow on long runs
            }
            if (piece.text.size() > kMaxHexDigits) {
                return fail(label + " " + detail::quoted(piece.text) + " has more than 4 hex digits",
                            piece.offset);
            }
            out[count++] = std::uint16_t(value);
        }
    }

    const std::size_t count = count_before + count_after;
    if (gap == std::string_view::npos) {
        if (count != kGroups) {
            return fail("has " + std::to_string(count) + " groups, expected 8 (or a '::' for zeros)",
                        address.size());
        }
    } else {
        if (count == kGroups) {
            return fail("'::' stands for at least one zero group, but 8 groups are already given", gap);
        }
        // The groups after "::" go at the end; the ones between stay zero.
        for (std::size_t i = 0; i < count_after; ++i) groups[kGroups - count_after + i] = after_groups[i];
    }

    Bytes bytes{};
    for (std::size_t i = 0; i < kGroups; ++i) {
        bytes[2 * i] = std::uint8_t(groups[i] >> 8);
        bytes[2 * i + 1] = std::uint8_t(groups[i] & 0xff);
    }
    return Ipv6Address(bytes, scope_id);
}

Ipv6Address Ipv6Address::v4_mapped(Ipv4Address v4) noexcept {
    Bytes bytes{};
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    const auto quad = v4.to_bytes();
    for (std::size_t i = 0; i < 4; ++i) bytes[12 + i] = quad[i];
    return Ipv6Address(bytes);
}

bool Ipv6Address::is_unspecified() const noexcept {
    for (auto b : bytes_) {
        if (b != 0) return false;
    }
    return true;
}

bool Ipv6Address::is_loopback() const noexcept {
    for (std::size_t i = 0; i < 15; ++i) {
        if (bytes_[i] != 0) return false;
    }
    return bytes_[15] == 1;
}

bool Ipv6Address::is_v4_mapped() const noexcept {
    for (std::size_t i = 0; i < 10; ++i) {
        if (bytes_[i] != 0) return false;
    }
    return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

Ipv4Address Ipv6Address::to_v4() const noexcept {
    return Ipv4Address(bytes_[12], bytes_[13], bytes_[14], bytes_[15]);
}

std::string Ipv6Address::to_string() const {
    std::string out;
    out.reserve(48);
    if (is_v4_mapped()) {
        // RFC 5952 section 5: mapped addresses keep the dotted quad people recognise.
        out = "::ffff:" + to_v4().to_string();
    } else {
        std::array<unsigned, kGroups> groups{};
        for (std::size_t i = 0; i < kGroups; ++i) groups[i] = unsigned(bytes_[2 * i]) << 8 | bytes_[2 * i + 1];

        // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the
        // first one on a tie; a lone zero group stays "0".
        std::size_t best_start = kGroups;
        std::size_t best_length = 1;
        for (std::size_t i = 0; i < kGroups;) {
            if (groups[i] != 0) {
                ++i;
                continue;
            }
            std::size_t j = i;
            while (j < kGroups && groups[j] == 0) ++j;
            if (j - i > best_length) {
                best_start = i;
                best_length = j - i;
            }
            i = j;
        }
        char hex[8];
        for (std::size_t i = 0; i < kGroups; ++i) {
            if (i == best_start) {
                out += "::";
                i += best_length - 1;
                continue;
            }
            if (!out.empty() && out.back() != ':') out += ':';
            std::snprintf(hex, sizeof hex, "%x", groups[i]);
            out += hex;
        }
    }
    if (scope_id_ != 0) {
        out += '%';
        char name[IF_NAMESIZE];
        // The name reads better and round-trips through parse; an index whose interface is
        // gone (or in another namespace) still prints, as a number.
        if (if_indextoname(scope_id_, name) != nullptr) {
            out += name;
        } else {
            out += std::to_string(scope_id_);
        }
    }
    return out;
}

}  // namespace weft
