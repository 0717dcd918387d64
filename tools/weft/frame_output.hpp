#pragma once
// How `weft decode` and `weft capture` print frames: a table per frame, or one JSON object per
// line (shared/CLI.md), written through one buffer so that printing is not what limits a
// decode of millions of frames, and flushed after every frame when a person watches.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "weft/wire/dissect.hpp"

namespace weft::cli {

class FrameOutput {
public:
    /// `json`: one object per line; else the table. `flush_each`: write each frame at once
    /// (default: when stdout is a terminal).
    explicit FrameOutput(bool json);
    FrameOutput(bool json, bool flush_each);
    ~FrameOutput();
    FrameOutput(const FrameOutput&) = delete;
    FrameOutput& operator=(const FrameOutput&) = delete;

    /// Decodes and prints frame `number`: `bytes` as captured, `original_length` on the wire,
    /// of link type `linktype`. JSON is written as the frame is decoded (no tree in between).
    void frame(std::size_t number, std::span<const std::byte> bytes, std::size_t original_length,
               std::uint32_t linktype);
    /// Writes what is buffered; throws std::runtime_error when stdout is gone (EPIPE...).
    void flush();

private:
    bool json_;
    bool flush_each_;
    std::size_t frames_ = 0;
    std::string buffer_;
};

}  // namespace weft::cli
