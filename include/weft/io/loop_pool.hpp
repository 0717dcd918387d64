#pragma once
// LoopPool: N threads, one EventLoop each, started, posted to and stopped as one.
//
//   auto pool = weft::LoopPool::create(2);                  // Result<unique_ptr<LoopPool>>
//   auto udp = weft::UdpServer::start(**pool, at, handler);  // servers share the loops...
//   auto tcp = weft::TcpServer::start(**pool, at, {}, conn); // ...UDP and TCP alike
//   (*pool)->start();
//   ...
//   (*pool)->stop();   // graceful: every server on the pool drains, then the threads end
//   (*pool)->wait();
//
// Servers are *members* of the loops they run on: a member joins a loop with the function
// that begins its graceful stop there, and leaves once it has drained. stop() begins every
// member's stop on its own loop; a loop's thread ends when stop was asked and its last member
// has left. A server can also be stopped alone (TcpServer::stop) while the pool runs on.
//
// Threading rule: everything a member does on a loop runs on that loop's thread; state a
// handler shares with handlers on other loops must be thread-safe (or use threads = 1, or a
// Channel to hand messages across). post() and call() are the ways in from other threads.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"

namespace weft {

/// N threads with one EventLoop each, started and stopped as one (see the top of
/// loop_pool.hpp for how servers join and leave).
class LoopPool {
public:
    using MemberId = std::uint64_t;  ///< Names a member (join()) for leave().

    /// `threads` loops (0: one per core). The error when the kernel refuses epoll/eventfd.
    [[nodiscard]] static Result<std::unique_ptr<LoopPool>> create(std::size_t threads = 0) noexcept;
    /// stop() then wait().
    ~LoopPool();
    LoopPool(const LoopPool&) = delete;
    LoopPool& operator=(const LoopPool&) = delete;

    /// The number of loops (and threads).
    std::size_t size() const noexcept { return workers_.size(); }
    /// Loop `index`; precondition index < size().
    EventLoop& loop(std::size_t index) noexcept { return workers_[index]->loop; }

    /// Starts one thread per loop (idempotent) and returns once each loop runs on its thread.
    /// Before start() the loops belong to the thread that created the pool, which may set
    /// servers up on them directly.
    void start();
    /// True once start() has been called.
    bool started() const noexcept { return started_.load(); }

    /// Thread-safe: runs fn on loop `index`'s thread in a later turn.
    void post(std::size_t index, std::function<void()> fn);
    /// Runs fn on loop `index`'s thread and waits for it: directly when called on that thread
    /// (or before start()), else posted. Rethrows what fn throws. Never call it from another
    /// loop of the pool while that loop is needed to make progress.
    void call(std::size_t index, const std::function<void()>& fn);

    /// Loop thread only: makes the caller a member of loop `index`. `begin_stop` runs there
    /// when the pool stops (at once if it already is stopping); the member calls leave() once
    /// it has drained, after which nothing of it may remain on the loop.
    MemberId join(std::size_t index, std::function<void()> begin_stop);
    /// Loop thread only: the member has finished on loop `index`.
    void leave(std::size_t index, MemberId id) noexcept;

    /// Thread-safe, idempotent: begins every member's graceful stop; each loop's thread ends
    /// once its members have all left (at once for a loop without members).
    void stop() noexcept;
    /// Blocks until every thread has ended (returns at once if never started).
    void wait();

private:
    struct Worker {
        EventLoop loop;
        std::thread thread;
        std::vector<std::pair<MemberId, std::function<void()>>> members;  // loop thread only
        bool stopping = false;                                             // loop thread only
    };

    LoopPool() = default;
    void begin_stop(Worker& worker);

    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<MemberId> next_member_{1};
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> started_{false};
};

}  // namespace weft
