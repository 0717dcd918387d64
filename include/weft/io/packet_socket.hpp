#pragma once
// PacketSocket: an AF_PACKET socket (SOCK_RAW) bound to one interface and registered with one
// EventLoop: whole Ethernet frames in and out, below IP — what tcpdump, an ARP responder or a
// DHCP server sees.
//
//   weft::PacketOptions options;
//   options.interface = "eth0";
//   auto sock = weft::PacketSocket::open(loop, options);    // Expected<PacketSocket, PacketOpenError>
//   auto got = co_await sock->recv(buffer);                 // Result<ReceivedFrame>: one frame
//   co_await sock->send(frame);                             // a whole Ethernet frame
//
// For capture at rate, a TPACKET_V3 receive ring instead: the kernel writes frames into the
// blocks of a mapping shared with us and hands a block over when it is full or its retire
// timeout has passed, so one wake-up and no copy serve many frames:
//
//   options.ring = weft::PacketRingOptions{};
//   auto block = co_await sock->next_block();               // Result<PacketBlock>
//   for (const weft::CapturedFrame& f : *block) use(f.data, f.timestamp);
//   // ~PacketBlock (or block->done()) gives the block back to the kernel
//
// Opening needs CAP_NET_RAW (root): without it open() fails with EPERM and its message says so.
// Other errors as elsewhere in io/: errno codes, std::errc::operation_canceled after close(),
// std::errc::timed_out through with_timeout. A socket, its awaitables and its blocks are used
// on the loop's thread only.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>

#include "weft/expected.hpp"
#include "weft/io/fd_awaiter.hpp"
#include "weft/io/socket_handle.hpp"

namespace weft {

/// The capture ring's geometry (PACKET_RX_RING, TPACKET_V3).
struct PacketRingOptions {
    /// Bytes per block: a multiple of the page size. A frame longer than a block (less its
    /// headers) is truncated to fit, so keep it above the largest frame the link carries
    /// (GRO can hand up 64 KiB frames).
    std::size_t block_size = std::size_t{1} << 20;
    /// Blocks in the ring. While every block waits in user space the kernel drops (and counts)
    /// what arrives: more blocks ride out a slower reader.
    std::size_t block_count = 4;
    /// A block that is not full is handed over this long after its first frame, which bounds
    /// the latency at low rates. Milliseconds are the kernel's unit; zero lets the kernel pick
    /// (a few ms, from the link speed). kRetireImmediately asks for the smallest delay.
    std::chrono::milliseconds retire_timeout{100};

    static constexpr std::chrono::milliseconds kRetireImmediately{1};  ///< The smallest retire_timeout.
};

/// What PacketSocket::open opens: the interface, the EtherType, promiscuity, a filter, a ring.
struct PacketOptions {
    /// The interface to bind to, by name (as `ip link` shows it). Required.
    std::string_view interface;
    /// The EtherType to receive, in host order; ETH_P_ALL receives every frame, the ones this
    /// host sends on the interface included (as PACKET_OUTGOING).
    std::uint16_t protocol = ETH_P_ALL;
    /// Receive frames addressed to other hosts too. Taken as a PACKET_MR_PROMISC membership,
    /// which the kernel counts per socket and undoes when the socket closes, so a crashed
    /// capture never leaves the interface promiscuous (unlike setting IFF_PROMISC).
    bool promiscuous = false;
    /// A classic BPF program run on each frame before it is queued (SO_ATTACH_FILTER): a frame
    /// it returns 0 for is never seen nor counted; a non-zero return caps the captured length.
    /// Empty: no filter. The kernel copies it, so the span need not outlive open().
    std::span<const sock_filter> filter;
    /// Set: capture through a ring (next_block) instead of recv.
    std::optional<PacketRingOptions> ring;
};

/// Why open() failed: the errno code, the step that gave it and the interface asked for.
struct PacketOpenError {
    /// ENODEV: no such interface; EPERM: no CAP_NET_RAW; EINVAL: a bad filter or ring geometry
    /// (or no interface given); otherwise what the failing call returned.
    std::error_code code;
    /// The step that failed: "interface name" (none given, or one no interface can have: too
    /// long, or with a NUL inside), "if_nametoindex", "socket", "SO_ATTACH_FILTER",
    /// "PACKET_VERSION", "PACKET_RX_RING", "mmap", "PACKET_ADD_MEMBERSHIP", "bind" or
    /// "epoll registration".
    const char* step = "";
    /// The interface name as given (cut to IF_NAMESIZE - 1 bytes; kept inline, so building an
    /// error never allocates).
    std::array<char, IF_NAMESIZE> interface{};

    /// One line for a person, naming the interface, e.g.
    /// "packet socket: no interface named 'eth9' (if_nametoindex: No such device)".
    std::string message() const;
};

/// What the kernel says about a frame besides its bytes (struct sockaddr_ll).
struct PacketInfo {
    int interface_index = 0;    ///< Where it came in or went out.
    std::uint16_t protocol = 0; ///< Its EtherType, host order.
    /// PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST (another host's, seen
    /// because the link delivered it) or PACKET_OUTGOING (sent by this host).
    std::uint8_t type = 0;
};

/// One frame from recv().
struct ReceivedFrame {
    std::size_t size = 0;            ///< Bytes stored in the buffer.
    /// The frame's length; more than size when the buffer was short (the rest is lost) or
    /// less than the wire's when a filter cut it.
    std::size_t original_length = 0;
    PacketInfo info;                 ///< Interface, EtherType and packet type.
};

/// One frame in a ring block. data points into the ring: valid until its block is done().
struct CapturedFrame {
    std::span<const std::byte> data; ///< The captured bytes (the snap length), from the MAC header.
    std::size_t original_length = 0; ///< The frame's length on the link (tp_len).
    /// When the kernel took it (tp_sec / tp_nsec, CLOCK_REALTIME).
    std::chrono::sys_time<std::chrono::nanoseconds> timestamp{};
    PacketInfo info;                 ///< Interface, EtherType and packet type.
    /// tp_status: TP_STATUS_LOSING (the ring has dropped frames since the last statistics()),
    /// TP_STATUS_VLAN_VALID, TP_STATUS_CSUMNOTREADY (an outgoing frame whose checksum the NIC
    /// will fill in), ...
    std::uint32_t status = 0;
};

/// PACKET_STATISTICS, summed since open.
struct PacketStatistics {
    std::uint64_t received = 0; ///< Frames the filter accepted, dropped ones included (as pcap counts).
    std::uint64_t dropped = 0;  ///< Frames lost for lack of room (receive buffer or ring full).
    std::uint64_t ring_freezes = 0; ///< Times a ring filled up and stopped taking frames.
};

namespace detail {
class NextBlockAwaiter;
}

/// A ring block handed over by next_block(): a view of its frames, in arrival order. Moving
/// is cheap; the block goes back to the kernel on done() or destruction, after which its
/// frames' data is gone. A block must be done before its socket closes (the ring is unmapped).
class PacketBlock {
public:
    /// A forward iterator over the block's frames (a range-for over the block uses it).
    class Iterator {
    public:
        ///@{
        /// The standard iterator types: a forward iterator over const CapturedFrame.
        using iterator_category = std::forward_iterator_tag;
        using value_type = CapturedFrame;
        using difference_type = std::ptrdiff_t;
        using pointer = const CapturedFrame*;
        using reference = const CapturedFrame&;
        ///@}

        /// The end iterator.
        Iterator() noexcept = default;
        ///@{
        /// The current frame (decoded when the iterator reached it).
        reference operator*() const noexcept { return frame_; }
        pointer operator->() const noexcept { return &frame_; }
        ///@}
        ///@{
        /// The next frame (end() after the last).
        Iterator& operator++() noexcept;
        Iterator operator++(int) noexcept {
            Iterator before = *this;
            ++*this;
            return before;
        }
        ///@}
        /// Same position in the block (iterators of one block only).
        friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.left_ == b.left_; }

    private:
        friend class PacketBlock;
        Iterator(const std::byte* block, std::size_t size, std::size_t offset, std::uint32_t count) noexcept;
        void decode() noexcept;
        const std::byte* block_ = nullptr;
        std::size_t size_ = 0;
        std::size_t offset_ = 0;   // of the current frame's tpacket3_hdr
        std::size_t next_ = 0;     // its tp_next_offset
        std::uint32_t left_ = 0;   // frames from the current one to the end; 0 is end()
        CapturedFrame frame_;
    };

    /// An empty block (valid() is false).
    PacketBlock() noexcept = default;
    /// Takes over `other`'s block; `other` is left empty.
    PacketBlock(PacketBlock&& other) noexcept;
    /// Gives this block back (done()), then takes over `other`'s.
    PacketBlock& operator=(PacketBlock&& other) noexcept;
    ~PacketBlock() { done(); }

    /// The frames. A frame whose header would reach past the block (never, from a sane
    /// kernel) ends the iteration instead of being read.
    Iterator begin() const noexcept;
    /// Past the last frame.
    Iterator end() const noexcept { return {}; }
    /// Frames in the block, as the kernel counted them (0 for an empty block).
    std::size_t frame_count() const noexcept;
    /// The kernel's block counter: consecutive blocks differ by one.
    std::uint64_t sequence() const noexcept;
    /// True while it holds a block not yet given back.
    bool valid() const noexcept { return block_ != nullptr; }

    /// Gives the block back to the kernel (which may then fill it again). Idempotent.
    void done() noexcept;

private:
    friend class detail::NextBlockAwaiter;
    PacketBlock(std::byte* block, std::size_t size) noexcept : block_(block), size_(size) {}
    std::byte* block_ = nullptr;
    std::size_t size_ = 0;
};

namespace detail {

/// The mapped ring. Heap-allocated, so that a waiting next_block() keeps pointing at it when
/// its socket is moved.
struct PacketRing {
    std::byte* base = nullptr;  // block i starts at base + i * block_size
    std::size_t block_size = 0;
    std::size_t block_count = 0;
    std::size_t next = 0;       // the block the kernel hands over next (it fills them in order)
};

class PacketRecvAwaiter : public FdAwaiter {
public:
    PacketRecvAwaiter(EventLoop* loop, int fd, std::span<std::byte> buffer, bool ring_mapped) noexcept;
    Result<ReceivedFrame> await_resume() const noexcept;

private:
    static bool perform_recv(IoOp& op) noexcept;
    std::span<std::byte> buffer_;
    ReceivedFrame frame_;
    std::error_code error_;
};

class PacketSendAwaiter : public FdAwaiter {
public:
    PacketSendAwaiter(EventLoop* loop, int fd, std::span<const std::byte> frame) noexcept
        : FdAwaiter(loop, fd, true, &perform_send), frame_(frame) {}
    Result<std::size_t> await_resume() const noexcept;

private:
    static bool perform_send(IoOp& op) noexcept;
    std::span<const std::byte> frame_;
    std::size_t sent_ = 0;
    std::error_code error_;
};

/// Ready when the ring's next block belongs to user space. The descriptor turns readable
/// (one edge) each time the kernel retires a block, which is when the loop retries it.
class NextBlockAwaiter : public FdAwaiter {
public:
    NextBlockAwaiter(EventLoop* loop, int fd, PacketRing* ring) noexcept;
    Result<PacketBlock> await_resume() noexcept;

private:
    static bool perform_next(IoOp& op) noexcept;
    PacketRing* ring_;
    std::byte* block_ = nullptr;
    std::size_t block_size_ = 0;
    std::error_code error_;  // the socket's error (ENETDOWN: the interface went down or away)
};

}  // namespace detail

/// An AF_PACKET socket on one interface, registered with an EventLoop: whole Ethernet frames
/// received (one at a time, or from a capture ring) and sent (see the top of packet_socket.hpp).
class PacketSocket final : public SocketHandle {
public:
    /// An empty socket (not open).
    PacketSocket() noexcept = default;
    /// Opens a socket on options.interface. The filter and the ring are in place, and the
    /// promiscuous membership taken, before the socket is bound — and a packet socket created
    /// with protocol 0 receives nothing until it is bound — so no unfiltered frame, and no
    /// frame from another interface, is ever queued (libpcap instead attaches a drop-all
    /// filter and drains; binding last needs no drain). Errors: see PacketOpenError.
    [[nodiscard]] static Expected<PacketSocket, PacketOpenError> open(EventLoop& loop,
                                                                      const PacketOptions& options) noexcept;

    /// Takes over `other`'s socket, ring and membership; `other` is left empty.
    PacketSocket(PacketSocket&& other) noexcept;
    /// Closes this socket (see close()), then takes over `other`'s.
    PacketSocket& operator=(PacketSocket&& other) noexcept;
    ~PacketSocket() { close(); }

    /// Waits for one frame and copies it into buffer (truncated to it; see ReceivedFrame).
    /// operation_not_supported on a socket with a ring: frames go to the ring, never here.
    detail::PacketRecvAwaiter recv(std::span<std::byte> buffer) noexcept {
        return {loop_, fd_, buffer, ring_ != nullptr};
    }
    /// Sends one whole frame, Ethernet header first, out of the bound interface; returns its
    /// size. EMSGSIZE when it is longer than the link's MTU plus the header.
    detail::PacketSendAwaiter send(std::span<const std::byte> frame) noexcept { return {loop_, fd_, frame}; }
    /// Waits until the kernel hands over the ring's next block, and returns it.
    /// operation_not_supported on a socket opened without a ring; ENETDOWN when the interface
    /// went down or was deleted (the blocks already handed over stay readable).
    detail::NextBlockAwaiter next_block() noexcept { return {loop_, fd_, ring_.get()}; }

    /// Takes or drops the promiscuous membership; no effect when already so. The errno code
    /// of PACKET_ADD/DROP_MEMBERSHIP on failure.
    [[nodiscard]] Result<void> set_promiscuous(bool on) noexcept;
    /// True while it holds the promiscuous membership.
    bool promiscuous() const noexcept { return promiscuous_; }
    /// Replaces the filter (empty: removes it), as libpcap does: a drop-all filter first, then
    /// the receive queue drained, then the new filter, so no frame the new filter rejects is
    /// read afterwards (frames arriving in between are lost). On a ring socket the frames the
    /// ring already holds were admitted by the old filter. EINVAL for a program the kernel rejects.
    [[nodiscard]] Result<void> set_filter(std::span<const sock_filter> filter) noexcept;
    /// The counters since open (the kernel resets its own on every read; this sums them).
    [[nodiscard]] Result<PacketStatistics> statistics() noexcept;

    /// The index of the interface it is bound to.
    int interface_index() const noexcept { return interface_index_; }
    /// True when opened with a ring (next_block, not recv).
    bool has_ring() const noexcept { return ring_ != nullptr; }
    // is_open(), native_handle(), loop(), set_option (weft::ReceiveBufferSize, ...): see
    // SocketHandle. (local_endpoint() is for IP sockets: a packet socket has an ifindex.)

    /// Cancels pending operations (operation_canceled), unmaps the ring and closes, which also
    /// ends the promiscuous membership. Idempotent.
    void close() noexcept;
    /// Hands the descriptor over: unregistered from the loop and from epoll, the ring unmapped
    /// here (it stays set on the socket: the new owner may mmap it), the membership kept.
    /// The socket is empty afterwards; -1 if it was.
    int release() noexcept;

private:
    PacketSocket(EventLoop& loop, int fd) noexcept : SocketHandle(loop, fd) {}
    void unmap_ring() noexcept;

    int interface_index_ = 0;
    bool promiscuous_ = false;
    std::unique_ptr<detail::PacketRing> ring_;
    PacketStatistics totals_;
};

}  // namespace weft
