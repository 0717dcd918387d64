// Channel: values in order, the receiver resumed from the loop (never inside try_send), the
// three overflow policies, cancellation by with_timeout, sends from other threads, and sends
// that outlive the channel.

#include "weft/io/channel.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "weft/io/sleep.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

// Generous bound on any single wait: a loaded 2-core machine (or ASan) is slow, never this slow.
constexpr auto kPatience = 10s;

// Receives until the channel ends (or a receive fails: the error is recorded as a failure).
template <class T>
Task<std::vector<T>> drain(Channel<T>& ch) {
    std::vector<T> got;
    for (;;) {
        auto next = co_await with_timeout(kPatience, ch.recv());
        if (!next) {
            ADD_FAILURE() << "recv failed: " << next.error().message();
            break;
        }
        if (!*next) break;
        got.push_back(std::move(**next));
    }
    co_return got;
}

// Lets the loop run what is already posted or due (a wake-up armed earlier), then returns.
void run_pending(EventLoop& loop) {
    loop.post([&loop] { loop.stop(); });
    loop.run();
}

TEST(Channel, ValuesComeOutInOrderThenNulloptOnceClosedAndDrained) {
    EventLoop loop;
    Channel<std::string> ch(loop, 4);
    EXPECT_EQ(ch.capacity(), 4u);
    EXPECT_TRUE(ch.try_send("one"));
    EXPECT_TRUE(ch.try_send("two"));
    EXPECT_TRUE(ch.try_send("three"));
    EXPECT_EQ(ch.size(), 3u);
    ch.close();
    EXPECT_TRUE(ch.is_closed());
    EXPECT_FALSE(ch.try_send("late")) << "a closed channel takes nothing";
    EXPECT_EQ(loop.block_on(drain(ch)), (std::vector<std::string>{"one", "two", "three"}));
    // The end is sticky: every later receive says so at once.
    auto again = loop.block_on([&]() -> Task<Result<std::optional<std::string>>> { co_return co_await ch.recv(); }());
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
}

TEST(Channel, ReceiverIsResumedFromTheLoopNeverInsideTrySend) {
    EventLoop loop;
    Channel<int> ch(loop, 4);
    bool received = false;
    bool resumed_inside_send = false;
    // The receiver suspends first (nothing queued); the timer sends on the loop's thread.
    loop.add_timer(1ms, [&] {
        EXPECT_TRUE(ch.try_send(7));
        resumed_inside_send = received;
    });
    auto value = loop.block_on([&]() -> Task<int> {
        auto next = co_await with_timeout(kPatience, ch.recv());
        received = true;
        co_return next && *next ? **next : -1;
    }());
    EXPECT_EQ(value, 7);
    EXPECT_FALSE(resumed_inside_send);
}

TEST(Channel, SendFromAnotherThreadResumesTheReceiverOnTheLoopThread) {
    EventLoop loop;
    Channel<int> ch(loop, 4);
    std::thread::id resumed_on;
    std::thread sender;
    auto value = loop.block_on([&]() -> Task<int> {
        // Started once the receiver is about to wait: the send races its suspension.
        sender = std::thread([s = ch.sender()] { EXPECT_TRUE(s.try_send(42)); });
        auto next = co_await with_timeout(kPatience, ch.recv());
        resumed_on = std::this_thread::get_id();
        co_return next && *next ? **next : -1;
    }());
    sender.join();
    EXPECT_EQ(value, 42);
    EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

TEST(Channel, TwoThreadsSendingConcurrentlyLoseNothingAndKeepEachSendersOrder) {
    EventLoop loop;
    constexpr int kSenders = 2;
    constexpr int kPerSender = 20000;
    // Small on purpose: the senders fill it over and over and retry while the loop drains.
    Channel<std::pair<int, int>> ch(loop, 64);
    std::atomic<long> refused{0};
    auto send_all = [&refused](Channel<std::pair<int, int>>::Sender s, int id) {
        for (int seq = 0; seq < kPerSender;) {
            if (s.try_send({id, seq})) {
                ++seq;
            } else {
                if (s.is_closed()) return;  // the receiver gave up: don't spin forever
                ++refused;
                std::this_thread::yield();
            }
        }
    };
    std::vector<std::thread> senders;
    for (int id = 0; id < kSenders; ++id) senders.emplace_back(send_all, ch.sender(), id);

    std::vector<int> next_seq(kSenders, 0);
    int total = 0;
    int out_of_order = 0;
    loop.block_on([&]() -> Task<> {
        while (total < kSenders * kPerSender) {
            auto next = co_await with_timeout(kPatience, ch.recv());
            if (!next || !*next) {
                ADD_FAILURE() << "receive ended after " << total << " values";
                break;
            }
            const auto [id, seq] = **next;
            if (seq != next_seq[static_cast<std::size_t>(id)]) ++out_of_order;
            next_seq[static_cast<std::size_t>(id)] = seq + 1;
            ++total;
        }
    }());
    ch.close();
    for (auto& t : senders) t.join();
    EXPECT_EQ(total, kSenders * kPerSender);
    EXPECT_EQ(out_of_order, 0);
    EXPECT_EQ(next_seq, std::vector<int>(kSenders, kPerSender));
    EXPECT_EQ(ch.size(), 0u);
    // Not asserted (it depends on scheduling), but it says whether the bound was exercised.
    RecordProperty("refused_sends", std::to_string(refused.load()));
}

TEST(Channel, CloseFromAnotherThreadDeliversWhatWasQueuedThenNullopt) {
    EventLoop loop;
    Channel<int> ch(loop, 1000);
    std::thread producer([s = ch.sender()] {
        for (int i = 0; i < 500; ++i) EXPECT_TRUE(s.try_send(i));
        s.close();
        EXPECT_FALSE(s.try_send(500));
    });
    const auto got = loop.block_on(drain(ch));
    producer.join();
    ASSERT_EQ(got.size(), 500u);
    for (int i = 0; i < 500; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
}

TEST(Channel, RejectRefusesWhenFullAndKeepsWhatIsQueued) {
    EventLoop loop;
    Channel<int> ch(loop, 2, Overflow::reject);
    EXPECT_TRUE(ch.try_send(1));
    EXPECT_TRUE(ch.try_send(2));
    EXPECT_FALSE(ch.try_send(3));
    EXPECT_FALSE(ch.is_closed());
    EXPECT_EQ(ch.size(), 2u);
    auto first = loop.block_on([&]() -> Task<int> { co_return **co_await ch.recv(); }());
    EXPECT_EQ(first, 1);
    EXPECT_TRUE(ch.try_send(4)) << "room again after a receive";
    ch.close();
    EXPECT_EQ(loop.block_on(drain(ch)), (std::vector<int>{2, 4}));
}

TEST(Channel, DropOldestKeepsTheNewestValues) {
    EventLoop loop;
    Channel<int> ch(loop, 3, Overflow::drop_oldest);
    for (int i = 1; i <= 5; ++i) EXPECT_TRUE(ch.try_send(i));
    EXPECT_EQ(ch.size(), 3u);
    ch.close();
    EXPECT_EQ(loop.block_on(drain(ch)), (std::vector<int>{3, 4, 5}));
    EXPECT_FALSE(ch.overflowed());
}

TEST(Channel, CloseOnOverflowDropsTheQueueEndsTheReceiverAndRunsTheHook) {
    EventLoop loop;
    Channel<int> ch(loop, 2, Overflow::close);
    std::vector<std::string> events;
    ch.on_close([&] { events.push_back("hook"); });
    // The receiver waits; a burst arrives before it can run: the third value overflows.
    loop.add_timer(1ms, [&] {
        EXPECT_TRUE(ch.try_send(1));
        EXPECT_TRUE(ch.try_send(2));
        EXPECT_FALSE(ch.try_send(3));
        EXPECT_TRUE(ch.is_closed());
        EXPECT_TRUE(ch.overflowed());
        EXPECT_EQ(ch.size(), 0u) << "a receiver that fell behind is cut off, not fed stale values";
        EXPECT_TRUE(events.empty()) << "the hook runs from the loop, not inside try_send";
    });
    loop.block_on([&]() -> Task<> {
        auto next = co_await with_timeout(kPatience, ch.recv());
        events.push_back(!next ? "error" : *next ? "value" : "end");
    }());
    // The hook comes first: it may have to cancel what a receiver elsewhere is blocked on.
    EXPECT_EQ(events, (std::vector<std::string>{"hook", "end"}));
    EXPECT_FALSE(ch.try_send(4));
}

TEST(Channel, HookSetOnAClosedChannelStillRunsOnceInALaterTurn) {
    EventLoop loop;
    Channel<int> ch(loop, 2);
    ch.close();
    int runs = 0;
    ch.on_close([&] { ++runs; });
    EXPECT_EQ(runs, 0);
    run_pending(loop);
    ch.close();  // closing again does not run it again
    run_pending(loop);
    EXPECT_EQ(runs, 1);
}

TEST(Channel, RecvWithTimeoutExpiresAndLosesNothing) {
    EventLoop loop;
    Channel<int> ch(loop, 4);
    std::error_code error;
    EventLoop::Clock::duration waited{};
    int later = -1;
    loop.block_on([&]() -> Task<> {
        const auto start = EventLoop::Clock::now();
        auto none = co_await with_timeout(50ms, ch.recv());
        waited = EventLoop::Clock::now() - start;
        if (!none) error = none.error();
        // A value sent after the timeout is the next receive's.
        EXPECT_TRUE(ch.try_send(5));
        auto next = co_await with_timeout(kPatience, ch.recv());
        later = next && *next ? **next : -1;
    }());
    EXPECT_EQ(error, std::errc::timed_out);
    EXPECT_GE(waited, 50ms);
    EXPECT_LT(waited, kPatience);
    EXPECT_EQ(later, 5);
}

TEST(Channel, SecondReceiverIsBusy) {
    EventLoop loop;
    Channel<int> ch(loop, 4);
    int first_got = -1;
    // A named lambda: a coroutine lambda's captures live in the closure, which must outlive
    // the spawned frame (a temporary would be gone at the end of the statement).
    auto first = [&]() -> Task<> {
        auto next = co_await ch.recv();
        first_got = next && *next ? **next : -2;
    };
    loop.spawn(first());
    auto second = loop.block_on([&]() -> Task<Result<std::optional<int>>> { co_return co_await ch.recv(); }());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), IoErrc::busy);
    EXPECT_TRUE(ch.try_send(9));
    run_pending(loop);  // the zero-delay wake-up is due by the time the posted stop runs
    EXPECT_EQ(first_got, 9) << "the first receiver was not disturbed";
}

TEST(Channel, DestroyingTheWaitingFrameUnregistersTheReceiver) {
    EventLoop loop;
    Channel<int> ch(loop, 4);
    bool resumed = false;
    auto receiver = [&]() -> Task<> {
        (void)co_await ch.recv();
        resumed = true;
    };
    loop.spawn(receiver());
    loop.destroy_tasks();  // the frame goes while it waits
    std::thread([s = ch.sender()] { EXPECT_TRUE(s.try_send(1)); }).join();
    run_pending(loop);
    EXPECT_FALSE(resumed);
    EXPECT_EQ(ch.size(), 1u) << "nobody took it: it waits for the next receiver";
    auto next = loop.block_on([&]() -> Task<int> { co_return **co_await ch.recv(); }());
    EXPECT_EQ(next, 1);
}

TEST(Channel, SenderOutlivesTheChannelAndTheLoop) {
    Channel<std::string>::Sender s;
    EXPECT_FALSE(s.try_send("nobody")) << "a default Sender belongs to no channel";
    {
        EventLoop loop;
        {
            Channel<std::string> ch(loop, 4);
            s = ch.sender();
            EXPECT_TRUE(s.try_send("queued"));
        }
        EXPECT_TRUE(s.is_closed());
        EXPECT_FALSE(s.try_send("late"));
        s.close();
    }
    std::thread([&s] { EXPECT_FALSE(s.try_send("later, from another thread")); }).join();
}

TEST(Channel, DestroyedWhileAnotherThreadKeepsSending) {
    EventLoop loop;
    auto ch = std::make_unique<Channel<int>>(loop, 8, Overflow::drop_oldest);
    std::atomic<long> sent{0};
    // drop_oldest never refuses: this thread sends until the channel is gone.
    std::thread sender([&sent, s = ch->sender()] {
        while (s.try_send(1)) ++sent;
    });
    const auto got = loop.block_on([&]() -> Task<int> {
        int n = 0;
        while (n < 100) {
            auto next = co_await with_timeout(kPatience, ch->recv());
            if (!next || !*next) break;
            ++n;
        }
        co_return n;
    }());
    EXPECT_EQ(got, 100);
    ch.reset();  // destroyed mid-stream: the sender's next try_send fails
    sender.join();
    run_pending(loop);  // wake-ups posted before the destruction find nothing to resume
    EXPECT_GE(sent.load(), 100);
}

}  // namespace
}  // namespace weft
