#pragma once
// sleep_for and with_timeout.
//
//   co_await weft::sleep_for(loop, 100ms);                       // Result<void>
//   auto n = co_await weft::with_timeout(2s, conn.read_some(buf)); // the inner result, or
//                                                                  // std::errc::timed_out
//   auto r = co_await weft::with_timeout(5s, resolve_all(names));  // a whole Task<T>: Result<T>
//
// Timeouts are a wrapper rather than a parameter of each operation: any cancellable
// awaitable (one with loop() and cancel(error_code): every io/ awaitable, sleep included)
// gets one, and operations that need none pay nothing. The wrapper arms one timer only when
// the inner operation actually suspends (the optimistic first try often completes at once).

#include <chrono>
#include <concepts>
#include <coroutine>
#include <system_error>
#include <utility>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"

namespace weft {

namespace detail {

class [[nodiscard]] SleepAwaiter {
public:
    SleepAwaiter(EventLoop& loop, EventLoop::Clock::duration delay) noexcept : loop_(&loop), delay_(delay) {}
    SleepAwaiter(SleepAwaiter&& other) noexcept : loop_(other.loop_), delay_(other.delay_) {}
    ~SleepAwaiter() {
        if (timer_) loop_->cancel_timer(timer_);
    }

    EventLoop* loop() const noexcept { return loop_; }
    /// Ends the sleep early with `why` (resumed in the next loop turn, never inline).
    void cancel(std::error_code why) noexcept {
        if (!timer_ || error_) return;
        loop_->cancel_timer(timer_);
        error_ = why;
        timer_ = loop_->add_timer(EventLoop::Clock::duration::zero(), [this] { wake(); });
    }

    bool await_ready() const noexcept { return delay_.count() <= 0; }
    void await_suspend(std::coroutine_handle<> awaiter) {
        waiter_ = awaiter;
        timer_ = loop_->add_timer(delay_, [this] { wake(); });
    }
    Result<void> await_resume() const noexcept {
        if (error_) return Unexpected(error_);
        return {};
    }

private:
    void wake() noexcept {
        timer_ = 0;
        detail::resume_all(waiter_);
    }
    EventLoop* loop_;
    EventLoop::Clock::duration delay_;
    TimerId timer_ = 0;
    std::coroutine_handle<> waiter_;
    std::error_code error_;
};

}  // namespace detail

/// Resumes after `delay` (in a later loop turn); a cancelled sleep returns the cancel error.
inline detail::SleepAwaiter sleep_for(EventLoop& loop, EventLoop::Clock::duration delay) noexcept {
    return {loop, delay};
}

/// An awaitable the timeout wrapper can bound.
template <class A>
concept CancellableAwaitable = requires(A& a, std::error_code why) {
    { a.loop() } -> std::convertible_to<EventLoop*>;
    a.cancel(why);
};

/// What with_timeout returns for a cancellable awaitable: the inner awaitable, cancelled with
/// std::errc::timed_out when `limit` passes first. The timer is armed only if it suspends.
template <CancellableAwaitable A>
class [[nodiscard]] TimeoutAwaiter {
public:
    /// Bounds `inner` by `limit`.
    TimeoutAwaiter(A inner, EventLoop::Clock::duration limit) noexcept : inner_(std::move(inner)), limit_(limit) {}
    /// Moves the inner awaitable (before it is awaited).
    TimeoutAwaiter(TimeoutAwaiter&& other) noexcept : inner_(std::move(other.inner_)), limit_(other.limit_) {}
    ~TimeoutAwaiter() {
        if (timer_) inner_.loop()->cancel_timer(timer_);
    }

    ///@{
    /// The awaitable protocol: the inner awaitable's, with the timer around its wait. The
    /// result is the inner one's (its error is timed_out when the limit passed first).
    bool await_ready() { return inner_.await_ready(); }
    bool await_suspend(std::coroutine_handle<> awaiter) {
        using R = decltype(inner_.await_suspend(awaiter));
        if constexpr (std::is_same_v<R, bool>) {
            if (!inner_.await_suspend(awaiter)) return false;  // finished without waiting
        } else {
            inner_.await_suspend(awaiter);
        }
        timer_ = inner_.loop()->add_timer(limit_, [this] {
            timer_ = 0;
            inner_.cancel(std::make_error_code(std::errc::timed_out));
        });
        return true;
    }
    decltype(auto) await_resume() {
        if (timer_) inner_.loop()->cancel_timer(std::exchange(timer_, 0));
        return inner_.await_resume();
    }
    ///@}

private:
    A inner_;
    EventLoop::Clock::duration limit_;
    TimerId timer_ = 0;
};

namespace detail {

template <class T>
struct TimeoutResultOf {
    using type = Result<T>;
};
template <class U>
struct TimeoutResultOf<Expected<U, std::error_code>> {
    using type = Expected<U, std::error_code>;  // a Result is not wrapped twice
};

/// with_timeout over a whole Task: the task runs as the awaiter's child; when the limit runs
/// out first, its frame is destroyed where it is suspended (every awaitable in it unregisters
/// itself, every child task goes with it) and the awaiter resumes with timed_out.
template <class T>
class [[nodiscard]] TaskTimeoutAwaiter {
public:
    using R = typename TimeoutResultOf<T>::type;

    TaskTimeoutAwaiter(Task<T> task, EventLoop::Clock::duration limit) noexcept
        : task_(std::move(task)), limit_(limit) {}
    TaskTimeoutAwaiter(TaskTimeoutAwaiter&& other) noexcept : task_(std::move(other.task_)), limit_(other.limit_) {}
    ~TaskTimeoutAwaiter() {
        if (timer_) loop_->cancel_timer(timer_);
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) {
        loop_ = EventLoop::current();
        awaiter_ = awaiter;
        // Outside a running loop there is no timer to arm: the task simply runs unbounded.
        if (loop_) timer_ = loop_->add_timer(limit_, [this] { expire(); });
        return task_.await_suspend(awaiter);  // starts the task; it resumes us when done
    }
    R await_resume() {
        if (timer_) loop_->cancel_timer(std::exchange(timer_, 0));
        if (expired_) return Unexpected(std::make_error_code(std::errc::timed_out));
        if constexpr (std::is_void_v<T>) {
            task_.await_resume();
            return {};
        } else {
            return task_.await_resume();
        }
    }

private:
    void expire() noexcept {
        timer_ = 0;
        expired_ = true;
        // The task is suspended (this runs from the loop), so destroying its frame is allowed.
        task_ = Task<T>();
        resume_all(awaiter_);
    }
    Task<T> task_;
    EventLoop::Clock::duration limit_;
    EventLoop* loop_ = nullptr;
    TimerId timer_ = 0;
    std::coroutine_handle<> awaiter_;
    bool expired_ = false;
};

}  // namespace detail

/// Bounds `awaitable` by `limit`: when it runs out, the operation ends with
/// std::errc::timed_out (through the operation's own result type).
template <class A>
    requires CancellableAwaitable<std::remove_cvref_t<A>>
TimeoutAwaiter<std::remove_cvref_t<A>> with_timeout(EventLoop::Clock::duration limit, A&& awaitable) {
    return {std::forward<A>(awaitable), limit};
}

/// Bounds a whole Task (a resolver's total budget, a retransmission schedule, a request's
/// deadline) by `limit`, measured on the loop running the awaiting coroutine. Gives Result<T>
/// (a `Task<Result<U>>` gives `Result<U>`): the task's value, or std::errc::timed_out after the
/// task was destroyed where it waited.
template <class T>
detail::TaskTimeoutAwaiter<T> with_timeout(EventLoop::Clock::duration limit, Task<T>&& task) {
    return {std::move(task), limit};
}

}  // namespace weft
