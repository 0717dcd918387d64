#pragma once
// detail::LoopAccess: the loop's descriptor plumbing, for io/'s own handles, awaitables and
// servers. Not for users: the public EventLoop offers run/stop/post/timers/spawn, and every
// socket type registers itself. Kept in one place so the plumbing can change without
// touching the public API.

#include <cstddef>
#include <span>
#include <system_error>

#include "weft/io/event_loop.hpp"

namespace weft::detail {

struct LoopAccess {
    using Clock = EventLoop::Clock;

    /// Adds fd to epoll (ET, in|out|rdhup) and gives it a slot. Loop thread only.
    static Result<void> register_fd(EventLoop& loop, int fd) noexcept { return loop.register_fd(fd); }
    /// Cancels fd's pending ops with operation_canceled and frees its slot; the caller then
    /// closes fd (closing removes it from epoll, so no epoll_ctl is spent here unless asked:
    /// a descriptor handed to someone else who may dup it must leave epoll explicitly).
    static void unregister_fd(EventLoop& loop, int fd, bool remove_from_epoll = false) noexcept {
        loop.unregister_fd(fd, remove_from_epoll);
    }
    /// Starts waiting: false (op completed with op.cancelled set) when fd is unregistered,
    /// already has a waiter in that direction (IoErrc::busy), or reads are refused.
    static bool wait(EventLoop& loop, IoOp& op) noexcept { return loop.wait(op); }
    /// Ends a waiting op with `why`; its coroutine is resumed from the loop's own stack in the
    /// current turn (never from inside the caller). No effect on an idle or queued op.
    static void cancel(EventLoop& loop, IoOp& op, std::error_code why) noexcept { loop.cancel(op, why); }
    /// Cancels both of fd's ops.
    static void cancel_fd(EventLoop& loop, int fd, std::error_code why) noexcept { loop.cancel_fd(fd, why); }
    /// From then on, reads that would wait on fd fail at once with `why` (an idle connection
    /// of a stopping server, or one past its idle timeout); a pending read is cancelled too.
    static void refuse_reads(EventLoop& loop, int fd, std::error_code why) noexcept { loop.refuse_reads(fd, why); }
    /// Lifts refuse_reads (a server reading a closed connection's last bytes to discard them).
    static void allow_reads(EventLoop& loop, int fd) noexcept {
        if (auto* s = slot(loop, fd)) s->reads_refused = {};
    }
    /// Unlinks an op whose awaitable is being destroyed (its frame was destroyed).
    static void forget(EventLoop& loop, IoOp& op) noexcept { loop.forget(op); }

    /// The read-readiness hint. An edge-triggered descriptor whose receive queue was seen
    /// empty (EAGAIN, or a short stream read) stays empty until epoll reports a new edge, so
    /// a read tried before then would only return EAGAIN. Readers skip that syscall while
    /// read_ready(fd) is false; the next EPOLLIN sets it again. In request/response traffic
    /// this removes one of the three syscalls per message.
    /// Once the peer has hung up (EPOLLRDHUP/HUP/ERR seen) every read is tried: end of stream
    /// and errors persist without further edges, so a short read proves nothing then.
    static bool read_ready(const EventLoop& loop, int fd) noexcept {
        if (fd < 0 || static_cast<std::size_t>(fd) >= loop.slots_.size()) return true;
        const auto& s = loop.slots_[static_cast<std::size_t>(fd)];
        return s.read_ready || s.hung_up;
    }
    /// Why reads on fd are refused (refuse_reads), or no error. A refused read fails at once,
    /// even with bytes queued: the owner decided this descriptor reads no more (a server
    /// stopping, an idle timeout).
    static std::error_code reads_refused(const EventLoop& loop, int fd) noexcept {
        const auto* s = slot(loop, fd);
        return s ? s->reads_refused : std::error_code();
    }
    static void mark_read_drained(EventLoop& loop, int fd) noexcept {
        if (auto* s = slot(loop, fd)) s->read_ready = false;
    }
    /// True once EPOLLRDHUP/HUP/ERR was seen: the peer will send nothing more.
    static bool hung_up(const EventLoop& loop, int fd) noexcept {
        const auto* s = slot(loop, fd);
        return s && s->hung_up;
    }
    /// Whether a read / a write waits on fd right now.
    static bool read_waiting(const EventLoop& loop, int fd) noexcept {
        const auto* s = slot(loop, fd);
        return s && s->reader;
    }
    static bool write_waiting(const EventLoop& loop, int fd) noexcept {
        const auto* s = slot(loop, fd);
        return s && s->writer;
    }
    /// A stream handler's "inside a message" mark (TcpStream::set_mid_message).
    static void set_mid_message(EventLoop& loop, int fd, bool on) noexcept {
        if (auto* s = slot(loop, fd)) s->mid_message = on;
    }
    static bool mid_message(const EventLoop& loop, int fd) noexcept {
        const auto* s = slot(loop, fd);
        return s && s->mid_message;
    }
    /// Records I/O progress on fd (for idle timeouts) and reads it back.
    static void note_activity(EventLoop& loop, int fd) noexcept {
        if (auto* s = slot(loop, fd)) s->last_activity = loop.now_;
    }
    static Clock::time_point last_activity(const EventLoop& loop, int fd) noexcept {
        const auto* s = slot(loop, fd);
        return s ? s->last_activity : Clock::time_point{};
    }

    /// The loop's read buffer (kReadBufferSize bytes, allocated on first use). Lent to one
    /// read at a time: a read fills it and resumes its coroutine at once, which uses the
    /// bytes before it next suspends, so no other read can run in between.
    static constexpr std::size_t kReadBufferSize = 64 * 1024;
    static std::span<std::byte> read_buffer(EventLoop& loop) {
        if (!loop.read_buffer_) loop.read_buffer_.reset(new std::byte[kReadBufferSize]);
        return {loop.read_buffer_.get(), kReadBufferSize};
    }

    /// spawn() that returns the root's frame address, for a server that may have to destroy
    /// just its own tasks (destroy_root) on a loop it shares with others.
    static void* spawn_root(EventLoop& loop, Task<> task) { return loop.spawn_root(std::move(task)); }
    /// Destroys one root task that has not finished (no effect on an unknown address).
    static void destroy_root(EventLoop& loop, void* frame) noexcept { loop.destroy_root(frame); }

private:
    static EventLoop::Slot* slot(EventLoop& loop, int fd) noexcept { return loop.slot(fd); }
    static const EventLoop::Slot* slot(const EventLoop& loop, int fd) noexcept {
        return const_cast<EventLoop&>(loop).slot(fd);
    }
};

}  // namespace weft::detail
