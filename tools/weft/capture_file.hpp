#pragma once
// The bytes of a capture file for `weft decode`, in bounded memory: a regular file is mapped
// and the pages already decoded are given back as the reader moves on (so a 10 GB pcap costs
// a window, not 10 GB); a pipe or other stream is read whole, as it cannot be mapped.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace weft::cli {

class CaptureFileBytes {
public:
    /// Throws std::runtime_error "cannot read 'PATH': reason".
    explicit CaptureFileBytes(const std::string& path);
    ~CaptureFileBytes();
    CaptureFileBytes(const CaptureFileBytes&) = delete;
    CaptureFileBytes& operator=(const CaptureFileBytes&) = delete;

    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    /// The reader is past `offset`: the pages wholly before it may leave memory (a no-op for
    /// a stream read whole). Cheap when called often: it acts once per few MiB.
    void done_before(std::size_t offset) noexcept;

private:
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    bool mapped_ = false;
    std::size_t released_ = 0;  // bytes from the start already given back
    std::vector<std::byte> copy_;
};

}  // namespace weft::cli
