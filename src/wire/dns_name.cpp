#include "weft/wire/dns_name.hpp"

#include <algorithm>
#include <cstdio>

#include "dns_detail.hpp"

namespace weft::wire {
namespace {

constexpr const char* kLayer = "dns";

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string hex_byte(std::uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", b);
    return buf;
}

// The lower-cased wire form of labels[first..]: the compressor's key for that suffix.
std::string suffix_key(const DnsName& name, std::size_t first) {
    std::string key;
    for (std::size_t i = first; i < name.labels.size(); ++i) {
        key.push_back(static_cast<char>(name.labels[i].size()));
        for (char c : name.labels[i]) key.push_back(ascii_lower(c));
    }
    return key;
}

// The input of DnsName::from_text as its errors quote it: in single quotes, bytes outside
// printable ASCII as \DDD (the input may come from a packet or a file), and cut to
// kQuotedInputMax characters with "..." so that a 10 kB argument does not flood a log line.
constexpr std::size_t kQuotedInputMax = 40;

std::string quote_name_input(std::string_view text) {
    std::string out = "'";
    std::size_t shown = 0;
    for (char c : text) {
        if (shown == kQuotedInputMax) {
            out += "...";
            break;
        }
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
            out += buf;
        } else {
            out.push_back(c);
        }
        ++shown;
    }
    out.push_back('\'');
    return out;
}

}  // namespace

std::size_t DnsName::wire_length() const noexcept {
    std::size_t n = 1;  // the root byte
    for (const auto& label : labels) n += 1 + label.size();
    return n;
}

std::string DnsName::to_text() const {
    if (labels.empty()) return ".";
    std::size_t size = labels.size() - 1;
    for (const std::string& label : labels) size += label.size();
    std::string text;
    text.reserve(size);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i != 0) text.push_back('.');
        const std::string& label = labels[i];
        std::size_t run = 0;  // bytes that need no escape are appended in runs
        for (std::size_t j = 0; j < label.size(); ++j) {
            const char c = label[j];
            const auto u = static_cast<unsigned char>(c);
            if (c != '.' && c != '\\' && u > 0x20 && u < 0x7f) continue;
            text.append(label, run, j - run);
            run = j + 1;
            if (c == '.' || c == '\\') {
                // Escaped so that the text splits back into the same labels.
                text.push_back('\\');
                text.push_back(c);
            } else {
                char buf[5];
                std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
                text += buf;
            }
        }
        text.append(label, run, label.size() - run);
    }
    return text;
}

Expected<DnsName, ParseError> DnsName::from_text(std::string_view text) {
    DnsName name;
    if (text.empty() || text == ".") return name;
    // Every error quotes the input: the caller (a zone file line, a command-line argument)
    // usually has several names in flight, and "empty label" alone does not say which.
    auto fail = [&](const std::string& what, std::size_t at) {
        return Unexpected(ParseError{
            "invalid DNS name " + quote_name_input(text) + ": " + what + " at offset " + std::to_string(at), at});
    };
    std::string label;
    std::size_t label_start = 0;
    bool ended_by_dot = false;  // the last character read was an unescaped '.'
    auto finish_label = [&](std::size_t at) -> Expected<void, ParseError> {
        if (label.empty()) return fail("empty label", at);
        if (label.size() > kDnsMaxLabelLength)
            return fail("label of " + std::to_string(label.size()) + " bytes exceeds " +
                            std::to_string(kDnsMaxLabelLength),
                        label_start);
        name.labels.push_back(std::move(label));
        label.clear();
        return {};
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        ended_by_dot = false;
        if (c == '.') {
            if (auto r = finish_label(i); !r) return Unexpected(r.error());
            label_start = i + 1;
            ended_by_dot = true;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) return fail("dangling '\\' escape", i);
            if (text[i + 1] >= '0' && text[i + 1] <= '9') {
                // \DDD: exactly three decimal digits, 0-255.
                if (text.size() - i < 4) return fail("short \\DDD escape", i);
                unsigned v = 0;
                for (std::size_t k = 1; k <= 3; ++k) {
                    char d = text[i + k];
                    if (d < '0' || d > '9') return fail("bad \\DDD escape", i);
                    v = v * 10 + static_cast<unsigned>(d - '0');
                }
                if (v > 255) return fail("\\DDD escape above 255", i);
                label.push_back(static_cast<char>(v));
                i += 3;
            } else {
                label.push_back(text[i + 1]);
                ++i;
            }
        } else {
            label.push_back(c);
        }
    }
    // A trailing dot marks the name as absolute and adds no label.
    if (!ended_by_dot) {
        if (auto r = finish_label(text.size()); !r) return Unexpected(r.error());
    }
    if (name.wire_length() > kDnsMaxNameLength)
        return fail("name of " + std::to_string(name.wire_length()) + " bytes exceeds " +
                        std::to_string(kDnsMaxNameLength) + " in wire form",
                    0);
    return name;
}

std::string dns_name_key(const DnsName& name) {
    // The wire form rather than the dotted text: a label may hold a '.', which text would
    // have to escape, while length-prefixed labels can never run together.
    std::string key = suffix_key(name, 0);
    key.push_back('\0');
    return key;
}

bool operator==(const DnsName& a, const DnsName& b) noexcept {
    if (a.labels.size() != b.labels.size()) return false;
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
        const auto& x = a.labels[i];
        const auto& y = b.labels[i];
        if (x.size() != y.size()) return false;
        for (std::size_t k = 0; k < x.size(); ++k)
            if (ascii_lower(x[k]) != ascii_lower(y[k])) return false;
    }
    return true;
}

namespace {

// read_dns_name's errors, out of the hot path (see tcp.cpp): only their strings are slow.
[[gnu::cold, gnu::noinline]] WireError name_error(std::string reason, std::size_t at) {
    return {kLayer, std::move(reason), at};
}
[[gnu::cold, gnu::noinline]] WireError label_cut_error(std::uint8_t len, std::size_t have, std::size_t at) {
    return {kLayer, "truncated name: label needs " + std::to_string(len) + " bytes, have " + std::to_string(have), at};
}
[[gnu::cold, gnu::noinline]] WireError forward_pointer_error(std::size_t target, std::size_t part_start,
                                                             std::size_t at) {
    return {kLayer,
            "forward compression pointer to offset " + std::to_string(target) + " (must point before " +
                std::to_string(part_start) + ")",
            at};
}
[[gnu::cold, gnu::noinline]] WireError hops_error(std::size_t at) {
    return {kLayer, "more than " + std::to_string(kDnsMaxPointerHops) + " compression pointers in one name", at};
}
// 01 was the EDNS extended label type (RFC 6891 deprecates it), 10 is reserved: neither can
// be skipped safely, so the name is rejected.
[[gnu::cold, gnu::noinline]] WireError label_type_error(std::uint8_t len, std::size_t at) {
    return {kLayer,
            "label longer than 63 bytes (length byte " + hex_byte(len) + ": label type " +
                ((len & 0xc0) == 0x40 ? "01" : "10") + " is not supported)",
            at};
}

}  // namespace

bool detail::read_dns_name_into(std::span<const std::byte> message, std::size_t& offset, DnsName& name,
                                WireError& error) {
    // The walk only checks the name and notes where each label is; the labels are copied once
    // it has reached the root, into a vector allocated once at its final size. Growing it label
    // by label would allocate at each doubling, and allocations are most of what decoding a
    // message costs. Every label adds at least 2 bytes to the 1 of the root, so a name within
    // kDnsMaxNameLength has at most 127 labels.
    std::size_t label_at[kDnsMaxNameLength / 2];  // offset of each label's length byte
    std::size_t labels = 0;
    const std::byte* bytes = message.data();
    const std::size_t size = message.size();
    std::size_t pos = offset;
    std::size_t end = 0;  // where the in-place bytes end: known at the root or the first pointer
    // Start of the name part being read: the name itself, then each pointer's target. Every
    // pointer must aim strictly before it, so the parts move backwards and cannot loop.
    std::size_t part_start = offset;
    std::size_t hops = 0;
    std::size_t wire_length = 1;  // the root byte, counted up front

    for (;;) {
        if (pos >= size) return error = name_error("truncated name: label length byte missing", pos), false;
        const auto len = std::to_integer<std::uint8_t>(bytes[pos]);
        if (len == 0) break;
        if (len <= kDnsMaxLabelLength) {
            wire_length += 1 + std::size_t{len};
            if (wire_length > kDnsMaxNameLength) return error = name_error("name longer than 255 bytes", pos), false;
            if (size - pos - 1 < len) return error = label_cut_error(len, size - pos - 1, pos), false;
            label_at[labels++] = pos;
            pos += 1 + std::size_t{len};
        } else if ((len & 0xc0) == 0xc0) {
            if (pos + 1 >= size) return error = name_error("truncated name: compression pointer cut", pos), false;
            const std::size_t target = std::size_t{len & 0x3fu} << 8 | std::to_integer<std::uint8_t>(bytes[pos + 1]);
            if (hops == 0) end = pos + 2;
            if (target >= part_start) return error = forward_pointer_error(target, part_start, pos), false;
            if (++hops > kDnsMaxPointerHops) return error = hops_error(pos), false;
            pos = part_start = target;
        } else {
            return error = label_type_error(len, pos), false;
        }
    }
    offset = hops == 0 ? pos + 1 : end;
    name.labels.clear();
    name.labels.reserve(labels);
    for (std::size_t i = 0; i < labels; ++i)
        name.labels.emplace_back(reinterpret_cast<const char*>(bytes) + label_at[i] + 1,
                                 std::to_integer<std::uint8_t>(bytes[label_at[i]]));
    return true;
}

WireResult<DnsNameRead> read_dns_name(std::span<const std::byte> message, std::size_t offset) {
    DnsNameRead out;
    WireError error;
    if (!detail::read_dns_name_into(message, offset, out.name, error)) return Unexpected(std::move(error));
    out.end = offset;
    return out;
}

void write_dns_name(ByteWriter& out, const DnsName& name) {
    for (const auto& label : name.labels) {
        out.u8(static_cast<std::uint8_t>(std::min(label.size(), kDnsMaxLabelLength)));
        out.bytes(std::as_bytes(std::span(label.data(), std::min(label.size(), kDnsMaxLabelLength))));
    }
    out.u8(0);
}

void DnsNameCompressor::write(ByteWriter& out, const DnsName& name) {
    for (std::size_t i = 0; i < name.labels.size(); ++i) {
        std::string key = suffix_key(name, i);
        if (auto it = suffixes_.find(key); it != suffixes_.end()) {
            out.u16(static_cast<std::uint16_t>(0xc000u | it->second));
            return;
        }
        // Remembered only now, as the suffix is about to be written: a later name can point
        // here, this one never can (its shorter suffixes have other keys), so pointers only
        // ever go backwards. Offsets past 14 bits are not remembered: no pointer reaches them.
        if (out.size() <= kDnsMaxPointerOffset)
            suffixes_.emplace(std::move(key), static_cast<std::uint16_t>(out.size()));
        const auto& label = name.labels[i];
        std::size_t n = std::min(label.size(), kDnsMaxLabelLength);
        out.u8(static_cast<std::uint8_t>(n));
        out.bytes(std::as_bytes(std::span(label.data(), n)));
    }
    out.u8(0);
}

}  // namespace weft::wire
