#pragma once
// TimerHeap: the EventLoop's timers, a binary min-heap of deadlines with O(log n) add and
// cancel.
//
// Why a heap and not a wheel: deadlines here are exact (sleep_for, connect timeouts, drain
// deadlines from 1 ms to minutes) and the count stays small — a server keeps one idle timer
// per connection and re-arms it lazily when it fires, not on every read — so O(log n) costs
// less than a wheel's per-tick sweep and needs no tick granularity. Nodes live in a slot
// vector reused through a free list, so adding a timer allocates nothing once warm.
//
// Cancellation is safe from inside any callback, including the timer's own: ids carry a
// generation, a cancelled or finished timer's id no longer matches its node, and timers that
// fall due together are collected first and each checked again just before it runs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace weft {

/// Names one timer; 0 is never a valid id.
using TimerId = std::uint64_t;

/// The EventLoop's timers: deadlines in a binary min-heap (see the top of timer_heap.hpp).
class TimerHeap {
public:
    using Clock = std::chrono::steady_clock;  ///< Deadlines are steady_clock times.
    using Callback = std::function<void()>;   ///< What runs when a timer falls due.

    /// Schedules fn at `when`; callbacks due at the same time run in the order they were added.
    TimerId add(Clock::time_point when, Callback fn);
    /// True when the timer was pending and will not run; false for unknown, finished or
    /// already cancelled ids (so a double cancel is harmless).
    bool cancel(TimerId id) noexcept;
    /// The earliest pending deadline, if any.
    std::optional<Clock::time_point> next_deadline() const noexcept;
    /// Runs every callback due at `now`. A callback may add or cancel timers; timers it adds
    /// run in a later call even when already due, so a zero-delay timer cannot starve I/O.
    void run_due(Clock::time_point now);
    /// Timers pending.
    std::size_t size() const noexcept { return heap_.size(); }

private:
    static constexpr std::uint32_t kNotInHeap = UINT32_MAX;
    struct Node {
        Clock::time_point when{};
        std::uint64_t sequence = 0;  // ties broken by insertion order
        Callback fn;
        std::uint32_t generation = 1;
        std::uint32_t heap_index = kNotInHeap;
        bool pending = false;  // in the heap, or collected as due and not yet run
    };

    bool before(std::uint32_t a, std::uint32_t b) const noexcept;
    void place(std::uint32_t heap_pos, std::uint32_t node) noexcept;
    void sift_up(std::uint32_t pos) noexcept;
    void sift_down(std::uint32_t pos) noexcept;
    void remove_at(std::uint32_t pos) noexcept;
    void release(std::uint32_t node) noexcept;
    Node* find(TimerId id) noexcept;

    std::vector<Node> nodes_;
    std::vector<std::uint32_t> free_;
    std::vector<std::uint32_t> heap_;  // node indices
    std::vector<TimerId> due_;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace weft
