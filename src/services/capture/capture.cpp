#include "weft/services/capture/capture.hpp"

#include <linux/if_packet.h>

#include "weft/io/sleep.hpp"
#include "weft/socket/interface.hpp"

namespace weft::capture {

Capture::Capture(CaptureOptions options, PacketSocket socket)
    : options_(std::move(options)), socket_(std::move(socket)) {}

Expected<std::unique_ptr<Capture>, std::string> Capture::open(EventLoop& loop, CaptureOptions options) {
    PacketOptions packet;
    packet.interface = options.interface;
    packet.promiscuous = options.promiscuous;
    packet.filter = options.filter;
    packet.ring = options.ring;
    if (options.immediate) packet.ring->retire_timeout = PacketRingOptions::kRetireImmediately;
    auto info = interface_info(options.interface);
    if (!info) return Unexpected(info.error());
    auto socket = PacketSocket::open(loop, packet);
    if (!socket) return Unexpected(socket.error().message());
    auto capture = std::unique_ptr<Capture>(new Capture(std::move(options), std::move(*socket)));
    capture->loopback_ = info->loopback;
    return capture;
}

Task<Expected<CaptureStats, std::string>> Capture::run(FrameHandler handler) {
    using Clock = EventLoop::Clock;
    CaptureStats stats;
    const bool timed = options_.duration > std::chrono::nanoseconds::zero();
    const auto deadline = Clock::now() + options_.duration;
    bool counted_out = false;
    while (!counted_out) {
        const auto now = Clock::now();
        if (timed && now >= deadline && !draining_) begin_drain();
        if (draining_ && now >= drain_until_) break;
        waiting_ = true;
        Result<PacketBlock> block = Unexpected(std::make_error_code(std::errc::timed_out));
        if (draining_ || timed) {
            const auto until = draining_ ? drain_until_ : deadline;
            block = co_await with_timeout(until - now, socket_.next_block());
        } else {
            block = co_await socket_.next_block();
        }
        waiting_ = false;
        if (!block) {
            if (block.error() == std::errc::timed_out) continue;  // the duration ended, or the drain
            if (block.error() == std::errc::operation_canceled && draining_) continue;  // stop(): drain
            if (block.error() == std::errc::network_down)
                co_return Unexpected("capture on " + options_.interface + ": the interface went down or away");
            co_return Unexpected("capture on " + options_.interface + ": " + block.error().message());
        }
        for (const CapturedFrame& frame : *block) {
            // On loopback every frame passes twice, going out and coming in: keep the one
            // coming in, as libpcap does, so a capture shows each frame once.
            if (loopback_ && frame.info.type == PACKET_OUTGOING) continue;
            handler(frame);
            ++stats.captured;
            if (options_.count != 0 && stats.captured >= options_.count) {
                counted_out = true;
                break;
            }
        }
    }
    if (auto kernel = socket_.statistics()) {
        stats.received = kernel->received;
        stats.dropped = kernel->dropped;
    }
    co_return stats;
}

// Frames the kernel already took may sit in a block it has not handed over yet (it does when
// the block fills or its retire timeout passes): a stop waits that long for them, so that
// every frame counted as received before the stop is also seen.
void Capture::begin_drain() noexcept {
    draining_ = true;
    const auto retire = options_.immediate ? PacketRingOptions::kRetireImmediately : options_.ring.retire_timeout;
    drain_until_ = EventLoop::Clock::now() + retire + std::chrono::milliseconds(20);
}

void Capture::stop() noexcept {
    if (draining_) return;
    begin_drain();
    // run() is suspended in next_block (stop runs on the same thread, so run holds no block
    // now): end that wait so that it waits again, for the drain only.
    if (waiting_) socket_.cancel();
}

}  // namespace weft::capture
