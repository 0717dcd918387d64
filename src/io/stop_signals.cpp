// StopSignals: a blocked signal mask and a signalfd (see the header for why not sigaction).

#include "weft/io/stop_signals.hpp"

#include <utility>

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/io_error.hpp"
#include "weft/io/syscalls.hpp"

namespace weft {

namespace {
using Clock = std::chrono::steady_clock;

// One siginfo from the non-blocking signalfd: the signal number, 0 when none is pending
// (EAGAIN: another reader took it first), or the errno.
Result<int> read_signal(int fd) noexcept {
    signalfd_siginfo info{};
    auto n = detail::sys_read(fd, &info, sizeof info);
    if (!n) return detail::would_block(n.error()) ? Result<int>(0) : Unexpected(n.error());
    return static_cast<int>(info.ssi_signo);
}
}  // namespace

Result<StopSignals> StopSignals::open(std::initializer_list<int> signals) noexcept {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    StopSignals result;
    if (const int e = ::pthread_sigmask(SIG_BLOCK, &set, &result.previous_); e != 0)
        return Unexpected(std::error_code(e, std::system_category()));
    result.restore_ = true;  // from here on the destructor undoes the mask
    // Non-blocking: the loop's awaiter reads until EAGAIN, like every io/ descriptor.
    result.fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (result.fd_ < 0) return Unexpected(detail::last_error());
    return result;
}

StopSignals::StopSignals(StopSignals&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), previous_(other.previous_), restore_(std::exchange(other.restore_, false)) {}

StopSignals::~StopSignals() {
    detail::sys_close(fd_);
    if (restore_) ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

Result<int> StopSignals::wait(std::chrono::milliseconds timeout) noexcept {
    const bool forever = timeout.count() < 0;
    const auto deadline = Clock::now() + (forever ? Clock::duration::zero() : Clock::duration(timeout));
    for (;;) {
        int ms = -1;
        if (!forever) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
            ms = left <= 0 ? 0 : static_cast<int>(left);
        }
        pollfd p{fd_, POLLIN, 0};
        auto ready = detail::retry_eintr([&] { return ::poll(&p, 1, ms); });
        if (!ready) return Unexpected(ready.error());
        if (*ready == 0) return 0;
        auto signo = read_signal(fd_);
        // 0: a next() on some loop consumed the signal between poll and read; wait on.
        if (!signo || *signo != 0) return signo;
        if (!forever && Clock::now() >= deadline) return 0;
    }
}

namespace detail {

SignalAwaiter::~SignalAwaiter() {
    if (!registered_) return;
    // Unlink the op before the descriptor leaves the loop, so nothing is queued for a frame
    // that is going away; then take the signalfd out of epoll (it stays open: StopSignals
    // owns it, and another loop may register it next).
    if (state != State::idle) LoopAccess::forget(*loop_, *this);
    state = State::idle;
    LoopAccess::unregister_fd(*loop_, fd, true);
}

bool SignalAwaiter::await_ready() noexcept {
    if (cancelled) return true;
    loop_->assert_in_loop_thread();
    if (auto r = LoopAccess::register_fd(*loop_, fd); !r) {
        // EEXIST: another next() on this loop holds the descriptor; say so as a stream would.
        cancelled = r.error() == std::errc::file_exists ? std::error_code(IoErrc::busy) : r.error();
        return true;
    }
    registered_ = true;
    return FdAwaiter::await_ready();
}

Result<int> SignalAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return signo_;
}

bool SignalAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<SignalAwaiter&>(op);
    auto signo = read_signal(self.fd);
    if (!signo) {
        self.error_ = signo.error();
        return true;
    }
    if (*signo == 0) return false;  // nothing pending: wait for the next edge
    self.signo_ = *signo;
    return true;
}

}  // namespace detail

}  // namespace weft
