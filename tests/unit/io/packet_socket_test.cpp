// PacketSocket over a veth pair between two network namespaces (netns_lab.hpp): frames built
// by hand here, sent from one end and read at the other through recv and through the ring,
// with filters, promiscuity, statistics and timeouts; and the errors that need no lab.

#include "weft/io/packet_socket.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "netns_lab.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/task.hpp"

using namespace std::chrono_literals;

namespace weft {
namespace {

using test::NetnsLab;
using Bytes = std::vector<std::byte>;
using Mac = std::array<std::uint8_t, 6>;

static_assert(!std::is_copy_constructible_v<PacketSocket> && !std::is_copy_assignable_v<PacketSocket>);
static_assert(std::is_nothrow_move_constructible_v<PacketSocket> && std::is_nothrow_move_assignable_v<PacketSocket>);
static_assert(!std::is_copy_constructible_v<PacketBlock> && std::is_nothrow_move_constructible_v<PacketBlock>);
static_assert(std::forward_iterator<PacketBlock::Iterator>);
static_assert(CancellableAwaitable<detail::PacketRecvAwaiter> && CancellableAwaitable<detail::PacketSendAwaiter> &&
              CancellableAwaitable<detail::NextBlockAwaiter>);

// IEEE 802's local experimental EtherType: no protocol stack takes it, so frames of this type
// reach the packet sockets and nothing answers them.
constexpr std::uint16_t kTestType = 0x88B5;
constexpr std::size_t kMinFrame = 60;  // Ethernet's minimum without the FCS; shorter frames are padded
constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr Mac kSender{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};  // locally administered
constexpr Mac kNobody{0x02, 0x00, 0x00, 0x00, 0x00, 0xee};  // no host in the lab has it
constexpr auto kWait = 10s;  // bound on every wait for a frame: room for a loaded 2-core machine

Bytes ethernet(const Mac& to, std::uint16_t type, std::initializer_list<std::uint8_t> payload) {
    Bytes frame;
    auto put = [&](std::uint8_t b) { frame.push_back(std::byte{b}); };
    for (auto b : to) put(b);
    for (auto b : kSender) put(b);
    put(static_cast<std::uint8_t>(type >> 8));
    put(static_cast<std::uint8_t>(type & 0xff));
    for (auto b : payload) put(b);
    frame.resize(std::max(frame.size(), kMinFrame));  // zero padding, as a NIC adds
    return frame;
}

// A broadcast ARP request: who has 198.18.0.<target>? Tell 198.18.0.1.
Bytes arp_request(std::uint8_t target) {
    return ethernet(kBroadcast, ETH_P_ARP,
                    {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,             // Ethernet/IPv4, request
                     0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 198, 18, 0, 1,   // sender
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198, 18, 0, target});
}

// A numbered frame of kTestType, broadcast.
Bytes test_frame(std::uint8_t n) { return ethernet(kBroadcast, kTestType, {'w', 'e', 'f', 't', n}); }

// IPv4-typed (the rest does not matter) and sent to a MAC no host has: the peer's IP layer
// drops it unanswered (PACKET_OTHERHOST) while its packet sockets still see it.
Bytes ipv4_frame() { return ethernet(kNobody, ETH_P_IP, {0x45, 0x00, 0x00, 0x14}); }

bool same(std::span<const std::byte> got, const Bytes& want) { return std::ranges::equal(got, want); }

// Classic BPF, by hand: ldh [12] (the EtherType); equal to `type`: keep `keep` bytes; else drop.
std::array<sock_filter, 4> accept_only(std::uint16_t type, std::uint32_t keep = 0x40000) {
    return {{
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, type, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, keep),
        BPF_STMT(BPF_RET | BPF_K, 0),
    }};
}

// Reads frames (each wait bounded) until one equals `want`, skipping a few others (the
// peer's ARP replies); the match's details, or the error that ended the search.
Task<Result<ReceivedFrame>> recv_matching(PacketSocket& socket, const Bytes& want) {
    std::array<std::byte, 2048> buffer;
    for (int skipped = 0; skipped < 32; ++skipped) {
        auto got = co_await with_timeout(kWait, socket.recv(buffer));
        if (!got || same(std::span(buffer).first(got->size), want)) co_return got;
    }
    co_return Unexpected(std::make_error_code(std::errc::no_message));
}

// Polls statistics() until `done` holds or kWait passes: the counters have no readiness event.
Task<Result<PacketStatistics>> counts_when(EventLoop& loop, PacketSocket& socket,
                                           std::function<bool(const PacketStatistics&)> done) {
    const auto deadline = EventLoop::Clock::now() + kWait;
    for (;;) {
        auto counts = socket.statistics();
        if (!counts || done(*counts) || EventLoop::Clock::now() > deadline) co_return counts;
        co_await sleep_for(loop, 1ms);
    }
}

struct Captured {
    Bytes data;
    std::size_t original_length = 0;
    std::chrono::sys_time<std::chrono::nanoseconds> timestamp{};
    PacketInfo info;
};

// Takes blocks from the ring (each wait bounded) until `frames` holds `count` frames, copies
// the frames out and gives each block back; "" or what failed. `sequences` gets each block's
// sequence number. The frames come back through the caller's vector, not as the Task's value:
// g++ 12.2 at -O2 miscompiles a coroutine that loops on a local vector's size around a named
// awaited result and then co_returns that vector (clang 14 and g++ -O1 run it correctly).
Task<std::string> capture(PacketSocket& socket, std::size_t count, std::vector<Captured>& frames,
                          std::vector<std::uint64_t>* sequences = nullptr) {
    for (std::size_t blocks = 0; blocks < count + 8 && frames.size() < count; ++blocks) {
        auto block = co_await with_timeout(kWait, socket.next_block());
        if (!block) co_return "next_block: " + block.error().message();
        if (sequences) sequences->push_back(block->sequence());
        EXPECT_EQ(static_cast<std::size_t>(std::distance(block->begin(), block->end())), block->frame_count());
        for (const CapturedFrame& f : *block)
            frames.push_back({Bytes(f.data.begin(), f.data.end()), f.original_length, f.timestamp, f.info});
    }  // ~PacketBlock: back to the kernel
    if (frames.size() < count) co_return "only " + std::to_string(frames.size()) + " frames";
    co_return "";
}

// ---- without a lab ---------------------------------------------------------------------

TEST(PacketSocket, AnUnknownInterfaceIsNamedInTheError) {
    EventLoop loop;
    PacketOptions options;
    options.interface = "weft-nosuch0";
    auto s = PacketSocket::open(loop, options);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, std::errc::no_such_device);
    EXPECT_STREQ(s.error().step, "if_nametoindex");
    EXPECT_NE(s.error().message().find("no interface named 'weft-nosuch0'"), std::string::npos) << s.error().message();

    options.interface = "weft-far-too-long-a-name";  // past IF_NAMESIZE: cannot exist
    s = PacketSocket::open(loop, options);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, std::errc::no_such_device);
    EXPECT_NE(s.error().message().find("'weft-far-too-lo..."), std::string::npos) << s.error().message();

    options.interface = "";
    s = PacketSocket::open(loop, options);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, std::errc::invalid_argument);
}

TEST(PacketSocket, WithoutCapNetRawTheErrorSaysSo) {
    bool unprivileged = false;
    std::optional<PacketOpenError> error;
    // Capabilities belong to a thread: drop CAP_NET_RAW from this one's effective set only.
    std::thread([&] {
        if (::geteuid() == 0) {
            __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
            __user_cap_data_struct data[2]{};
            if (::syscall(SYS_capget, &header, data) != 0) return;
            data[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
            if (::syscall(SYS_capset, &header, data) != 0) return;
        }
        unprivileged = true;
        EventLoop loop;
        PacketOptions options;
        options.interface = "lo";
        auto s = PacketSocket::open(loop, options);
        if (!s) error = s.error();
    }).join();
    if (!unprivileged) GTEST_SKIP() << "could not drop CAP_NET_RAW";
    ASSERT_TRUE(error) << "opened without CAP_NET_RAW";
    EXPECT_EQ(error->code, std::errc::operation_not_permitted);
    EXPECT_STREQ(error->step, "socket");
    EXPECT_NE(error->message().find("CAP_NET_RAW"), std::string::npos) << error->message();
    EXPECT_NE(error->message().find("'lo'"), std::string::npos) << error->message();
}

// The tests below on lo open sockets but send nothing: no traffic leaves the host.
class PacketSocketOnLoopback : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_RAW)";
        options_.interface = "lo";
    }
    EventLoop loop_;
    PacketOptions options_;
};

TEST_F(PacketSocketOnLoopback, ABadFilterOrRingGeometryIsRefused) {
    const sock_filter out_of_range[] = {BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    options_.filter = out_of_range;
    auto s = PacketSocket::open(loop_, options_);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, std::errc::invalid_argument);
    EXPECT_STREQ(s.error().step, "SO_ATTACH_FILTER");

    options_.filter = {};
    options_.ring = PacketRingOptions{};
    options_.ring->block_size = 6144;  // not a multiple of the page size
    s = PacketSocket::open(loop_, options_);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, std::errc::invalid_argument);
    EXPECT_STREQ(s.error().step, "PACKET_RX_RING");
}

TEST_F(PacketSocketOnLoopback, RecvAndNextBlockRefuseTheOtherMode) {
    auto plain = PacketSocket::open(loop_, options_);
    options_.ring = PacketRingOptions{};
    options_.ring->block_size = 4096;
    options_.ring->block_count = 2;
    auto ringed = PacketSocket::open(loop_, options_);
    ASSERT_TRUE(plain && ringed);
    EXPECT_FALSE(plain->has_ring());
    EXPECT_TRUE(ringed->has_ring());
    auto run = [&]() -> Task<std::pair<std::error_code, std::error_code>> {
        std::array<std::byte, 64> buffer;
        auto block = co_await plain->next_block();
        auto frame = co_await ringed->recv(buffer);
        co_return std::pair{block ? std::error_code{} : block.error(), frame ? std::error_code{} : frame.error()};
    };
    const auto [block_error, recv_error] = loop_.block_on(run());
    EXPECT_EQ(block_error, std::errc::operation_not_supported);
    EXPECT_EQ(recv_error, std::errc::operation_not_supported);
}

TEST_F(PacketSocketOnLoopback, ReleaseHandsTheDescriptorOver) {
    auto s = PacketSocket::open(loop_, options_);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_GT(s->interface_index(), 0);
    PacketSocket moved = std::move(*s);
    EXPECT_FALSE(s->is_open());
    const int fd = moved.release();
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(moved.is_open());
    EXPECT_EQ(moved.release(), -1);
    int type = 0;
    socklen_t length = sizeof type;
    EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length), 0) << "the descriptor was closed";
    EXPECT_EQ(type, SOCK_RAW);
    ::close(fd);
}

// ---- in the lab ------------------------------------------------------------------------

class PacketSocketLab : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        lab_ = NetnsLab::create(why);
        if (!lab_) GTEST_SKIP() << why;
    }

    struct Open {
        NetnsLab::Side side;
        PacketSocket* into;
        PacketOptions options = {};
    };

    // Makes `loop` and opens each socket in its side's namespace, on a thread of their own
    // (the test's thread never changes namespace; sockets stay where they were created).
    // "" on success, else what failed.
    std::string open_on(std::unique_ptr<EventLoop>& loop, std::vector<Open> wanted) {
        std::string failure;
        NetnsLab::on_thread([&] {
            loop = std::make_unique<EventLoop>();
            for (auto& want : wanted) {
                if (!lab_->enter(want.side)) {
                    failure = "cannot enter " + lab_->ns(want.side);
                    return;
                }
                want.options.interface = NetnsLab::interface(want.side);
                auto s = PacketSocket::open(*loop, want.options);
                if (!s) {
                    failure = s.error().message();
                    return;
                }
                *want.into = std::move(*s);
            }
        });
        // The loop belongs to the thread that made it, now gone. run() binds it to its caller:
        // with a stop already requested it returns at once, the loop now this thread's.
        loop->stop();
        loop->run();
        return failure;
    }
    std::string open(std::vector<Open> wanted) { return open_on(loop_, std::move(wanted)); }

    static PacketOptions with_ring(PacketRingOptions ring, std::uint16_t protocol = ETH_P_ALL) {
        PacketOptions options;
        options.protocol = protocol;
        options.ring = ring;
        return options;
    }

    std::unique_ptr<NetnsLab> lab_;
    std::unique_ptr<EventLoop> loop_;  // declared before the sockets: outlives them
    PacketSocket a_, b_, c_;
};

TEST_F(PacketSocketLab, RecvGetsTheFrameThePeerSentAndThePeersAnswer) {
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_}}), "");
    const Bytes request = arp_request(2);  // for side b's address: b answers
    Bytes answer(2048);
    Result<ReceivedFrame> answered = Unexpected(std::make_error_code(std::errc::no_message));
    auto run = [&]() -> Task<Result<ReceivedFrame>> {
        auto sent = co_await a_.send(request);
        if (!sent) co_return Unexpected(sent.error());
        EXPECT_EQ(*sent, request.size());
        auto got = co_await recv_matching(b_, request);
        // ETH_P_ALL shows what b sends too: its ARP reply, built after the request was seen.
        answered = co_await with_timeout(kWait, b_.recv(answer));
        co_return got;
    };
    auto got = loop_->block_on(run());
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->size, kMinFrame);
    EXPECT_EQ(got->original_length, kMinFrame);
    EXPECT_EQ(got->info.interface_index, b_.interface_index());
    EXPECT_EQ(got->info.protocol, ETH_P_ARP);
    EXPECT_EQ(got->info.type, PACKET_BROADCAST);

    ASSERT_TRUE(answered) << answered.error().message();
    EXPECT_EQ(answered->info.type, PACKET_OUTGOING);
    EXPECT_EQ(answered->info.protocol, ETH_P_ARP);
    ASSERT_GE(answered->size, 22u);
    EXPECT_TRUE(std::equal(kSender.begin(), kSender.end(), reinterpret_cast<const std::uint8_t*>(answer.data())))
        << "the reply goes back to the requester's MAC";
    EXPECT_EQ(answer[21], std::byte{2}) << "an ARP reply";
}

TEST_F(PacketSocketLab, SendRefusesAFrameLongerThanTheLinkCarries) {
    ASSERT_EQ(open({{NetnsLab::a, &a_}}), "");
    Bytes jumbo = test_frame(1);
    jumbo.resize(1500 + 14 + 4 + 100);  // past the MTU, the header and a VLAN tag
    auto sent = loop_->block_on([&]() -> Task<Result<std::size_t>> { co_return co_await a_.send(jumbo); }());
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error(), std::errc::message_size);
}

TEST_F(PacketSocketLab, AProtocolSelectsOneEtherTypeAndAShortBufferTruncates) {
    PacketOptions test_only;
    test_only.protocol = kTestType;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, test_only}}), "");
    const Bytes frame = test_frame(1);
    std::array<std::byte, 16> small;
    auto run = [&]() -> Task<Result<ReceivedFrame>> {
        if (!co_await a_.send(arp_request(2))) co_return Unexpected(std::make_error_code(std::errc::io_error));
        if (!co_await a_.send(frame)) co_return Unexpected(std::make_error_code(std::errc::io_error));
        co_return co_await with_timeout(kWait, b_.recv(small));
    };
    auto got = loop_->block_on(run());
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->info.protocol, kTestType) << "the ARP request (and its reply) were not for this socket";
    EXPECT_EQ(got->size, small.size());
    EXPECT_EQ(got->original_length, kMinFrame) << "MSG_TRUNC reports the whole length";
    EXPECT_TRUE(same(small, Bytes(frame.begin(), frame.begin() + 16)));
}

TEST_F(PacketSocketLab, AFilterAdmitsOnlyWhatItAccepts) {
    const auto ipv4_only = accept_only(ETH_P_IP);
    PacketOptions filtered;
    filtered.filter = ipv4_only;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_}, {NetnsLab::b, &c_, filtered}}), "");
    const Bytes request = arp_request(2);
    const Bytes ipv4 = ipv4_frame();
    std::array<std::byte, 2048> buffer;
    auto run = [&]() -> Task<Result<ReceivedFrame>> {
        if (!co_await a_.send(request)) co_return Unexpected(std::make_error_code(std::errc::io_error));
        // b answers only after every tap of its interface has had the request, c's filter
        // included: once the unfiltered socket shows the answer, c has judged the request.
        auto seen = co_await recv_matching(b_, request);
        if (!seen) co_return seen;
        std::array<std::byte, 64> reply;
        auto answer = co_await with_timeout(kWait, b_.recv(reply));
        if (!answer) co_return answer;
        EXPECT_EQ(answer->info.type, PACKET_OUTGOING);
        if (!co_await a_.send(ipv4)) co_return Unexpected(std::make_error_code(std::errc::io_error));
        co_return co_await with_timeout(kWait, c_.recv(buffer));
    };
    auto got = loop_->block_on(run());
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->info.protocol, ETH_P_IP) << "the ARP request or reply got through the filter";
    EXPECT_TRUE(same(std::span(buffer).first(got->size), ipv4));
    EXPECT_EQ(got->info.type, PACKET_OTHERHOST);
    auto counts = c_.statistics();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->received, 1u) << "frames the filter rejects are not counted";
    EXPECT_EQ(counts->dropped, 0u);
}

// The filter goes on before bind: no frame is queued unfiltered, even while frames stream in
// during open(). Had open() bound first, a frame of the flood would slip in ahead of the filter
// now and then (the window is one syscall wide), so several sockets are opened during it. With
// open() made to bind first, this failed in about half of the runs on a busy 2-core machine:
// a tripwire, not a proof; it never fails with the order open() uses.
TEST_F(PacketSocketLab, TheFilterIsInPlaceBeforeTheFirstFrame) {
    ASSERT_EQ(open({{NetnsLab::a, &a_}}), "");
    const Bytes flood_frame = arp_request(99);  // for no one: unanswered
    std::atomic<bool> stop{false};
    std::atomic<long> sent{0};
    std::thread flood([&] {
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (!stop.load() && std::chrono::steady_clock::now() < deadline) {
            if (::send(a_.native_handle(), flood_frame.data(), flood_frame.size(), 0) > 0) sent.fetch_add(1);
        }
    });
    struct Join {
        std::thread& t;
        std::atomic<bool>& stop;
        ~Join() {
            stop = true;
            if (t.joinable()) t.join();
        }
    } join{flood, stop};
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (sent.load() < 100 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_GE(sent.load(), 100) << "the flood did not start";

    const auto ipv4_only = accept_only(ETH_P_IP);
    PacketOptions filtered;
    filtered.filter = ipv4_only;
    constexpr std::size_t kSockets = 16;
    std::unique_ptr<EventLoop> loop;
    std::array<PacketSocket, kSockets> sockets;
    std::vector<Open> wanted;
    for (auto& socket : sockets) wanted.push_back({NetnsLab::b, &socket, filtered});
    const std::string failure = open_on(loop, wanted);
    const long during = sent.load();
    stop = true;
    flood.join();
    ASSERT_EQ(failure, "");
    EXPECT_GT(sent.load(), during) << "the flood ended before the sockets were open";

    const Bytes ipv4 = ipv4_frame();
    ASSERT_EQ(::send(a_.native_handle(), ipv4.data(), ipv4.size(), 0), static_cast<ssize_t>(ipv4.size()));
    std::array<std::byte, 2048> buffer;
    for (std::size_t i = 0; i < kSockets; ++i) {
        auto got = loop->block_on([&]() -> Task<Result<ReceivedFrame>> {
            co_return co_await with_timeout(kWait, sockets[i].recv(buffer));
        }());
        ASSERT_TRUE(got) << "socket " << i << ": " << got.error().message();
        EXPECT_TRUE(same(std::span(buffer).first(got->size), ipv4)) << "socket " << i << ": an unfiltered frame came first";
        auto counts = sockets[i].statistics();
        ASSERT_TRUE(counts);
        EXPECT_EQ(counts->received, 1u) << "socket " << i;
    }
    for (auto& socket : sockets) socket.close();  // before their loop goes
}

TEST_F(PacketSocketLab, SetFilterReplacesTheFilterAndDiscardsWhatTheOldOneLetIn) {
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_}}), "");
    const auto test_only = accept_only(kTestType);
    std::array<std::byte, 2048> buffer;
    auto run = [&]() -> Task<std::string> {
        // An ARP request for no one, queued at b (unfiltered so far).
        if (!co_await a_.send(arp_request(99))) co_return "send failed";
        auto queued = co_await counts_when(*loop_, b_, [](const PacketStatistics& c) { return c.received >= 1; });
        if (!queued || queued->received != 1) co_return "the ARP request was not queued";
        if (auto r = b_.set_filter(test_only); !r) co_return "set_filter: " + r.error().message();
        if (!co_await a_.send(test_frame(1))) co_return "send failed";
        auto got = co_await with_timeout(kWait, b_.recv(buffer));
        if (!got) co_return "recv: " + got.error().message();
        if (!same(std::span(buffer).first(got->size), test_frame(1))) co_return "the queued ARP request was not discarded";

        // A program the kernel rejects leaves the current filter as it was.
        const sock_filter bad[] = {BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
        auto refused = b_.set_filter(bad);
        if (refused || refused.error() != std::errc::invalid_argument) co_return "a bad program was not refused";
        if (!co_await a_.send(arp_request(99))) co_return "send failed";
        if (!co_await a_.send(test_frame(2))) co_return "send failed";
        got = co_await with_timeout(kWait, b_.recv(buffer));
        if (!got) co_return "recv: " + got.error().message();
        if (!same(std::span(buffer).first(got->size), test_frame(2))) co_return "the filter went with the bad program";

        // No filter: everything again.
        if (auto r = b_.set_filter({}); !r) co_return "removing the filter: " + r.error().message();
        const Bytes request = arp_request(98);
        if (!co_await a_.send(request)) co_return "send failed";
        got = co_await with_timeout(kWait, b_.recv(buffer));
        if (!got) co_return "recv: " + got.error().message();
        if (!same(std::span(buffer).first(got->size), request)) co_return "the ARP request did not come through";
        co_return "";
    };
    EXPECT_EQ(loop_->block_on(run()), "");
}

TEST_F(PacketSocketLab, TheRingHandsOverEachFrameWithItsKernelTimestamp) {
    PacketRingOptions ring;
    ring.block_size = 16 * 1024;
    ring.block_count = 2;  // five rounds wrap around it twice: blocks must go back to the kernel
    ring.retire_timeout = PacketRingOptions::kRetireImmediately;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, with_ring(ring)}}), "");
    ASSERT_TRUE(b_.has_ring());
    std::vector<std::uint64_t> sequences;
    for (std::uint8_t round = 0; round < 5; ++round) {
        const Bytes frame = test_frame(round);
        std::vector<Captured> got;
        const auto before = std::chrono::system_clock::now();
        const std::string failure = loop_->block_on([&]() -> Task<std::string> {
            if (!co_await a_.send(frame)) co_return "send failed";
            co_return co_await capture(b_, 1, got, &sequences);
        }());
        const auto after = std::chrono::system_clock::now();
        ASSERT_EQ(failure, "") << "round " << int{round};
        ASSERT_EQ(got.size(), 1u) << "only the test sends on this link";
        const Captured& c = got.front();
        EXPECT_TRUE(same(c.data, frame)) << "round " << int{round};
        EXPECT_EQ(c.original_length, frame.size());
        EXPECT_GE(c.timestamp, before - 1s);
        EXPECT_LE(c.timestamp, after + 1s);
        EXPECT_EQ(c.info.interface_index, b_.interface_index());
        EXPECT_EQ(c.info.protocol, kTestType);
        EXPECT_EQ(c.info.type, PACKET_BROADCAST);
        ASSERT_EQ(sequences.size(), round + 1u) << "one block per frame";
    }
    for (std::size_t i = 1; i < sequences.size(); ++i)
        EXPECT_EQ(sequences[i], sequences[i - 1] + 1) << "blocks are numbered consecutively";
}

TEST_F(PacketSocketLab, TheRingGathersFramesIntoABlock) {
    PacketRingOptions ring;
    ring.block_size = 64 * 1024;
    ring.block_count = 4;
    ring.retire_timeout = 500ms;  // frames sent back to back land in one block
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, with_ring(ring, kTestType)}}), "");
    std::vector<std::uint64_t> sequences;
    std::vector<Captured> got;
    const std::string failure = loop_->block_on([&]() -> Task<std::string> {
        for (std::uint8_t n = 0; n < 10; ++n) {
            if (!co_await a_.send(test_frame(n))) co_return "send failed";
        }
        co_return co_await capture(b_, 10, got, &sequences);
    }());
    ASSERT_EQ(failure, "");
    ASSERT_EQ(got.size(), 10u);
    for (std::uint8_t n = 0; n < 10; ++n) EXPECT_TRUE(same(got[n].data, test_frame(n))) << "frame " << int{n};
    EXPECT_LT(sequences.size(), 10u) << "every frame came in a block of its own";
}

TEST_F(PacketSocketLab, TheRingReportsTheSnapLengthAndTheOriginalLength) {
    const auto first_20 = accept_only(kTestType, 20);  // keep 20 bytes of each test frame
    PacketRingOptions ring;
    ring.block_size = 16 * 1024;
    ring.block_count = 2;
    ring.retire_timeout = PacketRingOptions::kRetireImmediately;
    PacketOptions options = with_ring(ring);
    options.filter = first_20;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, options}}), "");
    const Bytes frame = test_frame(3);
    std::vector<Captured> got;
    const std::string failure = loop_->block_on([&]() -> Task<std::string> {
        if (!co_await a_.send(frame)) co_return "send failed";
        co_return co_await capture(b_, 1, got);
    }());
    ASSERT_EQ(failure, "");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got.front().data.size(), 20u);
    EXPECT_EQ(got.front().original_length, kMinFrame);
    EXPECT_TRUE(same(got.front().data, Bytes(frame.begin(), frame.begin() + 20)));
}

TEST_F(PacketSocketLab, StatisticsCountReceivedAndDroppedFrames) {
    PacketOptions test_only;
    test_only.protocol = kTestType;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, test_only}}), "");
    // The smallest receive buffer holds a frame or two: the rest of a burst is dropped.
    const int smallest = 1;
    ASSERT_EQ(::setsockopt(b_.native_handle(), SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest), 0);
    constexpr std::uint64_t kSent = 200;
    auto run = [&]() -> Task<std::string> {
        for (std::uint64_t n = 0; n < kSent; ++n) {
            if (!co_await a_.send(test_frame(static_cast<std::uint8_t>(n)))) co_return "send failed";
        }
        auto counts = co_await counts_when(*loop_, b_, [&](const PacketStatistics& c) { return c.received >= kSent; });
        if (!counts) co_return "statistics: " + counts.error().message();
        EXPECT_EQ(counts->received, kSent);
        EXPECT_GT(counts->dropped, 0u);
        EXPECT_LT(counts->dropped, kSent) << "the first frame always fits";
        // What was kept can be read, and is all there is.
        std::array<std::byte, 128> buffer;
        std::uint64_t read = 0;
        while (read < counts->received - counts->dropped) {
            auto got = co_await with_timeout(kWait, b_.recv(buffer));
            if (!got) co_return "recv after " + std::to_string(read) + ": " + got.error().message();
            ++read;
        }
        auto again = b_.statistics();
        if (!again) co_return "statistics: " + again.error().message();
        EXPECT_EQ(again->received, counts->received) << "sums since open, not since the last call";
        EXPECT_EQ(again->dropped, counts->dropped);
        co_return "";
    };
    EXPECT_EQ(loop_->block_on(run()), "");
}

TEST_F(PacketSocketLab, AFullRingFreezesAndCountsItsDrops) {
    PacketRingOptions ring;
    ring.block_size = 4096;  // a few dozen small frames per block
    ring.block_count = 2;
    ring.retire_timeout = PacketRingOptions::kRetireImmediately;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, with_ring(ring, kTestType)}}), "");
    constexpr std::uint64_t kSent = 200;
    auto run = [&]() -> Task<std::string> {
        for (std::uint64_t n = 0; n < kSent; ++n) {
            if (!co_await a_.send(test_frame(static_cast<std::uint8_t>(n)))) co_return "send failed";
        }
        auto counts = co_await counts_when(*loop_, b_, [&](const PacketStatistics& c) { return c.received >= kSent; });
        if (!counts) co_return "statistics: " + counts.error().message();
        EXPECT_EQ(counts->received, kSent);
        EXPECT_GT(counts->dropped, 0u);
        EXPECT_GE(counts->ring_freezes, 1u);
        std::vector<Captured> frames;
        const std::string failure = co_await capture(b_, counts->received - counts->dropped, frames);
        if (!failure.empty()) co_return failure;
        EXPECT_EQ(frames.size(), counts->received - counts->dropped);
        co_return "";
    };
    EXPECT_EQ(loop_->block_on(run()), "");
}

TEST_F(PacketSocketLab, PromiscuousModeIsAMembershipThatEndsWithTheSocket) {
    PacketOptions promiscuous;
    promiscuous.promiscuous = true;
    ASSERT_EQ(lab_->promiscuity(NetnsLab::b), 0);
    ASSERT_EQ(open({{NetnsLab::b, &b_, promiscuous}}), "");
    EXPECT_TRUE(b_.promiscuous());
    EXPECT_EQ(lab_->promiscuity(NetnsLab::b), 1);
    ASSERT_TRUE(b_.set_promiscuous(false));
    EXPECT_EQ(lab_->promiscuity(NetnsLab::b), 0);
    ASSERT_TRUE(b_.set_promiscuous(true));
    ASSERT_TRUE(b_.set_promiscuous(true));  // already: not counted twice
    EXPECT_EQ(lab_->promiscuity(NetnsLab::b), 1);
    b_.close();
    EXPECT_EQ(lab_->promiscuity(NetnsLab::b), 0) << "closing the socket ends its membership";
}

TEST_F(PacketSocketLab, WithTimeoutEndsAWaitThatGetsNothingAndTheSocketStillWorks) {
    PacketRingOptions ring;
    ring.block_size = 16 * 1024;
    ring.block_count = 2;
    ring.retire_timeout = PacketRingOptions::kRetireImmediately;
    PacketOptions test_only;
    test_only.protocol = kTestType;
    ASSERT_EQ(open({{NetnsLab::a, &a_}, {NetnsLab::b, &b_, test_only}, {NetnsLab::b, &c_, with_ring(ring, kTestType)}}),
              "");
    auto run = [&]() -> Task<std::string> {
        std::array<std::byte, 128> buffer;
        auto start = EventLoop::Clock::now();
        auto nothing = co_await with_timeout(300ms, b_.recv(buffer));
        if (nothing || nothing.error() != std::errc::timed_out) co_return "recv did not time out";
        EXPECT_GE(EventLoop::Clock::now() - start, 250ms);
        start = EventLoop::Clock::now();
        auto no_block = co_await with_timeout(300ms, c_.next_block());
        if (no_block || no_block.error() != std::errc::timed_out) co_return "next_block did not time out";
        EXPECT_GE(EventLoop::Clock::now() - start, 250ms);

        const Bytes frame = test_frame(7);
        if (!co_await a_.send(frame)) co_return "send failed";
        auto got = co_await with_timeout(kWait, b_.recv(buffer));
        if (!got) co_return "recv after the timeout: " + got.error().message();
        if (!same(std::span(buffer).first(got->size), frame)) co_return "recv got another frame";
        std::vector<Captured> frames;
        if (auto failure = co_await capture(c_, 1, frames); !failure.empty()) co_return "after the timeout: " + failure;
        if (!same(frames.front().data, frame)) co_return "the ring got another frame";
        co_return "";
    };
    EXPECT_EQ(loop_->block_on(run()), "");
}

TEST_F(PacketSocketLab, CloseEndsAPendingWaitWithOperationCanceled) {
    PacketOptions test_only;
    test_only.protocol = kTestType;
    ASSERT_EQ(open({{NetnsLab::b, &b_, test_only}}), "");
    std::optional<std::error_code> ended;
    auto waiter = [&]() -> Task<> {
        std::array<std::byte, 128> buffer;
        auto got = co_await b_.recv(buffer);
        ended = got ? std::error_code{} : got.error();
    };
    auto run = [&]() -> Task<> {
        loop_->spawn(waiter());  // runs until its recv waits
        b_.close();
        const auto deadline = EventLoop::Clock::now() + kWait;
        while (!ended && EventLoop::Clock::now() < deadline) co_await sleep_for(*loop_, 1ms);
    };
    loop_->block_on(run());
    ASSERT_TRUE(ended);
    EXPECT_EQ(*ended, std::errc::operation_canceled);
}

}  // namespace
}  // namespace weft
