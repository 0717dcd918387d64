#pragma once
// Channel<T>: a bounded queue that hands values from any thread to one coroutine on one
// EventLoop.
//
//   weft::Channel<std::string> outbox(loop, 256, weft::Overflow::close);
//   auto to_client = outbox.sender();        // copyable; give it to other threads
//   (void)to_client.try_send("hello\n");     // any thread, never blocks
//
//   for (;;) {                               // the receiver: one coroutine on `loop`
//       auto next = co_await outbox.recv();  // Result<std::optional<std::string>>
//       if (!next || !*next) break;          // cancelled (with_timeout), or closed and drained
//       ... **next ...
//   }
//
// Why it exists: a TcpStream admits one waiting write, so a coroutine that wants to send to
// another client's connection hands the bytes to that client's own writer coroutine, which
// may run on another loop's thread. A Channel is that hand-over, with a bound: a receiver
// that falls `capacity` values behind meets the overflow policy chosen at construction.
//
// Threads: try_send(), close(), sender() and the Sender's calls are safe from any thread.
// Everything else (constructing, recv(), on_close(), destroying) happens on the loop's thread.
// The receiver is never resumed inside try_send() or close(): a send from the loop's thread
// arms a zero-delay timer, one from another thread posts to the loop (at most one wake-up is
// in flight per channel, however many values arrive meanwhile). Values come out in the order
// the sends took the channel's lock, so each sender's own values keep their order.
//
// Lifetime: the state is shared by the Channel, its Senders and its pending wake-ups, so a
// Sender may outlive the Channel: once the Channel is destroyed, try_send() returns false and
// close() does nothing, and no sender touches the loop any more (senders post under the
// channel's lock; the destructor closes under it). The EventLoop must outlive the Channel.
// Destroying the Channel never resumes a coroutine still waiting in its recv() (one that
// borrowed it from a frame that is gone): that coroutine stays suspended until its own frame
// is destroyed, because whatever else it borrowed from that frame is gone too.

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/io_error.hpp"
#include "weft/io/task.hpp"

namespace weft {

/// What try_send does when the channel already holds `capacity` values (a slow receiver).
enum class Overflow : std::uint8_t {
    reject,       // try_send returns false; the queued values stay
    drop_oldest,  // the oldest queued value is discarded to make room; try_send returns true
    close,        // the channel closes and discards its queue, try_send returns false: the
                  // receiver's recv() gives nullopt (and on_close runs), so its handler can
                  // disconnect a consumer that cannot keep up
};

template <class T>
class Channel;

namespace detail {

template <class T>
class ChannelRecvAwaiter;

template <class T>
struct ChannelState {
    ChannelState(EventLoop& l, std::size_t cap, Overflow p) : loop(&l), capacity(cap == 0 ? 1 : cap), policy(p) {}

    EventLoop* const loop;
    const std::size_t capacity;
    const Overflow policy;

    // Everything below is guarded by mutex. One lock for the queue and the receiver's state:
    // a sender decides under it whether a wake-up is needed, so none is lost or doubled.
    std::mutex mutex;
    std::deque<T> queue;
    bool closed = false;
    bool overflowed = false;
    bool destroyed = false;      // the Channel is gone: wake-ups still in flight do nothing
    bool wake_pending = false;   // a wake-up is posted or armed and has not run yet
    ChannelRecvAwaiter<T>* waiting = nullptr;  // the receiver, while it is suspended
    std::function<void()> on_close;            // set and run on the loop's thread only
};

template <class T>
void channel_wake(const std::shared_ptr<ChannelState<T>>& s);

/// Arms the one wake-up of the channel (lock held). Never runs anything inline: a timer on
/// the loop's own thread (no eventfd write, no syscall), a post from any other.
template <class T>
void channel_schedule_wake(const std::shared_ptr<ChannelState<T>>& s) {
    if (s->wake_pending) return;
    if (s->loop->in_loop_thread())
        s->loop->add_timer(EventLoop::Clock::duration::zero(), [s] { channel_wake(s); });
    else
        s->loop->post([s] { channel_wake(s); });
    s->wake_pending = true;
}

template <class T>
bool channel_send(const std::shared_ptr<ChannelState<T>>& s, T value) {
    if (!s) return false;
    // What the policy discards is destroyed after the lock is released: a T whose destructor
    // reaches back into the channel must not deadlock.
    std::optional<T> dropped;
    std::deque<T> discarded;
    std::lock_guard lock(s->mutex);
    if (s->closed) return false;
    if (s->queue.size() >= s->capacity) {
        switch (s->policy) {
        case Overflow::reject:
            return false;
        case Overflow::drop_oldest:
            dropped.emplace(std::move(s->queue.front()));
            s->queue.pop_front();
            break;
        case Overflow::close:
            s->closed = true;
            s->overflowed = true;
            discarded.swap(s->queue);
            channel_schedule_wake(s);  // the receiver gets nullopt, on_close runs
            return false;
        }
    }
    s->queue.push_back(std::move(value));
    if (s->waiting) channel_schedule_wake(s);
    return true;
}

template <class T>
void channel_close(const std::shared_ptr<ChannelState<T>>& s) {
    if (!s) return;
    std::lock_guard lock(s->mutex);
    if (s->closed) return;
    s->closed = true;
    channel_schedule_wake(s);
}

/// recv(): the next value, nullopt once closed and drained, or the cancel reason. A
/// cancelled receive takes nothing: the value it did not get stays queued.
template <class T>
class [[nodiscard]] ChannelRecvAwaiter {
public:
    explicit ChannelRecvAwaiter(std::shared_ptr<ChannelState<T>> state) noexcept : state_(std::move(state)) {}
    // Movable only before it is awaited (the state points at a waiting one).
    ChannelRecvAwaiter(ChannelRecvAwaiter&& other) noexcept : state_(std::move(other.state_)) {}
    ChannelRecvAwaiter& operator=(ChannelRecvAwaiter&&) = delete;
    ~ChannelRecvAwaiter() {
        if (!state_) return;
        if (resume_timer_) state_->loop->cancel_timer(resume_timer_);
        std::lock_guard lock(state_->mutex);
        if (state_->waiting == this) state_->waiting = nullptr;  // the frame was destroyed
    }

    EventLoop* loop() const noexcept { return state_->loop; }
    /// Ends a pending wait with `why` (what with_timeout calls); the coroutine resumes in a
    /// later loop turn. No effect once the wait has ended. Loop thread only.
    void cancel(std::error_code why) noexcept {
        {
            std::lock_guard lock(state_->mutex);
            if (state_->waiting != this) return;
            state_->waiting = nullptr;  // from now on no send resumes it
        }
        error_ = why;
        resume_timer_ = state_->loop->add_timer(EventLoop::Clock::duration::zero(), [this] {
            resume_timer_ = 0;
            detail::resume_all(waiter_);
        });
    }

    bool await_ready() {
        std::lock_guard lock(state_->mutex);
        return take_locked();
    }
    bool await_suspend(std::coroutine_handle<> awaiter) {
        state_->loop->assert_in_loop_thread();
        std::lock_guard lock(state_->mutex);
        if (take_locked()) return false;  // a sender got in since await_ready: no need to wait
        waiter_ = awaiter;
        state_->waiting = this;
        return true;
    }
    Result<std::optional<T>> await_resume() {
        if (error_) return Unexpected(error_);
        if (!done_) {  // woken by a send or a close: take now
            std::lock_guard lock(state_->mutex);
            take_locked();
        }
        return std::move(value_);
    }

private:
    friend void channel_wake<T>(const std::shared_ptr<ChannelState<T>>& s);

    // Lock held. True when the receive is over: a value taken, the channel closed and
    // drained, or another receiver already waiting (IoErrc::busy).
    bool take_locked() {
        if (!state_->queue.empty()) {
            value_.emplace(std::move(state_->queue.front()));
            state_->queue.pop_front();
        } else if (!state_->closed) {
            if (!state_->waiting || state_->waiting == this) return false;
            error_ = IoErrc::busy;
        }
        done_ = true;
        return true;
    }

    std::shared_ptr<ChannelState<T>> state_;
    std::coroutine_handle<> waiter_;
    std::optional<T> value_;
    std::error_code error_;
    TimerId resume_timer_ = 0;
    bool done_ = false;
};

/// Runs on the loop's thread: the close hook once the channel is closed, then the receiver
/// if it waits and has something to take (a value, or the end).
template <class T>
void channel_wake(const std::shared_ptr<ChannelState<T>>& s) {
    std::function<void()> hook;
    {
        std::lock_guard lock(s->mutex);
        s->wake_pending = false;
        if (s->destroyed) return;
        if (s->closed) hook = std::exchange(s->on_close, {});
    }
    // The hook first: it may cancel what the receiver is blocked on elsewhere. Then look at
    // the receiver afresh, in case the hook changed anything.
    if (hook) hook();
    ChannelRecvAwaiter<T>* receiver = nullptr;
    {
        std::lock_guard lock(s->mutex);
        if (s->destroyed || !s->waiting) return;
        if (!s->closed && s->queue.empty()) return;
        receiver = std::exchange(s->waiting, nullptr);
    }
    detail::resume_all(receiver->waiter_);
}

}  // namespace detail

/// A bounded queue that any thread sends to and one coroutine on the loop receives from
/// (see the top of channel.hpp for lifetime and overflow).
template <class T>
class Channel {
public:
    /// A copyable handle for sending (and closing) from any thread. It shares the channel's
    /// state: after the Channel is destroyed its calls are safe and fail (false / no effect).
    /// A default-constructed Sender belongs to no channel and behaves the same way.
    class Sender {
    public:
        Sender() noexcept = default;
        /// As Channel::try_send.
        [[nodiscard]] bool try_send(T value) const { return detail::channel_send(state_, std::move(value)); }
        /// As Channel::close.
        void close() const { detail::channel_close(state_); }
        /// As Channel::is_closed; true as well when the Channel is gone or for a default Sender.
        bool is_closed() const {
            if (!state_) return true;
            std::lock_guard lock(state_->mutex);
            return state_->closed;
        }

    private:
        friend class Channel;
        explicit Sender(std::shared_ptr<detail::ChannelState<T>> state) noexcept : state_(std::move(state)) {}
        std::shared_ptr<detail::ChannelState<T>> state_;
    };

    /// A channel whose receiver runs on `loop`, holding at most `capacity` values (0 is taken
    /// as 1). Loop thread (or before the loop runs). Throws std::bad_alloc only.
    Channel(EventLoop& loop, std::size_t capacity, Overflow overflow = Overflow::reject)
        : state_(std::make_shared<detail::ChannelState<T>>(loop, capacity, overflow)) {}
    /// Closes the channel for every sender and drops what is queued; see "Lifetime" above.
    /// Loop thread.
    ~Channel() {
        std::deque<T> discarded;  // destroyed after the lock is released
        std::function<void()> hook;
        std::lock_guard lock(state_->mutex);
        state_->closed = true;
        state_->destroyed = true;
        discarded.swap(state_->queue);
        hook.swap(state_->on_close);
    }
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    /// Queues `value` for the receiver; never blocks. Any thread. True when queued; false when
    /// the channel is closed, or full under Overflow::reject or Overflow::close (the value is
    /// then dropped). Throws std::bad_alloc only (the queue or the wake-up could not grow).
    [[nodiscard]] bool try_send(T value) { return detail::channel_send(state_, std::move(value)); }

    /// Ends the channel: sends fail from now on; the receiver still gets what is queued, then
    /// nullopt. Any thread; idempotent.
    void close() { detail::channel_close(state_); }

    /// Awaitable giving Result<std::optional<T>>: the next value; nullopt once the channel is
    /// closed and drained; or an error: the cancel reason (std::errc::timed_out from
    /// with_timeout, which this supports), IoErrc::busy when another coroutine already waits
    /// on this channel. Loop thread, one receiver at a time.
    [[nodiscard]] detail::ChannelRecvAwaiter<T> recv() noexcept { return detail::ChannelRecvAwaiter<T>(state_); }

    /// A handle for other threads (and for code that may outlive this Channel).
    [[nodiscard]] Sender sender() const noexcept { return Sender(state_); }

    /// Runs `fn` once on the loop, in a later turn, after the channel closes (close() from
    /// anywhere, or Overflow::close) — unless the Channel is destroyed first. For a receiver
    /// that may be blocked elsewhere when that happens: a writer stuck in write_all on a
    /// client that stopped reading never reaches recv(), so the hook cancels its stream.
    /// Replaces an earlier hook. Loop thread.
    void on_close(std::function<void()> fn) {
        std::lock_guard lock(state_->mutex);
        state_->on_close = std::move(fn);
        if (state_->closed) detail::channel_schedule_wake(state_);
    }

    /// True once closed (close(), Overflow::close, or the Channel's destruction). Any thread.
    bool is_closed() const {
        std::lock_guard lock(state_->mutex);
        return state_->closed;
    }
    /// True when the channel was closed by Overflow::close (its receiver fell behind).
    bool overflowed() const {
        std::lock_guard lock(state_->mutex);
        return state_->overflowed;
    }
    /// Values queued now (a snapshot: other threads may be sending).
    std::size_t size() const {
        std::lock_guard lock(state_->mutex);
        return state_->queue.size();
    }
    /// The most values it queues (the capacity given, 0 taken as 1).
    std::size_t capacity() const noexcept { return state_->capacity; }
    /// The loop the receiver runs on.
    EventLoop& loop() const noexcept { return *state_->loop; }

private:
    std::shared_ptr<detail::ChannelState<T>> state_;
};

}  // namespace weft
