#pragma once
// StopSignals: SIGINT/SIGTERM as a readable descriptor, without process-wide handlers.
//
//   auto signals = weft::StopSignals::open();   // before starting threads
//   ... start a server ...
//   int signo = *signals->wait();               // SIGINT or SIGTERM
//
// open() blocks the signals in the calling thread's mask — threads started afterwards inherit
// it, so no thread's default action kills the process — and reads them from a signalfd.
// Nothing else is changed: no sigaction, no global flag. The destructor restores the mask.

#include <chrono>
#include <csignal>
#include <initializer_list>

#include "weft/expected.hpp"

namespace weft {

class StopSignals {
public:
    static Result<StopSignals> open(std::initializer_list<int> signals = {SIGINT, SIGTERM}) noexcept;

    StopSignals(StopSignals&& other) noexcept;
    StopSignals& operator=(StopSignals&&) = delete;
    ~StopSignals();

    /// The signalfd (readable when a signal is pending; register it with a loop if wanted).
    int fd() const noexcept { return fd_; }
    /// Waits for one of the signals; returns its number, or 0 when `timeout` (if given,
    /// non-negative) ran out first.
    Result<int> wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1)) noexcept;

private:
    StopSignals() = default;
    int fd_ = -1;
    sigset_t previous_{};
    bool restore_ = false;
};

}  // namespace weft
