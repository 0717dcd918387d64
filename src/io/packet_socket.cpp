// PacketSocket: AF_PACKET/SOCK_RAW, its awaitables, and the TPACKET_V3 receive ring.

#include "weft/io/packet_socket.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <new>
#include <utility>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/syscalls.hpp"

namespace weft {

namespace {

// The loop's descriptor plumbing: registration here, the rest through SocketHandle.
Result<void> register_with(EventLoop& loop, int fd) noexcept { return detail::LoopAccess::register_fd(loop, fd); }

std::error_code errc(std::errc e) noexcept { return std::make_error_code(e); }

// TPACKET_V3 frames have variable length, but PACKET_RX_RING still checks that
// tp_frame_nr == (tp_block_size / tp_frame_size) * tp_block_nr; any aligned size would do.
constexpr unsigned kFrameSize = 2048;
// The sockaddr_ll the kernel writes after each tpacket3_hdr, at this offset.
constexpr std::size_t kFrameHeaderSize = TPACKET_ALIGN(sizeof(tpacket3_hdr));

PacketInfo info_of(const sockaddr_ll& address) noexcept {
    return {address.sll_ifindex, ntohs(address.sll_protocol), address.sll_pkttype};
}

// The block's status word is shared with the kernel: acquire when reading it, so that the
// frames it hands over are seen whole; release when giving the block back, so that our reads
// are done before the kernel writes again.
std::uint32_t load_status(std::byte* block) noexcept {
    auto* desc = reinterpret_cast<tpacket_block_desc*>(block);
    return std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status).load(std::memory_order_acquire);
}

void store_status(std::byte* block, std::uint32_t status) noexcept {
    auto* desc = reinterpret_cast<tpacket_block_desc*>(block);
    std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status).store(status, std::memory_order_release);
}

tpacket_hdr_v1 block_header(const std::byte* block) noexcept {
    tpacket_block_desc desc;
    std::memcpy(&desc, block, sizeof desc);
    return desc.hdr.bh1;
}

Result<void> attach_filter(int fd, std::span<const sock_filter> program) noexcept {
    if (program.empty() || program.size() > BPF_MAXINSNS) return Unexpected(errc(std::errc::invalid_argument));
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(program.size());
    fprog.filter = const_cast<sock_filter*>(program.data());  // the kernel only reads it
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0)
        return Unexpected(detail::last_error());
    return {};
}

// PACKET_VERSION, PACKET_RX_RING, mmap; on failure `step` names the call that failed.
Result<void> map_ring(int fd, const PacketRingOptions& options, detail::PacketRing& ring, const char*& step) noexcept {
    step = "PACKET_VERSION";
    if (auto r = detail::sys_setsockopt_int(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3); !r)
        return Unexpected(r.error());

    step = "PACKET_RX_RING";
    const auto timeout = options.retire_timeout.count();
    if (options.block_size < kFrameSize || options.block_size > UINT_MAX || options.block_count == 0 ||
        options.block_count > UINT_MAX / (options.block_size / kFrameSize) || timeout < 0 || timeout > UINT_MAX)
        return Unexpected(errc(std::errc::invalid_argument));
    tpacket_req3 request{};
    request.tp_block_size = static_cast<unsigned>(options.block_size);
    request.tp_block_nr = static_cast<unsigned>(options.block_count);
    request.tp_frame_size = kFrameSize;
    request.tp_frame_nr = static_cast<unsigned>(options.block_size / kFrameSize * options.block_count);
    request.tp_retire_blk_tov = static_cast<unsigned>(timeout);
    // The kernel checks the geometry (a block must be a multiple of the page size): EINVAL.
    if (::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) < 0)
        return Unexpected(detail::last_error());

    step = "mmap";
    const std::size_t size = options.block_size * options.block_count;
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return Unexpected(detail::last_error());
    ring.base = static_cast<std::byte*>(base);
    ring.block_size = options.block_size;
    ring.block_count = options.block_count;
    ring.next = 0;
    return {};
}

Result<void> set_membership(int fd, int interface_index, bool add) noexcept {
    packet_mreq request{};
    request.mr_ifindex = interface_index;
    request.mr_type = PACKET_MR_PROMISC;
    const int name = add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
    if (::setsockopt(fd, SOL_PACKET, name, &request, sizeof request) < 0) return Unexpected(detail::last_error());
    return {};
}

}  // namespace

std::string PacketOpenError::message() const {
    const std::string name(interface.data(), ::strnlen(interface.data(), interface.size()));
    const std::string_view call = step;
    if (call == "interface name" && code == std::errc::invalid_argument) return "packet socket: no interface given";
    if (call == "interface name")
        return "packet socket: no interface named '" + name + "...' (names are at most " +
               std::to_string(IF_NAMESIZE - 1) + " bytes)";
    if (call == "if_nametoindex" && code == std::errc::no_such_device)
        return "packet socket: no interface named '" + name + "' (if_nametoindex: " + code.message() + ")";
    std::string text = "packet socket on '" + name + "': " + std::string(call) + ": " + code.message();
    if (call == "socket" && (code == std::errc::operation_not_permitted || code == std::errc::permission_denied))
        text += " (AF_PACKET needs CAP_NET_RAW: run as root)";
    return text;
}

// ---- ring blocks -----------------------------------------------------------------------

PacketBlock::PacketBlock(PacketBlock&& other) noexcept
    : block_(std::exchange(other.block_, nullptr)), size_(other.size_) {}

PacketBlock& PacketBlock::operator=(PacketBlock&& other) noexcept {
    if (this != &other) {
        done();
        block_ = std::exchange(other.block_, nullptr);
        size_ = other.size_;
    }
    return *this;
}

void PacketBlock::done() noexcept {
    if (!block_) return;
    store_status(std::exchange(block_, nullptr), TP_STATUS_KERNEL);
}

std::size_t PacketBlock::frame_count() const noexcept { return block_ ? block_header(block_).num_pkts : 0; }

std::uint64_t PacketBlock::sequence() const noexcept { return block_ ? block_header(block_).seq_num : 0; }

PacketBlock::Iterator PacketBlock::begin() const noexcept {
    if (!block_) return {};
    const tpacket_hdr_v1 header = block_header(block_);
    return {block_, size_, header.offset_to_first_pkt, header.num_pkts};
}

PacketBlock::Iterator::Iterator(const std::byte* block, std::size_t size, std::size_t offset,
                                std::uint32_t count) noexcept
    : block_(block), size_(size), offset_(offset), left_(count) {
    decode();
}

// Reads the frame at offset_ into frame_, or ends the iteration (left_ = 0) if its header,
// its address or its bytes would reach past the block: a trusted kernel writes them, but a
// cursor that checks every advance costs two comparisons and cannot read past the mapping.
void PacketBlock::Iterator::decode() noexcept {
    if (left_ == 0) return;
    if (offset_ > size_ || size_ - offset_ < kFrameHeaderSize + sizeof(sockaddr_ll)) {
        left_ = 0;
        return;
    }
    tpacket3_hdr header;
    sockaddr_ll address;
    std::memcpy(&header, block_ + offset_, sizeof header);
    std::memcpy(&address, block_ + offset_ + kFrameHeaderSize, sizeof address);
    const std::size_t room = size_ - offset_;
    if (header.tp_mac > room || header.tp_snaplen > room - header.tp_mac) {
        left_ = 0;
        return;
    }
    frame_.data = {block_ + offset_ + header.tp_mac, header.tp_snaplen};
    frame_.original_length = header.tp_len;
    frame_.timestamp = std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::seconds(header.tp_sec) +
                                                                       std::chrono::nanoseconds(header.tp_nsec));
    frame_.info = info_of(address);
    frame_.status = header.tp_status;
    next_ = header.tp_next_offset;
}

PacketBlock::Iterator& PacketBlock::Iterator::operator++() noexcept {
    if (left_ == 0) return *this;
    // The last frame's tp_next_offset is 0; a zero before it would loop on one frame forever.
    if (--left_ == 0 || next_ == 0) {
        left_ = 0;
        return *this;
    }
    offset_ += next_;
    decode();
    return *this;
}

namespace detail {

// ---- awaitables ------------------------------------------------------------------------

PacketRecvAwaiter::PacketRecvAwaiter(EventLoop* loop, int fd, std::span<std::byte> buffer, bool ring_mapped) noexcept
    : FdAwaiter(loop, fd, false, &perform_recv), buffer_(buffer) {
    // With a ring mapped the kernel writes frames there and never queues one for recv: a
    // recv would wait forever, so it fails at once instead.
    if (!cancelled && ring_mapped) cancelled = errc(std::errc::operation_not_supported);
}

bool PacketRecvAwaiter::perform_recv(IoOp& op) noexcept {
    auto& self = static_cast<PacketRecvAwaiter&>(op);
    sockaddr_ll from{};
    socklen_t length = sizeof from;
    // MSG_TRUNC: return the frame's real length even when the buffer is shorter.
    auto n = retry_eintr([&] {
        return ::recvfrom(self.fd, self.buffer_.data(), self.buffer_.size(), MSG_TRUNC,
                          reinterpret_cast<sockaddr*>(&from), &length);
    });
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.frame_.original_length = static_cast<std::size_t>(*n);
    self.frame_.size = std::min(self.frame_.original_length, self.buffer_.size());
    self.frame_.info = info_of(from);
    return true;
}

Result<ReceivedFrame> PacketRecvAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return frame_;
}

bool PacketSendAwaiter::perform_send(IoOp& op) noexcept {
    auto& self = static_cast<PacketSendAwaiter&>(op);
    auto n = sys_send(self.fd, self.frame_.data(), self.frame_.size());
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.sent_ = static_cast<std::size_t>(*n);
    return true;
}

Result<std::size_t> PacketSendAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return sent_;
}

NextBlockAwaiter::NextBlockAwaiter(EventLoop* loop, int fd, PacketRing* ring) noexcept
    : FdAwaiter(loop, fd, false, &perform_next), ring_(ring) {
    if (!cancelled && !ring_) cancelled = errc(std::errc::operation_not_supported);
}

// No syscall: the block's status word says whether the kernel has retired it. When it has
// not, the wait is safe under edge triggering because the kernel wakes the socket (a new
// edge) every time it retires a block, after setting the status.
bool NextBlockAwaiter::perform_next(IoOp& op) noexcept {
    auto& self = static_cast<NextBlockAwaiter&>(op);
    PacketRing& ring = *self.ring_;
    std::byte* block = ring.base + ring.next * ring.block_size;
    if ((load_status(block) & TP_STATUS_USER) == 0) {
        // Nothing to hand over. An error edge (the interface went down or away: the kernel
        // sets ENETDOWN on the socket) would otherwise leave the wait hanging for ever; the
        // check costs a syscall only after such an edge.
        if (LoopAccess::hung_up(*self.loop(), self.fd)) {
            int error = 0;
            socklen_t length = sizeof error;
            if (::getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0) {
                self.error_ = std::error_code(error, std::system_category());
                return true;
            }
        }
        return false;
    }
    self.block_ = block;
    self.block_size_ = ring.block_size;
    ring.next = (ring.next + 1) % ring.block_count;
    return true;
}

Result<PacketBlock> NextBlockAwaiter::await_resume() noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return PacketBlock(std::exchange(block_, nullptr), block_size_);
}

}  // namespace detail

// ---- the socket ------------------------------------------------------------------------

Expected<PacketSocket, PacketOpenError> PacketSocket::open(EventLoop& loop, const PacketOptions& options) noexcept {
    PacketOpenError error;
    const std::size_t kept = std::min(options.interface.size(), error.interface.size() - 1);
    std::memcpy(error.interface.data(), options.interface.data(), kept);
    auto fail = [&](const char* step, std::error_code code) {
        error.step = step;
        error.code = code;
        return Unexpected(error);
    };

    if (options.interface.empty()) return fail("interface name", errc(std::errc::invalid_argument));
    // A name that long (or with a NUL inside) cannot exist; if_nametoindex would see another.
    if (options.interface.size() >= IF_NAMESIZE || kept != std::strlen(error.interface.data()))
        return fail("interface name", errc(std::errc::no_such_device));
    const unsigned index = ::if_nametoindex(error.interface.data());
    if (index == 0) return fail("if_nametoindex", detail::last_error());

    // Protocol 0: the socket receives nothing until bind() names one, so the filter, the ring
    // and the membership below are all in place before the first frame can be queued.
    auto s = detail::sys_socket(AF_PACKET, SOCK_RAW);
    if (!s) return fail("socket", s.error());
    PacketSocket socket(loop, *s);  // closes the descriptor (and unmaps) on the early returns
    socket.interface_index_ = static_cast<int>(index);

    if (!options.filter.empty()) {
        if (auto r = attach_filter(*s, options.filter); !r) return fail("SO_ATTACH_FILTER", r.error());
    }
    if (options.ring) {
        socket.ring_.reset(new (std::nothrow) detail::PacketRing);
        if (!socket.ring_) return fail("PACKET_RX_RING", errc(std::errc::not_enough_memory));
        const char* step = "";
        if (auto r = map_ring(*s, *options.ring, *socket.ring_, step); !r) {
            socket.ring_.reset();  // nothing mapped
            return fail(step, r.error());
        }
    }
    if (options.promiscuous) {
        if (auto r = set_membership(*s, socket.interface_index_, true); !r)
            return fail("PACKET_ADD_MEMBERSHIP", r.error());
        socket.promiscuous_ = true;
    }

    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(options.protocol);
    address.sll_ifindex = socket.interface_index_;
    if (::bind(*s, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0)
        return fail("bind", detail::last_error());
    if (auto r = register_with(loop, *s); !r) return fail("epoll registration", r.error());
    return socket;
}

PacketSocket::PacketSocket(PacketSocket&& other) noexcept
    : SocketHandle(std::move(other)),
      interface_index_(other.interface_index_),
      promiscuous_(std::exchange(other.promiscuous_, false)),
      ring_(std::move(other.ring_)),
      totals_(other.totals_) {}

PacketSocket& PacketSocket::operator=(PacketSocket&& other) noexcept {
    if (this != &other) {
        close();
        SocketHandle::operator=(std::move(other));
        interface_index_ = other.interface_index_;
        promiscuous_ = std::exchange(other.promiscuous_, false);
        ring_ = std::move(other.ring_);
        totals_ = other.totals_;
    }
    return *this;
}

Result<void> PacketSocket::set_promiscuous(bool on) noexcept {
    if (fd_ < 0) return Unexpected(errc(std::errc::bad_file_descriptor));
    // Memberships are counted: a second add would need a second drop to undo.
    if (on == promiscuous_) return {};
    if (auto r = set_membership(fd_, interface_index_, on); !r) return r;
    promiscuous_ = on;
    return {};
}

Result<void> PacketSocket::set_filter(std::span<const sock_filter> filter) noexcept {
    if (fd_ < 0) return Unexpected(errc(std::errc::bad_file_descriptor));
    if (!filter.empty()) {
        // Try the program on a scratch socket first (any socket takes a filter): one the
        // kernel rejects then leaves the current filter in place instead of the drop-all.
        auto scratch = detail::sys_socket(AF_UNIX, SOCK_DGRAM);
        if (!scratch) return Unexpected(scratch.error());
        auto tried = attach_filter(*scratch, filter);
        detail::sys_close(*scratch);
        if (!tried) return tried;
    }
    static constexpr sock_filter kDropAll[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    if (auto r = attach_filter(fd_, kDropAll); !r) return r;
    // What the old filter admitted is still queued: discard it (a zero-length read drops a
    // whole frame). The drop-all filter keeps the queue from refilling, so this ends.
    if (!ring_) {
        while (::recv(fd_, nullptr, 0, MSG_DONTWAIT | MSG_TRUNC) >= 0 || errno == EINTR) {
        }
    }
    if (!filter.empty()) return attach_filter(fd_, filter);
    const int unused = 0;  // SO_DETACH_FILTER takes no value, but setsockopt wants an int's room
    if (::setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) < 0)
        return Unexpected(detail::last_error());
    return {};
}

Result<PacketStatistics> PacketSocket::statistics() noexcept {
    if (fd_ < 0) return Unexpected(errc(std::errc::bad_file_descriptor));
    // The V3 layout is the V1 one plus the freeze count; without a ring the kernel fills
    // the first two fields and says so through `length`.
    tpacket_stats_v3 counts{};
    socklen_t length = sizeof counts;
    if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &counts, &length) < 0)
        return Unexpected(detail::last_error());
    totals_.received += counts.tp_packets;
    totals_.dropped += counts.tp_drops;
    if (length >= sizeof counts) totals_.ring_freezes += counts.tp_freeze_q_cnt;
    return totals_;
}

void PacketSocket::unmap_ring() noexcept {
    if (!ring_) return;
    ::munmap(ring_->base, ring_->block_size * ring_->block_count);
    ring_.reset();
}

void PacketSocket::close() noexcept {
    if (fd_ < 0) return;
    SocketHandle::close();  // pending ops cancelled; the kernel drops the membership with the socket
    unmap_ring();           // the mapping outlives the descriptor until unmapped
    promiscuous_ = false;
}

int PacketSocket::release() noexcept {
    if (fd_ < 0) return -1;
    const int fd = SocketHandle::release();  // unregistered and out of epoll: the new owner may dup it
    unmap_ring();
    promiscuous_ = false;
    return fd;
}

}  // namespace weft
