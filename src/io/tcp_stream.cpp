// TcpStream and its awaitables. Each perform_* function is what both await_ready (the
// optimistic first try) and the loop (after an edge) call: it loops until done or EAGAIN.

#include "weft/io/tcp_stream.hpp"

#include <algorithm>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "weft/io/detail/loop_access.hpp"
#include "weft/io/io_error.hpp"
#include "weft/io/sleep.hpp"
#include "weft/io/syscalls.hpp"

namespace weft {

Result<Endpoint> endpoint_of(const sockaddr_storage& address, socklen_t length) noexcept {
    auto ep = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&address), length);
    if (!ep) return Unexpected(std::make_error_code(std::errc::address_family_not_supported));
    return *ep;
}

namespace detail {

// ---- reads -------------------------------------------------------------------------------

bool ReadSomeAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadSomeAwaiter&>(op);
    auto n = sys_read(self.fd, self.buffer_.data(), self.buffer_.size());
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.done_ = static_cast<std::size_t>(*n);
    // A stream read that returns less than asked emptied the receive queue: the next
    // read_some can wait for the edge instead of trying a read that would say EAGAIN.
    if (self.done_ > 0 && self.done_ < self.buffer_.size()) LoopAccess::mark_read_drained(*self.loop(), self.fd);
    return true;
}

Result<std::size_t> ReadSomeAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    if (done_ > 0) LoopAccess::note_activity(*loop_, fd);
    return done_;
}

bool ReadBufferAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadBufferAwaiter&>(op);
    try {
        // What one read_from can take: the free space, plus its stack overflow area when
        // the free space is smaller than that area (see Buffer::read_from).
        const std::size_t writable = self.buffer_->writable_bytes();
        const std::size_t room = writable < Buffer::kExtraReadSize ? writable + Buffer::kExtraReadSize : writable;
        auto n = self.buffer_->read_from(self.fd);
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        self.done_ = *n;
        if (self.done_ > 0 && self.done_ < room) LoopAccess::mark_read_drained(*self.loop(), self.fd);  // as above
    } catch (const std::bad_alloc&) {
        self.error_ = std::make_error_code(std::errc::not_enough_memory);
    }
    return true;
}

Result<std::size_t> ReadBufferAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    if (done_ > 0) LoopAccess::note_activity(*loop_, fd);
    return done_;
}

bool ReadLentAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadLentAwaiter&>(op);
    // Safe to share: the loop resumes this coroutine right after the read, and it uses the
    // bytes before it next suspends; no other read on this loop runs in between.
    const auto buffer = LoopAccess::read_buffer(*self.loop());
    auto n = sys_read(self.fd, buffer.data(), buffer.size());
    if (!n) {
        if (would_block(n.error())) return false;
        self.error_ = n.error();
        return true;
    }
    self.got_ = buffer.first(static_cast<std::size_t>(*n));
    if (!self.got_.empty() && self.got_.size() < buffer.size()) LoopAccess::mark_read_drained(*self.loop(), self.fd);
    return true;
}

Result<std::span<std::byte>> ReadLentAwaiter::await_resume() const noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    if (!got_.empty()) LoopAccess::note_activity(*loop_, fd);
    return got_;
}

bool ReadExactAwaiter::perform_read(IoOp& op) noexcept {
    auto& self = static_cast<ReadExactAwaiter&>(op);
    while (self.done_ < self.buffer_.size()) {
        auto n = sys_read(self.fd, self.buffer_.data() + self.done_, self.buffer_.size() - self.done_);
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        if (*n == 0) {
            self.error_ = IoErrc::eof;
            return true;
        }
        self.done_ += static_cast<std::size_t>(*n);
    }
    return true;
}

Result<std::size_t> ReadExactAwaiter::await_resume() const noexcept {
    if (done_ > 0) LoopAccess::note_activity(*loop_, fd);
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return done_;
}

// ---- writes ------------------------------------------------------------------------------

bool WriteAllAwaiter::perform_write(IoOp& op) noexcept {
    auto& self = static_cast<WriteAllAwaiter&>(op);
    while (self.done_ < self.data_.size()) {
        auto n = sys_send(self.fd, self.data_.data() + self.done_, self.data_.size() - self.done_);
        if (!n) {
            if (would_block(n.error())) return false;  // send buffer full: wait for EPOLLOUT
            self.error_ = n.error();
            return true;
        }
        self.done_ += static_cast<std::size_t>(*n);
    }
    return true;
}

Result<std::size_t> WriteAllAwaiter::await_resume() const noexcept {
    if (done_ > 0) LoopAccess::note_activity(*loop_, fd);
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return done_;
}

bool GatherWriteAwaiter::perform_write(IoOp& op) noexcept {
    auto& self = static_cast<GatherWriteAwaiter&>(op);
    while (self.part_ < self.parts_.size()) {
        // One iovec per remaining buffer (up to kMaxGather), the first one past what was sent.
        iovec vectors[kMaxGather];
        std::size_t count = 0;
        for (std::size_t i = self.part_; i < self.parts_.size() && count < kMaxGather; ++i) {
            const auto part = i == self.part_ ? self.parts_[i].subspan(self.part_offset_) : self.parts_[i];
            if (part.empty()) continue;
            vectors[count++] = {const_cast<std::byte*>(part.data()), part.size()};
        }
        if (count == 0) break;  // only empty buffers were left
        msghdr message{};
        message.msg_iov = vectors;
        message.msg_iovlen = count;
        auto n = retry_eintr([&] { return ::sendmsg(self.fd, &message, MSG_NOSIGNAL); });
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        // Advance over what the kernel took: whole buffers, then into the next one.
        auto sent = static_cast<std::size_t>(*n);
        self.done_ += sent;
        while (self.part_ < self.parts_.size()) {
            const std::size_t left = self.parts_[self.part_].size() - self.part_offset_;
            if (sent < left) {
                self.part_offset_ += sent;
                break;
            }
            sent -= left;
            ++self.part_;
            self.part_offset_ = 0;
        }
    }
    return true;
}

Result<std::size_t> GatherWriteAwaiter::await_resume() const noexcept {
    if (done_ > 0) LoopAccess::note_activity(*loop_, fd);
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return done_;
}

bool SendFileAwaiter::perform_send(IoOp& op) noexcept {
    auto& self = static_cast<SendFileAwaiter&>(op);
    // MSG_MORE only when file bytes follow: they are what uncorks the head.
    const int more = self.count_ > 0 ? MSG_MORE : 0;
    while (self.head_done_ < self.head_.size()) {
        auto n = retry_eintr([&] {
            return ::send(self.fd, self.head_.data() + self.head_done_, self.head_.size() - self.head_done_,
                          MSG_NOSIGNAL | more);
        });
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        self.head_done_ += static_cast<std::size_t>(*n);
    }
    while (self.done_ < self.count_) {
        auto n = retry_eintr([&] { return ::sendfile(self.fd, self.file_, &self.offset_, self.count_ - self.done_); });
        if (!n) {
            if (would_block(n.error())) return false;
            self.error_ = n.error();
            return true;
        }
        if (*n == 0) break;  // the file ended before count: report the short count
        self.done_ += static_cast<std::size_t>(*n);
    }
    return true;
}

Result<std::size_t> SendFileAwaiter::await_resume() const noexcept {
    if (done_ > 0 || head_done_ > 0) LoopAccess::note_activity(*loop_, fd);
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    return done_;
}

// ---- connect -----------------------------------------------------------------------------

ConnectAwaiter::ConnectAwaiter(EventLoop& loop, const Endpoint& to) noexcept
    : FdAwaiter(&loop, -1, true, &perform_connect), to_(to) {
    cancelled = {};  // the descriptor is made in await_ready
}

ConnectAwaiter::ConnectAwaiter(ConnectAwaiter&& other) noexcept : FdAwaiter(std::move(other)), to_(other.to_) {
    other.fd = -1;
}

ConnectAwaiter::~ConnectAwaiter() {
    if (fd >= 0) {  // never handed to a TcpStream (the frame died, or connect failed)
        if (state != State::idle) LoopAccess::forget(*loop_, *this);
        state = State::idle;
        LoopAccess::unregister_fd(*loop_, fd);
        sys_close(fd);
    }
}

bool ConnectAwaiter::await_ready() noexcept {
    sockaddr_storage address{};
    const socklen_t length = to_.to_sockaddr(address);
    auto s = sys_socket(address.ss_family, SOCK_STREAM);
    if (!s) {
        error_ = s.error();
        return true;
    }
    fd = *s;
    if (auto r = LoopAccess::register_fd(*loop_, fd); !r) {
        error_ = r.error();
        return true;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0) return true;
    // EINPROGRESS is the usual answer; EINTR also leaves the connect running in the background.
    if (errno == EINPROGRESS || errno == EINTR) return false;
    error_ = last_error();
    return true;
}

bool ConnectAwaiter::perform_connect(IoOp& op) noexcept {
    auto& self = static_cast<ConnectAwaiter&>(op);
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
    if (error == EINPROGRESS || error == EALREADY) return false;  // not decided yet
    if (error != 0) self.error_ = {error, std::system_category()};
    return true;
}

Result<TcpStream> ConnectAwaiter::await_resume() noexcept {
    if (cancelled) return Unexpected(cancelled);
    if (error_) return Unexpected(error_);
    // Success: the descriptor already sits in its slot; hand it to the stream.
    return TcpStream::adopt_registered(*loop_, std::exchange(fd, -1));
}

void StreamOwner::attach(TcpStream& stream, std::uint64_t id) noexcept {
    stream.owner_ = this;
    stream.owner_id_ = id;
}

}  // namespace detail

Task<Result<TcpStream>> connect(EventLoop& loop, Endpoint to, std::chrono::nanoseconds timeout) {
    // The deadline is with_timeout's, as for any other operation: no private timer here.
    if (timeout.count() > 0)
        co_return co_await with_timeout(std::chrono::duration_cast<EventLoop::Clock::duration>(timeout),
                                        detail::ConnectAwaiter(loop, to));
    co_return co_await detail::ConnectAwaiter(loop, to);
}

// ---- TcpStream -----------------------------------------------------------------------------

Result<TcpStream> TcpStream::adopt(EventLoop& loop, int fd) noexcept {
    if (auto r = detail::register_or_close(loop, fd); !r) return Unexpected(r.error());
    return TcpStream(loop, fd);
}

TcpStream TcpStream::adopt_registered(EventLoop& loop, int fd) noexcept { return TcpStream(loop, fd); }

TcpStream::TcpStream(TcpStream&& other) noexcept
    : SocketHandle(std::move(other)), owner_(std::exchange(other.owner_, nullptr)), owner_id_(other.owner_id_) {}

TcpStream& TcpStream::operator=(TcpStream&& other) noexcept {
    if (this != &other) {
        close();
        SocketHandle::operator=(std::move(other));
        owner_ = std::exchange(other.owner_, nullptr);
        owner_id_ = other.owner_id_;
    }
    return *this;
}

Result<std::size_t> TcpStream::try_write(std::span<const std::byte> data) noexcept {
    std::size_t done = 0;
    while (done < data.size()) {
        auto n = detail::retry_eintr(
            [&] { return ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT); });
        if (!n) {
            if (detail::would_block(n.error())) break;
            return Unexpected(n.error());
        }
        done += static_cast<std::size_t>(*n);
    }
    if (done > 0) detail::LoopAccess::note_activity(*loop_, fd_);
    return done;
}

Result<void> TcpStream::shutdown_write() noexcept {
    if (::shutdown(fd_, SHUT_WR) < 0) return Unexpected(detail::last_error());
    return {};
}

void TcpStream::cancel() noexcept {
    if (fd_ >= 0) detail::LoopAccess::cancel_fd(*loop_, fd_, std::make_error_code(std::errc::operation_canceled));
}

void TcpStream::close() noexcept {
    if (fd_ < 0) return;
    if (detail::StreamOwner* owner = std::exchange(owner_, nullptr)) {
        // The server ends the connection (see the header): other ops on it end first.
        cancel();
        detail::LoopAccess::set_mid_message(*loop_, fd_, false);
        owner->take_back(*owner, owner_id_, std::exchange(fd_, -1));
        return;
    }
    SocketHandle::close();
}

int TcpStream::release() noexcept {
    owner_ = nullptr;  // whoever takes the descriptor also takes the duty to close it
    return SocketHandle::release();
}

void TcpStream::set_mid_message(bool on) noexcept {
    if (fd_ >= 0) detail::LoopAccess::set_mid_message(*loop_, fd_, on);
}

Result<Endpoint> TcpStream::remote_endpoint() const noexcept {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return Unexpected(detail::last_error());
    return endpoint_of(address, length);
}

Result<void> TcpStream::set_no_delay(bool on) noexcept {
    if (auto r = detail::sys_setsockopt_int(fd_, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); !r)
        return Unexpected(r.error());
    return {};
}

}  // namespace weft
