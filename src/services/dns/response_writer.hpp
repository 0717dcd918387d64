#pragma once
// ResponseWriter: writes an authoritative server's response straight from zone records into
// bytes, with name compression and the size limit, and no DnsMessage in between (internal to
// services/dns; answer.cpp decides what goes in, this decides how it is laid out).
//
// Records go in section by section, in order. Each one is laid out in full, then kept only
// if it fits under the limit with room left for the OPT record; the first one that does not
// fit ends the message. That keeps the longest prefix that fits, which is what
// wire::build_dns(message, max_size) keeps too (it drops records from the end): compression
// only points backwards, so dropping later records never changes the earlier ones. Losing an
// answer or authority record sets TC; losing additional records does not (RFC 2181 section 9),
// except that the caller may ask for TC when glue it needed went (RFC 9471).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "weft/wire/byte_writer.hpp"
#include "weft/wire/dns.hpp"

namespace weft::dns::detail {

enum class Section : std::uint8_t { answer, authority, additional };

class ResponseWriter {
public:
    /// Starts a response in `out` (cleared) that will never exceed `limit` bytes.
    ResponseWriter(std::vector<std::byte>& out, std::size_t limit);

    /// The header: everything but the counts, which finish() writes.
    void header(std::uint16_t id, std::uint8_t opcode, bool aa, bool rd, bool cd, std::uint8_t rcode);
    /// The question, its name exactly as the query spelled it (its suffixes become pointer
    /// targets, so the answer's owner names keep the query's case).
    void question(const wire::DnsQuestion& q);
    /// Reserves the 11 bytes of a root-owned OPT record: finish() writes it.
    void reserve_opt(std::uint16_t payload, std::uint8_t extended_rcode, bool dnssec_ok);

    /// Appends `record` with `owner` as its name; false when it did not fit (nothing of it is
    /// kept, nor of anything after it).
    bool record(Section section, const wire::DnsName& owner, const wire::DnsRecord& record);
    /// Records written to the additional section so far.
    std::size_t additional() const noexcept { return counts_[2]; }
    /// Sets TC (for glue the caller could not fit).
    void set_truncated() noexcept { truncated_ = true; }

    /// Writes the counts, the OPT record and TC; the response is in `out`.
    void finish();

private:
    void name(const wire::DnsName& n);

    // A suffix written earlier, for compression: its offset in the message, and its
    // lower-cased wire form in keys_ (RFC 4343: names match whatever their case).
    struct Suffix {
        std::uint16_t offset;
        std::uint16_t key_at;
        std::uint16_t key_size;
    };
    static constexpr std::size_t kMaxSuffixes = 128;  // later names are written in full

    std::vector<std::byte>& out_;
    wire::ByteWriter w_{out_};  // appends to out_
    std::size_t limit_;
    std::size_t opt_room_ = 0;
    std::uint16_t opt_payload_ = 0;
    std::uint8_t opt_extended_rcode_ = 0;
    bool opt_dnssec_ok_ = false;
    std::array<std::uint16_t, 3> counts_{};
    bool closed_ = false;     // a record did not fit: nothing more goes in
    bool truncated_ = false;
    std::vector<Suffix> suffixes_;
    std::vector<char> keys_;
};

}  // namespace weft::dns::detail
