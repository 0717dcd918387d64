// The dissector: any bytes, as an Ethernet frame, give layers and never a crash; and the JSON
// that `weft decode --json` writes as it decodes (append_frame_json) is byte for byte the
// JSON of the tree (to_json(frame_value(dissect_frame()))), and so is its table: the sinks of
// one walk agree.
// The last layer, when decoding stopped, is the error layer, and every layer lies in the frame.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "weft/wire/dissect.hpp"

using namespace weft::wire;
using weft::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    const DissectedFrame frame = dissect_frame(input);
    check(!frame.layers.empty(), "a frame with no layer");
    for (std::size_t i = 0; i < frame.layers.size(); ++i) {
        const DissectLayer& l = frame.layers[i];
        check(l.offset <= size && l.size <= size - l.offset, "a layer outside the frame");
        check(l.name != "error" || i + 1 == frame.layers.size(), "a layer after the error layer");
    }
    std::string streamed = "x";  // appended to, not replaced
    append_frame_json(streamed, 7, input);
    std::string expected = "x";
    expected += to_json(frame_value(frame, 7));
    check(streamed == expected, "append_frame_json differs from the tree's JSON");
    std::string table, tree_table;
    append_frame_table(table, 7, input);
    append_frame_table(tree_table, 7, frame);
    check(table == tree_table, "append_frame_table over bytes differs from the tree's table");
    return 0;
}
