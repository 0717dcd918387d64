// StopSignals: a signal raised while it is blocked is read from the signalfd, awaited on a
// loop (next) or waited for (wait); with_timeout bounds the await.
//
// Every signal a test raises is sent to the test's own thread (pthread_kill), where open()
// blocked it, and is consumed before the StopSignals is destroyed: one left pending would
// get its default action (terminate) once the mask is restored.

#include "weft/io/stop_signals.hpp"

#include <chrono>
#include <csignal>

#include <pthread.h>

#include <gtest/gtest.h>

#include "weft/io/io_error.hpp"
#include "weft/io/sleep.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

constexpr auto kPatience = 10s;

void raise_here(int signo) { ASSERT_EQ(::pthread_kill(::pthread_self(), signo), 0); }

// Consumes whatever is still pending (after a failed expectation), so the restored mask does
// not end the test binary.
struct DrainOnExit {
    StopSignals& signals;
    ~DrainOnExit() {
        while (signals.wait(0ms).value_or(0) > 0) {
        }
    }
};

TEST(StopSignals, NextOnALoopReturnsASignalRaisedWhileItWaits) {
    auto signals = StopSignals::open({SIGTERM});
    ASSERT_TRUE(signals) << signals.error().message();
    DrainOnExit drain{*signals};
    EventLoop loop;
    bool raised = false;
    // The coroutine suspends first (nothing pending); then the timer raises the signal.
    loop.add_timer(1ms, [&] {
        raise_here(SIGTERM);
        raised = true;
    });
    auto signo = loop.block_on([&]() -> Task<Result<int>> {
        co_return co_await with_timeout(kPatience, signals->next(loop));
    }());
    ASSERT_TRUE(signo) << signo.error().message();
    EXPECT_EQ(*signo, SIGTERM);
    EXPECT_TRUE(raised);
}

TEST(StopSignals, NextReturnsASignalAlreadyPendingAtOnce) {
    auto signals = StopSignals::open({SIGINT, SIGTERM});
    ASSERT_TRUE(signals);
    DrainOnExit drain{*signals};
    raise_here(SIGINT);
    EventLoop loop;
    auto signo = loop.block_on([&]() -> Task<Result<int>> { co_return co_await signals->next(loop); }());
    ASSERT_TRUE(signo) << signo.error().message();
    EXPECT_EQ(*signo, SIGINT);
}

TEST(StopSignals, WithTimeoutExpiresWhenNoneComesAndTheLoopCanAwaitAgain) {
    auto signals = StopSignals::open({SIGTERM});
    ASSERT_TRUE(signals);
    DrainOnExit drain{*signals};
    EventLoop loop;
    EventLoop::Clock::duration waited{};
    auto none = loop.block_on([&]() -> Task<Result<int>> {
        const auto start = EventLoop::Clock::now();
        auto r = co_await with_timeout(50ms, signals->next(loop));
        waited = EventLoop::Clock::now() - start;
        co_return r;
    }());
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), std::errc::timed_out);
    EXPECT_GE(waited, 50ms);
    EXPECT_LT(waited, kPatience);
    // The expired await left the loop: a second one registers the descriptor afresh.
    loop.add_timer(1ms, [] { raise_here(SIGTERM); });
    auto signo = loop.block_on([&]() -> Task<Result<int>> {
        co_return co_await with_timeout(kPatience, signals->next(loop));
    }());
    ASSERT_TRUE(signo) << signo.error().message();
    EXPECT_EQ(*signo, SIGTERM);
}

TEST(StopSignals, SecondAwaitOnTheSameLoopIsBusy) {
    auto signals = StopSignals::open({SIGTERM});
    ASSERT_TRUE(signals);
    DrainOnExit drain{*signals};
    EventLoop loop;
    Result<int> first = Unexpected(std::make_error_code(std::errc::operation_in_progress));
    auto first_waiter = [&]() -> Task<> {  // named: its captures must outlive the frame
        first = co_await with_timeout(kPatience, signals->next(loop));
        loop.stop();
    };
    loop.spawn(first_waiter());
    auto second = loop.block_on([&]() -> Task<Result<int>> { co_return co_await signals->next(loop); }());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), IoErrc::busy);
    // The first is undisturbed and still gets the signal.
    raise_here(SIGTERM);
    loop.run();  // until the first await ends (its timeout bounds it)
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(*first, SIGTERM);
}

TEST(StopSignals, BlockingWaitReturnsZeroOnTimeoutAndTheSignalOtherwise) {
    auto signals = StopSignals::open({SIGTERM});
    ASSERT_TRUE(signals);
    DrainOnExit drain{*signals};
    auto none = signals->wait(0ms);
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, 0);
    raise_here(SIGTERM);
    auto signo = signals->wait(std::chrono::duration_cast<std::chrono::milliseconds>(kPatience));
    ASSERT_TRUE(signo);
    EXPECT_EQ(*signo, SIGTERM);
}

}  // namespace
}  // namespace weft
