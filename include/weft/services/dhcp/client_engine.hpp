#pragma once
// The DHCP client engine: RFC 2131's client state machine (section 4.4, figure 5) with no
// socket and no clock. The adapter feeds it events (start, a packet, a timer, "the address is
// in use", "release") with the current time; every call answers with ClientActions: the
// datagrams to send and from/to where, the one timer to arm, and what changed for the host
// (a lease to configure, renew or remove).
//
//   weft::dhcp::ClientEngine client({.mac = mac, .acquire_timeout = 30s}, weft::dhcp::random_source());
//   apply(client.start(loop.now()));
//   ... on a datagram from port 67:  if (auto p = weft::wire::parse_dhcp(bytes)) apply(client.on_packet(*p, now));
//   ... when the timer is due:       apply(client.on_timer(now));
//   // apply(): send each actions.send[i].bytes from .from to .to, (re)arm the timer at
//   // actions.timer (none: disarm), and act on actions.events (LeaseAcquired: configure the
//   // address, after an ARP probe; LeaseLost: remove it; AcquisitionFailed: report, stop).
//
// The states: idle (not started, released or given up), INIT-REBOOT/REBOOTING (start() with a
// remembered address), INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING.
// - A new transaction id (xid) is drawn for every exchange: DISCOVER (its REQUEST keeps the
//   OFFER's xid, as RFC 2131 4.4.1 says), INIT-REBOOT, RENEWING, REBINDING, DECLINE, RELEASE;
//   retransmissions keep it. A reply counts only with op BOOTREPLY, our xid, htype 1, hlen 6
//   and our MAC in chaddr; anything else is ignored (ClientActions::ignored says why).
// - SELECTING takes the first usable OFFER (a unicast yiaddr and a unicast server id) at
//   once by default. With ClientConfig::offer_wait it waits that long after the first OFFER
//   and takes the first one of the address it suggested (option 50: the remembered address,
//   or that of the lease that just ended), else the first one.
// - An ACK needs a lease time and a unicast server id. REQUESTING takes it only from the
//   server it chose; RENEWING only from the lease's server and for the lease's address;
//   REBINDING from any server, for the lease's address. REQUESTING goes back to INIT after
//   ClientConfig::request_attempts REQUESTs without an answer (RFC 2131 4.4.1).
// - Retransmission (RFC 2131 4.1): DISCOVER, and REQUEST in REQUESTING and REBOOTING, go out
//   again 4 s after the first transmission, then 8, 16, 32, 64, 64... s after the previous
//   one, each delay moved by a uniform random -1..+1 s (whole milliseconds), until
//   ClientConfig::acquire_timeout after start() (or after the restart that follows a lost
//   lease or a DECLINE), when the engine gives up (AcquisitionFailed) and goes idle.
// - RENEWING and REBINDING (RFC 2131 4.4.5) send the REQUEST again after half the time left
//   until T2 (RENEWING) or the end of the lease (REBINDING), but at least 60 s later, and
//   never past T2 or the lease end, where the next state begins. Their delays are not
//   randomised (the RFC does not ask it; the spread of T1 across clients already does).
// - A lease runs from the first transmission of the REQUEST that got it (RFC 2131 4.4.1).
//   T1 and T2 are options 58 and 59, else 1/2 and 7/8 of the lease (rounded down to whole
//   seconds); a T2 beyond the lease or a T1 beyond T2 is replaced by its default (T1 also
//   capped at T2). A lease of 0xffffffff s is infinite: no timer while BOUND.
// - At the lease end the lease is lost and acquisition starts over at once (INIT, DISCOVER).
//   A NAK in REQUESTING or REBOOTING goes back to INIT with a new DISCOVER at once; in
//   RENEWING or REBINDING it loses the lease and does the same.
// - DECLINE (RFC 2131 4.4.1, after an RFC 5227 probe found the address taken): the lease is
//   lost and DISCOVER starts again 10 s later, without suggesting the declined address.
//
// Time is a steady_clock time point owned by the caller (tests pass a fake clock's). Calls
// never throw except std::bad_alloc, and never block.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "weft/net/endpoint.hpp"
#include "weft/net/ipv4_address.hpp"
#include "weft/net/mac_address.hpp"
#include "weft/wire/dhcp.hpp"

namespace weft::dhcp {

/// The clock the DHCP engines' times are on: steady, so a wall-clock change moves no lease.
using Clock = std::chrono::steady_clock;
/// A time on Clock, passed in by the caller (`now`) and returned as deadlines.
using TimePoint = Clock::time_point;
/// A span of time on Clock (configuration durations).
using Duration = Clock::duration;

/// The options every DISCOVER and REQUEST asks for (option 55): subnet mask, router, DNS,
/// domain name, lease time, server id, T1, T2.
inline constexpr std::array<std::uint8_t, 8> kClientParameterRequestList{1, 3, 6, 15, 51, 54, 58, 59};
/// RFC 2131 4.1: the first retransmission 4 s after the first transmission, doubling to 64 s.
inline constexpr std::chrono::seconds kFirstRetransmission{4};
/// The longest delay between retransmissions: the doubling stops here.
inline constexpr std::chrono::seconds kMaxRetransmission{64};
/// The random spread of each of those delays: uniform over -1 s .. +1 s.
inline constexpr std::chrono::milliseconds kRetransmissionJitter{1000};
/// RFC 2131 4.4.5: the shortest wait between REQUESTs in RENEWING and REBINDING.
inline constexpr std::chrono::seconds kMinRenewRetransmission{60};
/// RFC 2131 4.4.1: the wait after a DECLINE before configuration starts again.
inline constexpr std::chrono::seconds kDeclineBackoff{10};
/// Option 51's "infinite" (RFC 2131 3.3).
inline constexpr std::chrono::seconds kInfiniteLease{0xffffffffu};

/// The source of random 32-bit words: transaction ids and retransmission jitter. The engine
/// draws one word for each new xid, then one after each DISCOVER or REQUEST it will
/// retransmit (the jitter of the delay to the next one is word % 2001 - 1000 ms).
using RandomSource = std::function<std::uint32_t()>;

/// A source seeded from the kernel (getrandom), for real use.
RandomSource random_source();
/// A deterministic source: std::mt19937 seeded with `seed` (its sequence is fixed by the
/// standard, so the same seed gives the same xids and delays everywhere).
RandomSource seeded_random_source(std::uint32_t seed);

/// What a ClientEngine is for: the interface's identity and how acquisition behaves. Only `mac`
/// has no usable default.
struct ClientConfig {
    /// The interface's MAC: chaddr (htype 1, hlen 6) and, by default, the client identifier.
    MacAddress mac{};
    /// Option 61; empty: htype 1 followed by the MAC (RFC 2132 9.14).
    std::vector<std::byte> client_id{};
    /// The BROADCAST flag in DISCOVER and REQUEST while the client has no address: set when
    /// the adapter cannot receive a unicast datagram before its interface has an address
    /// (RFC 2131 4.1), which is the case of an ordinary UDP socket; a packet socket may clear it.
    bool broadcast_flag = true;
    /// An address this client held before (a lease file, --address): start() begins in
    /// INIT-REBOOT and asks for it; DISCOVERs then suggest it (option 50) too.
    std::optional<Ipv4Address> remembered_address{};
    /// How long acquisition may take, from start() (or the restart after a lost lease) to an
    /// ACK; none: retry for ever.
    std::optional<Duration> acquire_timeout{};
    /// 0: REQUEST the first OFFER at once; otherwise collect OFFERs this long after the first.
    Duration offer_wait{};
    /// REBOOTING gives up on the remembered address after this long and DISCOVERs instead.
    Duration reboot_timeout{std::chrono::seconds(10)};
    /// REQUEST transmissions in REQUESTING (with the backoff) before going back to INIT.
    int request_attempts = 4;
    /// Option 12 in DISCOVER and REQUEST when not empty.
    std::string host_name{};
};

/// The client's state (RFC 2131 figure 5, plus idle: not started, released or given up).
enum class ClientState { idle, init, selecting, requesting, bound, renewing, rebinding, init_reboot, rebooting };

/// "IDLE", "INIT", "SELECTING", "REQUESTING", "BOUND", "RENEWING", "REBINDING",
/// "INIT-REBOOT", "REBOOTING".
std::string_view to_string(ClientState state) noexcept;

/// What an ACK gave: the tutorial's four elements and the lease's times.
struct Lease {
    Ipv4Address address{};          ///< yiaddr
    Ipv4Address server_id{};        ///< option 54: where RENEWING and RELEASE go
    std::optional<Ipv4Address> netmask{};  ///< option 1
    std::optional<unsigned> prefix{};      ///< from the netmask, when its one bits are contiguous
    std::vector<Ipv4Address> routers{};      ///< option 3
    std::vector<Ipv4Address> dns_servers{};  ///< option 6
    std::string domain_name{};               ///< option 15
    std::chrono::seconds lease_time{};       ///< option 51; kInfiniteLease for ever
    std::chrono::seconds renewal_time{};     ///< T1 (see the header comment for defaults)
    std::chrono::seconds rebinding_time{};   ///< T2
    TimePoint start{};       ///< when the REQUEST that got the lease was first sent
    TimePoint renew_at{};    ///< start + T1; TimePoint::max() for an infinite lease
    TimePoint rebind_at{};   ///< start + T2; likewise
    TimePoint expires_at{};  ///< start + lease time; likewise

    /// The lease never ends (option 51 is 0xffffffff): no timer while BOUND.
    bool infinite() const noexcept { return lease_time == kInfiniteLease; }
};

/// One datagram to send: UDP from `from` (port 68) to `to` (port 67).
struct ClientSend {
    /// The message's type (DISCOVER, REQUEST, DECLINE, RELEASE), for logs.
    wire::DhcpMessageType type{};
    /// 0.0.0.0:68 while the client has no address (and for DECLINE), else the lease's address.
    Endpoint from{};
    /// 255.255.255.255:67, or the server's address (RENEWING, RELEASE).
    Endpoint to{};
    std::vector<std::byte> bytes{};  ///< the message, built by wire::build_dhcp

    bool broadcast() const noexcept;  ///< `to` is 255.255.255.255
};

/// Every state transition, with why ("T1 reached", "DHCPNAK from 198.18.0.1: 'wrong network'").
struct StateChanged {
    /// The state left.
    ClientState from{};
    /// The state entered.
    ClientState to{};
    /// Why, one line.
    std::string reason{};
};
/// A lease to configure on the interface (an RFC 5227 probe first, then decline() on conflict).
struct LeaseAcquired {
    /// The new lease; its times are on the caller's clock.
    Lease lease{};
};
/// The same address with new times (and the parameters of the latest ACK).
struct LeaseRenewed {
    /// The lease with its new times.
    Lease lease{};
};
/// Why a lease was lost: its end passed, a server NAKed it, the adapter declined it (address in
/// use), or release() gave it back.
enum class LeaseLossReason { expired, nak, declined, released };
/// The address must no longer be used: remove it from the interface.
struct LeaseLost {
    /// The lease that ended (its address is the one to remove).
    Lease lease{};
    /// Why it ended.
    LeaseLossReason reason{};
    std::string detail{};  ///< e.g. "lease of 198.18.0.10 expired" or the NAK's message
};
/// Acquisition ran out of time; the engine is idle (start() tries again).
struct AcquisitionFailed {
    std::string reason{};  ///< "no DHCPOFFER within 30 s (5 DHCPDISCOVERs sent)"
};
/// One thing that changed for the host, in ClientActions::events (std::visit it).
using ClientEvent = std::variant<StateChanged, LeaseAcquired, LeaseRenewed, LeaseLost, AcquisitionFailed>;

/// What one call asks of the adapter.
struct ClientActions {
    std::vector<ClientSend> send{};      ///< in order
    /// When on_timer must be called next; replaces any earlier deadline. None: no timer. Never
    /// earlier than the call's `now` (equal only when something is already due).
    std::optional<TimePoint> timer{};
    std::vector<ClientEvent> events{};   ///< in the order they happened
    /// Why the packet or command was not used; empty when it was.
    std::string ignored{};
};

/// RFC 2131's client state machine for one interface, without socket or clock (see the header
/// comment): each call takes the time and returns the ClientActions to carry out. Not
/// thread-safe: one caller at a time.
class ClientEngine {
public:
    /// `random` must be callable (random_source() or seeded_random_source() for instance).
    /// Throws std::invalid_argument for an empty source, request_attempts below 1 or a
    /// negative duration in `config`.
    ClientEngine(ClientConfig config, RandomSource random);

    /// Begins acquisition: INIT-REBOOT when an address is remembered, else INIT (a DISCOVER
    /// goes out now). In any state but idle it changes nothing.
    [[nodiscard]] ClientActions start(TimePoint now);
    /// A datagram from port 67, parsed. Not ours, not expected in this state, or unusable (an
    /// OFFER without server id, an ACK without lease time...): ignored, with the reason.
    [[nodiscard]] ClientActions on_packet(const wire::DhcpPacket& packet, TimePoint now);
    /// The timer is due. Called early it changes nothing; called late it catches up (a lease
    /// that ended while the host slept is lost, whatever came before).
    [[nodiscard]] ClientActions on_timer(TimePoint now);
    /// The adapter found the lease's address in use (RFC 5227): DECLINE, lose the lease, and
    /// DISCOVER again 10 s later. Ignored without a lease.
    [[nodiscard]] ClientActions decline(TimePoint now);
    /// Gives the lease back: RELEASE to the server, the lease lost, idle. Without a lease it
    /// just stops acquisition (idle, no timer).
    [[nodiscard]] ClientActions release(TimePoint now);

    /// The current state.
    ClientState state() const noexcept { return state_; }
    /// The current lease (BOUND, RENEWING, REBINDING), else none.
    const std::optional<Lease>& lease() const noexcept { return lease_; }
    /// The xid replies must carry now (the last one drawn).
    std::uint32_t xid() const noexcept { return xid_; }
    /// The deadline of the last answer (none: no timer).
    std::optional<TimePoint> timer() const noexcept { return timer_; }
    /// The configuration given to the constructor.
    const ClientConfig& config() const noexcept { return config_; }

private:
    // The offer SELECTING chose (or holds while offer_wait runs).
    struct Offer {
        Ipv4Address address{};
        Ipv4Address server_id{};
    };

    // Transitions; each appends its events and datagrams to `out`.
    void enter(ClientState next, std::string reason, ClientActions& out);
    void start_acquisition(TimePoint now);
    void begin_exchange(TimePoint now);
    void begin_discover(TimePoint now, ClientActions& out);
    void begin_request(TimePoint now, ClientActions& out);
    void begin_reboot(TimePoint now, ClientActions& out);
    void begin_renew(TimePoint now, ClientActions& out);
    void begin_rebind(TimePoint now, ClientActions& out);
    void lose_lease(LeaseLossReason reason, std::string detail, ClientActions& out);
    void give_up(std::string reason, ClientActions& out);

    void acquisition_timer(TimePoint now, ClientActions& out);
    void lease_timer(TimePoint now, ClientActions& out);

    void on_offer(const wire::DhcpPacket& packet, TimePoint now, ClientActions& out);
    void on_ack(const wire::DhcpPacket& packet, TimePoint now, ClientActions& out);
    void on_nak(const wire::DhcpPacket& packet, TimePoint now, ClientActions& out);

    // Sends the state's message and sets when it goes out again.
    void transmit(TimePoint now, ClientActions& out);
    std::uint32_t draw() { return random_(); }
    std::uint32_t new_xid();
    // Sets the one deadline the state waits for, in timer_ and out.timer.
    void finish(ClientActions& out, TimePoint now);

    ClientConfig config_;
    RandomSource random_;
    ClientState state_ = ClientState::idle;
    std::uint32_t xid_ = 0;
    std::optional<TimePoint> timer_{};

    // The current acquisition (INIT .. REQUESTING, INIT-REBOOT, REBOOTING).
    TimePoint acquisition_started_{};
    std::optional<TimePoint> acquisition_deadline_{};
    // The current exchange: its first transmission (lease start, secs), the next
    // retransmission, the backoff delay and how many transmissions so far.
    TimePoint exchange_started_{};
    TimePoint next_transmission_{};
    Duration backoff_{};
    int transmissions_ = 0;
    // SELECTING with offer_wait: the offer held and when the wait ends.
    std::optional<Offer> offer_{};
    std::optional<TimePoint> offer_wait_end_{};
    // INIT after a DECLINE: when DISCOVER starts again.
    std::optional<TimePoint> restart_at_{};
    // The address REBOOTING asks for and DISCOVER suggests (option 50): the remembered one,
    // then the last lease's; dropped after a NAK or a DECLINE.
    std::optional<Ipv4Address> suggested_{};
    std::optional<Lease> lease_{};
};

}  // namespace weft::dhcp
