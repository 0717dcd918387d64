#pragma once
// SocketStream: Socket::makefile(), a buffered std::iostream over a connected socket.
//
//   auto f = conn.makefile();
//   std::string line;
//   while (std::getline(f, line)) f << line << '\n' << std::flush;
//
// Reads fill an 8 KiB buffer with recv, so a line split over several packets, or several lines
// in one packet, come out right. Writes collect in a buffer that flush() (or std::endl, or
// destruction) hands to sendall. A socket error or timeout sets badbit; the stream's
// exceptions() mask decides whether that throws, as for any iostream.

#include <array>
#include <cstddef>
#include <iostream>
#include <streambuf>

namespace weft {

class Socket;

namespace detail {

class SocketStreambuf final : public std::streambuf {
public:
    explicit SocketStreambuf(Socket& socket);
    ~SocketStreambuf() override;

protected:
    int_type underflow() override;
    int_type overflow(int_type ch) override;
    int sync() override;
    std::streamsize xsputn(const char* data, std::streamsize count) override;

private:
    bool flush_output();

    static constexpr std::size_t kBufferSize = 8192;
    Socket& socket_;
    std::array<char, kBufferSize> in_{};
    std::array<char, kBufferSize> out_{};
};

}  // namespace detail

class SocketStream final : public std::iostream {
public:
    /// The socket must outlive the stream. Prefer Socket::makefile().
    explicit SocketStream(Socket& socket) : std::iostream(nullptr), buffer_(socket) { rdbuf(&buffer_); }
    SocketStream(const SocketStream&) = delete;
    SocketStream& operator=(const SocketStream&) = delete;
    ~SocketStream() override = default;

private:
    detail::SocketStreambuf buffer_;
};

}  // namespace weft
