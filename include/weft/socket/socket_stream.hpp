#pragma once
// SocketStream: Socket::makefile(), a buffered std::iostream over a connected socket.
//
//   auto f = conn.makefile();
//   std::string line;
//   while (std::getline(f, line)) f << line << '\n' << std::flush;
//   if (f.bad()) std::cerr << f.last_error_message() << '\n';  // "recv ...: timed out"
//
// Reads fill an 8 KiB buffer with recv, so a line split over several packets, or several lines
// in one packet, come out right. Writes collect in a buffer that flush() (or std::endl, or
// destruction) hands to sendall.
//
// Errors behave as in any iostream, however the stream is read (getline, >>, read, or an
// istreambuf_iterator that bypasses the stream): the buffer never lets a SocketError or
// TimeoutError out. A socket error or timeout sets badbit on the stream (reads also end with
// eofbit/failbit as at end of input) and is kept in last_error(), so that a timeout can be
// told from the peer closing. The exceptions() mask decides whether badbit throws
// (std::ios_base::failure), as for a file. Bytes a failed write could not send are dropped,
// so that neither a later flush nor the destructor sends them twice or waits again.

#include <array>
#include <cstddef>
#include <iostream>
#include <streambuf>
#include <string>
#include <system_error>

namespace weft {

class Socket;

namespace detail {

class SocketStreambuf final : public std::streambuf {
public:
    /// `stream`, when given, is the stream to mark bad on an error (see SocketStream).
    explicit SocketStreambuf(Socket& socket, std::ios* stream = nullptr);
    ~SocketStreambuf() override;

    const std::error_code& last_error() const noexcept { return error_; }
    const std::string& last_error_message() const noexcept { return error_message_; }

protected:
    int_type underflow() override;
    int_type overflow(int_type ch) override;
    int sync() override;
    std::streamsize xsputn(const char* data, std::streamsize count) override;

private:
    bool flush_output();
    bool send_all(const char* data, std::size_t size);
    void record(const std::system_error& error);
    void succeeded() noexcept;

    static constexpr std::size_t kBufferSize = 8192;
    Socket& socket_;
    std::ios* stream_;
    std::error_code error_;
    std::string error_message_;
    std::array<char, kBufferSize> in_{};
    std::array<char, kBufferSize> out_{};
};

}  // namespace detail

/// A buffered std::iostream over a Socket (Socket::makefile()): `std::getline` over a stream
/// socket, `<<` and flush() to send. Errors set badbit; last_error() says why.
class SocketStream final : public std::iostream {
public:
    /// The socket must outlive the stream. Prefer Socket::makefile().
    explicit SocketStream(Socket& socket) : std::iostream(nullptr), buffer_(socket, this) { rdbuf(&buffer_); }
    SocketStream(const SocketStream&) = delete;
    SocketStream& operator=(const SocketStream&) = delete;
    ~SocketStream() override = default;

    /// Why the last read or write that reached the socket failed: std::errc::timed_out after a
    /// timeout, the errno otherwise (EPIPE, ECONNRESET, ...). Empty when it succeeded, so
    /// after a read ends, an empty last_error() means the peer closed its side in order.
    std::error_code last_error() const noexcept { return buffer_.last_error(); }
    /// The same error as one line naming the call and the address, the what() of the
    /// SocketError the Socket call threw ("recv 127.0.0.1:8898: timed out"); empty if none.
    const std::string& last_error_message() const noexcept { return buffer_.last_error_message(); }

private:
    detail::SocketStreambuf buffer_;
};

}  // namespace weft
