// Microbenchmarks of io/'s hot paths (Google Benchmark): Buffer, the framing codecs, and the
// EventLoop's post and timer operations. scripts/bench-io.sh runs them and writes
// docs/perf/io_micro.md.
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "weft/io/buffer.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/framing.hpp"

namespace {

std::vector<std::byte> bytes(std::size_t n, int seed = 1) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + static_cast<std::size_t>(seed)) & 0xff);
    return v;
}

// Append n bytes then consume them: the steady state of a connection's input buffer.
void BM_BufferAppendConsume(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto data = bytes(n);
    weft::Buffer buffer;
    for (auto _ : state) {
        buffer.append(data);
        benchmark::DoNotOptimize(buffer.readable().data());
        buffer.consume(n);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_BufferAppendConsume)->Arg(16)->Arg(64)->Arg(512)->Arg(4096)->Arg(65536);

// Many small appends, then partial consumes: exercises compaction (moving readable bytes to
// the front instead of growing).
void BM_BufferAppendPartialConsume(benchmark::State& state) {
    const auto data = bytes(100);
    weft::Buffer buffer;
    for (auto _ : state) {
        for (int i = 0; i < 10; ++i) buffer.append(data);
        buffer.consume(990);  // leaves 10 bytes behind every round
        if (buffer.readable_bytes() > 4096) buffer.consume_all();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_BufferAppendPartialConsume);

constexpr std::size_t kFrames = 1000;

// 1000 length-prefixed (u32) frames of range(0) bytes appended in one go, then decoded one
// by one. Items: frames.
void BM_LengthPrefixDecode(benchmark::State& state) {
    const auto payload_size = static_cast<std::size_t>(state.range(0));
    const weft::LengthPrefixCodec codec(weft::PrefixSize::u32, 1 << 20);
    weft::Buffer encoded;
    const auto payload = bytes(payload_size);
    for (std::size_t i = 0; i < kFrames; ++i) (void)codec.encode(payload, encoded);
    const std::vector<std::byte> stream(encoded.readable().begin(), encoded.readable().end());
    weft::Buffer in(stream.size() + 64);
    for (auto _ : state) {
        in.append(stream);
        std::size_t got = 0;
        for (;;) {
            auto frame = codec.decode(in);
            if (!frame || !*frame) break;
            benchmark::DoNotOptimize((**frame).data());
            ++got;
        }
        if (got != kFrames) state.SkipWithError("wrong frame count");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kFrames));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_LengthPrefixDecode)->Arg(16)->Arg(64)->Arg(1024);

// 1000 lines of range(0)-1 bytes plus "\n", then decoded one by one. Items: lines.
void BM_LineDecode(benchmark::State& state) {
    const auto line_size = static_cast<std::size_t>(state.range(0));
    const weft::LineCodec codec("\n", 1 << 16);
    std::vector<std::byte> stream;
    for (std::size_t i = 0; i < kFrames; ++i) {
        for (std::size_t k = 0; k + 1 < line_size; ++k) stream.push_back(static_cast<std::byte>('a' + (k + i) % 26));
        stream.push_back(std::byte{'\n'});
    }
    weft::Buffer in(stream.size() + 64);
    for (auto _ : state) {
        in.append(stream);
        std::size_t got = 0;
        for (;;) {
            auto frame = codec.decode(in);
            if (!frame || !*frame) break;
            benchmark::DoNotOptimize((**frame).data());
            ++got;
        }
        if (got != kFrames) state.SkipWithError("wrong line count");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kFrames));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_LineDecode)->Arg(16)->Arg(80)->Arg(1024);

// post() from the loop's own thread, then one run() that executes the batch. Items: posts.
void BM_LoopPostSameThread(benchmark::State& state) {
    weft::EventLoop loop;
    std::size_t counter = 0;
    constexpr int kBatch = 1000;
    for (auto _ : state) {
        for (int i = 0; i < kBatch; ++i) loop.post([&counter] { ++counter; });
        loop.post([&loop] { loop.stop(); });
        loop.run();
    }
    benchmark::DoNotOptimize(counter);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_LoopPostSameThread);

// post() from another thread while the loop runs: the cross-thread path (mutex + eventfd
// wake-up per batch). Items: posts executed.
constexpr int kCrossBatch = 1000;
void BM_LoopPostCrossThread(benchmark::State& state) {
    constexpr int kBatch = kCrossBatch;
    for (auto _ : state) {
        state.PauseTiming();
        weft::EventLoop loop;
        std::atomic<int> done{0};
        state.ResumeTiming();
        std::thread producer([&] {
            for (int i = 0; i < kBatch; ++i)
                loop.post([&loop, &done] {
                    if (done.fetch_add(1, std::memory_order_relaxed) + 1 == kCrossBatch) loop.stop();
                });
        });
        loop.run();
        producer.join();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_LoopPostCrossThread)->UseRealTime();

// add_timer then cancel_timer with range(0) other timers pending: what an idle timeout costs
// per connection when it is re-armed.
void BM_TimerAddCancel(benchmark::State& state) {
    weft::EventLoop loop;
    std::vector<weft::TimerId> background;
    for (std::int64_t i = 0; i < state.range(0); ++i)
        background.push_back(loop.add_timer(std::chrono::hours(1) + std::chrono::milliseconds(i), [] {}));
    for (auto _ : state) {
        auto id = loop.add_timer(std::chrono::seconds(30), [] {});
        benchmark::DoNotOptimize(loop.cancel_timer(id));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TimerAddCancel)->Arg(0)->Arg(1000)->Arg(10000);

// Add range(0) timers, all due at once, then run them in one turn. Items: timers fired.
void BM_TimerFire(benchmark::State& state) {
    weft::EventLoop loop;
    const auto n = state.range(0);
    std::int64_t fired = 0;
    for (auto _ : state) {
        for (std::int64_t i = 0; i < n; ++i) loop.add_timer(std::chrono::nanoseconds(0), [&fired] { ++fired; });
        loop.add_timer(std::chrono::nanoseconds(0), [&loop] { loop.stop(); });
        loop.run();
    }
    benchmark::DoNotOptimize(fired);
    state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_TimerFire)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
