// LoopPool: the start/stop/join code every multi-loop server used to write for itself.

#include "weft/io/loop_pool.hpp"

#include <algorithm>
#include <exception>
#include <future>

namespace weft {

Result<std::unique_ptr<LoopPool>> LoopPool::create(std::size_t threads) noexcept {
    try {
        if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
        std::unique_ptr<LoopPool> pool(new LoopPool());
        for (std::size_t i = 0; i < threads; ++i) pool->workers_.push_back(std::make_unique<Worker>());
        return pool;
    } catch (const std::system_error& e) {  // epoll_create1/eventfd refused (out of descriptors)
        return Unexpected(e.code());
    } catch (const std::bad_alloc&) {
        return Unexpected(std::make_error_code(std::errc::not_enough_memory));
    }
}

LoopPool::~LoopPool() {
    stop();
    wait();
    // Root tasks still alive (a member that never left) are destroyed by each loop's
    // destructor; run before that on this thread, which owns the loops again.
}

void LoopPool::start() {
    if (started_.exchange(true)) return;
    for (auto& w : workers_) {
        Worker* worker = w.get();
        worker->thread = std::thread([worker] {
            worker->loop.run();
            worker->loop.destroy_tasks();  // on its own thread, before the loop is destroyed
        });
    }
    // Return only once every loop runs on its thread: until run() begins there, the loop
    // still names the creating thread as its owner, and in_loop_thread() would be wrong.
    for (std::size_t i = 0; i < workers_.size(); ++i) call(i, [] {});
}

void LoopPool::post(std::size_t index, std::function<void()> fn) { workers_[index]->loop.post(std::move(fn)); }

void LoopPool::call(std::size_t index, const std::function<void()>& fn) {
    Worker& worker = *workers_[index];
    // Once started, the loop belongs to its thread: ask that thread's id, not the loop's
    // owner, which still names the creating thread until run() has begun there.
    if (!started_ || worker.thread.get_id() == std::this_thread::get_id()) {
        fn();
        return;
    }
    EventLoop& loop = worker.loop;
    std::promise<void> done;
    auto finished = done.get_future();
    loop.post([&fn, &done] {
        try {
            fn();
            done.set_value();
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    finished.get();
}

LoopPool::MemberId LoopPool::join(std::size_t index, std::function<void()> begin_stop) {
    Worker& worker = *workers_[index];
    worker.loop.assert_in_loop_thread();
    const MemberId id = next_member_.fetch_add(1, std::memory_order_relaxed);
    worker.members.emplace_back(id, std::move(begin_stop));
    if (worker.stopping) {
        // Joined a loop that is already stopping: it stops at once too.
        auto fn = worker.members.back().second;
        fn();
    }
    return id;
}

void LoopPool::leave(std::size_t index, MemberId id) noexcept {
    Worker& worker = *workers_[index];
    auto& members = worker.members;
    members.erase(std::remove_if(members.begin(), members.end(), [id](const auto& m) { return m.first == id; }),
                  members.end());
    if (worker.stopping && members.empty()) worker.loop.stop();
}

void LoopPool::begin_stop(Worker& worker) {
    if (worker.stopping) return;
    worker.stopping = true;
    if (worker.members.empty()) {
        worker.loop.stop();
        return;
    }
    // A member's begin_stop may leave() at once (nothing to drain): walk a copy.
    auto members = worker.members;
    for (auto& [id, fn] : members) fn();
}

void LoopPool::stop() noexcept {
    if (stop_requested_.exchange(true)) return;
    for (auto& w : workers_) {
        Worker* worker = w.get();
        if (!started_) {
            // Nobody runs the loop: nothing can drain, so there is nothing to wait for.
            continue;
        }
        try {
            worker->loop.post([this, worker] { begin_stop(*worker); });
        } catch (...) {
            worker->loop.stop();  // could not allocate the post: stop without draining
        }
    }
}

void LoopPool::wait() {
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

}  // namespace weft
