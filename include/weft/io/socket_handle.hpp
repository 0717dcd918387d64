#pragma once
// SocketHandle: what every io/ socket shares — TcpListener, TcpStream, UdpSocket and
// PacketSocket are each a SocketHandle plus their own operations.
//
//   (void)stream.set_option(weft::NoDelay{true});      // the typed options of socket/
//   (void)udp.set_option(weft::Broadcast{true});
//   (void)udp.bind_to_device("veth0");                 // SO_BINDTODEVICE
//
// Ownership is libuv's rule: the handle owns its descriptor and its registration with one
// EventLoop; close() is explicit (and idempotent), destruction closes, release() hands the
// descriptor over. Handles are move-only and used on their loop's thread only. No virtual
// functions: each concrete handle is final and hides what it must (TcpStream's close()).

#include <cstdint>
#include <string_view>

#include "weft/expected.hpp"
#include "weft/io/event_loop.hpp"
#include "weft/net/endpoint.hpp"

namespace weft {

/// How a bound socket shares its port with other sockets.
enum class PortSharing : std::uint8_t {
    /// The port is ours alone: a bind fails with EADDRINUSE if anyone holds it.
    exclusive,
    /// SO_REUSEPORT: join sockets that set it too (one per loop); the kernel spreads
    /// connections or datagrams over them by a hash of the 4-tuple.
    shared,
    /// Bind without SO_REUSEPORT — so the bind fails with EADDRINUSE if anyone holds the port,
    /// SO_REUSEPORT users included — then set it, so this process's further `shared` sockets
    /// can join. What every multi-loop server does for its first socket: a user never
    /// silently shares a port with a stray process.
    exclusive_then_shared,
};

/// The part every io/ socket shares: a descriptor registered with one EventLoop, options,
/// close() and release(). Only its concrete handles (TcpStream, UdpSocket, ...) are made.
class SocketHandle {
public:
    /// True until close() or release().
    bool is_open() const noexcept { return fd_ >= 0; }
    /// The descriptor, -1 when closed.
    int native_handle() const noexcept { return fd_; }
    /// The loop it is registered with (nullptr for an empty handle).
    EventLoop* loop() const noexcept { return loop_; }

    /// The bound address (the real port when bound to port 0).
    [[nodiscard]] Result<Endpoint> local_endpoint() const noexcept;

    /// setsockopt with one of socket/'s typed options (weft::ReuseAddress, weft::Broadcast,
    /// weft::NoDelay, weft::ReceiveBufferSize, ...). The errno code on failure.
    template <class Option>
    [[nodiscard]] Result<void> set_option(const Option& option) noexcept {
        const auto native = option.to_native();
        return set_option_raw(Option::level, Option::name, &native, sizeof native);
    }
    /// getsockopt for a typed option: `handle.get_option<weft::ReceiveBufferSize>()`. The errno
    /// code on failure.
    template <class Option>
    [[nodiscard]] Result<Option> get_option() const noexcept {
        decltype(Option{}.to_native()) native{};
        if (auto r = get_option_raw(Option::level, Option::name, &native, sizeof native); !r)
            return Unexpected(r.error());
        return Option::from_native(native);
    }
    /// SO_BINDTODEVICE: send and receive only through `interface` (needs CAP_NET_RAW); ENODEV
    /// when there is no such interface. What a DHCP server on one link of several needs.
    [[nodiscard]] Result<void> bind_to_device(std::string_view interface) noexcept;

    /// Cancels pending operations: they resume with operation_canceled; the socket stays open
    /// (a capture stopped by a signal still reads the kernel's counters afterwards).
    void cancel() noexcept;
    /// Cancels pending operations (they resume with operation_canceled), unregisters from the
    /// loop and closes. Idempotent.
    void close() noexcept;
    /// Hands the descriptor over (unregistered, still open); the handle is empty afterwards.
    int release() noexcept;

protected:
    SocketHandle() noexcept = default;
    /// Owns `fd`, already registered with `loop`.
    SocketHandle(EventLoop& loop, int fd) noexcept : loop_(&loop), fd_(fd) {}
    /// Takes over `other`'s descriptor; `other` is left empty.
    SocketHandle(SocketHandle&& other) noexcept;
    /// Closes this handle's descriptor, then takes over `other`'s.
    SocketHandle& operator=(SocketHandle&& other) noexcept;
    ~SocketHandle() { close(); }

    ///@{
    /// setsockopt(2) / getsockopt(2) with a raw value; the errno code on failure.
    Result<void> set_option_raw(int level, int name, const void* value, unsigned size) noexcept;
    Result<void> get_option_raw(int level, int name, void* value, unsigned size) const noexcept;
    ///@}

    EventLoop* loop_ = nullptr;  ///< The loop the descriptor is registered with.
    int fd_ = -1;                ///< The descriptor; -1 when closed or released.
};

namespace detail {
/// socket(family of `at`, type) + SO_REUSEADDR if asked + the sharing policy + bind: the
/// descriptor (non-blocking, close-on-exec), not yet registered with any loop.
Result<int> open_bound(const Endpoint& at, int type, PortSharing sharing, bool reuse_address) noexcept;
/// Registers fd with loop; on failure closes it and returns the error.
Result<void> register_or_close(EventLoop& loop, int fd) noexcept;
}  // namespace detail

}  // namespace weft
