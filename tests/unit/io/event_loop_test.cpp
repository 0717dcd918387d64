// EventLoop: posting across threads, timers in order, cancellation from inside callbacks.

#include "weft/io/event_loop.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace weft {
namespace {

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoopThread) {
    EventLoop loop;
    std::atomic<int> ran{0};
    std::thread::id seen;
    std::thread poster([&] {
        for (int i = 0; i < 1000; ++i) loop.post([&] { ++ran; });
        loop.post([&] {
            seen = std::this_thread::get_id();
            loop.stop();
        });
    });
    loop.run();
    poster.join();
    EXPECT_EQ(ran.load(), 1000);
    EXPECT_EQ(seen, std::this_thread::get_id());
}

TEST(EventLoop, RunInLoopRunsAtOnceOnTheLoopThread) {
    EventLoop loop;
    bool ran = false;
    loop.run_in_loop([&] { ran = true; });
    EXPECT_TRUE(ran);
}

TEST(EventLoop, StopBeforeRunReturnsAtOnce) {
    EventLoop loop;
    loop.stop();
    loop.run();  // would hang if the request were lost
    SUCCEED();
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
    EventLoop loop;
    std::vector<int> order;
    loop.add_timer(30ms, [&] { order.push_back(3); loop.stop(); });
    loop.add_timer(10ms, [&] { order.push_back(1); });
    loop.add_timer(20ms, [&] { order.push_back(2); });
    const auto start = EventLoop::Clock::now();
    loop.run();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_GE(EventLoop::Clock::now() - start, 30ms);
}

TEST(EventLoop, CancelledTimerNeverRuns) {
    EventLoop loop;
    bool ran = false;
    const TimerId id = loop.add_timer(5ms, [&] { ran = true; });
    EXPECT_TRUE(loop.cancel_timer(id));
    EXPECT_FALSE(loop.cancel_timer(id));  // a second cancel is harmless
    loop.add_timer(20ms, [&] { loop.stop(); });
    loop.run();
    EXPECT_FALSE(ran);
}

TEST(EventLoop, CallbackMayCancelAnotherDueTimerAndItself) {
    EventLoop loop;
    TimerId second = 0;
    TimerId first = 0;
    bool second_ran = false;
    bool self_cancel_result = true;
    // Both are due in the same turn: the first cancels the second before it runs.
    const auto when = EventLoop::Clock::now() + 5ms;
    first = loop.add_timer_at(when, [&] {
        EXPECT_TRUE(loop.cancel_timer(second));
        self_cancel_result = loop.cancel_timer(first);
    });
    second = loop.add_timer_at(when, [&] { second_ran = true; });
    loop.add_timer(20ms, [&] { loop.stop(); });
    loop.run();
    EXPECT_FALSE(second_ran);
    EXPECT_FALSE(self_cancel_result);  // a running timer is no longer pending
}

TEST(EventLoop, ZeroDelayTimerAddedInCallbackRunsNextTurn) {
    EventLoop loop;
    int count = 0;
    std::function<void()> again = [&] {
        if (++count < 100) loop.add_timer(0ms, again);
        else loop.stop();
    };
    loop.add_timer(0ms, again);
    loop.run();
    EXPECT_EQ(count, 100);
}

TEST(EventLoop, StopFromAnotherThreadWakesABlockedLoop) {
    EventLoop loop;
    std::thread stopper([&] {
        std::this_thread::sleep_for(20ms);  // the loop is asleep in epoll_wait with no timers
        loop.stop();
    });
    loop.run();
    stopper.join();
    SUCCEED();
}

}  // namespace
}  // namespace weft
