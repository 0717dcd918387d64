#pragma once
// Capture: the frames crossing an interface, from a TPACKET_V3 ring (io/packet_socket.hpp),
// filtered in the kernel, with the kernel's timestamps and its count of what it dropped.
//
//   weft::EventLoop loop;
//   weft::capture::CaptureOptions options;
//   options.interface = "veth0";
//   options.filter = weft::capture::compile_filter("arp or icmp").value();
//   auto cap = weft::capture::Capture::open(loop, options);           // needs root
//   auto stats = loop.block_on((*cap)->run([](const weft::CapturedFrame& f) { ... }));
//
// run() ends after options.count frames, after options.duration, or when stop() is called
// (from the loop's thread: a signal watcher coroutine, say), and returns the counts. A stop
// or the end of the duration first collects the frames the kernel already took.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <linux/filter.h>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/io/packet_socket.hpp"
#include "weft/io/task.hpp"

namespace weft::capture {

/// What Capture::open captures, and when run() stops.
struct CaptureOptions {
    std::string interface;  ///< the interface's name, as `ip link` shows it (lo works)
    /// A compiled filter (bpf_filter.hpp); empty: every frame.
    std::vector<sock_filter> filter{};
    /// Stop after this many frames (0: no limit).
    std::size_t count = 0;
    /// Stop after this long (0: no limit).
    std::chrono::nanoseconds duration{0};
    /// Frames addressed to other hosts too (tcpdump's default).
    bool promiscuous = true;
    /// Hand each ring block over at once instead of when it fills or after 100 ms: for a
    /// person watching a terminal, nothing waits for traffic that may never come.
    bool immediate = false;
    /// Ring geometry; the default takes 8 MiB (eight 1 MiB blocks) for bursts at line rate.
    PacketRingOptions ring{.block_size = std::size_t{1} << 20, .block_count = 8,
                           .retire_timeout = std::chrono::milliseconds(100)};
};

/// What a capture saw: its own count and the kernel's.
struct CaptureStats {
    std::uint64_t captured = 0;  ///< frames handed to the handler
    std::uint64_t received = 0;  ///< frames the filter accepted (the kernel's count)
    std::uint64_t dropped = 0;   ///< frames the kernel dropped for lack of room
};

/// Called on the loop's thread for each frame; the frame's bytes are valid during the call only.
using FrameHandler = std::function<void(const CapturedFrame&)>;

/// A capture on one interface: a packet socket with a TPACKET_V3 ring and a kernel filter,
/// run until a count, a duration or stop().
class Capture {
public:
    /// Opens the ring on the interface. Errors name the interface and the step ("packet
    /// socket: no interface named 'eth9' ...", "... needs CAP_NET_RAW (root)").
    static Expected<std::unique_ptr<Capture>, std::string> open(EventLoop& loop, CaptureOptions options);

    /// Hands every frame to `handler` until a stop condition; returns the counts. On
    /// loopback, where each frame passes twice, only its incoming copy. Errors: the socket's
    /// ("the interface went down or away").
    Task<Expected<CaptureStats, std::string>> run(FrameHandler handler);
    /// Ends run(): after the frames the kernel already took (it hands a partly filled block
    /// over within the ring's retire timeout, which run() waits for). Loop thread only;
    /// idempotent.
    void stop() noexcept;

private:
    Capture(CaptureOptions options, PacketSocket socket);
    void begin_drain() noexcept;

    CaptureOptions options_;
    PacketSocket socket_;
    bool draining_ = false;
    EventLoop::Clock::time_point drain_until_{};
    bool waiting_ = false;
    bool loopback_ = false;  // skip the outgoing copy of each frame
};

}  // namespace weft::capture
