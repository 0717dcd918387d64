#pragma once
// DnsName: a domain name (RFC 1035 section 3.1), read with decompression, written with
// compression (section 4.1.4).
//
// A name is its labels, most specific first, without the empty root label:
// "www.example.com" is {"www", "example", "com"}, the root is {}. Labels are raw bytes (held
// in std::string) and may contain any octet; the text form escapes them as in master files.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "weft/expected.hpp"
#include "weft/wire/byte_writer.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

/// Longest label (RFC 1035 section 2.3.4): the two top bits of the length byte are flags.
inline constexpr std::size_t kDnsMaxLabelLength = 63;
/// Longest name in wire form, length bytes and the root byte included.
inline constexpr std::size_t kDnsMaxNameLength = 255;
/// Most compression pointers followed while reading one name. Pointers must go strictly
/// backwards, which already rules out loops; the cap bounds the work on hostile input.
inline constexpr std::size_t kDnsMaxPointerHops = 32;

/// A domain name as its labels, without the root's empty label.
struct DnsName {
    std::vector<std::string> labels;  ///< "www", "example", "com"; empty for the root

    /// Text form without the trailing dot ("www.example.com"); the root is ".". A '.' or '\'
    /// inside a label is escaped with '\', other bytes outside printable ASCII as `\DDD`.
    std::string to_text() const;
    /// Parses the text form (a trailing dot is optional; "." and "" are the root), with the
    /// escapes to_text writes. Fails on an empty label, a label over 63 bytes, a name over
    /// 255 bytes in wire form, or a bad escape. The error's message quotes the input (cut
    /// after 40 characters, non-printables as `\DDD`) and ends with the offset into `text`:
    /// "invalid DNS name 'a..b': empty label at offset 2"; ParseError::offset holds it too.
    static Expected<DnsName, ParseError> from_text(std::string_view text);

    /// Bytes the name takes uncompressed on the wire (1 for the root).
    std::size_t wire_length() const noexcept;

    /// Names compare case-insensitively for ASCII letters (RFC 4343).
    friend bool operator==(const DnsName& a, const DnsName& b) noexcept;
};

/// A canonical key for looking names up (zones, caches, compression): the name's
/// uncompressed wire form, root byte included, with ASCII letters lower-cased and every other
/// byte kept (RFC 4343: DNS compares only A-Z/a-z case-insensitively). So
/// "WWW.Example.TEST." and "www.example.test" give the same key, "\003www\007example\004test\000";
/// two names have the same key exactly when operator== says they are equal. The root's key
/// is a single zero byte. The key is bytes, not text: print a name with to_text().
std::string dns_name_key(const DnsName& name);

/// A name read from a message and where its in-place bytes end (after the terminating root
/// byte or the first pointer), so the caller's cursor can go on from there.
struct DnsNameRead {
    DnsName name;         ///< the name, pointers followed
    std::size_t end = 0;  ///< the offset just after its bytes at `offset`
};

/// Reads the name at `offset` of the whole DNS message `message` (pointers are offsets into
/// the message). Errors, all at the offset of the offending byte: truncated name, label
/// over 63 bytes, name over 255 bytes, reserved label types 01/10, a pointer that does not
/// point strictly before the start of the name part that holds it (forward pointer, which
/// includes every loop), more than kDnsMaxPointerHops pointers.
WireResult<DnsNameRead> read_dns_name(std::span<const std::byte> message, std::size_t offset);

/// Appends `name` uncompressed.
void write_dns_name(ByteWriter& out, const DnsName& name);

/// Highest offset a compression pointer can hold: 14 bits (RFC 1035 section 4.1.4).
inline constexpr std::size_t kDnsMaxPointerOffset = 0x3fff;

/// Writes names with compression: remembers where each suffix was written and replaces a
/// suffix written before by a pointer to it. One compressor per message, fed in the order
/// the names are written; offsets are those of the message's writer, so the message must
/// start at offset 0 of it (write a TCP length prefix elsewhere). Every pointer written
/// points backwards, at a suffix already in the output, never at one to come; suffixes
/// written past kDnsMaxPointerOffset are not remembered, so names there are written in
/// full unless an earlier copy is in reach. Matching ignores ASCII case (RFC 4343), so a
/// pointer may lead to a differently cased copy.
class DnsNameCompressor {
public:
    /// Appends `name` to `out`, its longest suffix already written replaced by a pointer.
    void write(ByteWriter& out, const DnsName& name);

private:
    // Lower-cased wire form of each suffix -> its offset (pointers reach 14 bits only).
    std::unordered_map<std::string, std::uint16_t> suffixes_;
};

}  // namespace weft::wire
