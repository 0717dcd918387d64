#pragma once
// EventLoop: one epoll instance driven by one thread.
//
// A loop belongs to the thread that calls run() (before that, to the thread that created
// it). Only post(), run_in_loop() and stop() may be called from other threads; every other
// call asserts it is on the loop's thread (assert_in_loop_thread aborts with a message).
//
//   weft::EventLoop loop;
//   loop.spawn(serve(loop));        // a root Task<>, owned by the loop from now on
//   loop.run();                     // until loop.stop()
//
// Descriptors are registered once, edge-triggered, for EPOLLIN|EPOLLOUT|EPOLLRDHUP. Why ET:
// every awaitable tries its syscall before it waits, so it only ever waits after EAGAIN —
// exactly the moment an edge is guaranteed to follow — and switching between reading and
// writing needs no epoll_ctl at all (level-triggered would have to toggle EPOLLOUT around
// every blocked write, or wake on every loop turn while a socket stays writable). The cost:
// a reader must drain until EAGAIN before it may wait, which the awaitables do.

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <vector>

#include "weft/expected.hpp"
#include "weft/io/task.hpp"
#include "weft/io/timer_heap.hpp"

namespace weft {

namespace detail {

/// One operation waiting for readiness. It lives inside an awaitable, inside a suspended
/// coroutine frame: the loop keeps only pointers to it, so waiting allocates nothing.
struct LoopAccess;

struct IoOp {
    /// Retries the syscall after an edge; true when the op is finished (result stored).
    using Perform = bool (*)(IoOp& op) noexcept;
    enum class State : std::uint8_t { idle, waiting, queued };

    Perform perform = nullptr;
    std::coroutine_handle<> waiter;
    std::error_code cancelled;  // set when the op ended by cancellation instead
    int fd = -1;
    bool for_write = false;
    State state = State::idle;
    IoOp* prev = nullptr;  // link in the loop's queue of cancelled ops
    IoOp* next = nullptr;
};

}  // namespace detail

/// One epoll loop on one thread: descriptors, timers, posted functions and the coroutines it
/// owns (see the top of event_loop.hpp). Everything but post(), stop() and run_in_loop() is
/// for the loop's own thread.
class EventLoop {
public:
    using Clock = std::chrono::steady_clock;  ///< The timers' clock (monotonic).

    /// Creates the epoll instance and the eventfd. Throws std::system_error if the kernel
    /// refuses either (descriptor exhaustion): there is no loop to report to yet.
    EventLoop();
    /// Destroys the root tasks still alive (their awaitables unregister, their sockets close),
    /// then the loop. Call it on the loop's thread, after run() returned.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    /// Runs until stop(); binds the loop to the calling thread. Returns at once if stop() was
    /// called before; the stop request is consumed, so run() can be called again.
    void run();
    /// Thread-safe: makes run() return after the current turn.
    void stop() noexcept;

    /// Thread-safe: runs fn on the loop's thread, in a later turn, in posting order.
    void post(std::function<void()> fn);
    /// Runs fn now when called on the loop's thread, else posts it.
    void run_in_loop(std::function<void()> fn);

    /// Runs fn once, `delay` from now. Loop thread only.
    TimerId add_timer(Clock::duration delay, std::function<void()> fn);
    /// Runs fn once at `when` (a steady_clock time). Loop thread only.
    TimerId add_timer_at(Clock::time_point when, std::function<void()> fn);
    /// Safe from any callback, including the timer's own; false when it already ran or was
    /// cancelled.
    bool cancel_timer(TimerId id) noexcept;

    /// Starts a root task the loop owns: its frame is destroyed when it finishes, or when the
    /// loop is destroyed (or destroy_tasks() is called) before it does. An exception escaping
    /// it goes to the exception handler (default: one line on stderr). Loop thread only.
    void spawn(Task<> task);
    /// Destroys every root task still running (each pending awaitable unregisters itself).
    void destroy_tasks() noexcept;
    /// Root tasks (spawn()) not finished yet.
    std::size_t task_count() const noexcept { return roots_.size(); }
    /// Replaces what receives an exception escaping a root task (default: one line on stderr).
    void set_exception_handler(std::function<void(std::exception_ptr)> handler);

    /// Runs the loop until `task` finishes and returns its value (or rethrows its exception).
    /// For clients and tests; must not be called from inside run().
    template <class T>
    T block_on(Task<T> task);

    /// True on the loop's thread: the one that created it, or that last called run().
    bool in_loop_thread() const noexcept { return thread_.load() == std::this_thread::get_id(); }
    /// Aborts with a message when called off the loop's thread.
    void assert_in_loop_thread() const noexcept;
    /// The time sampled when the current turn began (cheap; what idle tracking uses).
    Clock::time_point now() const noexcept { return now_; }

    /// The loop running on the calling thread (inside run() or block_on()), else nullptr.
    /// What with_timeout(limit, task) uses to find its timer.
    static EventLoop* current() noexcept;

private:
    // Descriptor registration, waiting and per-descriptor state are for io/'s own handles
    // and servers, through detail::LoopAccess (event_loop_access.hpp): a user of the loop
    // never needs them, and keeping them out of the public API lets them change.
    friend struct detail::LoopAccess;

    struct Slot {
        detail::IoOp* reader = nullptr;
        detail::IoOp* writer = nullptr;
        Clock::time_point last_activity{};
        std::error_code reads_refused;
        bool registered = false;
        bool read_ready = true;   // see LoopAccess::read_ready: unknown counts as ready
        bool hung_up = false;     // the peer closed or reset: reads return at once from now on
        bool mid_message = false; // a stream handler is inside a message (graceful stop waits)
    };

    Result<void> register_fd(int fd) noexcept;
    void unregister_fd(int fd, bool remove_from_epoll) noexcept;
    bool wait(detail::IoOp& op) noexcept;
    void cancel(detail::IoOp& op, std::error_code why) noexcept;
    void cancel_fd(int fd, std::error_code why) noexcept;
    void refuse_reads(int fd, std::error_code why) noexcept;
    void forget(detail::IoOp& op) noexcept;
    void* spawn_root(Task<> task);
    void destroy_root(void* frame) noexcept;

    static void root_done(void* owner, std::coroutine_handle<> frame) noexcept;
    void dispatch(int fd, std::uint32_t events);
    void complete(int fd, bool write);
    void run_posted();
    void run_cancelled();
    void wake() noexcept;
    int next_timeout_ms() const noexcept;
    Slot* slot(int fd) noexcept;

    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::atomic<std::thread::id> thread_;
    std::atomic<bool> stop_requested_{false};
    Clock::time_point now_;
    std::vector<Slot> slots_;  // indexed by descriptor
    TimerHeap timers_;

    std::mutex posted_mutex_;
    std::vector<std::function<void()>> posted_;
    std::atomic<bool> wake_pending_{false};

    detail::IoOp* cancelled_head_ = nullptr;  // ops to resume with their error this turn
    detail::IoOp* cancelled_tail_ = nullptr;

    std::unordered_set<void*> roots_;
    std::function<void(std::exception_ptr)> exception_handler_;
    std::unique_ptr<std::byte[]> read_buffer_;  // lent to one stream read at a time
};

namespace detail {
template <class T>
Task<> block_on_root(Task<T> task, std::optional<T>& value, std::exception_ptr& error, EventLoop& loop) {
    try {
        value.emplace(co_await std::move(task));
    } catch (...) {
        error = std::current_exception();
    }
    loop.stop();
}
inline Task<> block_on_root(Task<void> task, std::optional<bool>& done, std::exception_ptr& error,
                            EventLoop& loop) {
    try {
        co_await std::move(task);
        done.emplace(true);
    } catch (...) {
        error = std::current_exception();
    }
    loop.stop();
}
}  // namespace detail

template <class T>
T EventLoop::block_on(Task<T> task) {
    using Stored = std::conditional_t<std::is_void_v<T>, bool, T>;
    std::optional<Stored> value;
    std::exception_ptr error;
    spawn(detail::block_on_root(std::move(task), value, error, *this));
    // Someone else may stop the loop first; keep turning until this task has finished.
    do run();
    while (!value && !error);
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return std::move(*value);
}

}  // namespace weft
