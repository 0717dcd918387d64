#pragma once
// Internal: where the dissector's output goes. The dissector (dissect.cpp, dissect_app.cpp)
// walks a frame once and reports what it finds as a stream of events, in print order; a sink
// turns the stream into something. Two sinks exist:
// - TreeSink builds the DissectedFrame / DissectValue tree of dissect.hpp (explain, tour, the
//   decode table, dns_value, tests);
// - JsonSink appends the frame's JSON line straight to a string (decode --json), with no
//   tree, no allocation per field and no second walk: the tree costs more than the decoding.
// Both see the same events, so the two outputs cannot drift apart; a test and a fuzz target
// hold to_json(frame_value(tree)) and the JsonSink's text equal byte for byte.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "json_text.hpp"
#include "weft/wire/dissect.hpp"

namespace weft::wire::detail {

/// The event stream of one frame: begin_layer() starts a layer, and every value after it
/// belongs to it until the next begin_layer(). `key` names a value inside a layer or an
/// object and is empty for the items of a list. Lists and objects nest; each begin_ has its
/// end_. Keys are printable ASCII without quotes or backslashes, at most 32 bytes (string
/// literals, numbers). plain() is string() for text the dissector knows needs no escaping in
/// JSON (printable ASCII without '"' or '\\': addresses, names of types), so it is not scanned.
class DissectSink {
public:
    virtual void begin_layer(std::string_view name, std::size_t offset, std::size_t size) = 0;
    virtual void null(std::string_view key) = 0;
    virtual void boolean(std::string_view key, bool value) = 0;
    virtual void number(std::string_view key, std::int64_t value) = 0;
    virtual void string(std::string_view key, std::string_view value) = 0;
    virtual void plain(std::string_view key, std::string_view value) = 0;
    virtual void begin_list(std::string_view key) = 0;
    virtual void end_list() = 0;
    virtual void begin_object(std::string_view key) = 0;
    virtual void end_object() = 0;

protected:
    ~DissectSink() = default;  // never owned through the interface
};

/// Builds the tree: the layers of a DissectedFrame, or the members of one object (dns_value).
class TreeSink final : public DissectSink {
public:
    /// Layers go to `frame`.
    explicit TreeSink(DissectedFrame& frame) noexcept : frame_(&frame) {}
    /// No layers: values go to `object` (begin_layer() must not be called).
    explicit TreeSink(DissectValue::Object& object) { open_.push_back({&object, nullptr}); }

    void begin_layer(std::string_view name, std::size_t offset, std::size_t size) override;
    void null(std::string_view key) override { add(key, DissectValue()); }
    void boolean(std::string_view key, bool value) override { add(key, DissectValue(value)); }
    void number(std::string_view key, std::int64_t value) override { add(key, DissectValue(value)); }
    void string(std::string_view key, std::string_view value) override { add(key, DissectValue(std::string(value))); }
    void plain(std::string_view key, std::string_view value) override { string(key, value); }
    void begin_list(std::string_view key) override;
    void end_list() override { open_.pop_back(); }
    void begin_object(std::string_view key) override;
    void end_object() override { open_.pop_back(); }

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
class JsonSink final : public DissectSink {
public:
    JsonSink(std::string& out, std::size_t number, std::size_t length, std::size_t original_length);
    void finish();

    void begin_layer(std::string_view name, std::size_t offset, std::size_t size) override;
    void null(std::string_view key) override;
    void boolean(std::string_view key, bool value) override;
    void number(std::string_view key, std::int64_t value) override;
    void string(std::string_view key, std::string_view value) override;
    void plain(std::string_view key, std::string_view value) override;
    void begin_list(std::string_view key) override;
    void end_list() override;
    void begin_object(std::string_view key) override;
    void end_object() override;

private:
    char* key(char* room, std::string_view key) noexcept;

    JsonText text_;
    bool in_layer_ = false;
    bool comma_ = false;  // a value was written in the innermost container: the next needs ','
};

/// Short text kept on the stack: an address as the dissector prints it.
struct ShortText {
    char data[24];
    std::size_t size = 0;
    operator std::string_view() const noexcept { return {data, size}; }
};
/// Dotted decimal, as Ipv4Address::to_string.
ShortText text_of(Ipv4Address address) noexcept;
/// Six lowercase hex pairs joined by ':', as MacAddress::to_string.
ShortText text_of(const MacAddress& address) noexcept;

}  // namespace weft::wire::detail
