// A program, not a unit test: g++ 12.2 at -O2 miscompiled this shape, and only when it sits
// in a small program like this one (inside a test framework's function the optimiser decided
// differently and the bug hid). Built at -O2 with weft's flags; exits 0 when the coroutine's
// result arrives whole. Without -fno-tree-pre (see the top-level CMakeLists.txt) g++ 12.2's
// build of it crashed with SIGSEGV.
#include <cstdio>
#include <vector>

#include "weft/io/event_loop.hpp"
#include "weft/io/task.hpp"

using weft::Result;
using weft::Task;

struct Captured {
    std::vector<std::byte> data;
    std::size_t length = 0;
};

struct Ready {
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    Result<void> await_resume() const noexcept { return {}; }
};

// The shape: the loop's condition reads a frame local, the body awaits, the local is returned.
Task<Result<std::vector<Captured>>> capture(std::size_t count) {
    std::vector<Captured> frames;
    while (frames.size() < count) {
        [[maybe_unused]] auto s = co_await Ready{};
        frames.push_back({std::vector<std::byte>(60), 60});
    }
    co_return frames;
}

int main() {
    weft::EventLoop loop;
    auto run = [&]() -> Task<Result<std::vector<Captured>>> { co_return co_await capture(1); };
    auto got = loop.block_on(run());
    if (!got || got->size() != 1 || (*got)[0].length != 60 || (*got)[0].data.size() != 60) {
        std::printf("gcc12_coroutine_pre: the coroutine's vector came back wrong\n");
        return 1;
    }
    std::printf("gcc12_coroutine_pre: ok\n");
    return 0;
}
