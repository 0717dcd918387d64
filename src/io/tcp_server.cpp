// TcpServer: one Worker per thread. Each worker owns an EventLoop, (in reuse_port mode) its
// own listener, and the connections accepted onto it, tracked by id so that stopping and idle
// checks never hold a pointer into a coroutine frame.

#include "weft/io/tcp_server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>
#include <unordered_map>

#include <sys/socket.h>

#include "weft/io/sleep.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/io/syscalls.hpp"
#include "weft/io/tcp_listener.hpp"

namespace weft {

namespace {
constexpr auto kFirstBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(250);

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
}  // namespace

struct TcpServer::Worker {
    TcpServer& server;
    EventLoop loop;
    TcpListener listener;  // empty on all but loop 0 in single_acceptor mode
    std::thread thread;
    struct Connection {
        int fd;
        TimerId idle_timer;
        TimerId drain_timer = 0;
    };
    std::unordered_map<std::uint64_t, Connection> connections;
    std::uint64_t next_id = 1;
    bool stopping = false;
    std::size_t round_robin = 0;

    explicit Worker(TcpServer& s) : server(s) {}

    Task<> accept_loop();
    Task<> serve(TcpStream stream);
    void adopt(int fd);
    void begin_stop();
    void check_idle(std::uint64_t id);
    void check_draining(std::uint64_t id);
    void connection_ended(std::uint64_t id);
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
        co_await sleep_for(loop, backoff);
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
    loop.spawn(serve(std::move(*stream)));
}

// The root task of one connection: bookkeeping around the user's handler. The guard runs
// whether the handler returns, throws, or its frame is destroyed when draining times out.
Task<> TcpServer::Worker::serve(TcpStream stream) {
    const std::uint64_t id = next_id++;
    const auto idle = server.options_.idle_timeout;
    TimerId timer = idle.count() > 0 ? loop.add_timer(idle, [this, id] { check_idle(id); }) : 0;
    connections.emplace(id, Connection{stream.native_handle(), timer});
    server.active_.fetch_add(1, std::memory_order_relaxed);
    server.accepted_.fetch_add(1, std::memory_order_relaxed);
    struct Guard {
        Worker& worker;
        std::uint64_t id;
        ~Guard() { worker.connection_ended(id); }
    } guard{*this, id};
    co_await server.handler_(std::move(stream));
}

void TcpServer::Worker::connection_ended(std::uint64_t id) {
    if (auto it = connections.find(id); it != connections.end()) {
        loop.cancel_timer(it->second.idle_timer);
        loop.cancel_timer(it->second.drain_timer);
        connections.erase(it);
    }
    server.active_.fetch_sub(1, std::memory_order_relaxed);
    if (stopping && connections.empty()) loop.stop();  // drained: this thread may end
}

// One timer per connection, re-armed lazily: I/O only stamps the descriptor's slot, so a busy
// connection costs one timer operation per idle period, not one per read.
void TcpServer::Worker::check_idle(std::uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    Connection& c = it->second;
    const auto idle = server.options_.idle_timeout;
    const auto deadline = loop.last_activity(c.fd) + idle;
    if (loop.now() < deadline) {
        c.idle_timer = loop.add_timer_at(deadline, [this, id] { check_idle(id); });
        return;
    }
    // Silent too long: everything this connection waits for, or will wait for, times out.
    c.idle_timer = 0;
    const auto why = std::make_error_code(std::errc::timed_out);
    loop.refuse_reads(c.fd, why);
    loop.cancel_fd(c.fd, why);
}

// While stopping: a connection silent for drain_grace has its reads refused (pending and
// future ones that would wait fail with operation_canceled); one with more recent progress is
// looked at again when it would reach that age. Progress only stamps the descriptor's slot,
// so a talking connection costs one timer per grace period.
void TcpServer::Worker::check_draining(std::uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    Connection& c = it->second;
    c.drain_timer = 0;
    const auto silent_at = loop.last_activity(c.fd) + server.options_.drain_grace;
    if (loop.now() < silent_at) {
        c.drain_timer = loop.add_timer_at(silent_at, [this, id] { check_draining(id); });
        return;
    }
    loop.refuse_reads(c.fd, std::make_error_code(std::errc::operation_canceled));
}

void TcpServer::Worker::begin_stop() {
    if (stopping) return;
    stopping = true;
    listener.close();  // the accept loop resumes with operation_canceled and ends
    // Idle connections end now; mid-exchange ones once they fall silent (check_draining).
    // Walking the map here is safe: a refused read's coroutine is queued, never resumed
    // inline, so no connection ends (and leaves the map) inside this loop.
    for (const auto& entry : connections) check_draining(entry.first);
    if (connections.empty()) {
        loop.stop();
        return;
    }
    loop.add_timer(server.options_.drain_timeout, [this] {
        loop.destroy_tasks();  // each guard unregisters its connection
        loop.stop();
    });
}

// ---- TcpServer ---------------------------------------------------------------------------

Result<std::unique_ptr<TcpServer>> TcpServer::start(const Endpoint& at, ServerOptions options,
                                                    ConnectionHandler handler) {
    std::unique_ptr<TcpServer> server(new TcpServer());
    if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
    server->options_ = options;
    server->handler_ = std::move(handler);
    const bool spread = options.accept_mode == AcceptMode::reuse_port && options.threads > 1;
    Endpoint bind_at = at;
    for (std::size_t i = 0; i < options.threads; ++i) {
        auto worker = std::make_unique<Worker>(*server);
        if (i == 0 || spread) {
            // The first listener binds exclusively (see the header): a busy port fails here.
            ListenOptions lo{.backlog = options.backlog, .reuse_port = spread && i > 0,
                             .exclusive_then_shared = spread && i == 0};
            auto listener = TcpListener::bind(worker->loop, bind_at, lo);
            if (!listener) return Unexpected(listener.error());
            worker->listener = std::move(*listener);
            if (i == 0) {
                auto local = worker->listener.local_endpoint();
                if (!local) return Unexpected(local.error());
                server->local_ = bind_at = *local;  // port 0: the others join the real port
            }
        }
        server->workers_.push_back(std::move(worker));
    }
    // Accept loops start on this thread (each loop still belongs to it), then each loop moves
    // to its own thread in run().
    for (auto& w : server->workers_)
        if (w->listener.is_open()) w->loop.spawn(w->accept_loop());
    for (auto& w : server->workers_) {
        Worker* worker = w.get();
        worker->thread = std::thread([worker] {
            worker->loop.run();
            worker->loop.destroy_tasks();  // on its own thread, before the loop is destroyed
        });
    }
    return server;
}

TcpServer::~TcpServer() {
    stop();
    wait();
}

void TcpServer::stop() noexcept {
    if (stopping_.exchange(true)) return;
    for (auto& w : workers_) {
        Worker* worker = w.get();
        try {
            worker->loop.post([worker] { worker->begin_stop(); });
        } catch (...) {
            worker->loop.stop();  // could not allocate the post: stop without draining
        }
    }
}

void TcpServer::wait() {
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
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
