// weft capture: the frames crossing an interface, like tcpdump: filtered in the kernel with
// tcpdump's own filter language, printed as `weft decode` prints them or written to a pcap.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "cli.hpp"
#include "frame_output.hpp"
#include "weft/io/stop_signals.hpp"
#include "weft/services/capture/bpf_filter.hpp"
#include "weft/services/capture/capture.hpp"
#include "weft/wire/dissect.hpp"
#include "weft/wire/pcap.hpp"

namespace weft::cli {

namespace {

struct CaptureArgs {
    std::string interface;
    std::string count;
    std::string duration;
    std::string filter;
    std::string write;
    bool json = false;
};

// A pcap file written as frames come: records gather in memory and go to the file in
// chunks, so a capture at line rate costs a write per megabyte, not per frame.
class PcapFileSink {
public:
    explicit PcapFileSink(const std::string& path) : path_(path), writer_(pending_) {
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
        flush();  // the global header: a capture stopped at once is still a valid file
    }
    ~PcapFileSink() {
        if (fd_ >= 0) ::close(fd_);
    }
    PcapFileSink(const PcapFileSink&) = delete;
    PcapFileSink& operator=(const PcapFileSink&) = delete;

    void add(const CapturedFrame& frame) {
        writer_.write(frame.timestamp.time_since_epoch(), frame.data, static_cast<std::uint32_t>(frame.original_length));
        if (pending_.size() >= (1u << 20)) flush();
    }
    void flush() {
        std::size_t done = 0;
        while (done < pending_.size()) {
            const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error("writing '" + path_ + "': " + std::strerror(errno));
            done += static_cast<std::size_t>(n);
        }
        pending_.clear();
    }

private:
    std::string path_;
    std::vector<std::byte> pending_;
    wire::PcapWriter writer_;
    int fd_ = -1;
};

// Stops the capture at the first SIGINT or SIGTERM. Parameters, not lambda captures: the
// coroutine frame outlives this call.
Task<> stop_on_signal(EventLoop& loop, StopSignals* signals, capture::Capture* cap, const bool* finished) {
    auto signo = co_await signals->next(loop);
    if (signo && !*finished) cap->stop();
}

Task<Expected<capture::CaptureStats, std::string>> capture_until_stopped(EventLoop& loop, StopSignals* signals,
                                                                         capture::Capture* cap,
                                                                         capture::FrameHandler handler,
                                                                         bool* finished) {
    loop.spawn(stop_on_signal(loop, signals, cap, finished));
    auto stats = co_await cap->run(std::move(handler));
    *finished = true;
    co_return stats;
}

void run(const CaptureArgs& args) {
    capture::CaptureOptions options;
    options.interface = args.interface;
    if (!args.count.empty()) options.count = count_arg(args.count, "--count");
    if (!args.duration.empty()) options.duration = seconds_arg(args.duration, "--duration");
    auto filter = capture::compile_filter(args.filter);
    if (!filter) throw UsageError(filter.error());
    options.filter = std::move(*filter);
    // A person watching a terminal sees each frame as it passes, not when a block fills.
    options.immediate = args.write.empty() && ::isatty(STDOUT_FILENO) == 1;

    auto signals = StopSignals::open();  // before the loop exists, as with servers
    if (!signals) throw std::runtime_error("cannot watch SIGINT/SIGTERM: " + signals.error().message());
    EventLoop loop;
    auto cap = capture::Capture::open(loop, options);
    if (!cap) throw std::runtime_error(cap.error());

    std::unique_ptr<PcapFileSink> file;
    std::unique_ptr<FrameOutput> out;
    if (!args.write.empty()) file = std::make_unique<PcapFileSink>(args.write);
    else out = std::make_unique<FrameOutput>(args.json);
    std::size_t number = 0;
    capture::FrameHandler handler = [&](const CapturedFrame& frame) {
        ++number;
        if (file) file->add(frame);
        else out->frame(number, frame.data, frame.original_length, wire::kLinktypeEthernet);
    };
    bool finished = false;
    auto stats = loop.block_on(capture_until_stopped(loop, &*signals, cap->get(), handler, &finished));
    if (file) file->flush();
    if (out) out->flush();
    if (!stats) throw std::runtime_error(stats.error());
    std::fprintf(stderr, "%llu frames captured, %llu received by filter, %llu dropped by kernel\n",
                 static_cast<unsigned long long>(stats->captured), static_cast<unsigned long long>(stats->received),
                 static_cast<unsigned long long>(stats->dropped));
}

}  // namespace

void add_capture(CLI::App& app) {
    auto args = std::make_shared<CaptureArgs>();
    CLI::App* cmd = app.add_subcommand("capture", "Frames seen on an interface, decoded or written to a pcap (needs root)");
    cmd->add_option("--iface", args->interface, "interface to capture on (lo works)")->required()->type_name("IF");
    cmd->add_option("--count", args->count, "stop after N frames")->type_name("N");
    cmd->add_option("--duration", args->duration, "stop after S seconds")->type_name("S");
    cmd->add_option("--filter", args->filter, "tcpdump filter expression, applied in the kernel")->type_name("EXPR");
    cmd->add_option("--write", args->write, "write a pcap file instead of printing")->type_name("FILE");
    cmd->add_flag("--json", args->json, "one JSON object per frame, as weft decode --json");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
