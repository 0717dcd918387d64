#pragma once
// A layered dissector: one captured frame in, the ordered list of the layers weft can name out,
// each with its fields in a fixed order. This is what `weft decode` and `weft explain` print,
// as a table or as the JSON of DESIGN.md ("--json of weft decode and weft explain").
//
//   DissectedFrame f = dissect_frame(bytes, original_length, kLinktypeEthernet);
//   for (const DissectLayer& l : f.layers) std::cout << l.name << '\n';
//   std::cout << to_json(frame_value(f, 1)) << '\n';
//   append_frame_json(line, 1, bytes);   // the same JSON text, without the tree
//
// Pure: no I/O, no JSON library, never throws on bad bytes. A frame that cannot be decoded
// further ends with an "error" layer naming the layer, the offset within the frame and why.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace weft::wire {

struct DissectField;
struct DnsMessage;

/// A field value: what a JSON value can be, minus floating point (no field needs one).
struct DissectValue {
    using List = std::vector<DissectValue>;    ///< a JSON array
    using Object = std::vector<DissectField>;  ///< keys in the order they are printed
    /// Null, a boolean, a number, a string, a list or an object.
    std::variant<std::nullptr_t, bool, std::int64_t, std::string, List, Object> value;

    // Defined in dissect.cpp, where DissectField is complete: building the variant here
    // would instantiate std::vector<DissectField> members on an incomplete type, which
    // libstdc++ 12 rejects under clang.
    ///@{
    /// A value of each kind; implicit, so a field reads `{"ttl", 64}`. Numbers are stored as
    /// std::int64_t. The default is null.
    DissectValue();
    DissectValue(std::nullptr_t);
    DissectValue(bool b);
    DissectValue(std::int64_t i);
    DissectValue(std::uint64_t i);
    DissectValue(int i);
    DissectValue(unsigned i);
    DissectValue(std::string s);
    DissectValue(const char* s);
    DissectValue(List l);
    DissectValue(Object o);
    ///@}

    /// True for null.
    bool is_null() const noexcept { return std::holds_alternative<std::nullptr_t>(value); }
    /// The member `key` of an object, or nullptr (also when this is not an object).
    const DissectValue* find(std::string_view key) const noexcept;
};

/// A named field of a layer (or a member of an object value).
struct DissectField {
    std::string name;    ///< the JSON key ("src", "ttl", ...)
    DissectValue value;  ///< its value
};

/// One decoded layer of a frame: its name, its fields and where it lies in the frame.
struct DissectLayer {
    std::string name;                 ///< "ethernet", "ipv4", ..., "payload", "error"
    std::vector<DissectField> fields; ///< in print order, "layer" not included
    std::size_t offset = 0;           ///< where the layer starts in the frame
    std::size_t size = 0;             ///< bytes of the frame this layer itself accounts for
                                      ///< (its header; the whole message for arp/dhcp/dns)

    /// The field `key`'s value, or nullptr.
    const DissectValue* find(std::string_view key) const noexcept;
};

/// A frame decoded layer by layer (dissect_frame()).
struct DissectedFrame {
    std::size_t length = 0;           ///< captured bytes
    std::size_t original_length = 0;  ///< bytes on the wire
    std::vector<DissectLayer> layers; ///< outermost first; an "error" layer last when decoding stopped

    /// The first layer called `name`, or nullptr.
    const DissectLayer* find(std::string_view name) const noexcept;
    /// The error layer, if decoding stopped on one.
    const DissectLayer* error() const noexcept { return find("error"); }
};

/// Decodes `frame` (the captured bytes; `original_length` the length on the wire, 0 meaning
/// the same) of link type `linktype` (1 = Ethernet; others give an error layer).
DissectedFrame dissect_frame(std::span<const std::byte> frame, std::size_t original_length = 0,
                             std::uint32_t linktype = 1);

/// The frame as the JSON object of DESIGN.md: frame (counted from 1), length,
/// original_length, layers (each with "layer" first, then its fields).
DissectValue frame_value(const DissectedFrame& frame, std::size_t number);

/// Appends frame `number`'s JSON object to `out`: the same text as
/// to_json(frame_value(dissect_frame(frame, original_length, linktype), number)), written as
/// the frame is decoded, with no tree in between (what `weft decode --json` uses: several
/// times faster). No newline is added.
void append_frame_json(std::string& out, std::size_t number, std::span<const std::byte> frame,
                       std::size_t original_length = 0, std::uint32_t linktype = 1);

/// The fields of a DNS message as the `dns` layer of decode's JSON shows them (id, qr, aa,
/// tc, rd, ra, ad, cd, opcode, rcode, questions, answers, authority, additional), as one
/// object: what `weft dns query --json` prints, so both commands share one schema.
DissectValue dns_value(const DnsMessage& message);

/// Appends frame `number` as the table of `weft decode` and `weft capture`: the line
/// "frame N: L bytes captured[, O on the wire]", then one line per layer, its name and its
/// fields as key=to_text(layer, field), wrapped under each other at 100 columns.
void append_frame_table(std::string& out, std::size_t number, const DissectedFrame& frame);
/// The same text, written as the frame is decoded (no tree in between; what `weft decode`
/// uses).
void append_frame_table(std::string& out, std::size_t number, std::span<const std::byte> frame,
                        std::size_t original_length = 0, std::uint32_t linktype = 1);

/// Compact JSON text (no spaces), keys in order, strings escaped per RFC 8259.
std::string to_json(const DissectValue& value);
/// A short human form: strings bare, lists "[a, b]", objects "{k=v, ...}".
std::string to_text(const DissectValue& value);
/// A field of `layer` as the tables of `weft decode` and `weft explain` print it: to_text of
/// its value, except where a field has a customary form of its own (the Ethernet type in hex,
/// "0x0800", as ether_type_to_string). JSON keeps the number.
std::string to_text(const DissectLayer& layer, const DissectField& field);

}  // namespace weft::wire
