#pragma once
// The blocking Socket's exceptions. This layer is the one place in weft that throws, because
// it promises the behaviour of Python's socket module: a failed call raises, naming the call,
// the address and the errno text; connect_ex returns the error instead.

#include <string>
#include <string_view>
#include <system_error>

namespace weft {

/// A failed socket call. what() reads "bind 127.0.0.1:8898: Address already in use";
/// code() is the errno as a std::error_code (std::system_category()).
class SocketError : public std::system_error {
public:
    /// `call` failed on `address` with `code`; what() is "call address: <code's message>".
    SocketError(std::string_view call, std::string_view address, std::error_code code);

    /// The call that failed: "bind", "connect", "recv", ...
    const std::string& call() const noexcept { return call_; }
    /// The address the call was about ("127.0.0.1:8898", "[::1]:80", "/tmp/s", "@abstract");
    /// empty when the socket had none yet.
    const std::string& address() const noexcept { return address_; }
    /// With a reason of its own instead of the errno text (a resolver's message, say).
    SocketError(std::string_view call, std::string_view address, std::error_code code,
                std::string_view reason);

    /// "call address: reason", one line.
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string call_;
    std::string address_;
    std::string message_;
};

/// A blocking call ran past the socket's timeout (settimeout). what() reads
/// "recv 127.0.0.1:8898: timed out"; code() is std::errc::timed_out.
class TimeoutError : public SocketError {
public:
    /// `call` on `address` timed out.
    TimeoutError(std::string_view call, std::string_view address);
};

}  // namespace weft
