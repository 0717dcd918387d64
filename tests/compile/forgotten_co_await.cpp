// Compiled by the test suite, not linked: every line marked FORGOTTEN drops an awaitable or a
// Task without co_await, which compiles but does nothing. Each must draw a warning
// ("ignoring return value"), because every io/ awaiter, Task and Result is [[nodiscard]].
// Built once with WEFT_FORGET defined (expected: one warning per marked line) and once
// without (expected: no warning at all), so the check cannot pass by failing to compile.
#include <array>
#include <chrono>
#include <cstddef>

#include "weft/io/sleep.hpp"
#include "weft/io/tcp_stream.hpp"
#include "weft/io/udp_socket.hpp"

namespace {

weft::Task<int> answer() { co_return 42; }

weft::Task<> handler(weft::TcpStream& conn, weft::UdpSocket& udp, weft::EventLoop& loop) {
    std::array<std::byte, 16> buf{};
#ifdef WEFT_FORGET
    conn.write_all("hello");                      // FORGOTTEN
    conn.read_some(buf);                          // FORGOTTEN
    udp.send_to(buf, weft::Endpoint("127.0.0.1", 9));  // FORGOTTEN
    weft::sleep_for(loop, std::chrono::seconds(1));     // FORGOTTEN
    answer();                                     // FORGOTTEN
    conn.shutdown_write();                        // FORGOTTEN
#else
    (void)co_await conn.write_all("hello");
    (void)co_await conn.read_some(buf);
    (void)co_await udp.send_to(buf, weft::Endpoint("127.0.0.1", 9));
    (void)co_await weft::sleep_for(loop, std::chrono::seconds(1));
    (void)co_await answer();
    (void)conn.shutdown_write();
#endif
    co_return;
}

}  // namespace

int main() { return handler == nullptr; }
