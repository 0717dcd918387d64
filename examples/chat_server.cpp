// A chat server on weft's event-driven core. A client's first line is its name; every later
// line goes to every other client as "name: text".
// Usage: chat_server [--port N] [--threads N]   (port 0, the default: any free port; prints
// "listening on ADDR:PORT"; SIGINT/SIGTERM stop it)
//
// Each client is two coroutines on the loop that accepted it: the handler reads lines and
// broadcasts them; a writer drains the client's outbox (a Channel) to its socket. Broadcasting
// only queues, so one slow client never holds up the others; one whose outbox overflows
// (it stopped reading while others talk) is disconnected.
#include <cstdint>
#include <iostream>
#include <map>
#include <mutex>
#include <span>
#include <string>

#include <weft/io/channel.hpp>
#include <weft/io/framing.hpp>
#include <weft/io/stop_signals.hpp>
#include <weft/io/tcp_server.hpp>

namespace {

using Outbox = weft::Channel<std::string>;
constexpr std::size_t kOutboxLines = 256;  // how far a client may fall behind before it is cut off
constexpr std::size_t kMaxLine = 1024;
constexpr std::size_t kSendBuffer = 64 * 1024;  // kernel bytes queued per client, the rest waits in its outbox

// Every client's outbox, by id. Threading rule: handlers run on several loop threads, so every
// access holds `mutex`. Broadcasting under it is cheap and cannot block: try_send only queues.
struct Registry {
    std::mutex mutex;
    std::map<std::uint64_t, Outbox::Sender> clients;
    std::uint64_t next_id = 0;

    std::uint64_t join(Outbox::Sender outbox) {
        std::lock_guard lock(mutex);
        clients.emplace(next_id, std::move(outbox));
        return next_id++;
    }
    void leave(std::uint64_t id) {
        std::lock_guard lock(mutex);
        clients.erase(id);
    }
    void broadcast(std::uint64_t from, const std::string& line) {
        std::lock_guard lock(mutex);
        for (auto& [id, outbox] : clients)
            if (id != from) (void)outbox.try_send(line);  // false: that client is being cut off
    }
};

// Writes the outbox to the socket until it closes. After a failed write it touches nothing
// but `finished`: the handler's frame (conn, outbox) may be gone if the server destroyed it.
weft::Task<> write_lines(weft::TcpStream& conn, Outbox& outbox, weft::Channel<bool>::Sender finished) {
    for (;;) {
        auto line = co_await outbox.recv();
        if (!line || !*line) break;
        if (!co_await conn.write_all(std::as_bytes(std::span(**line)))) break;
    }
    (void)finished.try_send(true);
}

weft::Task<> client(weft::TcpStream conn, Registry& registry) {
    weft::EventLoop& loop = *conn.loop();
    weft::Buffer in;
    auto name_line = co_await weft::read_line(conn, in, kMaxLine);
    if (!name_line || name_line->empty()) co_return;
    const std::string name(*name_line);

    Outbox outbox(loop, kOutboxLines, weft::Overflow::close);
    // When the outbox closes, the writer may be stuck in write_all on a client that stopped
    // reading: cancelling the stream ends both coroutines, so the client is cut off at once.
    outbox.on_close([&conn] { conn.cancel(); });
    weft::Channel<bool> writer_done(loop, 1);
    loop.spawn(write_lines(conn, outbox, writer_done.sender()));

    const std::uint64_t id = registry.join(outbox.sender());
    (void)outbox.try_send("* welcome, " + name + "\n");  // after join: the client now hears all
    registry.broadcast(id, "* " + name + " joined\n");
    while (auto line = co_await weft::read_line(conn, in, kMaxLine))
        registry.broadcast(id, name + ": " + std::string(*line) + "\n");
    registry.leave(id);
    registry.broadcast(id, "* " + name + (outbox.overflowed() ? " was too slow and is disconnected\n" : " left\n"));
    outbox.close();
    (void)co_await writer_done.recv();  // the writer borrows conn and outbox: let it finish first
}

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    std::size_t threads = 2;
    for (int i = 1; i < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--port" && i + 1 < argc) port = static_cast<std::uint16_t>(std::stoi(argv[i + 1]));
        else if (option == "--threads" && i + 1 < argc) threads = static_cast<std::size_t>(std::stoi(argv[i + 1]));
        else {
            std::cerr << "usage: chat_server [--port N] [--threads N]\n";
            return 2;
        }
    }
    // Before the server's threads exist, so that they all inherit the blocked mask.
    auto signals = weft::StopSignals::open();
    if (!signals) {
        std::cerr << "chat_server: " << signals.error().message() << '\n';
        return 1;
    }

    Registry registry;  // declared before the server: it outlives every handler
    const weft::ServerOptions options{.threads = threads, .high_water_mark = kSendBuffer};
    auto server = weft::TcpServer::start({weft::Ipv4Address::loopback(), port}, options,
                                         [&registry](weft::TcpStream conn) { return client(std::move(conn), registry); });
    if (!server) {
        std::cerr << "chat_server: port " << port << ": " << server.error().message() << '\n';
        return 1;
    }
    std::cout << "listening on " << (*server)->local_endpoint().to_string() << std::endl;

    (void)signals->wait();
    (*server)->stop();  // idle clients' reads end at once; their handlers say goodbye and return
    (*server)->wait();
}
