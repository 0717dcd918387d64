// The dissector's values as JSON (for --json) and as short text (for tables), the JSON text
// writer, and the JSON and tree sinks of dissect_sink.hpp (the table's is dissect_table.cpp). Written by hand so that wire/ needs no JSON library; the grammar
// used is tiny: no floats, no pretty-printing.
#include <array>
#include <cstring>

#include "dissect_sink.hpp"
#include "json_text.hpp"

#include "weft/wire/dissect.hpp"
#include "weft/wire/ethernet.hpp"

namespace weft::wire {

namespace {

const DissectValue* find_in(const std::vector<DissectField>& fields, std::string_view key) noexcept {
    for (const DissectField& f : fields)
        if (f.name == key) return &f.value;
    return nullptr;
}

// RFC 8259 section 7: quote, backslash and control characters must be escaped. Bytes from
// 0x7f up are escaped too, each as \u00XX: text from the wire need not be UTF-8, and this
// keeps every line valid JSON whatever a packet holds (at the cost of showing UTF-8 as bytes).
// A table, not four comparisons: the scan of every string byte is the hot loop of --json.
constexpr auto kNeedsEscape = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
    return t;
}();
constexpr bool needs_escape(unsigned char c) noexcept { return kNeedsEscape[c]; }

void append_json(detail::JsonText& out, const DissectValue& v) {
    struct Visitor {
        detail::JsonText& out;
        void operator()(std::nullptr_t) const { out.put("null"); }
        void operator()(bool b) const { out.put(b ? "true" : "false"); }
        void operator()(std::int64_t i) const { out.number(i); }
        void operator()(const std::string& s) const { out.string(s); }
        void operator()(const DissectValue::List& list) const {
            out.put('[');
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (i != 0) out.put(',');
                append_json(out, list[i]);
            }
            out.put(']');
        }
        void operator()(const DissectValue::Object& obj) const {
            out.put('{');
            for (std::size_t i = 0; i < obj.size(); ++i) {
                if (i != 0) out.put(',');
                out.string(obj[i].name);
                out.put(':');
                append_json(out, obj[i].value);
            }
            out.put('}');
        }
    };
    std::visit(Visitor{out}, v.value);
}

void append_text(std::string& out, const DissectValue& v) {
    struct Visitor {
        std::string& out;
        void operator()(std::nullptr_t) const { out += "-"; }
        void operator()(bool b) const { out += b ? "yes" : "no"; }
        void operator()(std::int64_t i) const { out += std::to_string(i); }
        void operator()(const std::string& s) const { out += s; }
        void operator()(const DissectValue::List& list) const {
            out += '[';
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (i != 0) out += ", ";
                append_text(out, list[i]);
            }
            out += ']';
        }
        void operator()(const DissectValue::Object& obj) const {
            out += '{';
            for (std::size_t i = 0; i < obj.size(); ++i) {
                if (i != 0) out += ' ';
                out += obj[i].name;
                out += '=';
                append_text(out, obj[i].value);
            }
            out += '}';
        }
    };
    std::visit(Visitor{out}, v.value);
}

}  // namespace

DissectValue::DissectValue() : value(nullptr) {}
DissectValue::DissectValue(std::nullptr_t) : value(nullptr) {}
DissectValue::DissectValue(bool b) : value(b) {}
DissectValue::DissectValue(std::int64_t i) : value(i) {}
DissectValue::DissectValue(std::uint64_t i) : value(static_cast<std::int64_t>(i)) {}
DissectValue::DissectValue(int i) : value(std::int64_t{i}) {}
DissectValue::DissectValue(unsigned i) : value(std::int64_t{i}) {}
DissectValue::DissectValue(std::string s) : value(std::move(s)) {}
DissectValue::DissectValue(const char* s) : value(std::string(s)) {}
DissectValue::DissectValue(List l) : value(std::move(l)) {}
DissectValue::DissectValue(Object o) : value(std::move(o)) {}

const DissectValue* DissectValue::find(std::string_view key) const noexcept {
    const auto* obj = std::get_if<Object>(&value);
    return obj ? find_in(*obj, key) : nullptr;
}

const DissectValue* DissectLayer::find(std::string_view key) const noexcept { return find_in(fields, key); }

const DissectLayer* DissectedFrame::find(std::string_view name) const noexcept {
    for (const DissectLayer& l : layers)
        if (l.name == name) return &l;
    return nullptr;
}

DissectValue frame_value(const DissectedFrame& frame, std::size_t number) {
    DissectValue::List layers;
    for (const DissectLayer& l : frame.layers) {
        DissectValue::Object obj;
        obj.reserve(l.fields.size() + 1);
        obj.push_back({"layer", l.name});
        obj.insert(obj.end(), l.fields.begin(), l.fields.end());
        layers.emplace_back(std::move(obj));
    }
    return DissectValue::Object{{"frame", std::uint64_t{number}},
                                {"length", std::uint64_t{frame.length}},
                                {"original_length", std::uint64_t{frame.original_length}},
                                {"layers", std::move(layers)}};
}

std::string to_json(const DissectValue& value) {
    std::string out;
    detail::JsonText text(out);
    append_json(text, value);
    text.flush();
    return out;
}

std::string to_text(const DissectValue& value) {
    std::string out;
    append_text(out, value);
    return out;
}

std::string to_text(const DissectLayer& layer, const DissectField& field) {
    if (layer.name == "ethernet" && field.name == "type") {
        // The dissector stores it as a number; anything else falls through to to_text.
        const auto* type = std::get_if<std::int64_t>(&field.value.value);
        if (type && *type >= 0 && *type <= 0xffff) return ether_type_to_string(static_cast<std::uint16_t>(*type));
    }
    return to_text(field.value);
}

// ---- JsonSink: the same text as to_json(frame_value(...)), written as the dissector walks ----

namespace detail {

namespace {

// Whether any of the 8 bytes in `w` needs escaping, 8 at a time (the classic SWAR tests: a
// byte below n shows in (x - n) & ~x & 0x80; a byte equal to c is a zero byte of x ^ c).
constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighs = 0x8080808080808080u;
constexpr std::uint64_t has_zero_byte(std::uint64_t x) noexcept { return (x - kOnes) & ~x & kHighs; }
constexpr bool any_needs_escape(std::uint64_t w) noexcept {
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    const std::uint64_t high = w & kHighs;  // 0x80 and up
    return (below_space | high | has_zero_byte(w ^ (kOnes * 0x7f)) | has_zero_byte(w ^ (kOnes * '"')) |
            has_zero_byte(w ^ (kOnes * '\\'))) != 0;
}

}  // namespace

void JsonText::string(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    put('"');
    std::size_t run = 0;  // runs of bytes that need nothing are copied whole
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.size() - i >= 8) {  // skip clean words without looking at each byte
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            if (!any_needs_escape(w)) {
                i += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (!needs_escape(c)) {
            ++i;
            continue;
        }
        put(s.substr(run, i - run));
        run = ++i;
        switch (c) {
        case '"': put("\\\""); break;
        case '\\': put("\\\\"); break;
        case '\n': put("\\n"); break;
        case '\r': put("\\r"); break;
        case '\t': put("\\t"); break;
        default: {
            const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
            put(std::string_view(u, sizeof u));
        }
        }
    }
    put(s.substr(run));
    put('"');
}

JsonSink::JsonSink(std::string& out, std::size_t number, std::size_t length, std::size_t original_length)
    : text_(out) {
    char* p = text_.room(100);  // 3 numbers of at most 20 digits and 50 bytes of keys
    p = JsonText::copy(p, "{\"frame\":");
    p = JsonText::decimal(p, static_cast<std::int64_t>(number));
    p = JsonText::copy(p, ",\"length\":");
    p = JsonText::decimal(p, static_cast<std::int64_t>(length));
    p = JsonText::copy(p, ",\"original_length\":");
    p = JsonText::decimal(p, static_cast<std::int64_t>(original_length));
    text_.commit(JsonText::copy(p, ",\"layers\":["));
}

void JsonSink::finish() {
    text_.put(in_layer_ ? "}]}" : "]}");
    text_.flush();
}

void JsonSink::begin_layer(std::string_view name, std::size_t, std::size_t) {
    // A layer's name is a short literal: no escaping, and room for it and its punctuation.
    char* p = text_.room(name.size() + 16);
    if (in_layer_) *p++ = '}', *p++ = ',';
    in_layer_ = true;
    p = JsonText::copy(p, "{\"layer\":\"");
    p = JsonText::copy(p, name);
    *p++ = '"';
    text_.commit(p);
    comma_ = true;
}

// ---- TreeSink ----

void TreeSink::begin_layer(std::string_view name, std::size_t offset, std::size_t size) {
    DissectLayer& l = frame_->layers.emplace_back();
    l.name = name;
    l.offset = offset;
    l.size = size;
    l.fields.reserve(16);  // an IPv4 header has 13 fields: no regrowth, no moves of those before
    open_.assign(1, Open{&l.fields, nullptr});
}

DissectValue& TreeSink::add(std::string_view key, DissectValue value) {
    const Open& top = open_.back();
    if (top.list) return top.list->emplace_back(std::move(value));
    return top.object->emplace_back(DissectField{std::string(key), std::move(value)}).value;
}

void TreeSink::begin_list(std::string_view key) {
    DissectValue& v = add(key, DissectValue::List{});
    open_.push_back({nullptr, &std::get<DissectValue::List>(v.value)});
}

void TreeSink::begin_object(std::string_view key) {
    DissectValue& v = add(key, DissectValue::Object{});
    open_.push_back({&std::get<DissectValue::Object>(v.value), nullptr});
}

// ---- addresses as text, without a std::string ----

namespace {
// "0" to "255", each in a 4-byte slot with its length last: an octet is one 4-byte copy.
constexpr auto kOctets = [] {
    std::array<std::array<char, 4>, 256> t{};
    for (unsigned v = 0; v < 256; ++v) {
        std::size_t n = 0;
        if (v >= 100) t[v][n++] = static_cast<char>('0' + v / 100);
        if (v >= 10) t[v][n++] = static_cast<char>('0' + v / 10 % 10);
        t[v][n++] = static_cast<char>('0' + v % 10);
        t[v][3] = static_cast<char>(n);
    }
    return t;
}();
}  // namespace

char* write_text(char* p, Ipv4Address address) noexcept {
    const std::uint32_t v = address.to_uint();
    for (int shift = 24; shift >= 0; shift -= 8) {
        const auto& octet = kOctets[v >> shift & 0xff];
        std::memcpy(p, octet.data(), 4);  // the slot's 4th byte is overwritten by what follows
        p += octet[3];
        *p++ = '.';
    }
    return p - 1;  // no dot after the last octet
}

char* write_text(char* p, const MacAddress& address) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto& bytes = address.to_bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) *p++ = ':';
        *p++ = kHex[bytes[i] >> 4];
        *p++ = kHex[bytes[i] & 0xf];
    }
    return p;
}

}  // namespace detail

}  // namespace weft::wire
