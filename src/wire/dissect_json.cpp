// The dissector's values as JSON (for --json) and as short text (for tables). Written by hand
// so that wire/ needs no JSON library; the grammar used is tiny: no floats, no pretty-printing.
#include <cstdio>

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
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

void append_json(std::string& out, const DissectValue& v) {
    struct Visitor {
        std::string& out;
        void operator()(std::nullptr_t) const { out += "null"; }
        void operator()(bool b) const { out += b ? "true" : "false"; }
        void operator()(std::int64_t i) const { out += std::to_string(i); }
        void operator()(const std::string& s) const { append_json_string(out, s); }
        void operator()(const DissectValue::List& list) const {
            out += '[';
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (i != 0) out += ',';
                append_json(out, list[i]);
            }
            out += ']';
        }
        void operator()(const DissectValue::Object& obj) const {
            out += '{';
            for (std::size_t i = 0; i < obj.size(); ++i) {
                if (i != 0) out += ',';
                append_json_string(out, obj[i].name);
                out += ':';
                append_json(out, obj[i].value);
            }
            out += '}';
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
    append_json(out, value);
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

}  // namespace weft::wire
