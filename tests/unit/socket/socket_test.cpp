// Socket over real loopback sockets: every call of the seed's table, and the failures a user
// meets first (refused, timed out, in use).
#include "weft/socket/socket.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>

#include "weft/socket/create.hpp"

using namespace std::chrono_literals;
using weft::Endpoint;
using weft::Ipv4Address;
using weft::Ipv6Address;
using weft::Socket;

namespace {

Endpoint loopback(std::uint16_t port = 0) { return {Ipv4Address::loopback(), port}; }

std::uint16_t port_of(const Socket& s) { return s.getsockname().endpoint().port(); }

}  // namespace

TEST(Socket, SeedHelloHiExchange) {
    Socket server;
    server.setsockopt(weft::ReuseAddress{true});
    server.bind(loopback());
    server.listen();
    std::uint16_t port = port_of(server);

    std::jthread client([port] {
        Socket sk;
        sk.connect(loopback(port));
        sk.send("hello!");
        EXPECT_EQ(sk.recv(1024), "hi");
        sk.close();
    });
    auto [conn, addr] = server.accept();
    EXPECT_TRUE(addr.endpoint().address().is_loopback());
    EXPECT_EQ(conn.getpeername(), addr);
    EXPECT_EQ(conn.getsockname().endpoint().port(), port);
    EXPECT_EQ(conn.recv(1024), "hello!");
    EXPECT_EQ(conn.send("hi"), 2u);
}

TEST(Socket, RecvReturnsZeroOnlyAtOrderlyClose) {
    auto [a, b] = Socket::pair();
    a.sendall("x");
    a.shutdown(weft::Shutdown::write);
    std::array<std::byte, 16> buf;
    EXPECT_EQ(b.recv(buf), 1u);
    EXPECT_EQ(b.recv(buf), 0u);
    EXPECT_EQ(b.recv(16), "");
    // An empty buffer cannot produce a 0 that looks like end of stream.
    EXPECT_THROW(b.recv(std::span<std::byte>()), std::invalid_argument);
}

TEST(Socket, ConnectExReturnsConnectionRefused) {
    // A port held bound but never listening: nobody answers there, and, held for the whole
    // test, no other process can take it meanwhile (one bound and closed again could be,
    // under ctest -j).
    Socket holder;
    holder.bind(loopback());
    std::uint16_t port = port_of(holder);

    Socket sk;
    std::error_code ec = sk.connect_ex(loopback(port));
    EXPECT_EQ(ec, std::errc::connection_refused);

    Socket sk2;
    try {
        sk2.connect(loopback(port));
        FAIL() << "connect to a closed port succeeded";
    } catch (const weft::SocketError& e) {
        EXPECT_EQ(e.code(), std::errc::connection_refused);
        EXPECT_EQ(e.call(), "connect");
        EXPECT_EQ(std::string(e.what()), "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    }
}

TEST(Socket, BindInUseNamesAddress) {
    Socket first = weft::create_server(loopback());
    std::uint16_t port = port_of(first);
    Socket second;
    try {
        second.bind(loopback(port));
        FAIL() << "second bind succeeded";
    } catch (const weft::SocketError& e) {
        EXPECT_EQ(e.code(), std::errc::address_in_use);
        EXPECT_EQ(std::string(e.what()), "bind 127.0.0.1:" + std::to_string(port) + ": Address already in use");
    }
}

TEST(Socket, RecvTimesOut) {
    auto [a, b] = Socket::pair();
    b.settimeout(50ms);
    EXPECT_EQ(b.gettimeout(), std::chrono::nanoseconds(50ms));
    auto t0 = std::chrono::steady_clock::now();
    try {
        (void)b.recv(16);
        FAIL() << "recv returned";
    } catch (const weft::TimeoutError& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out);
        EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos);
    }
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
}

TEST(Socket, AcceptTimesOut) {
    Socket server = weft::create_server(loopback());
    server.settimeout(50ms);
    EXPECT_THROW(server.accept(), weft::TimeoutError);
}

TEST(Socket, ConnectTimesOutWhenBacklogIsFull) {
    // A listener that never accepts, with the smallest backlog: once its queue is full the
    // kernel drops further SYNs, so the next connect waits for a SYN/ACK that does not come.
    Socket server = weft::create_server(loopback(), {.backlog = 0});
    std::uint16_t port = port_of(server);
    std::vector<Socket> queued;
    bool timed_out = false;
    for (int i = 0; i < 32 && !timed_out; ++i) {
        Socket c;
        c.settimeout(200ms);
        try {
            c.connect(loopback(port));
            queued.push_back(std::move(c));
        } catch (const weft::TimeoutError& e) {
            timed_out = true;
            EXPECT_EQ(std::string(e.what()), "connect 127.0.0.1:" + std::to_string(port) + ": timed out");
        }
    }
    EXPECT_TRUE(timed_out) << "connect never waited; " << queued.size() << " connections queued";
    // connect_ex reports the same as a code.
    Socket c;
    c.settimeout(100ms);
    EXPECT_EQ(c.connect_ex(loopback(port)), std::errc::timed_out);
}

TEST(Socket, NonBlockingCallThrowsWouldBlock) {
    auto [a, b] = Socket::pair();
    b.setblocking(false);
    EXPECT_FALSE(b.getblocking());
    EXPECT_EQ(b.gettimeout(), std::chrono::nanoseconds(0));
    EXPECT_TRUE(::fcntl(b.fileno(), F_GETFL) & O_NONBLOCK);
    try {
        (void)b.recv(16);
        FAIL();
    } catch (const weft::SocketError& e) {
        EXPECT_EQ(e.code(), std::errc::resource_unavailable_try_again);
    }
    b.setblocking(true);
    EXPECT_TRUE(b.getblocking());
    EXPECT_FALSE(b.gettimeout().has_value());
    EXPECT_FALSE(::fcntl(b.fileno(), F_GETFL) & O_NONBLOCK);
}

TEST(Socket, SendallPushes64MiBThroughSlowReader) {
    constexpr std::size_t kTotal = 64u << 20;
    Socket server = weft::create_server(loopback());
    std::uint16_t port = port_of(server);

    std::vector<std::byte> data(kTotal);
    std::uint32_t x = 2463534242u;  // xorshift: a pattern that a lost or reordered block breaks
    for (auto& b : data) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b = std::byte(x);
    }

    std::size_t received = 0;
    bool intact = true;
    std::jthread reader([&] {
        auto [conn, addr] = server.accept();
        // Small reads, and a pause now and then for the first stretch: the sender's buffer
        // fills and sendall must wait and resume many times.
        std::array<std::byte, 4096> buf;
        int reads = 0;
        for (;;) {
            std::size_t n = conn.recv(buf);
            if (n == 0) break;
            if (std::memcmp(buf.data(), data.data() + received, n) != 0) intact = false;
            received += n;
            if (++reads % 64 == 0 && reads < 4096) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    // 64 MiB is far more than the socket buffers on both sides hold (a few MiB at most), so
    // sendall must wait for the slow reader and resume many times.
    Socket client;
    client.connect(loopback(port));
    client.sendall(data);
    client.shutdown(weft::Shutdown::write);
    reader.join();
    EXPECT_EQ(received, kTotal);
    EXPECT_TRUE(intact);
}

TEST(Socket, SendallTimeoutBoundsTheWholeCall) {
    auto [a, b] = Socket::pair();
    a.setsockopt(weft::SendBufferSize{4096});
    a.settimeout(100ms);
    std::vector<std::byte> big(8u << 20);
    EXPECT_THROW(a.sendall(big), weft::TimeoutError);  // nobody reads b
}

TEST(Socket, SendToVanishedPeerIsAnErrorNotSigpipe) {
    auto [a, b] = Socket::pair();
    b.close();
    EXPECT_FALSE(b.is_open());
    b.close();  // idempotent
    try {
        a.sendall("into the void");
        a.sendall("again");
        FAIL();
    } catch (const weft::SocketError& e) {
        EXPECT_EQ(e.code(), std::errc::broken_pipe);
    }
}

TEST(Socket, UdpRecvfromSendto) {
    Socket server(weft::Family::inet, weft::Type::datagram);
    server.bind(loopback());
    Socket client(weft::Family::inet, weft::Type::datagram);
    client.sendto("hello", server.getsockname());
    auto [msg, sender] = server.recvfrom(1024);
    EXPECT_EQ(msg, "hello");
    // The client never bound: the kernel gave it an ephemeral port on first send.
    EXPECT_EQ(sender.endpoint().port(), client.getsockname().endpoint().port());
    server.sendto("HELLO", sender);
    auto [reply, from] = client.recvfrom(1024);
    EXPECT_EQ(reply, "HELLO");
    EXPECT_EQ(from, server.getsockname());
}

TEST(Socket, UdpDatagramTruncatedToBuffer) {
    Socket server(weft::Family::inet, weft::Type::datagram);
    server.bind(loopback());
    Socket client(weft::Family::inet, weft::Type::datagram);
    client.sendto("0123456789", server.getsockname());
    auto [msg, sender] = server.recvfrom(4);
    EXPECT_EQ(msg, "0123");
}

TEST(Socket, UdpConnectedPortUnreachableIsRefused) {
    // A port held for the whole test (so no parallel test can take it), by a socket connected
    // to itself: it matches no other sender's datagram, which the kernel answers with port
    // unreachable.
    Socket holder(weft::Family::inet, weft::Type::datagram);
    holder.bind(loopback());
    auto target = holder.getsockname();
    holder.connect(target);
    Socket client(weft::Family::inet, weft::Type::datagram);
    client.connect(target);
    client.send("anyone?");
    client.settimeout(2s);
    try {
        (void)client.recv(16);
        FAIL();
    } catch (const weft::SocketError& e) {
        EXPECT_EQ(e.code(), std::errc::connection_refused);
    }
}

TEST(Socket, Ipv6StreamAndDatagram) {
    Socket server(weft::Family::inet6);
    try {
        server.bind(Endpoint{Ipv6Address::loopback(), 0});
    } catch (const weft::SocketError& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    server.listen();
    auto addr = server.getsockname();
    EXPECT_EQ(addr.to_string(), "[::1]:" + std::to_string(addr.endpoint().port()));
    Socket client(weft::Family::inet6);
    client.connect(addr);
    auto [conn, peer] = server.accept();
    EXPECT_TRUE(peer.endpoint().address().is_v6());
    client.sendall("v6");
    EXPECT_EQ(conn.recv(16), "v6");

    Socket u(weft::Family::inet6, weft::Type::datagram);
    u.bind(Endpoint{Ipv6Address::loopback(), 0});
    Socket v(weft::Family::inet6, weft::Type::datagram);
    v.sendto("dgram", u.getsockname());
    EXPECT_EQ(u.recvfrom(64).first, "dgram");
}

TEST(Socket, UnixPathAndAbstract) {
    std::string path = ::testing::TempDir() + "weft-socket-test-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    for (weft::UnixAddress name : {weft::UnixAddress::path(path),
                                   weft::UnixAddress::abstract("weft-test-" + std::to_string(::getpid()))}) {
        Socket server(weft::Family::unix_domain);
        server.bind(name);
        server.listen();
        EXPECT_EQ(server.getsockname(), weft::SocketAddress(name));
        Socket client(weft::Family::unix_domain);
        client.connect(name);
        auto [conn, peer] = server.accept();
        EXPECT_TRUE(peer.is_unix());
        EXPECT_EQ(conn.getsockname(), weft::SocketAddress(name));
        client.sendall("over unix");
        EXPECT_EQ(conn.recv(64), "over unix");
    }
    ::unlink(path.c_str());

    Socket d1(weft::Family::unix_domain, weft::Type::datagram), d2(weft::Family::unix_domain, weft::Type::datagram);
    auto n1 = weft::UnixAddress::abstract("weft-d1-" + std::to_string(::getpid()));
    d1.bind(n1);
    d2.sendto("dg", n1);
    EXPECT_EQ(d1.recvfrom(8).first, "dg");
}

TEST(Socket, UnixNameTooLongIsRejected) {
    Socket s(weft::Family::unix_domain);
    EXPECT_THROW(s.bind(weft::UnixAddress::path(std::string(200, 'a'))), weft::SocketError);
}

TEST(Socket, ReuseAddrRebindsWhileConnectionsSitInTimeWait) {
    // The seed's "Address already in use" story: the server closes first, so its side of the
    // connection sits in TIME_WAIT holding the port. (Linux lets a new socket share the port
    // with a TIME_WAIT one only when both set SO_REUSEADDR: the restarted server is the same
    // program, so the first one sets it too.)
    std::uint16_t port;
    {
        Socket server = weft::create_server(loopback());
        port = port_of(server);
        Socket client;
        client.connect(loopback(port));
        auto [conn, addr] = server.accept();
        conn.sendall("bye");
        conn.close();  // active close: TIME_WAIT on the server's side
        EXPECT_EQ(client.recv(8), "bye");
        EXPECT_EQ(client.recv(8), "");
        client.close();
    }
    Socket without;
    try {
        without.bind(loopback(port));
        without.listen();
        FAIL() << "rebind without SO_REUSEADDR succeeded; no TIME_WAIT held the port";
    } catch (const weft::SocketError& e) {
        EXPECT_EQ(e.code(), std::errc::address_in_use);
    }
    Socket with;
    with.setsockopt(weft::ReuseAddress{true});
    EXPECT_NO_THROW(with.bind(loopback(port)));
    EXPECT_NO_THROW(with.listen());
}

TEST(Socket, TypedOptions) {
    Socket s;
    s.setsockopt(weft::ReuseAddress{true});
    EXPECT_TRUE(s.getsockopt<weft::ReuseAddress>().value);
    s.setsockopt(weft::ReusePort{true});
    EXPECT_TRUE(s.getsockopt<weft::ReusePort>().value);
    s.setsockopt(weft::KeepAlive{true});
    EXPECT_TRUE(s.getsockopt<weft::KeepAlive>().value);
    s.setsockopt(weft::NoDelay{true});
    EXPECT_TRUE(s.getsockopt<weft::NoDelay>().value);
    s.setsockopt(weft::Broadcast{true});
    EXPECT_TRUE(s.getsockopt<weft::Broadcast>().value);
    s.setsockopt(weft::ReceiveBufferSize{65536});
    EXPECT_EQ(s.getsockopt<weft::ReceiveBufferSize>().value, 2 * 65536);  // Linux doubles it
    s.setsockopt(weft::SendBufferSize{65536});
    EXPECT_EQ(s.getsockopt<weft::SendBufferSize>().value, 2 * 65536);
    s.setsockopt(weft::IpTtl{7});
    EXPECT_EQ(s.getsockopt<weft::IpTtl>().value, 7);
    s.setsockopt(weft::Linger{std::chrono::seconds(3)});
    EXPECT_EQ(s.getsockopt<weft::Linger>().value, std::chrono::seconds(3));
    s.setsockopt(weft::Linger{});
    EXPECT_FALSE(s.getsockopt<weft::Linger>().value.has_value());
    // Raw access.
    s.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 0);
    EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
    int one = 1;
    s.setsockopt(SOL_SOCKET, SO_KEEPALIVE, std::as_bytes(std::span(&one, 1)));
    int out = 0;
    EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_KEEPALIVE, std::as_writable_bytes(std::span(&out, 1))), sizeof(int));
    EXPECT_EQ(out, 1);

    Socket v6(weft::Family::inet6);
    v6.setsockopt(weft::Ipv6V6Only{true});
    EXPECT_TRUE(v6.getsockopt<weft::Ipv6V6Only>().value);
    // A bad option is an error naming the call.
    EXPECT_THROW(s.setsockopt(SOL_SOCKET, 12345, 1), weft::SocketError);
}

TEST(Socket, DescriptorIsCloseOnExecAndReleasable) {
    Socket s;
    EXPECT_TRUE(::fcntl(s.fileno(), F_GETFD) & FD_CLOEXEC);
    int fd = s.release();
    EXPECT_FALSE(s.is_open());
    EXPECT_EQ(s.fileno(), -1);
    Socket adopted = Socket::from_fd(fd);
    EXPECT_EQ(adopted.fileno(), fd);
    EXPECT_EQ(adopted.family(), weft::Family::inet);
    EXPECT_EQ(adopted.type(), weft::Type::stream);
}

TEST(Socket, AcceptedSocketIsCloseOnExecAndInheritsTimeout) {
    Socket server = weft::create_server(loopback());
    server.settimeout(2s);
    Socket client;
    client.connect(server.getsockname());
    auto [conn, addr] = server.accept();
    EXPECT_TRUE(::fcntl(conn.fileno(), F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ(conn.gettimeout(), server.gettimeout());
}

TEST(Socket, MoveTransfersOwnership) {
    Socket a;
    int fd = a.fileno();
    Socket b = std::move(a);
    EXPECT_EQ(b.fileno(), fd);
    EXPECT_EQ(a.fileno(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified
    Socket c;
    c = std::move(b);
    EXPECT_EQ(c.fileno(), fd);
}

TEST(Socket, ConnectByHostName) {
    Socket server = weft::create_server(loopback());
    Socket client;
    client.connect("localhost", port_of(server));
    auto [conn, addr] = server.accept();
    EXPECT_TRUE(addr.endpoint().address().is_loopback());
    Socket bad;
    try {
        bad.connect("no-such-host.invalid", 80);
        FAIL();
    } catch (const weft::SocketError& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos) << e.what();
    }
}

TEST(Socket, CreateConnectionAndCreateServer) {
    Socket server = weft::create_server(loopback());
    EXPECT_TRUE(server.getsockopt<weft::ReuseAddress>().value);
    Socket client = weft::create_connection("127.0.0.1", port_of(server), 1s);
    EXPECT_EQ(client.gettimeout(), std::chrono::nanoseconds(1s));
    auto [conn, addr] = server.accept();
    EXPECT_EQ(addr, client.getsockname());
}
