// TimerHeap: see the header for why a heap and how cancellation stays safe.

#include "weft/io/timer_heap.hpp"

#include <utility>

namespace weft {

namespace {
// A TimerId packs the node's generation above its index + 1 (so that 0 is never valid).
TimerId make_id(std::uint32_t index, std::uint32_t generation) noexcept {
    return (std::uint64_t{generation} << 32) | (std::uint64_t{index} + 1);
}
}  // namespace

TimerId TimerHeap::add(Clock::time_point when, Callback fn) {
    std::uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(nodes_.size());
        nodes_.emplace_back();
    }
    Node& n = nodes_[index];
    n.when = when;
    n.sequence = next_sequence_++;
    n.fn = std::move(fn);
    n.pending = true;
    heap_.push_back(index);
    n.heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(n.heap_index);
    return make_id(index, n.generation);
}

TimerHeap::Node* TimerHeap::find(TimerId id) noexcept {
    if (id == 0) return nullptr;
    const auto index = static_cast<std::uint32_t>(id & 0xffffffffu) - 1;
    const auto generation = static_cast<std::uint32_t>(id >> 32);
    if (index >= nodes_.size()) return nullptr;
    Node& n = nodes_[index];
    return n.pending && n.generation == generation ? &n : nullptr;
}

bool TimerHeap::cancel(TimerId id) noexcept {
    Node* n = find(id);
    if (!n) return false;
    // A due-but-not-yet-run node has left the heap already; run_due sees it released.
    if (n->heap_index != kNotInHeap) remove_at(n->heap_index);
    release(static_cast<std::uint32_t>(n - nodes_.data()));
    return true;
}

std::optional<TimerHeap::Clock::time_point> TimerHeap::next_deadline() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return nodes_[heap_.front()].when;
}

void TimerHeap::run_due(Clock::time_point now) {
    // Collect first, run second: a callback that cancels another due timer finds it still
    // pending and releases it, and the check below then skips it.
    std::vector<TimerId> due;
    due.swap(due_);
    due.clear();
    while (!heap_.empty() && nodes_[heap_.front()].when <= now) {
        const std::uint32_t index = heap_.front();
        remove_at(0);
        due.push_back(make_id(index, nodes_[index].generation));
    }
    for (TimerId id : due) {
        Node* n = find(id);
        if (!n) continue;  // cancelled by an earlier callback of this round
        Callback fn = std::move(n->fn);
        release(static_cast<std::uint32_t>(n - nodes_.data()));
        fn();  // may add or cancel; nodes_ may reallocate, so n is not used after this
    }
    due.clear();
    due_.swap(due);  // keep the capacity for the next round
}

void TimerHeap::release(std::uint32_t index) noexcept {
    Node& n = nodes_[index];
    n.fn = nullptr;
    n.pending = false;
    n.heap_index = kNotInHeap;
    ++n.generation;  // every outstanding id of this node is now stale
    free_.push_back(index);
}

bool TimerHeap::before(std::uint32_t a, std::uint32_t b) const noexcept {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    return x.when != y.when ? x.when < y.when : x.sequence < y.sequence;
}

void TimerHeap::place(std::uint32_t pos, std::uint32_t node) noexcept {
    heap_[pos] = node;
    nodes_[node].heap_index = pos;
}

void TimerHeap::sift_up(std::uint32_t pos) noexcept {
    const std::uint32_t node = heap_[pos];
    while (pos > 0) {
        const std::uint32_t parent = (pos - 1) / 2;
        if (!before(node, heap_[parent])) break;
        place(pos, heap_[parent]);
        pos = parent;
    }
    place(pos, node);
}

void TimerHeap::sift_down(std::uint32_t pos) noexcept {
    const auto size = static_cast<std::uint32_t>(heap_.size());
    const std::uint32_t node = heap_[pos];
    for (;;) {
        std::uint32_t child = 2 * pos + 1;
        if (child >= size) break;
        if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
        if (!before(heap_[child], node)) break;
        place(pos, heap_[child]);
        pos = child;
    }
    place(pos, node);
}

void TimerHeap::remove_at(std::uint32_t pos) noexcept {
    const std::uint32_t removed = heap_[pos];
    const std::uint32_t last = heap_.back();
    heap_.pop_back();
    nodes_[removed].heap_index = kNotInHeap;
    if (pos == heap_.size()) return;  // it was the last one
    // Move the last node into the hole and restore the order in whichever direction it breaks.
    place(pos, last);
    sift_up(pos);
    sift_down(nodes_[last].heap_index);
}

}  // namespace weft
