// The io_uring limit: a minimal hand-written io_uring echo server (liburing).
//
//   uring_echo PORT [THREADS]
//   uring_echo --probe         exits 0 when this kernel lets it set up its ring, 1 (saying why) if not
//
// What the issue asks to try against the epoll limit: one multishot accept, one multishot
// receive per connection into a provided-buffer ring (the kernel picks the buffer, so no
// buffer is pinned to an idle connection), and a send straight from that buffer. Per
// connection at most one send is in flight (io_uring does not order two sends on one socket
// when the first has to wait), later chunks queue behind it. Everything is submitted and
// reaped with one io_uring_enter per loop turn: with many connections that is one syscall
// for many messages, where epoll needs an epoll_wait plus a read and a write for each.
// The ring is SINGLE_ISSUER | DEFER_TASKRUN, so completions run in this thread only when it
// asks for them. Ends on SIGTERM/SIGINT (default action).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr unsigned kBuffers = 1024;      // provided buffers (a power of two)
constexpr unsigned kBufferSize = 65536;  // bytes each: 64 MiB of address space, touched lazily
constexpr int kGroup = 0;

enum Kind : std::uint64_t { kAccept = 0, kRecv = 1, kSend = 2, kIgnore = 3 };

struct Chunk {
    std::uint16_t bid;
    std::uint32_t offset, length;
};

struct Conn {
    int fd;
    std::deque<Chunk> queue;  // front is in flight when sending == true
    bool sending = false;
    bool receiving = false;
    bool closed = false;
};

std::uint64_t tag(Kind k, Conn* c) { return reinterpret_cast<std::uint64_t>(c) | k; }

int listen_on(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, 4096) < 0) {
        std::perror("uring_echo: bind/listen");
        std::exit(1);
    }
    return fd;
}

class Server {
public:
    explicit Server(int port) : lfd_(listen_on(port)) {
        io_uring_params p{};
        p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
        p.cq_entries = 65536;
        if (int rc = io_uring_queue_init_params(4096, &ring_, &p); rc < 0) {
            std::fprintf(stderr, "uring_echo: io_uring_queue_init: %s\n", std::strerror(-rc));
            std::exit(1);
        }
        const std::size_t ring_bytes = kBuffers * sizeof(io_uring_buf);
        void* mem = ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        br_ = static_cast<io_uring_buf_ring*>(mem);
        io_uring_buf_ring_init(br_);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uint64_t>(br_);
        reg.ring_entries = kBuffers;
        reg.bgid = kGroup;
        if (int rc = io_uring_register_buf_ring(&ring_, &reg, 0); rc < 0) {
            std::fprintf(stderr, "uring_echo: register_buf_ring: %s\n", std::strerror(-rc));
            std::exit(1);
        }
        data_ = static_cast<char*>(::mmap(nullptr, std::size_t{kBuffers} * kBufferSize, PROT_READ | PROT_WRITE,
                                          MAP_ANONYMOUS | MAP_PRIVATE, -1, 0));
        for (unsigned i = 0; i < kBuffers; ++i) give_back(static_cast<std::uint16_t>(i));
        io_uring_buf_ring_advance(br_, static_cast<int>(returned_));
        returned_ = 0;
    }

    void run() {
        arm_accept();
        for (;;) {
            io_uring_submit_and_wait(&ring_, 1);
            io_uring_cqe* cqe;
            unsigned head, seen = 0;
            io_uring_for_each_cqe(&ring_, head, cqe) {
                ++seen;
                handle(cqe);
            }
            io_uring_cq_advance(&ring_, seen);
            if (returned_) {
                io_uring_buf_ring_advance(br_, static_cast<int>(returned_));
                returned_ = 0;
                // A receive that stopped for want of buffers is re-armed once some came back.
                for (Conn* c : starved_) if (!c->closed) arm_recv(c);
                starved_.clear();
            }
        }
    }

private:
    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&ring_);
        while (!s) {
            io_uring_submit(&ring_);
            s = io_uring_get_sqe(&ring_);
        }
        return s;
    }
    // Buffers go back to the ring in batches: added at increasing offsets, published by
    // one advance at the end of the loop turn.
    void give_back(std::uint16_t bid) {
        io_uring_buf_ring_add(br_, data_ + std::size_t{bid} * kBufferSize, kBufferSize, bid,
                              io_uring_buf_ring_mask(kBuffers), static_cast<int>(returned_++));
    }
    void arm_accept() {
        io_uring_sqe* s = sqe();
        io_uring_prep_multishot_accept(s, lfd_, nullptr, nullptr, SOCK_CLOEXEC);
        io_uring_sqe_set_data64(s, tag(kAccept, nullptr));
    }
    void arm_recv(Conn* c) {
        io_uring_sqe* s = sqe();
        io_uring_prep_recv_multishot(s, c->fd, nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = kGroup;
        io_uring_sqe_set_data64(s, tag(kRecv, c));
        c->receiving = true;
    }
    void send_front(Conn* c) {
        const Chunk& k = c->queue.front();
        io_uring_sqe* s = sqe();
        io_uring_prep_send(s, c->fd, data_ + std::size_t{k.bid} * kBufferSize + k.offset, k.length, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(s, tag(kSend, c));
        c->sending = true;
    }
    void maybe_free(Conn* c) {
        if (c->closed && !c->sending && !c->receiving) delete c;
    }
    void handle(io_uring_cqe* cqe) {
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        auto* c = reinterpret_cast<Conn*>(data & ~std::uint64_t{3});
        const int res = cqe->res;
        switch (static_cast<Kind>(data & 3)) {
        case kAccept: {
            if (res >= 0) {
                int one = 1;
                ::setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                arm_recv(new Conn{res, {}, false, false, false});
            }
            if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept();
            return;
        }
        case kRecv: {
            const bool more = cqe->flags & IORING_CQE_F_MORE;
            if (!more) c->receiving = false;
            if (res > 0 && c->closed) {
                give_back(static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
                maybe_free(c);
                return;
            }
            if (res > 0) {
                const auto bid = static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                c->queue.push_back({bid, 0, static_cast<std::uint32_t>(res)});
                if (!c->sending && !c->closed) send_front(c);
                if (!more && !c->closed) arm_recv(c);  // the kernel ended it; keep receiving
                return;
            }
            if (res == -ENOBUFS) {
                starved_.push_back(c);
                return;
            }
            close(c);  // EOF or error
            maybe_free(c);
            return;
        }
        case kIgnore:
            return;
        case kSend: {
            c->sending = false;
            Chunk& k = c->queue.front();
            if (res > 0 && !c->closed && static_cast<std::uint32_t>(res) < k.length) {
                k.offset += static_cast<std::uint32_t>(res);
                k.length -= static_cast<std::uint32_t>(res);
                send_front(c);
                return;
            }
            give_back(k.bid);
            c->queue.pop_front();
            if (res < 0) close(c);
            if (c->closed) {
                for (const Chunk& rest : c->queue) give_back(rest.bid);
                c->queue.clear();
                maybe_free(c);
            } else if (!c->queue.empty()) {
                send_front(c);
            }
            return;
        }
        }
        return;
    }
    void close(Conn* c) {
        if (c->closed) return;
        c->closed = true;
        if (c->receiving) {  // the ring holds the file: cancel the receive explicitly
            io_uring_sqe* s = sqe();
            io_uring_prep_cancel64(s, tag(kRecv, c), 0);
            io_uring_sqe_set_data64(s, tag(kIgnore, nullptr));
        }
        ::close(c->fd);
        if (!c->sending) {
            for (const Chunk& rest : c->queue) give_back(rest.bid);
            c->queue.clear();
        }
    }

    int lfd_;
    io_uring ring_{};
    io_uring_buf_ring* br_ = nullptr;
    char* data_ = nullptr;
    std::vector<Conn*> starved_;
    unsigned returned_ = 0;  // buffers added since the last advance
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: uring_echo PORT [THREADS] | --probe\n");
        return 2;
    }
    // io_uring may be missing (kernel < 6.1 for DEFER_TASKRUN) or disabled by policy
    // (kernel.io_uring_disabled, seccomp): the constructor exits 1 with the reason.
    if (std::strcmp(argv[1], "--probe") == 0) {
        Server probe(0);
        return 0;
    }
    const int port = std::atoi(argv[1]);
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([port] { Server(port).run(); });
    Server(port).run();
}
