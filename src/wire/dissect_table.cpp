// The table that `weft decode` and `weft capture` print: from the tree (append_frame_table over
// a DissectedFrame) and as the dissector walks (TableSink, for append_frame_table over bytes).
// The two must give the same text; the dissector's tests and fuzz target hold them to it.
#include <charconv>

#include "dissect_sink.hpp"
#include "weft/wire/dissect.hpp"
#include "weft/wire/ethernet.hpp"

namespace weft::wire {

namespace {

constexpr std::size_t kWidth = 100;  // a line is wrapped before an item would pass this column
constexpr std::size_t kIndent = 13;  // "  " + the layer's name, padded: where fields start

void append_header(std::string& out, std::size_t number, std::size_t length, std::size_t original_length) {
    out += "frame ";
    out += std::to_string(number);
    out += ": ";
    out += std::to_string(length);
    out += " bytes captured";
    if (original_length != length) {
        out += ", ";
        out += std::to_string(original_length);
        out += " on the wire";
    }
    out += '\n';
}

// The start of a layer's line: its name, padded (or cut) to the indent.
void append_layer_name(std::string& out, std::string_view name) {
    const std::size_t start = out.size();
    out += "  ";
    out += name;
    out.resize(start + kIndent, ' ');
}

// Places one key=value item on the current line, or on a new one when it would pass kWidth.
void place(std::string& out, std::size_t& column, bool& first, std::string_view item) {
    if (!first && column + 1 + item.size() > kWidth) {
        out += '\n';
        out.append(kIndent, ' ');
        column = kIndent;
    } else if (!first) {
        out += ' ';
        ++column;
    }
    out += item;
    column += item.size();
    first = false;
}

}  // namespace

void append_frame_table(std::string& out, std::size_t number, const DissectedFrame& frame) {
    append_header(out, number, frame.length, frame.original_length);
    std::string item;
    for (const DissectLayer& layer : frame.layers) {
        append_layer_name(out, layer.name);
        std::size_t column = kIndent;
        bool first = true;
        for (const DissectField& f : layer.fields) {
            item = f.name;
            item += '=';
            item += to_text(layer, f);
            place(out, column, first, item);
        }
        out += '\n';
    }
}

namespace detail {

TableSink::TableSink(std::string& out, std::size_t number, std::size_t length, std::size_t original_length)
    : out_(out) {
    append_header(out_, number, length, original_length);
}

void TableSink::finish() {
    if (in_layer_) out_ += '\n';
}

void TableSink::begin_layer(std::string_view name, std::size_t, std::size_t) {
    if (in_layer_) out_ += '\n';
    in_layer_ = true;
    append_layer_name(out_, name);
    column_ = kIndent;
    first_ = true;
    ethernet_ = name == "ethernet";
}

// A value starts: a new item at the top of the layer, else its separator in the container
// (", " in a list, " " between an object's members) and, in an object, its key.
void TableSink::begin_value(std::string_view key) {
    if (open_.empty()) {
        item_.assign(key);
        item_ += '=';
        return;
    }
    if (has_items_.back()) item_ += open_.back() ? ", " : " ";
    has_items_.back() = true;
    if (!open_.back()) {
        item_ += key;
        item_ += '=';
    }
}

void TableSink::end_value() {
    if (open_.empty()) place(out_, column_, first_, item_);
}

void TableSink::null(std::string_view key) {
    begin_value(key);
    item_ += '-';
    end_value();
}

void TableSink::boolean(std::string_view key, bool value) {
    begin_value(key);
    item_ += value ? "yes" : "no";
    end_value();
}

void TableSink::number(std::string_view key, std::int64_t value) {
    begin_value(key);
    if (ethernet_ && open_.empty() && key == "type" && value >= 0 && value <= 0xffff) {
        item_ += ether_type_to_string(static_cast<std::uint16_t>(value));  // as to_text(layer, field)
    } else {
        char digits[24];
        item_.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, value).ptr - digits));
    }
    end_value();
}

void TableSink::string(std::string_view key, std::string_view value) {
    begin_value(key);
    item_ += value;
    end_value();
}

void TableSink::address(std::string_view key, Ipv4Address value) {
    char text[24];
    string(key, std::string_view(text, static_cast<std::size_t>(write_text(text, value) - text)));
}

void TableSink::address(std::string_view key, const MacAddress& value) {
    char text[24];
    string(key, std::string_view(text, static_cast<std::size_t>(write_text(text, value) - text)));
}

void TableSink::open(std::string_view key, bool list) {
    begin_value(key);
    item_ += list ? '[' : '{';
    open_.push_back(list);
    has_items_.push_back(false);
}

void TableSink::close() {
    item_ += open_.back() ? ']' : '}';
    open_.pop_back();
    has_items_.pop_back();
    end_value();
}

}  // namespace detail

}  // namespace weft::wire
