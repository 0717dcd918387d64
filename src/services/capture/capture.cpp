#include "weft/services/capture/capture.hpp"

#include "weft/io/sleep.hpp"

namespace weft::capture {

Capture::Capture(EventLoop& loop, CaptureOptions options, PacketSocket socket)
    : loop_(loop), options_(std::move(options)), socket_(std::move(socket)) {}

Expected<std::unique_ptr<Capture>, std::string> Capture::open(EventLoop& loop, CaptureOptions options) {
    PacketOptions packet;
    packet.interface = options.interface;
    packet.promiscuous = options.promiscuous;
    packet.filter = options.filter;
    packet.ring = options.ring;
    if (options.immediate) packet.ring->retire_timeout = PacketRingOptions::kRetireImmediately;
    auto socket = PacketSocket::open(loop, packet);
    if (!socket) return Unexpected(socket.error().message());
    return std::unique_ptr<Capture>(new Capture(loop, std::move(options), std::move(*socket)));
}

Task<Expected<CaptureStats, std::string>> Capture::run(FrameHandler handler) {
    using Clock = EventLoop::Clock;
    CaptureStats stats;
    const bool timed = options_.duration > std::chrono::nanoseconds::zero();
    const auto deadline = Clock::now() + options_.duration;
    auto finish = [&]() -> Expected<CaptureStats, std::string> {
        if (auto kernel = socket_.statistics()) {
            stats.received = kernel->received;
            stats.dropped = kernel->dropped;
        }
        return stats;
    };
    while (!stopping_) {
        if (timed && Clock::now() >= deadline) break;
        waiting_ = true;
        Result<PacketBlock> block = Unexpected(std::make_error_code(std::errc::timed_out));
        if (timed) {
            block = co_await with_timeout(deadline - Clock::now(), socket_.next_block());
        } else {
            block = co_await socket_.next_block();
        }
        waiting_ = false;
        if (!block) {
            if (block.error() == std::errc::timed_out) break;
            if (block.error() == std::errc::operation_canceled && stopping_) break;
            co_return Unexpected("capture on " + options_.interface + ": " + block.error().message());
        }
        for (const CapturedFrame& frame : *block) {
            handler(frame);
            ++stats.captured;
            if (options_.count != 0 && stats.captured >= options_.count) {
                stopping_ = true;
                break;
            }
        }
    }
    co_return finish();
}

void Capture::stop() noexcept {
    stopping_ = true;
    // run() is suspended in next_block (stop runs on the same thread, so run holds no block
    // now): cancel that wait. The kernel's counters stay readable until the socket closes.
    if (waiting_) socket_.cancel();
}

}  // namespace weft::capture
