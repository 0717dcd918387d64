// The "weft.io" error category: the io/ conditions that are not an errno.

#include "weft/io/io_error.hpp"

#include <string>

namespace weft {

namespace {
class IoCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "weft.io"; }
    std::string message(int value) const override {
        switch (static_cast<IoErrc>(value)) {
            case IoErrc::eof: return "connection closed by peer before all expected bytes arrived";
            case IoErrc::frame_too_large: return "frame exceeds the size limit";
            case IoErrc::line_too_long: return "line exceeds the length limit";
            case IoErrc::busy: return "another operation is already waiting in this direction";
        }
        return "unknown weft.io error";
    }
};
}  // namespace

const std::error_category& io_category() noexcept {
    static const IoCategory category;
    return category;
}

}  // namespace weft
