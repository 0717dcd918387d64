#include "weft/socket/socket_error.hpp"

namespace weft {

namespace {

// "bind 127.0.0.1:8898: Address already in use", or "socket: ..." when there is no address.
std::string compose(std::string_view call, std::string_view address, std::string_view reason) {
    std::string text(call);
    if (!address.empty()) {
        text += ' ';
        text += address;
    }
    text += ": ";
    text += reason;
    return text;
}

}  // namespace

SocketError::SocketError(std::string_view call, std::string_view address, std::error_code code)
    : SocketError(call, address, code, code.message()) {}

SocketError::SocketError(std::string_view call, std::string_view address, std::error_code code,
                         std::string_view reason)
    : std::system_error(code), call_(call), address_(address), message_(compose(call, address, reason)) {}

// Python words a timeout "timed out"; the errno text ("Connection timed out") would wrongly
// suggest that the peer did something.
TimeoutError::TimeoutError(std::string_view call, std::string_view address)
    : SocketError(call, address, std::make_error_code(std::errc::timed_out), "timed out") {}

}  // namespace weft
