// libevent TCP echo server.
//
//   libevent_echo PORT [THREADS]
//
// Why not bufferevents: libevent 2.1's bufferevent_socket reads at most 4 KiB per callback
// (and evbuffer_read caps itself similarly), so at 64 KiB messages it makes 16 reads and
// 16 callbacks per message and falls far behind — that measures a default, not the library.
// So this uses libevent's core API at its best: a persistent EV_READ event per connection
// whose callback does one read() of up to 64 KiB and one write(); only a short write parks
// the rest in an evbuffer and switches the connection to EV_WRITE until it is flushed.
// evconnlistener accepts. THREADS > 1: one event_base per thread, each with its own
// SO_REUSEPORT listener. Ends on SIGTERM/SIGINT (default action).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

namespace {

thread_local std::vector<char> t_buffer(65536);

struct Conn {
    evutil_socket_t fd;
    event* read_event;
    event* write_event;
    evbuffer* pending;
};

void close_conn(Conn* c) {
    event_free(c->read_event);
    event_free(c->write_event);
    evbuffer_free(c->pending);
    evutil_closesocket(c->fd);
    delete c;
}

void on_write(evutil_socket_t fd, short, void* arg) {
    auto* c = static_cast<Conn*>(arg);
    const int n = evbuffer_write(c->pending, fd);
    if (n < 0 && errno != EAGAIN) {
        close_conn(c);
        return;
    }
    if (evbuffer_get_length(c->pending) == 0) {
        event_del(c->write_event);
        event_add(c->read_event, nullptr);
    }
}

void on_read(evutil_socket_t fd, short, void* arg) {
    auto* c = static_cast<Conn*>(arg);
    const ssize_t r = ::read(fd, t_buffer.data(), t_buffer.size());
    if (r <= 0) {
        if (r < 0 && errno == EAGAIN) return;
        close_conn(c);
        return;
    }
    ssize_t w = ::write(fd, t_buffer.data(), static_cast<std::size_t>(r));
    if (w == r) return;
    if (w < 0) {
        if (errno != EAGAIN) {
            close_conn(c);
            return;
        }
        w = 0;
    }
    evbuffer_add(c->pending, t_buffer.data() + w, static_cast<std::size_t>(r - w));
    event_del(c->read_event);
    event_add(c->write_event, nullptr);
}

void on_accept(evconnlistener* listener, evutil_socket_t fd, sockaddr*, int, void*) {
    event_base* base = evconnlistener_get_base(listener);
    evutil_make_socket_nonblocking(fd);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn{fd, nullptr, nullptr, evbuffer_new()};
    c->read_event = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->write_event = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    event_add(c->read_event, nullptr);
}

void serve(int port) {
    event_base* base = event_base_new();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    evconnlistener* listener = evconnlistener_new_bind(
        base, on_accept, nullptr, LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_FREE, 4096,
        reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (!listener) {
        std::perror("libevent_echo: listen");
        std::exit(1);
    }
    event_base_dispatch(base);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: libevent_echo PORT [THREADS]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(serve, port);
    serve(port);
}
