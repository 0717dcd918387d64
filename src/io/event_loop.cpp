// EventLoop: epoll (edge-triggered, see the header for why), an eventfd for cross-thread
// wake-ups, a timer heap, and a queue of cancelled ops resumed from the loop's own stack.

#include "weft/io/event_loop.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "weft/io/io_error.hpp"
#include "weft/io/syscalls.hpp"

namespace weft {

namespace {
constexpr int kMaxEventsPerTurn = 256;
constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;

// The loop whose run() (or block_on) is on this thread's stack: with_timeout(limit, task)
// finds its timer here. Nested runs of different loops on one thread restore the outer one.
thread_local EventLoop* current_loop = nullptr;

void print_task_exception(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "weft: a spawned task ended with an exception: %s\n", ex.what());
    } catch (...) {
        std::fprintf(stderr, "weft: a spawned task ended with an unknown exception\n");
    }
}
}  // namespace

EventLoop::EventLoop() : thread_(std::this_thread::get_id()), now_(Clock::now()) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(detail::last_error(), "epoll_create1");
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        const auto ec = detail::last_error();
        detail::sys_close(epoll_fd_);
        throw std::system_error(ec, "eventfd");
    }
    // The wake-up fd is level-triggered: it stays readable until drained, so a wake-up
    // written between two turns can never be missed.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    exception_handler_ = print_task_exception;
}

EventLoop::~EventLoop() {
    destroy_tasks();
    detail::sys_close(wake_fd_);
    detail::sys_close(epoll_fd_);
}

void EventLoop::assert_in_loop_thread() const noexcept {
    if (!in_loop_thread()) {
        std::fprintf(stderr, "weft: EventLoop used from a thread that does not own it\n");
        std::abort();
    }
}

EventLoop* EventLoop::current() noexcept { return current_loop; }

void EventLoop::run() {
    thread_.store(std::this_thread::get_id());
    struct CurrentGuard {
        EventLoop* saved;
        ~CurrentGuard() { current_loop = saved; }
    } guard{std::exchange(current_loop, this)};
    std::array<epoll_event, kMaxEventsPerTurn> events;
    while (!stop_requested_.load(std::memory_order_acquire)) {
        const int n = ::epoll_wait(epoll_fd_, events.data(), kMaxEventsPerTurn, next_timeout_ms());
        now_ = Clock::now();
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == wake_fd_) {
                std::uint64_t count;
                [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
                wake_pending_.store(false, std::memory_order_release);
                continue;
            }
            dispatch(events[i].data.fd, events[i].events);
        }
        // n < 0 is EINTR (a signal): nothing to dispatch, the timers still run.
        timers_.run_due(now_);
        run_posted();
        run_cancelled();
    }
    stop_requested_.store(false, std::memory_order_release);
}

void EventLoop::stop() noexcept {
    stop_requested_.store(true, std::memory_order_release);
    if (!in_loop_thread()) wake();
}

int EventLoop::next_timeout_ms() const noexcept {
    if (cancelled_head_ || stop_requested_.load(std::memory_order_relaxed)) return 0;
    const auto deadline = timers_.next_deadline();
    if (!deadline) return -1;
    const auto now = Clock::now();
    if (*deadline <= now) return 0;
    // Round up: waking a fraction of a millisecond early would just spin one extra turn.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now).count();
    return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

void EventLoop::wake() noexcept {
    // One eventfd write per batch of posts: the flag is cleared when the loop drains it.
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(posted_mutex_);
        posted_.push_back(std::move(fn));
    }
    // Also from the loop's own thread: the wake-up keeps the next epoll_wait from sleeping.
    wake();
}

void EventLoop::run_in_loop(std::function<void()> fn) {
    if (in_loop_thread()) fn();
    else post(std::move(fn));
}

void EventLoop::run_posted() {
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(posted_mutex_);
        batch.swap(posted_);
    }
    // Functions posted by these run next turn (epoll_wait then gets a zero timeout).
    for (auto& fn : batch) fn();
}

TimerId EventLoop::add_timer(Clock::duration delay, std::function<void()> fn) {
    return add_timer_at(Clock::now() + delay, std::move(fn));
}

TimerId EventLoop::add_timer_at(Clock::time_point when, std::function<void()> fn) {
    assert_in_loop_thread();
    return timers_.add(when, std::move(fn));
}

bool EventLoop::cancel_timer(TimerId id) noexcept { return timers_.cancel(id); }

// ---- root tasks ------------------------------------------------------------------------

void EventLoop::spawn(Task<> task) { (void)spawn_root(std::move(task)); }

void* EventLoop::spawn_root(Task<> task) {
    assert_in_loop_thread();
    auto handle = task.release();
    if (!handle) return nullptr;
    handle.promise().root_done = &EventLoop::root_done;
    handle.promise().root_owner = this;
    void* address = handle.address();
    roots_.insert(address);
    // Code run before the loop's first turn (a server spawning its accept loop) counts as
    // this loop's too: with_timeout inside must find it.
    EventLoop* saved = std::exchange(current_loop, this);
    detail::resume_all(handle);  // runs until its first suspension (or to the end)
    current_loop = saved;
    return address;  // may already be destroyed (the task finished): only compare it
}

void EventLoop::destroy_root(void* frame) noexcept {
    if (roots_.erase(frame) == 0) return;
    std::coroutine_handle<>::from_address(frame).destroy();
}

void EventLoop::root_done(void* owner, std::coroutine_handle<> frame) noexcept {
    auto& loop = *static_cast<EventLoop*>(owner);
    auto typed = std::coroutine_handle<detail::Promise<void>>::from_address(frame.address());
    if (auto e = typed.promise().exception) loop.exception_handler_(e);
    loop.roots_.erase(frame.address());
    frame.destroy();
}

void EventLoop::destroy_tasks() noexcept {
    // Destroying one frame may finish others' waits (a closing socket cancels its ops), but
    // never resumes anything inline, so iterating a snapshot is safe.
    while (!roots_.empty()) {
        void* address = *roots_.begin();
        roots_.erase(roots_.begin());
        std::coroutine_handle<>::from_address(address).destroy();
    }
}

void EventLoop::set_exception_handler(std::function<void(std::exception_ptr)> handler) {
    exception_handler_ = std::move(handler);
}

// ---- descriptors -----------------------------------------------------------------------

EventLoop::Slot* EventLoop::slot(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= slots_.size()) return nullptr;
    Slot& s = slots_[static_cast<std::size_t>(fd)];
    return s.registered ? &s : nullptr;
}

Result<void> EventLoop::register_fd(int fd) noexcept {
    assert_in_loop_thread();
    if (fd < 0) return Unexpected(std::make_error_code(std::errc::bad_file_descriptor));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) return Unexpected(detail::last_error());
    try {
        if (static_cast<std::size_t>(fd) >= slots_.size()) slots_.resize(static_cast<std::size_t>(fd) + 1);
    } catch (const std::bad_alloc&) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        return Unexpected(std::make_error_code(std::errc::not_enough_memory));
    }
    Slot& s = slots_[static_cast<std::size_t>(fd)];
    s = Slot{};
    s.last_activity = now_;
    s.registered = true;
    return {};
}

void EventLoop::unregister_fd(int fd, bool remove_from_epoll) noexcept {
    Slot* s = slot(fd);
    if (!s) return;
    cancel_fd(fd, std::make_error_code(std::errc::operation_canceled));
    s->registered = false;
    if (remove_from_epoll) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::dispatch(int fd, std::uint32_t events) {
    // A stale event for a descriptor closed earlier in this batch finds no slot (or a new
    // owner, whose op just retries its syscall and sees EAGAIN: harmless).
    Slot* s = slot(fd);
    if (!s) return;
    s->last_activity = now_;  // data came or the peer took some: progress, for idle timeouts
    if (events & kReadEvents) {
        s->read_ready = true;  // a new edge: whatever was drained before has new data
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s->hung_up = true;
        complete(fd, false);
    }
    if (events & kWriteEvents) complete(fd, true);
}

void EventLoop::complete(int fd, bool write) {
    Slot* s = slot(fd);
    if (!s) return;
    detail::IoOp*& waiting = write ? s->writer : s->reader;
    detail::IoOp* op = waiting;
    if (!op) return;
    if (!op->perform(*op)) {  // still EAGAIN: keep waiting for the next edge
        if (!write) s->read_ready = false;
        return;
    }
    waiting = nullptr;
    op->state = detail::IoOp::State::idle;
    detail::resume_all(op->waiter);  // may close fd, resize slots_ or destroy op's frame: touch nothing after
}

bool EventLoop::wait(detail::IoOp& op) noexcept {
    Slot* s = slot(op.fd);
    std::error_code refusal;
    if (!s) refusal = std::make_error_code(std::errc::bad_file_descriptor);
    else if (!op.for_write && s->reads_refused) refusal = s->reads_refused;
    else if ((op.for_write ? s->writer : s->reader) != nullptr) refusal = IoErrc::busy;
    if (refusal) {
        op.cancelled = refusal;
        return false;
    }
    (op.for_write ? s->writer : s->reader) = &op;
    op.state = detail::IoOp::State::waiting;
    return true;
}

void EventLoop::cancel(detail::IoOp& op, std::error_code why) noexcept {
    if (op.state != detail::IoOp::State::waiting) return;
    if (Slot* s = slot(op.fd)) {
        detail::IoOp*& waiting = op.for_write ? s->writer : s->reader;
        if (waiting == &op) waiting = nullptr;
    }
    op.cancelled = why;
    op.state = detail::IoOp::State::queued;
    // Append to the queue; run_cancelled resumes it from the loop's stack this turn.
    op.next = nullptr;
    op.prev = cancelled_tail_;
    (cancelled_tail_ ? cancelled_tail_->next : cancelled_head_) = &op;
    cancelled_tail_ = &op;
}

void EventLoop::cancel_fd(int fd, std::error_code why) noexcept {
    Slot* s = slot(fd);
    if (!s) return;
    if (s->reader) cancel(*s->reader, why);
    if (s->writer) cancel(*s->writer, why);
}

void EventLoop::refuse_reads(int fd, std::error_code why) noexcept {
    Slot* s = slot(fd);
    if (!s) return;
    s->reads_refused = why;
    if (s->reader) cancel(*s->reader, why);
}

void EventLoop::forget(detail::IoOp& op) noexcept {
    if (op.state == detail::IoOp::State::waiting) {
        if (Slot* s = slot(op.fd)) {
            detail::IoOp*& waiting = op.for_write ? s->writer : s->reader;
            if (waiting == &op) waiting = nullptr;
        }
    } else if (op.state == detail::IoOp::State::queued) {
        (op.prev ? op.prev->next : cancelled_head_) = op.next;
        (op.next ? op.next->prev : cancelled_tail_) = op.prev;
    }
    op.state = detail::IoOp::State::idle;
}

void EventLoop::run_cancelled() {
    // Resumed coroutines may cancel more ops (closing other sockets); they join the queue
    // and run in this same loop.
    while (detail::IoOp* op = cancelled_head_) {
        cancelled_head_ = op->next;
        (cancelled_head_ ? cancelled_head_->prev : cancelled_tail_) = nullptr;
        op->state = detail::IoOp::State::idle;
        detail::resume_all(op->waiter);
    }
}

}  // namespace weft
