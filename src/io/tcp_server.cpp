// TcpServer: one Worker per loop of its pool. Each worker owns (in reuse_port mode) its own
// listener and the connections accepted onto it, tracked by id so that stopping and idle
// checks never hold a pointer into a coroutine frame.

#include "weft/io/tcp_server.hpp"

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/io/syscalls.hpp"
#include "weft/io/tcp_listener.hpp"

namespace weft {

namespace {
constexpr auto kFirstBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(250);

using detail::LoopAccess;

// errno codes compared by category and value. `ec == std::errc::x` is a virtual call into the
// category, and UBSan's vptr check of libstdc++'s category object probes memory with a pipe():
// out of descriptors that fails, and sanitizer builds aborted here with a false "invalid vptr".
bool is_errno(const std::error_code& ec, int value) noexcept {
    return ec.value() == value &&
           (ec.category() == std::generic_category() || ec.category() == std::system_category());
}

bool out_of_descriptors(const std::error_code& ec) {
    return is_errno(ec, EMFILE) || is_errno(ec, ENFILE) || is_errno(ec, ENOBUFS) || is_errno(ec, ENOMEM);
}

// Bytes the peer sent that nobody has read yet.
int unread_bytes(int fd) noexcept {
    int n = 0;
    return ::ioctl(fd, FIONREAD, &n) < 0 ? 0 : n;
}
}  // namespace

struct TcpServer::Worker : detail::StreamOwner {
    TcpServer& server;
    std::size_t index;
    EventLoop& loop;
    TcpListener listener;  // empty on all but loop 0 in single_acceptor mode
    struct Connection {
        int fd;
        TimerId idle_timer;
        void* frame = nullptr;     // the root task: the handler's, then the linger's
        bool handler_running = true;
        bool lingering = false;
    };
    std::unordered_map<std::uint64_t, Connection> connections;
    std::uint64_t next_id = 1;
    std::size_t round_robin = 0;
    LoopPool::MemberId member = 0;
    TimerId drain_timer = 0;
    EventLoop::Clock::time_point drain_deadline = EventLoop::Clock::time_point::max();
    bool past_deadline = false;
    bool finished = false;
    bool walking = false;  // inside a walk over `connections`: finishing waits until it ends
    void* accept_frame = nullptr;

    Worker(TcpServer& s, std::size_t i) : server(s), index(i), loop(s.pool_->loop(i)) {
        take_back = &Worker::take_back_fd;
    }

    Task<> accept_loop();
    Task<> serve(std::uint64_t id, TcpStream stream);
    Task<> linger(std::uint64_t id, int fd);
    void adopt(int fd);
    void begin_stop();
    bool idle(const Connection& c) const noexcept;
    void check_idle(std::uint64_t id);
    void handler_ended(std::uint64_t id);
    void linger_ended(std::uint64_t id);
    void drain_timed_out();
    void maybe_finish();
    void abandon() noexcept;
    static void take_back_fd(detail::StreamOwner& owner, std::uint64_t id, int fd) noexcept;
};

// Accepts until the listener closes. Out of descriptors, it sleeps instead of retrying at
// once: the pending connection keeps the listener readable, so a retry loop would spin.
Task<> TcpServer::Worker::accept_loop() {
    auto backoff = kFirstBackoff;
    const bool hand_out = server.options_.accept_mode == AcceptMode::single_acceptor;
    while (!stopping) {
        auto fd = co_await listener.accept_fd();
        if (fd) {
            backoff = kFirstBackoff;
            Worker& target = hand_out ? *server.workers_[round_robin++ % server.workers_.size()] : *this;
            if (&target == this) adopt(*fd);
            else target.loop.post([&target, raw = *fd] { target.adopt(raw); });
            continue;
        }
        if (is_errno(fd.error(), ECANCELED) || stopping) break;
        if (out_of_descriptors(fd.error())) server.accept_pauses_.fetch_add(1, std::memory_order_relaxed);
        // Any other error (ECONNABORTED is retried inside accept) also waits a little.
        (void)co_await sleep_for(loop, backoff);
        backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
    }
}

void TcpServer::Worker::adopt(int fd) {
    if (stopping) {  // handed over while this loop was already stopping
        detail::sys_close(fd);
        return;
    }
    const auto& options = server.options_;
    if (options.max_connections != 0 &&
        server.active_.load(std::memory_order_relaxed) >= options.max_connections) {
        server.refused_.fetch_add(1, std::memory_order_relaxed);
        detail::sys_close(fd);
        return;
    }
    if (options.high_water_mark != 0) {
        // The kernel doubles the value for bookkeeping; what it accepts is still bounded by it.
        (void)detail::sys_setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, static_cast<int>(options.high_water_mark));
    }
    auto stream = TcpStream::adopt(loop, fd);
    if (!stream) return;  // adopt closed it
    const std::uint64_t id = next_id++;
    attach(*stream, id);  // its close() comes back to take_back_fd
    const auto idle_limit = options.idle_timeout;
    const TimerId timer = idle_limit.count() > 0 ? loop.add_timer(idle_limit, [this, id] { check_idle(id); }) : 0;
    connections.emplace(id, Connection{fd, timer});
    server.active_.fetch_add(1, std::memory_order_relaxed);
    server.accepted_.fetch_add(1, std::memory_order_relaxed);
    void* frame = LoopAccess::spawn_root(loop, serve(id, std::move(*stream)));
    // The handler may already have ended (and its entry gone, or be lingering in its place).
    if (auto it = connections.find(id); it != connections.end() && it->second.handler_running)
        it->second.frame = frame;
}

// The root task of one connection: the user's handler with bookkeeping around it. The guard
// runs whether the handler returns, throws, or its frame is destroyed at the drain deadline.
Task<> TcpServer::Worker::serve(std::uint64_t id, TcpStream stream) {
    struct Guard {
        Worker& worker;
        std::uint64_t id;
        ~Guard() { worker.handler_ended(id); }
    } guard{*this, id};
    co_await server.handler_(std::move(stream));
}

void TcpServer::Worker::handler_ended(std::uint64_t id) {
    server.active_.fetch_sub(1, std::memory_order_relaxed);
    auto it = connections.find(id);
    if (it == connections.end()) return;
    Connection& c = it->second;
    c.handler_running = false;
    if (c.lingering) return;  // the stream came back and is being ended; linger_ended erases
    // The stream was released, moved out of the handler, or closed at once: nothing to wait for.
    loop.cancel_timer(c.idle_timer);
    connections.erase(it);
    maybe_finish();
}

// A handler's stream closed. End the connection the way that loses nothing (see the header).
void TcpServer::Worker::take_back_fd(detail::StreamOwner& owner, std::uint64_t id, int fd) noexcept {
    auto& self = static_cast<Worker&>(owner);
    auto it = self.connections.find(id);
    const bool peer_done = LoopAccess::hung_up(self.loop, fd) && unread_bytes(fd) == 0;
    if (it == self.connections.end() || self.past_deadline || peer_done) {
        LoopAccess::unregister_fd(self.loop, fd);
        detail::sys_close(fd);
        return;
    }
    it->second.lingering = true;
    it->second.frame = nullptr;
    LoopAccess::allow_reads(self.loop, fd);  // an idle or stopping refusal must not stop the drain
    void* frame = nullptr;
    try {
        frame = LoopAccess::spawn_root(self.loop, self.linger(id, fd));
    } catch (...) {  // no memory for the frame: close as a plain close would
        LoopAccess::unregister_fd(self.loop, fd);
        detail::sys_close(fd);
        if (auto again = self.connections.find(id); again != self.connections.end()) again->second.lingering = false;
        return;
    }
    // The linger may already have ended (the peer's FIN was there) and its entry be gone:
    // look it up again rather than through a reference the erase invalidated.
    if (auto again = self.connections.find(id); again != self.connections.end()) again->second.frame = frame;
}

// FIN, then read and drop what the peer still sends until it closes or time runs out.
Task<> TcpServer::Worker::linger(std::uint64_t id, int fd) {
    struct Guard {
        Worker& worker;
        std::uint64_t id;
        ~Guard() { worker.linger_ended(id); }
    } guard{*this, id};
    TcpStream stream = TcpStream::adopt_registered(loop, fd);  // no owner: its close is plain
    (void)stream.shutdown_write();
    const auto until = std::min(loop.now() + server.options_.linger_timeout, drain_deadline);
    for (;;) {
        const auto left = until - EventLoop::Clock::now();
        if (left <= EventLoop::Clock::duration::zero()) break;
        auto got = co_await with_timeout(left, stream.read_lent());
        if (!got || got->empty()) break;  // timed out, EOF or an error: done either way
    }
}

void TcpServer::Worker::linger_ended(std::uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    loop.cancel_timer(it->second.idle_timer);
    connections.erase(it);
    maybe_finish();
}

// One timer per connection, re-armed lazily: I/O only stamps the descriptor's slot, so a busy
// connection costs one timer operation per idle period, not one per read.
void TcpServer::Worker::check_idle(std::uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    Connection& c = it->second;
    c.idle_timer = 0;
    if (!c.handler_running) return;
    const auto deadline = LoopAccess::last_activity(loop, c.fd) + server.options_.idle_timeout;
    if (loop.now() < deadline) {
        c.idle_timer = loop.add_timer_at(deadline, [this, id] { check_idle(id); });
        return;
    }
    // Silent too long: everything this connection waits for, or will wait for, times out.
    const auto why = std::make_error_code(std::errc::timed_out);
    LoopAccess::refuse_reads(loop, c.fd, why);
    LoopAccess::cancel_fd(loop, c.fd, why);
}

// Idle means nothing in flight either way: the handler waits to read between messages with
// nothing unread, and no write of it waits for the peer.
bool TcpServer::Worker::idle(const Connection& c) const noexcept {
    return c.handler_running && LoopAccess::read_waiting(loop, c.fd) && !LoopAccess::write_waiting(loop, c.fd) &&
           !LoopAccess::mid_message(loop, c.fd) && !LoopAccess::hung_up(loop, c.fd) && unread_bytes(c.fd) == 0;
}

void TcpServer::Worker::begin_stop() {
    if (stopping) return;
    stopping = true;  // stop_requested() of every stream of this worker from now on
    listener.close();  // the accept loop resumes with operation_canceled and ends
    if (server.options_.accept_mode == AcceptMode::single_acceptor && index == 0) {
        // Posted after every hand-over this loop made, so no adopt() reaches a stopped worker.
        for (auto& w : server.workers_)
            if (w.get() != this) server.pool_->post(w->index, [worker = w.get()] { worker->begin_stop(); });
    }
    // Walking the map is safe: a refused read's coroutine is queued, never resumed inline.
    for (auto& [id, c] : connections)
        if (idle(c)) LoopAccess::refuse_reads(loop, c.fd, std::make_error_code(std::errc::operation_canceled));
    drain_deadline = loop.now() + server.options_.drain_timeout;
    drain_timer = loop.add_timer(server.options_.drain_timeout, [this] {
        drain_timer = 0;
        drain_timed_out();
    });
    maybe_finish();
}

void TcpServer::Worker::drain_timed_out() {
    past_deadline = true;  // streams closed from now on close at once
    std::vector<void*> frames;
    for (auto& entry : connections)
        if (entry.second.frame) frames.push_back(entry.second.frame);
    // Each destroyed frame's guard erases its connection (and no new frame starts: past the
    // deadline take_back closes plainly). Finishing could free this worker, so it waits.
    walking = true;
    for (void* frame : frames) LoopAccess::destroy_root(loop, frame);
    for (auto& entry : connections) loop.cancel_timer(entry.second.idle_timer);
    connections.clear();  // streams that outlived their handler close plainly when they do
    walking = false;
    maybe_finish();
}

void TcpServer::Worker::maybe_finish() {
    if (!stopping || finished || walking || !connections.empty()) return;
    finished = true;
    if (drain_timer) loop.cancel_timer(std::exchange(drain_timer, 0));
    server.pool_->leave(index, member);
    server.worker_finished();  // may let the server's owner destroy this worker: last
}

// ---- TcpServer ---------------------------------------------------------------------------

Result<std::unique_ptr<TcpServer>> TcpServer::start(const Endpoint& at, ServerOptions options,
                                                    ConnectionHandler handler) {
    auto pool = LoopPool::create(options.threads);
    if (!pool) return Unexpected(pool.error());
    LoopPool& loops = **pool;
    auto server = start(loops, at, options, std::move(handler));
    if (!server) return server;
    (*server)->own_pool_ = std::move(*pool);
    loops.start();
    return server;
}

Result<std::unique_ptr<TcpServer>> TcpServer::start(LoopPool& pool, const Endpoint& at, ServerOptions options,
                                                    ConnectionHandler handler) {
    std::unique_ptr<TcpServer> server(new TcpServer());
    server->pool_ = &pool;
    server->options_ = options;
    server->handler_ = std::move(handler);
    const std::size_t loops = pool.size();
    const bool spread = options.accept_mode == AcceptMode::reuse_port && loops > 1;
    for (std::size_t i = 0; i < loops; ++i) server->workers_.push_back(std::make_unique<Worker>(*server, i));
    // Bind on each loop's own thread (in order: the first fixes the port the others join).
    Endpoint bind_at = at;
    std::error_code failed;
    for (std::size_t i = 0; i < loops && !failed; ++i) {
        if (i > 0 && !spread) break;
        Worker& w = *server->workers_[i];
        pool.call(i, [&] {
            // The first listener binds exclusively (see the header): a busy port fails here.
            const PortSharing sharing = !spread ? PortSharing::exclusive
                                        : i == 0 ? PortSharing::exclusive_then_shared
                                                 : PortSharing::shared;
            auto listener = TcpListener::bind(w.loop, bind_at, {.backlog = options.backlog, .sharing = sharing});
            if (!listener) {
                failed = listener.error();
                return;
            }
            w.listener = std::move(*listener);
            if (i == 0) {
                auto local = w.listener.local_endpoint();
                if (!local) {
                    failed = local.error();
                    return;
                }
                server->local_ = bind_at = *local;  // port 0: the others join the real port
            }
        });
    }
    if (failed) {
        for (std::size_t i = 0; i < loops; ++i) pool.call(i, [&] { server->workers_[i]->listener.close(); });
        server->stopping_ = true;  // nothing joined the pool: the destructor has nothing to stop
        return Unexpected(failed);
    }
    server->running_workers_ = loops;
    for (std::size_t i = 0; i < loops; ++i) {
        Worker* w = server->workers_[i].get();
        pool.call(i, [w] {
            w->member = w->server.pool_->join(w->index, [w] { w->begin_stop(); });
            if (w->listener.is_open()) w->accept_frame = LoopAccess::spawn_root(w->loop, w->accept_loop());
        });
    }
    return server;
}

TcpServer::~TcpServer() {
    stop();
    wait();
}

// The pool never ran: nothing was accepted and nothing can drain. Undo what start() left on
// the loop (the accept task, the listener, the membership) so that wait() returns and no
// frame outlives this worker.
void TcpServer::Worker::abandon() noexcept {
    stopping = true;
    if (accept_frame) LoopAccess::destroy_root(loop, std::exchange(accept_frame, nullptr));
    listener.close();
    maybe_finish();  // no connection was ever accepted: it finishes here
}

void TcpServer::stop() noexcept {
    if (stopping_.exchange(true)) return;
    if (!pool_->started()) {
        for (auto& w : workers_)
            if (w->member != 0) w->abandon();  // a failed start() left no member behind
        return;
    }
    try {
        if (options_.accept_mode == AcceptMode::single_acceptor) {
            // Worker 0 hands connections out; it passes the stop on (see begin_stop).
            pool_->post(0, [w = workers_[0].get()] { w->begin_stop(); });
        } else {
            for (auto& w : workers_) pool_->post(w->index, [worker = w.get()] { worker->begin_stop(); });
        }
    } catch (...) {
        if (own_pool_) own_pool_->stop();  // no memory for the posts: the pool's stop still works
    }
}

void TcpServer::worker_finished() noexcept {
    if (running_workers_.fetch_sub(1) == 1) {
        if (own_pool_) own_pool_->stop();  // this server was the pool's only member
        running_workers_.notify_all();
    }
}

void TcpServer::wait() {
    for (auto n = running_workers_.load(); n != 0; n = running_workers_.load()) running_workers_.wait(n);
    if (own_pool_) own_pool_->wait();
}

ServerStats TcpServer::stats() const noexcept {
    return {active_.load(), accepted_.load(), refused_.load(), accept_pauses_.load()};
}

Result<void> serve_tcp(const Endpoint& at, ServerOptions options, ConnectionHandler handler) {
    // Block the signals before any server thread exists, so that all of them inherit the mask.
    auto signals = StopSignals::open();
    if (!signals) return Unexpected(signals.error());
    auto server = TcpServer::start(at, options, std::move(handler));
    if (!server) return Unexpected(server.error());
    auto signo = signals->wait();
    (*server)->stop();
    (*server)->wait();
    if (!signo) return Unexpected(signo.error());
    return {};
}

}  // namespace weft
