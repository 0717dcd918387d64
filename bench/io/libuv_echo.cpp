// libuv TCP echo server in libuv's idiom: uv_read_start with an alloc callback handing out a
// 64 KiB per-connection buffer; the read callback answers with uv_try_write (no request, no
// copy, usually all of it) and only queues a uv_write for the rest (copied, reading paused
// until it completes).
//
//   libuv_echo PORT [THREADS]
//
// THREADS > 1: one uv_loop per thread, each with its own SO_REUSEPORT listener (libuv 1.44
// has no UV_TCP_REUSEPORT, so the socket is made by hand and given to uv_tcp_open).
// Ends on SIGTERM/SIGINT (default action).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

namespace {

struct Conn {
    uv_tcp_t handle;
    uv_write_t write_req;
    char* pending = nullptr;  // the tail a uv_write is sending
    char buffer[65536];
};

void on_close(uv_handle_t* h) {
    auto* c = reinterpret_cast<Conn*>(h);
    std::free(c->pending);
    delete c;
}

void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
    auto* c = reinterpret_cast<Conn*>(h);
    *buf = uv_buf_init(c->buffer, sizeof c->buffer);
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);

void on_written(uv_write_t* req, int status) {
    auto* c = static_cast<Conn*>(req->data);
    std::free(c->pending);
    c->pending = nullptr;
    if (status < 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
        return;
    }
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), on_alloc, on_read);
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* c = reinterpret_cast<Conn*>(s);
    if (nread < 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(s), on_close);
        return;
    }
    if (nread == 0) return;  // EAGAIN
    uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(nread));
    int w = uv_try_write(s, &out, 1);
    if (w == nread) return;
    if (w < 0) {
        if (w != UV_EAGAIN) {
            uv_close(reinterpret_cast<uv_handle_t*>(s), on_close);
            return;
        }
        w = 0;
    }
    const auto rest = static_cast<std::size_t>(nread - w);
    c->pending = static_cast<char*>(std::malloc(rest));
    std::memcpy(c->pending, buf->base + w, rest);
    uv_buf_t tail = uv_buf_init(c->pending, static_cast<unsigned>(rest));
    c->write_req.data = c;
    uv_read_stop(s);
    uv_write(&c->write_req, s, &tail, 1, on_written);
}

void on_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* c = new Conn;
    uv_tcp_init(server->loop, &c->handle);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->handle)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), on_alloc, on_read);
}

void serve(int port) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        std::perror("libuv_echo: bind");
        std::exit(1);
    }
    uv_tcp_t server;
    uv_tcp_init(&loop, &server);
    uv_tcp_open(&server, fd);
    if (int r = uv_listen(reinterpret_cast<uv_stream_t*>(&server), 4096, on_connection); r != 0) {
        std::fprintf(stderr, "libuv_echo: listen: %s\n", uv_strerror(r));
        std::exit(1);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: libuv_echo PORT [THREADS]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(serve, port);
    serve(port);
}
