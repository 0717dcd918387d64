#pragma once
// Task<T>: a lazy coroutine returning T.
//
//   weft::Task<int> answer() { co_return 42; }
//   weft::Task<> user() { int x = co_await answer(); ... }
//
// - Lazy: the body starts when the Task is awaited (or spawned on a loop), never before.
// - Symmetric transfer: awaiting a Task and finishing one hand control over without nesting,
//   so a loop of a million co_awaits of tasks that finish at once, or a chain 100,000 deep,
//   does not grow the stack. g++ 12 compiles the standard's handle-returning await_suspend
//   as a tail call only when optimising (at -O0 each transfer nests a native frame), so
//   transfers go through a per-thread trampoline that the loop drives (detail::resume_all);
//   outside of it they fall back to the standard's symmetric transfer.
// - An exception escaping the body is rethrown by the co_await that awaits the Task.
// - A Task owns its frame: destroying a Task destroys the frame, and with it the frames of
//   the tasks it is awaiting and the awaitables they are suspended on (which unregister
//   themselves from the loop). EventLoop::spawn takes ownership of a root Task.

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace weft {

template <class T = void>
class Task;

namespace detail {

/// The trampoline: while the loop resumes a coroutine through resume_all, a transfer parks
/// the next coroutine here and unwinds to resume_all's loop instead of calling into it.
struct Trampoline {
    std::coroutine_handle<> next;
    bool active = false;
};
inline thread_local Trampoline trampoline;

/// Resumes h and every coroutine it transfers to, at constant stack depth.
inline void resume_all(std::coroutine_handle<> h) noexcept {
    Trampoline& t = trampoline;
    const bool was_active = t.active;
    const auto saved = std::exchange(t.next, {});
    t.active = true;
    while (h) {
        h.resume();
        h = std::exchange(t.next, {});
    }
    t.next = saved;
    t.active = was_active;
}

/// What an await_suspend returns to continue with `to`.
inline std::coroutine_handle<> transfer(std::coroutine_handle<> to) noexcept {
    if (!trampoline.active) return to;  // the standard's symmetric transfer
    trampoline.next = to;
    return std::noop_coroutine();
}

/// What a detached root task calls when it finishes: its owner destroys the frame.
using RootDone = void (*)(void* owner, std::coroutine_handle<> frame) noexcept;

struct PromiseBase {
    std::coroutine_handle<> continuation;
    std::exception_ptr exception;
    RootDone root_done = nullptr;
    void* root_owner = nullptr;

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) noexcept {
            PromiseBase& p = self.promise();
            if (p.continuation) return transfer(p.continuation);  // resume the awaiter
            // A root: its owner destroys the frame (allowed: it is suspended at its final point).
            if (p.root_done) p.root_done(p.root_owner, self);
            return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
    std::optional<T> value;

    Task<T> get_return_object() noexcept;
    template <class U>
        requires std::is_convertible_v<U&&, T>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
    T take() {
        if (exception) std::rethrow_exception(exception);
        return std::move(*value);
    }
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() const noexcept {}
    void take() const {
        if (exception) std::rethrow_exception(exception);
    }
};

}  // namespace detail

/// A lazy coroutine returning T, awaited with co_await or run by EventLoop::spawn/block_on
/// (see the top of task.hpp). Owns its frame; move-only.
template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;               ///< What makes a function returning Task a coroutine.
    using Handle = std::coroutine_handle<promise_type>;  ///< The frame's handle.

    /// An empty task (valid() is false).
    Task() noexcept = default;
    /// Owns the frame `h` (what the promise makes; not for user code).
    explicit Task(Handle h) noexcept : handle_(h) {}
    /// Takes over `other`'s frame; `other` is left empty.
    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    /// Destroys this task's frame, then takes over `other`'s.
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { reset(); }

    /// True while it owns a frame.
    bool valid() const noexcept { return bool(handle_); }
    /// True once the body has finished (returned or thrown).
    bool done() const noexcept { return handle_ && handle_.done(); }

    /// Hands the frame over (to EventLoop::spawn); the Task is empty afterwards.
    Handle release() noexcept { return std::exchange(handle_, {}); }

    ///@{
    /// Awaiting starts the body and resumes the awaiter when it finishes.
    /// Precondition: valid() and not yet started.
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
        handle_.promise().continuation = awaiter;
        return detail::transfer(handle_);
    }
    ///@}
    /// The co_return value, or the body's exception rethrown.
    T await_resume() { return handle_.promise().take(); }

private:
    void reset() noexcept {
        if (handle_) handle_.destroy();
        handle_ = {};
    }
    Handle handle_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace weft
