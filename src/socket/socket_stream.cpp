#include "weft/socket/socket_stream.hpp"

#include <cstring>

#include "weft/socket/socket.hpp"

namespace weft::detail {

SocketStreambuf::SocketStreambuf(Socket& socket, std::ios* stream) : socket_(socket), stream_(stream) {
    setg(in_.data(), in_.data(), in_.data());
    setp(out_.data(), out_.data() + out_.size());
}

SocketStreambuf::~SocketStreambuf() {
    // Like a file stream, destruction flushes. The stream is going away: nobody is left to
    // read its state, and marking it could throw from a destructor.
    stream_ = nullptr;
    try {
        flush_output();
    } catch (...) {
        // Only bad_alloc can get here (copying the error message); nobody to tell.
    }
}

// Socket errors become stream state here and never leave the buffer as SocketError:
// istreambuf_iterator calls the buffer directly, so an exception would reach a caller that
// never asked for one (no exceptions() mask), while getline would have caught the same one.
void SocketStreambuf::record(const std::system_error& error) {
    error_ = error.code();
    error_message_ = error.what();
    // May throw std::ios_base::failure: only if the user set badbit in exceptions().
    if (stream_ != nullptr) stream_->setstate(std::ios::badbit);
}

void SocketStreambuf::succeeded() noexcept {
    error_.clear();
    error_message_.clear();
}

SocketStreambuf::int_type SocketStreambuf::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    // Whatever we wrote must reach the peer before we wait for its answer, or a
    // request/response exchange over one stream would deadlock.
    if (!flush_output()) return traits_type::eof();
    std::size_t n = 0;
    try {
        n = socket_.recv(std::as_writable_bytes(std::span(in_)));
    } catch (const std::system_error& e) {  // SocketError, TimeoutError
        record(e);
        return traits_type::eof();
    }
    succeeded();
    if (n == 0) return traits_type::eof();
    setg(in_.data(), in_.data(), in_.data() + n);
    return traits_type::to_int_type(*gptr());
}

bool SocketStreambuf::send_all(const char* data, std::size_t size) {
    try {
        socket_.sendall(std::as_bytes(std::span(data, size)));
    } catch (const std::system_error& e) {
        record(e);
        return false;
    }
    succeeded();
    return true;
}

bool SocketStreambuf::flush_output() {
    const std::size_t n = static_cast<std::size_t>(pptr() - pbase());
    if (n == 0) return true;
    // Reset first: on failure the bytes are dropped rather than sent again by a later flush
    // (some may have gone out) or waited on once more by the destructor.
    setp(out_.data(), out_.data() + out_.size());
    return send_all(out_.data(), n);
}

SocketStreambuf::int_type SocketStreambuf::overflow(int_type ch) {
    if (!flush_output()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
        *pptr() = traits_type::to_char_type(ch);
        pbump(1);
    }
    return traits_type::not_eof(ch);
}

std::streamsize SocketStreambuf::xsputn(const char* data, std::streamsize count) {
    // Large writes skip the buffer: copying them through 8 KiB at a time only adds work.
    if (static_cast<std::size_t>(count) >= out_.size()) {
        if (!flush_output() || !send_all(data, static_cast<std::size_t>(count))) return 0;
        return count;
    }
    return std::streambuf::xsputn(data, count);
}

int SocketStreambuf::sync() { return flush_output() ? 0 : -1; }

}  // namespace weft::detail
