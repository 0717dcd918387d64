#include "frame_output.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

namespace weft::cli {

namespace {

constexpr std::size_t kBufferSize = 256 * 1024;

// One line per layer: the name, then key=value pairs wrapped under each other.
void append_table(std::string& out, std::size_t number, const wire::DissectedFrame& frame) {
    out += "frame " + std::to_string(number) + ": " + std::to_string(frame.length) + " bytes captured";
    if (frame.original_length != frame.length) out += ", " + std::to_string(frame.original_length) + " on the wire";
    out += '\n';
    constexpr std::size_t kWidth = 100;
    constexpr std::size_t kIndent = 13;
    for (const wire::DissectLayer& layer : frame.layers) {
        std::string line = "  " + layer.name;
        line.resize(kIndent, ' ');
        std::size_t column = line.size();
        bool first = true;
        for (const wire::DissectField& f : layer.fields) {
            const std::string item = f.name + "=" + wire::to_text(layer, f);
            if (!first && column + 1 + item.size() > kWidth) {
                line += '\n';
                line.append(kIndent, ' ');
                column = kIndent;
            } else if (!first) {
                line += ' ';
                ++column;
            }
            line += item;
            column += item.size();
            first = false;
        }
        out += line;
        out += '\n';
    }
}

}  // namespace

FrameOutput::FrameOutput(bool json) : FrameOutput(json, ::isatty(STDOUT_FILENO) == 1) {}

FrameOutput::FrameOutput(bool json, bool flush_each) : json_(json), flush_each_(flush_each) {
    buffer_.reserve(kBufferSize + 4096);
}

FrameOutput::~FrameOutput() {
    try {
        flush();
    } catch (const std::exception&) {  // a reader that went away: nothing left to tell it
    }
}

void FrameOutput::frame(std::size_t number, std::span<const std::byte> bytes, std::size_t original_length,
                        std::uint32_t linktype) {
    if (json_) {
        wire::append_frame_json(buffer_, number, bytes, original_length, linktype);
        buffer_ += '\n';
    } else {
        if (frames_ > 0) buffer_ += '\n';
        append_table(buffer_, number, wire::dissect_frame(bytes, original_length, linktype));
    }
    ++frames_;
    if (flush_each_ || buffer_.size() >= kBufferSize) flush();
}

void FrameOutput::flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            buffer_.clear();
            throw std::runtime_error(std::string("writing to stdout: ") + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
}

}  // namespace weft::cli
