// The practical limit: a minimal hand-written epoll echo server.
//
//   epoll_echo PORT [THREADS]
//
// Level-triggered, EPOLLIN only: per message one epoll_wait event, one read() of up to
// 64 KiB into a per-thread buffer, one write() of what was read. Only when a write is short
// does the remainder go to a per-connection buffer and the connection switch to EPOLLOUT
// (reads stop until it is flushed: backpressure). Threads > 1: each has its own epoll and
// its own SO_REUSEPORT listener. Ends on SIGTERM/SIGINT (default action).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Conn {
    int fd;
    std::string pending;  // unsent tail of a short write
    std::size_t offset = 0;
};

int listen_on(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, 4096) < 0) {
        std::perror("epoll_echo: bind/listen");
        std::exit(1);
    }
    return fd;
}

void close_conn(Conn* c) {
    ::close(c->fd);  // closing removes it from epoll
    delete c;
}

void serve(int port) {
    const int lfd = listen_on(port);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the listener
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::vector<char> buffer(65536);
    epoll_event events[256];
    for (;;) {
        const int n = ::epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<Conn*>(events[i].data.ptr);
            if (!c) {
                for (;;) {
                    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    int one = 1;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.ptr = new Conn{fd, {}, 0};
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            if (!c->pending.empty()) {  // waiting for EPOLLOUT
                const ssize_t w = ::write(c->fd, c->pending.data() + c->offset, c->pending.size() - c->offset);
                if (w < 0 && errno != EAGAIN) {
                    close_conn(c);
                    continue;
                }
                if (w > 0) c->offset += static_cast<std::size_t>(w);
                if (c->offset == c->pending.size()) {
                    c->pending.clear();
                    c->offset = 0;
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.ptr = c;
                    ::epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
                }
                continue;
            }
            const ssize_t r = ::read(c->fd, buffer.data(), buffer.size());
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                close_conn(c);
                continue;
            }
            ssize_t w = ::write(c->fd, buffer.data(), static_cast<std::size_t>(r));
            if (w == r) continue;
            if (w < 0) {
                if (errno != EAGAIN) {
                    close_conn(c);
                    continue;
                }
                w = 0;
            }
            c->pending.assign(buffer.data() + w, static_cast<std::size_t>(r - w));
            epoll_event cev{};
            cev.events = EPOLLOUT;
            cev.data.ptr = c;
            ::epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: epoll_echo PORT [THREADS]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(serve, port);
    serve(port);
}
