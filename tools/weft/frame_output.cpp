#include "frame_output.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

namespace weft::cli {

namespace {

constexpr std::size_t kBufferSize = 256 * 1024;

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
        wire::append_frame_table(buffer_, number, bytes, original_length, linktype);
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
