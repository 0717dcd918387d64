// StopSignals: a blocked signal mask and a signalfd (see the header for why not sigaction).

#include "weft/io/stop_signals.hpp"

#include <utility>

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>

#include "weft/io/syscalls.hpp"

namespace weft {

Result<StopSignals> StopSignals::open(std::initializer_list<int> signals) noexcept {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    StopSignals result;
    if (const int e = ::pthread_sigmask(SIG_BLOCK, &set, &result.previous_); e != 0)
        return Unexpected(std::error_code(e, std::system_category()));
    result.restore_ = true;  // from here on the destructor undoes the mask
    result.fd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
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
    pollfd p{fd_, POLLIN, 0};
    auto ready = detail::retry_eintr([&] { return ::poll(&p, 1, static_cast<int>(timeout.count())); });
    if (!ready) return Unexpected(ready.error());
    if (*ready == 0) return 0;
    signalfd_siginfo info{};
    auto n = detail::sys_read(fd_, &info, sizeof info);
    if (!n) return Unexpected(n.error());
    return static_cast<int>(info.ssi_signo);
}

}  // namespace weft
