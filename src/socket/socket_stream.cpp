#include "weft/socket/socket_stream.hpp"

#include <cstring>

#include "weft/socket/socket.hpp"

namespace weft::detail {

SocketStreambuf::SocketStreambuf(Socket& socket) : socket_(socket) {
    setg(in_.data(), in_.data(), in_.data());
    setp(out_.data(), out_.data() + out_.size());
}

SocketStreambuf::~SocketStreambuf() {
    // Like a file stream, destruction flushes; a failure here has nobody left to tell.
    try {
        flush_output();
    } catch (...) {
    }
}

SocketStreambuf::int_type SocketStreambuf::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    // Whatever we wrote must reach the peer before we wait for its answer, or a
    // request/response exchange over one stream would deadlock.
    if (pbase() != pptr()) flush_output();
    // recv throws on error or timeout; the iostream turns that into badbit.
    std::size_t n = socket_.recv(std::as_writable_bytes(std::span(in_)));
    if (n == 0) return traits_type::eof();
    setg(in_.data(), in_.data(), in_.data() + n);
    return traits_type::to_int_type(*gptr());
}

bool SocketStreambuf::flush_output() {
    std::size_t n = static_cast<std::size_t>(pptr() - pbase());
    if (n == 0) return true;
    socket_.sendall(std::as_bytes(std::span(pbase(), n)));
    setp(out_.data(), out_.data() + out_.size());
    return true;
}

SocketStreambuf::int_type SocketStreambuf::overflow(int_type ch) {
    flush_output();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
        *pptr() = traits_type::to_char_type(ch);
        pbump(1);
    }
    return traits_type::not_eof(ch);
}

std::streamsize SocketStreambuf::xsputn(const char* data, std::streamsize count) {
    // Large writes skip the buffer: copying them through 8 KiB at a time only adds work.
    if (static_cast<std::size_t>(count) >= out_.size()) {
        flush_output();
        socket_.sendall(std::as_bytes(std::span(data, static_cast<std::size_t>(count))));
        return count;
    }
    return std::streambuf::xsputn(data, count);
}

int SocketStreambuf::sync() {
    flush_output();
    return 0;
}

}  // namespace weft::detail
