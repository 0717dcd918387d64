#pragma once
// detail::FdAwaiter: the base of every awaitable that waits for a descriptor's readiness.
//
// It tries its syscall in await_ready (no epoll round trip when data is already there),
// suspends only after EAGAIN, and is retried by the loop on each edge. It lives in the
// awaiting coroutine's frame, so waiting allocates nothing. Destroying the frame while it
// waits unregisters it. cancel() ends the wait with an error code (the timeout wrapper and
// servers use it); the coroutine then resumes from the loop's stack.

#include <coroutine>
#include <system_error>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/event_loop.hpp"

namespace weft::detail {

class [[nodiscard]] FdAwaiter : protected IoOp {
public:
    FdAwaiter(EventLoop* loop, int fd, bool for_write, Perform perform) noexcept : loop_(loop) {
        this->fd = fd;
        this->for_write = for_write;
        this->perform = perform;
        if (!loop_ || fd < 0) cancelled = std::make_error_code(std::errc::bad_file_descriptor);
    }
    // Movable only before it is awaited (the loop points at a waiting one).
    FdAwaiter(FdAwaiter&& other) noexcept : IoOp(static_cast<const IoOp&>(other)), loop_(other.loop_) {}
    FdAwaiter& operator=(FdAwaiter&&) = delete;
    ~FdAwaiter() {
        if (state != State::idle) LoopAccess::forget(*loop_, *this);
    }

    EventLoop* loop() const noexcept { return loop_; }
    /// Ends a pending wait: the awaiting coroutine resumes with `why` as its error.
    void cancel(std::error_code why) noexcept {
        if (loop_) LoopAccess::cancel(*loop_, *this, why);
    }

    bool await_ready() noexcept {
        if (cancelled) return true;
        if (!for_write) {
            if (auto why = LoopAccess::reads_refused(*loop_, fd)) {
                cancelled = why;
                return true;
            }
        }
        // A read on a descriptor known to be drained would only say EAGAIN: wait for the edge.
        if (!for_write && !LoopAccess::read_ready(*loop_, fd)) return false;
        if (perform(*this)) return true;
        if (!for_write) LoopAccess::mark_read_drained(*loop_, fd);
        return false;
    }
    bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
        waiter = awaiter;
        return LoopAccess::wait(*loop_, *this);  // false: refused, resume at once with `cancelled` set
    }

protected:
    EventLoop* loop_;
};

}  // namespace weft::detail
