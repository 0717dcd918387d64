#pragma once
// Internal: where the dissector's output goes. The dissector (dissect.cpp, dissect_app.cpp)
// walks a frame once and reports what it finds as a stream of events, in print order, to a
// sink (the DissectSink concept) that turns the stream into something. Two sinks exist:
// - TreeSink builds the DissectedFrame / DissectValue tree of dissect.hpp (explain, tour, the
//   decode table, dns_value, tests);
// - JsonSink appends the frame's JSON line straight to a string (decode --json), with no
//   tree, no allocation per field and no second walk: the tree costs more than the decoding;
// - TableSink appends the frame's table (decode without --json, capture) the same way.
// All see the same events, so the outputs cannot drift apart; a test and a fuzz target hold
// each streamed text equal, byte for byte, to the same text made from the tree.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json_text.hpp"
#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "weft/wire/dissect.hpp"

namespace weft::wire::detail {

/// The event stream of one frame: begin_layer() starts a layer, and every value after it
/// belongs to it until the next begin_layer(). `key` names a value inside a layer or an
/// object and is empty for the items of a list. Lists and objects nest; each begin_ has its
/// end_. Keys are printable ASCII without quotes or backslashes, at most 32 bytes (string
/// literals, numbers). plain() is string() for text the dissector knows needs no escaping in
/// JSON (printable ASCII without '"' or '\\': names of types, hex), so it is not scanned.
/// address() is a string in the address's usual text (dotted decimal; colon-separated hex).
template <class S>
concept DissectSink = requires(S& s, std::string_view text, std::size_t n, std::int64_t i, bool b) {
    s.begin_layer(text, n, n);
    s.null(text);
    s.boolean(text, b);
    s.number(text, i);
    s.string(text, text);
    s.plain(text, text);
    s.address(text, Ipv4Address());
    s.address(text, MacAddress());
    s.begin_list(text);
    s.end_list();
    s.begin_object(text);
    s.end_object();
};

/// Dotted decimal, as Ipv4Address::to_string, at `p` (room for 15 bytes + 1 scratch); the end.
char* write_text(char* p, Ipv4Address address) noexcept;
/// Six lowercase hex pairs joined by ':', as MacAddress::to_string, at `p` (17 bytes); the end.
char* write_text(char* p, const MacAddress& address) noexcept;

/// Builds the tree: the layers of a DissectedFrame, or the members of one object (dns_value).
class TreeSink {
public:
    /// Layers go to `frame`.
    explicit TreeSink(DissectedFrame& frame) noexcept : frame_(&frame) {}
    /// No layers: values go to `object` (begin_layer() must not be called).
    explicit TreeSink(DissectValue::Object& object) { open_.push_back({&object, nullptr}); }

    void begin_layer(std::string_view name, std::size_t offset, std::size_t size);
    void null(std::string_view key) { add(key, DissectValue()); }
    void boolean(std::string_view key, bool value) { add(key, DissectValue(value)); }
    void number(std::string_view key, std::int64_t value) { add(key, DissectValue(value)); }
    void string(std::string_view key, std::string_view value) { add(key, DissectValue(std::string(value))); }
    void plain(std::string_view key, std::string_view value) { string(key, value); }
    void address(std::string_view key, Ipv4Address value) { add(key, DissectValue(value.to_string())); }
    void address(std::string_view key, const MacAddress& value) { add(key, DissectValue(value.to_string())); }
    void begin_list(std::string_view key);
    void end_list() { open_.pop_back(); }
    void begin_object(std::string_view key);
    void end_object() { open_.pop_back(); }

private:
    // The innermost open container: an object (or a layer's fields) or a list. Pointers stay
    // valid because nothing is added to a container while one inside it is open.
    struct Open {
        DissectValue::Object* object;
        DissectValue::List* list;
    };
    DissectValue& add(std::string_view key, DissectValue value);

    DissectedFrame* frame_ = nullptr;
    std::vector<Open> open_;
};

/// Appends the frame's JSON object (as to_json(frame_value(...)) writes it) to `out`.
/// finish() closes it; it must be called once, after the dissector returns.
class JsonSink {
public:
    JsonSink(std::string& out, std::size_t number, std::size_t length, std::size_t original_length);
    void finish();

    void begin_layer(std::string_view name, std::size_t offset, std::size_t size);
    [[gnu::always_inline]] void null(std::string_view k) {
        char* p = key(text_.room(k.size() + 8), k);
        text_.commit(JsonText::copy(p, "null"));
    }
    [[gnu::always_inline]] void boolean(std::string_view k, bool value) {
        char* p = key(text_.room(k.size() + 9), k);
        text_.commit(value ? JsonText::copy(p, "true") : JsonText::copy(p, "false"));
    }
    [[gnu::always_inline]] void number(std::string_view k, std::int64_t value) {
        char* p = key(text_.room(k.size() + 4 + 20), k);
        text_.commit(JsonText::decimal(p, value));
    }
    [[gnu::always_inline]] void string(std::string_view k, std::string_view value) {
        text_.commit(key(text_.room(k.size() + 4), k));
        text_.string(value);
    }
    [[gnu::always_inline]] void plain(std::string_view k, std::string_view value) {
        text_.commit(key(text_.room(k.size() + 4), k));
        text_.plain_string(value);
    }
    /// Written straight into the output: text formatted elsewhere and copied would be read
    /// back before its bytes left the store buffer, a stall per address.
    [[gnu::always_inline]] void address(std::string_view k, Ipv4Address value) {
        char* p = key(text_.room(k.size() + 4 + 20), k);  // quotes, 15 + 1 scratch
        *p++ = '"';
        p = write_text(p, value);
        *p++ = '"';
        text_.commit(p);
    }
    [[gnu::always_inline]] void address(std::string_view k, const MacAddress& value) {
        char* p = key(text_.room(k.size() + 4 + 20), k);  // quotes, 17
        *p++ = '"';
        p = write_text(p, value);
        *p++ = '"';
        text_.commit(p);
    }
    [[gnu::always_inline]] void begin_list(std::string_view k) { open(k, '['); }
    [[gnu::always_inline]] void end_list() { close(']'); }
    [[gnu::always_inline]] void begin_object(std::string_view k) { open(k, '{'); }
    [[gnu::always_inline]] void end_object() { close('}'); }

private:
    // The separator, then the key: written into room the caller made for the value too, so
    // a whole field costs one bounds check. A list's items have no key.
    [[gnu::always_inline]] char* key(char* p, std::string_view key) noexcept {
        if (comma_) *p++ = ',';
        comma_ = true;
        if (key.empty()) return p;
        *p++ = '"';
        p = JsonText::copy(p, key);
        *p++ = '"';
        *p++ = ':';
        return p;
    }
    [[gnu::always_inline]] void open(std::string_view k, char bracket) {
        char* p = key(text_.room(k.size() + 5), k);
        *p++ = bracket;
        text_.commit(p);
        comma_ = false;
    }
    [[gnu::always_inline]] void close(char bracket) {
        text_.put(bracket);
        comma_ = true;
    }

    JsonText text_;
    bool in_layer_ = false;
    bool comma_ = false;  // a value was written in the innermost container: the next needs ','
};

/// Appends the frame's table (as append_frame_table(out, number, tree) writes it) to `out`:
/// a header line, then one line per layer, its fields as key=value wrapped at 100 columns.
/// finish() ends it; it must be called once, after the dissector returns.
class TableSink {
public:
    TableSink(std::string& out, std::size_t number, std::size_t length, std::size_t original_length);
    void finish();

    void begin_layer(std::string_view name, std::size_t offset, std::size_t size);
    void null(std::string_view key);
    void boolean(std::string_view key, bool value);
    void number(std::string_view key, std::int64_t value);
    void string(std::string_view key, std::string_view value);
    void plain(std::string_view key, std::string_view value) { string(key, value); }
    void address(std::string_view key, Ipv4Address value);
    void address(std::string_view key, const MacAddress& value);
    void begin_list(std::string_view key) { open(key, true); }
    void end_list() { close(); }
    void begin_object(std::string_view key) { open(key, false); }
    void end_object() { close(); }

private:
    void open(std::string_view key, bool list);
    void close();
    // A field's whole text (nested values included) is built in item_ and placed on the line
    // once complete: whether it wraps depends on its length.
    void begin_value(std::string_view key);
    void end_value();

    std::string& out_;
    std::string item_;
    std::vector<bool> open_;       // the open containers, innermost last: true for a list
    std::vector<bool> has_items_;  // whether each open container has an item yet
    std::size_t column_ = 0;
    bool in_layer_ = false;
    bool first_ = true;      // no field on the layer's line yet
    bool ethernet_ = false;  // its "type" is shown in hex, as to_text(layer, field) does
};

}  // namespace weft::wire::detail
