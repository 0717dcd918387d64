// Task<T>: laziness, values, exceptions across co_await, and symmetric transfer.

#include "weft/io/task.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "weft/io/event_loop.hpp"
#include "weft/io/sleep.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

Task<int> forty_two() { co_return 42; }

Task<int> add(int a) {
    const int b = co_await forty_two();
    co_return a + b;
}

Task<std::string> fails() {
    throw std::runtime_error("boom");
    co_return "never";
}

Task<int> depth(int n) {
    if (n == 0) co_return 0;
    co_return 1 + co_await depth(n - 1);
}

TEST(Task, IsLazyUntilAwaited) {
    bool started = false;
    auto make = [&]() -> Task<> {
        started = true;
        co_return;
    };
    Task<> t = make();
    EXPECT_FALSE(started);
    EventLoop loop;
    loop.block_on(std::move(t));
    EXPECT_TRUE(started);
}

TEST(Task, ReturnsValuesThroughChains) {
    EventLoop loop;
    EXPECT_EQ(loop.block_on(add(1)), 43);
}

TEST(Task, ExceptionPropagatesToTheAwaiter) {
    EventLoop loop;
    auto outer = []() -> Task<std::string> {
        try {
            co_await fails();
        } catch (const std::runtime_error& e) {
            co_return std::string("caught ") + e.what();
        }
        co_return "no";
    };
    EXPECT_EQ(loop.block_on(outer()), "caught boom");
    EXPECT_THROW(loop.block_on(fails()), std::runtime_error);
}

TEST(Task, MillionSynchronousAwaitsDoNotGrowTheStack) {
    // Each co_await of a task that completes at once would nest two frames on the stack
    // without symmetric transfer; a million of them overflow any default stack.
    auto many = []() -> Task<long> {
        long sum = 0;
        for (int i = 0; i < 1'000'000; ++i) sum += co_await forty_two();
        co_return sum;
    };
    EventLoop loop;
    EXPECT_EQ(loop.block_on(many()), 42'000'000L);
}

TEST(Task, DeepRecursiveChainCompletes) {
    EventLoop loop;
    EXPECT_EQ(loop.block_on(depth(100'000)), 100'000);
}

TEST(Task, SpawnedTaskIsDestroyedWhenDone) {
    EventLoop loop;
    int finished = 0;
    auto job = [&]() -> Task<> {
        co_await sleep_for(loop, 1ms);
        ++finished;
    };
    loop.spawn(job());
    loop.spawn(job());
    EXPECT_EQ(loop.task_count(), 2u);
    loop.add_timer(30ms, [&] { loop.stop(); });
    loop.run();
    EXPECT_EQ(finished, 2);
    EXPECT_EQ(loop.task_count(), 0u);
}

struct Flag {
    bool* destroyed;
    ~Flag() { *destroyed = true; }
};

TEST(Task, LoopDestroysUnfinishedRootsAndTheirChildren) {
    bool child_destroyed = false;
    bool root_destroyed = false;
    {
        EventLoop loop;
        auto child = [&](EventLoop& l) -> Task<> {
            Flag f{&child_destroyed};
            co_await sleep_for(l, 1h);
        };
        auto root = [&](EventLoop& l) -> Task<> {
            Flag f{&root_destroyed};
            co_await child(l);
        };
        loop.spawn(root(loop));
        EXPECT_EQ(loop.task_count(), 1u);
    }
    EXPECT_TRUE(child_destroyed);
    EXPECT_TRUE(root_destroyed);
}

TEST(Task, ExceptionInSpawnedTaskReachesTheHandler) {
    EventLoop loop;
    std::string seen;
    loop.set_exception_handler([&](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            seen = ex.what();
        }
    });
    auto root = []() -> Task<> {
        co_await fails();
    };
    loop.spawn(root());
    EXPECT_EQ(seen, "boom");
    EXPECT_EQ(loop.task_count(), 0u);
}

}  // namespace
}  // namespace weft
