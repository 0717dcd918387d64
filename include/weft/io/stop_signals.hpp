#pragma once
// StopSignals: SIGINT/SIGTERM as a readable descriptor, without process-wide handlers.
//
//   auto signals = weft::StopSignals::open();   // before starting threads
//   ... start a server ...
//   int signo = *signals->wait();               // blocking: SIGINT or SIGTERM
//
//   auto signo = co_await signals->next(loop);  // or awaited on an EventLoop: Result<int>
//   auto maybe = co_await weft::with_timeout(5s, signals->next(loop));  // timed_out if none
//
// open() blocks the signals in the calling thread's mask — threads started afterwards inherit
// it, so no thread's default action kills the process — and reads them from a signalfd.
// Nothing else is changed: no sigaction, no global flag. The destructor restores the mask.
// A signal is consumed by exactly one wait() or next(); one still pending when the mask is
// restored gets its default action then.

#include <chrono>
#include <csignal>
#include <initializer_list>
#include <system_error>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/fd_awaiter.hpp"

namespace weft {

namespace detail {

/// next(): one signalfd_siginfo read on the loop. The signalfd is registered with the loop
/// when the await begins and unregistered when the awaiter is destroyed (the end of the
/// co_await): no lifetime ties the StopSignals to any loop between awaits, and a signal wait
/// happens rarely enough that its two epoll_ctl calls cost nothing.
class [[nodiscard]] SignalAwaiter : public FdAwaiter {
public:
    SignalAwaiter(EventLoop& loop, int fd) noexcept : FdAwaiter(&loop, fd, false, &perform_read) {}
    SignalAwaiter(SignalAwaiter&& other) noexcept : FdAwaiter(std::move(other)) {}
    ~SignalAwaiter();

    bool await_ready() noexcept;
    /// The signal's number, or why none came: the cancel reason (std::errc::timed_out from
    /// with_timeout), IoErrc::busy when another next() already waits on this loop, the
    /// registration's or read's errno.
    Result<int> await_resume() const noexcept;

private:
    static bool perform_read(IoOp& op) noexcept;
    int signo_ = 0;
    std::error_code error_;
    bool registered_ = false;
};

}  // namespace detail

/// SIGINT/SIGTERM (or the signals given) read from a signalfd instead of handled: wait() for
/// them, or co_await next(loop). Move-only; restores the signal mask when destroyed.
class StopSignals {
public:
    /// Blocks `signals` in the calling thread and opens a signalfd for them. The errno of
    /// pthread_sigmask or signalfd on failure (the mask is restored then).
    [[nodiscard]] static Result<StopSignals> open(std::initializer_list<int> signals = {SIGINT, SIGTERM}) noexcept;

    /// Takes over `other`'s signalfd and the mask to restore.
    StopSignals(StopSignals&& other) noexcept;
    StopSignals& operator=(StopSignals&&) = delete;
    ~StopSignals();

    /// The signalfd (non-blocking; readable when a signal is pending).
    int fd() const noexcept { return fd_; }
    /// Blocks until one of the signals comes; returns its number, or 0 when `timeout` (if
    /// given, non-negative) ran out first; the errno of poll or read on failure.
    [[nodiscard]] Result<int> wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1)) noexcept;
    /// Awaitable on `loop` (loop thread), giving Result<int>: the next signal's number, or an
    /// error (see detail::SignalAwaiter::await_resume). Cancellable, so with_timeout bounds it.
    /// This StopSignals must outlive the await.
    [[nodiscard]] detail::SignalAwaiter next(EventLoop& loop) noexcept { return {loop, fd_}; }

private:
    StopSignals() = default;
    int fd_ = -1;
    sigset_t previous_{};
    bool restore_ = false;
};

}  // namespace weft
