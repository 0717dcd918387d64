#pragma once
// DNS messages (RFC 1035): header, questions and resource records, with typed data for A,
// AAAA (RFC 3596), NS, CNAME, SOA, PTR, MX, TXT, SRV (RFC 2782) and OPT (EDNS(0), RFC 6891);
// every other type is kept as raw bytes (RFC 3597).
//
//   auto msg = weft::wire::parse_dns(bytes);          // WireResult<DnsMessage>
//   if (!msg) std::cerr << msg.error().to_string();   // "dns: ... at offset 12"
//   std::vector<std::byte> out = weft::wire::build_dns(*msg);   // compressed, counts computed
//
// The parsed message owns its data (names must be decompressed anyway); it keeps no view
// into the input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/ipv6_address.hpp"
#include "weft/wire/dns_name.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire {

/// Resource record types. Open: any 16-bit value may be held (RFC 3597).
enum class DnsType : std::uint16_t {
    A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16, AAAA = 28,
    SRV = 33, NAPTR = 35, DS = 43, RRSIG = 46, NSEC = 47, DNSKEY = 48, NSEC3 = 50, SVCB = 64,
    HTTPS = 65, OPT = 41, AXFR = 252, ANY = 255, CAA = 257,
};
/// Classes. Open like DnsType.
enum class DnsClass : std::uint16_t { IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255 };

///@{
/// Opcode and rcode values most code names.
inline constexpr std::uint8_t kDnsOpcodeQuery = 0;
inline constexpr std::uint8_t kDnsRcodeNoError = 0;
inline constexpr std::uint8_t kDnsRcodeFormErr = 1;
inline constexpr std::uint8_t kDnsRcodeServFail = 2;
inline constexpr std::uint8_t kDnsRcodeNxDomain = 3;
inline constexpr std::uint8_t kDnsRcodeNotImp = 4;
inline constexpr std::uint8_t kDnsRcodeRefused = 5;
///@}

inline constexpr std::size_t kDnsHeaderSize = 12;  ///< bytes of the fixed header

/// The 12-byte header (RFC 1035 section 4.1.1), flags as booleans.
struct DnsHeader {
    std::uint16_t id = 0;       ///< matches a response to its query
    bool qr = false;            ///< response
    std::uint8_t opcode = 0;    ///< 4 bits
    ///@{
    /// Authoritative answer, truncated, recursion desired, recursion available.
    bool aa = false, tc = false, rd = false, ra = false;
    ///@}
    bool z = false;             ///< the reserved bit, kept so a message round-trips
    ///@{
    /// Authenticated data, checking disabled (RFC 4035).
    bool ad = false, cd = false;
    ///@}
    std::uint8_t rcode = 0;     ///< low 4 bits; EDNS adds 8 more (DnsEdns::extended_rcode)
    ///@{
    /// The counts as read. build_dns ignores these and writes the real sizes.
    std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
    ///@}
};

/// A question: name, type and class.
struct DnsQuestion {
    DnsName name;                    ///< the name asked about
    DnsType type = DnsType::A;       ///< the record type asked for
    DnsClass qclass = DnsClass::IN;  ///< the class, IN nearly always
};

/// A record's data: an IPv4 address.
struct DnsA {
    Ipv4Address address;  ///< the address
    friend bool operator==(const DnsA&, const DnsA&) = default;  ///< field by field, names ignoring ASCII case
};
/// AAAA data: an IPv6 address.
struct DnsAaaa {
    Ipv6Address address;  ///< the address
    friend bool operator==(const DnsAaaa&, const DnsAaaa&) = default;  ///< field by field, names ignoring ASCII case
};
/// NS data: a name server of the owner's zone.
struct DnsNs {
    DnsName name;  ///< the name server's name
    friend bool operator==(const DnsNs&, const DnsNs&) = default;  ///< field by field, names ignoring ASCII case
};
/// CNAME data: the owner is an alias of this name.
struct DnsCname {
    DnsName name;  ///< the canonical name
    friend bool operator==(const DnsCname&, const DnsCname&) = default;  ///< field by field, names ignoring ASCII case
};
/// PTR data: the name an address (in in-addr.arpa) points to.
struct DnsPtr {
    DnsName name;  ///< the name pointed to
    friend bool operator==(const DnsPtr&, const DnsPtr&) = default;  ///< field by field, names ignoring ASCII case
};
/// SOA data: the zone's start of authority (RFC 1035 section 3.3.13).
struct DnsSoa {
    ///@{
    /// The primary name server (mname) and the responsible mailbox, as a name (rname).
    DnsName mname, rname;
    ///@}
    ///@{
    /// The zone's serial number and its timers in seconds; minimum is the negative-caching
    /// TTL (RFC 2308).
    std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
    ///@}
    friend bool operator==(const DnsSoa&, const DnsSoa&) = default;  ///< field by field, names ignoring ASCII case
};
/// MX data: a mail exchanger and its preference (lower first).
struct DnsMx {
    std::uint16_t preference = 0;  ///< lower is preferred
    DnsName exchange;              ///< the mail server's name
    friend bool operator==(const DnsMx&, const DnsMx&) = default;  ///< field by field, names ignoring ASCII case
};
/// One or more character-strings of up to 255 bytes each.
struct DnsTxt {
    std::vector<std::string> strings;  ///< the strings, in order
    friend bool operator==(const DnsTxt&, const DnsTxt&) = default;  ///< field by field
};
/// SRV data (RFC 2782): where a service runs.
struct DnsSrv {
    ///@{
    /// Lower priority first; among equals, weight shares the load; the port of the service.
    std::uint16_t priority = 0, weight = 0, port = 0;
    ///@}
    DnsName target;  ///< the host that runs the service
    friend bool operator==(const DnsSrv&, const DnsSrv&) = default;  ///< field by field, names ignoring ASCII case
};
/// One EDNS option (code, raw data).
struct DnsEdnsOption {
    std::uint16_t code = 0;        ///< the option code (RFC 6891 registry)
    std::vector<std::byte> data;   ///< its value
    friend bool operator==(const DnsEdnsOption&, const DnsEdnsOption&) = default;  ///< field by field
};
/// OPT rdata: the options. The other EDNS fields live in the record's class and TTL; see
/// DnsEdns and edns_from_record / make_opt_record.
struct DnsOpt {
    std::vector<DnsEdnsOption> options;  ///< in wire order
    friend bool operator==(const DnsOpt&, const DnsOpt&) = default;  ///< field by field
};
/// Any other type, as its rdata bytes (RFC 3597).
struct DnsRaw {
    std::vector<std::byte> data;  ///< the rdata as it was on the wire
    friend bool operator==(const DnsRaw&, const DnsRaw&) = default;  ///< field by field
};

/// Record data. The alternatives compare field by field (names ignoring ASCII case, as DNS
/// does), so two DnsRdata compare with ==: same type, same data.
using DnsRdata =
    std::variant<DnsRaw, DnsA, DnsAaaa, DnsNs, DnsCname, DnsPtr, DnsSoa, DnsMx, DnsTxt, DnsSrv, DnsOpt>;

/// A resource record: owner, type, class, TTL and data.
struct DnsRecord {
    DnsName name;               ///< the owner name
    DnsType type = DnsType::A;  ///< the record type
    DnsClass rclass = DnsClass::IN;  ///< for OPT: the requestor's UDP payload size
    std::uint32_t ttl = 0;           ///< for OPT: extended rcode, version, DO flag, Z
    DnsRdata data;                   ///< must match `type` (DnsRaw fits any type)
};

/// EDNS(0) as carried in an OPT pseudo-record (RFC 6891 section 6.1.3).
struct DnsEdns {
    std::uint16_t udp_payload_size = 1232;  ///< the largest UDP answer the sender accepts
    std::uint8_t extended_rcode = 0;  ///< upper 8 bits of the 12-bit rcode
    std::uint8_t version = 0;         ///< EDNS version, 0
    bool dnssec_ok = false;           ///< the DO bit
    std::uint16_t z = 0;              ///< the other 15 flag bits, kept for round trips
    std::vector<DnsEdnsOption> options;  ///< the OPT record's options
};

/// A whole DNS message: header, question and the three record sections.
struct DnsMessage {
    DnsHeader header;                     ///< id, flags, opcode, rcode (counts as read)
    std::vector<DnsQuestion> questions;   ///< the question section
    std::vector<DnsRecord> answers;       ///< the answer section
    std::vector<DnsRecord> authority;     ///< the authority section (NS, SOA)
    std::vector<DnsRecord> additional;    ///< the additional section (glue, OPT)

    /// The EDNS data of the first OPT record in `additional`, if there is one.
    std::optional<DnsEdns> edns() const;
    /// The full rcode: header rcode plus the EDNS extended bits.
    std::uint16_t full_rcode() const;
};

/// Parses a whole DNS message (as carried in UDP; strip the 2-byte TCP length first).
/// Errors name the field and the offset within `bytes`: truncated header, question or
/// record, every name error of read_dns_name, rdata whose length does not fit its type
/// ("A rdata must be 4 bytes, have 5"), a name in rdata that runs past the rdata.
/// Bytes after the last counted record are ignored. The header counts size nothing before
/// the bytes that would hold those entries have been seen.
WireResult<DnsMessage> parse_dns(std::span<const std::byte> bytes);

/// Serialises `message` with name compression (owner names and the names inside NS, CNAME,
/// SOA, PTR, MX data; never SRV targets, RFC 2782). The header counts are computed from the
/// vectors. A DnsRaw payload is written as is; a TXT string over 255 bytes is cut at 255.
std::vector<std::byte> build_dns(const DnsMessage& message);

/// build_dns for a transport with a size limit (512 for plain UDP, RFC 1035 4.2.1; the
/// requestor's EDNS payload size, RFC 6891). A message that fits comes out as build_dns
/// gives it. One that does not keeps its header and questions and loses whole records from
/// the end: the additional section first, then authority, then answers; no record is ever
/// cut. OPT records in `additional` are kept (RFC 6891 section 7), moved to the end of it.
/// TC is set when an answer or authority record had to go; records dropped only from the
/// additional section leave TC as it was (RFC 2181 section 9: TC means the answer is
/// incomplete, not that extra data was left out; a caller whose glue is required, RFC 9471,
/// must check the additional count itself). Should the question and OPT not fit, OPT is
/// dropped, then the questions, and TC is set. The result is never over `max_size` and
/// parses with parse_dns; it is empty only when `max_size` is below the 12-byte header.
std::vector<std::byte> build_dns(const DnsMessage& message, std::size_t max_size);

/// The OPT record for `edns` (root owner name, type OPT).
DnsRecord make_opt_record(const DnsEdns& edns);
/// The EDNS fields of an OPT record; std::nullopt when `record` is not of type OPT.
std::optional<DnsEdns> edns_from_record(const DnsRecord& record);

/// "A", "AAAA", "NS", ...; unknown types as "TYPE123" (RFC 3597).
std::string dns_type_to_string(DnsType type);
/// "IN", "CH", "HS", "NONE", "ANY"; others as "CLASS3".
std::string dns_class_to_string(DnsClass cls);
/// The mnemonic of a full (EDNS-extended, 12-bit) rcode as dig prints it: "NOERROR",
/// "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
/// "NOTAUTH", "NOTZONE" (0-10, RFC 1035/2136) and "BADVERS" (16, RFC 6891); any other value
/// as "RCODE123". Pass DnsMessage::full_rcode(), not the header's 4 bits, so BADVERS shows.
std::string dns_rcode_to_string(std::uint16_t rcode);
/// Presentation form of the record's data: A/AAAA address text, NS/CNAME/PTR a name
/// (no trailing dot), MX "10 mail.example.com", TXT the strings quoted and space-separated,
/// SOA "mname rname serial refresh retry expire minimum", SRV "priority weight port target",
/// anything else (OPT included) lowercase hex.
std::string dns_rdata_to_string(const DnsRdata& data);
/// Lowercase hex of bytes, no separators ("" when empty).
std::string dns_hex(std::span<const std::byte> bytes);

}  // namespace weft::wire
