// weft tour: the seed's programs, run live on loopback with ephemeral ports, narrated.
// Every exchange below really crosses the kernel's loopback interface; nothing is simulated.
#include <array>
#include <future>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "journey_run.hpp"
#include "lab.hpp"
#include "weft/io/tcp_server.hpp"
#include "weft/net/ipv4_network.hpp"
#include "weft/services/echo.hpp"
#include "weft/socket/create.hpp"

namespace weft::cli {

namespace {

using namespace std::chrono_literals;

void say(const std::string& text) { std::cout << "  " << text << '\n'; }
void heading(int n, const std::string& text) { std::cout << '\n' << n << ". " << text << '\n'; }

// 1. The seed's first pair: a server that answers "hi" to whoever says "hello!".
// Returns the (client, server) endpoints, for the wire section at the end.
std::pair<Endpoint, Endpoint> hello_hi() {
    heading(1, "TCP: the server that answers hi");
    Socket sk;
    sk.setsockopt(ReuseAddress{true});
    sk.bind(Endpoint{Ipv4Address::loopback(), 0});
    sk.listen();
    const SocketAddress addr = sk.getsockname();
    say("server: socket(), setsockopt(SO_REUSEADDR), bind(" + addr.to_string() + "), listen()");

    auto server = std::async(std::launch::async, [&sk] {
        auto [conn, peer] = sk.accept();
        std::string got = conn.recv(1024);
        conn.sendall("hi");
        return std::pair(peer.to_string(), got);
    });
    Socket client;
    client.settimeout(5s);
    client.connect(addr);
    say("client: connect(" + addr.to_string() + ") from " + client.getsockname().to_string() +
        " - the kernel picked an ephemeral port");
    client.sendall("hello!");
    std::string reply = client.recv(1024);
    auto [peer, got] = server.get();
    say("server: accept() -> peer " + peer + ", recv(1024) -> '" + got + "', send('hi')");
    say("client: recv(1024) -> '" + reply + "', close()");
    return {client.getsockname().endpoint(), addr.endpoint()};
}

// 2. The talking loop against weft's echo server: several messages on one connection.
void echo_conversation() {
    heading(2, "TCP: a conversation with the echo server (weft tcp serve --mode upper)");
    TcpEchoOptions options;
    options.mode = EchoMode::upper;
    options.server.threads = 1;
    auto server = start_tcp_echo(Endpoint{Ipv4Address::loopback(), 0}, std::move(options));
    if (!server) throw std::runtime_error("echo server: " + server.error().message());
    const Endpoint addr = (*server)->local_endpoint();

    Socket phone = create_connection("127.0.0.1", addr.port(), 5s);
    say("client: connected to " + addr.to_string());
    for (std::string msg : {"how are you?", "tcp is a byte stream", "bye"}) {
        phone.sendall(msg);
        std::string answer;
        while (answer.size() < msg.size()) {
            std::string part = phone.recv(1024);
            if (part.empty()) break;
            answer += part;
        }
        say(">> " + msg + "\n     << " + answer);
    }
    phone.close();
    (*server)->stop();
    (*server)->wait();
    say("server: stopped after the client hung up");
}

// 3. The same server as a coroutine on the event-driven core: the seed's talking loop, but
// one thread serves every client at once.
void async_echo() {
    heading(3, "Async: the seed's echo server as a coroutine, three clients at once");
    say("server: weft::TcpServer, one event loop on one thread; each connection runs");
    say("    [](weft::TcpStream conn) -> weft::Task<> {");
    say("        std::array<std::byte, 4096> buf;");
    say("        while (std::size_t n = (co_await conn.read_some(buf)).value_or(0))");
    say("            if (!co_await conn.write_all(std::span(buf).first(n))) break;");
    say("    }");
    auto server = TcpServer::start(Endpoint{Ipv4Address::loopback(), 0}, {.threads = 1},
                                   [](TcpStream conn) -> Task<> {
        std::array<std::byte, 4096> buf;
        while (std::size_t n = (co_await conn.read_some(buf)).value_or(0))
            if (!co_await conn.write_all(std::span(buf).first(n))) break;
    });
    if (!server) throw std::runtime_error("async server: " + server.error().message());
    const Endpoint addr = (*server)->local_endpoint();

    std::vector<Socket> clients;
    for (int i = 1; i <= 3; ++i) {
        clients.push_back(create_connection("127.0.0.1", addr.port(), 5s));
        say("client " + std::to_string(i) + ": connected to " + addr.to_string() + " from " +
            clients.back().getsockname().to_string());
    }
    // Last come, first served: a one-at-a-time server would keep clients 2 and 3 waiting
    // until client 1 hung up. Here each coroutine suspends only itself while it waits.
    for (int i = 3; i >= 1; --i) {
        Socket& c = clients[static_cast<std::size_t>(i - 1)];
        const std::string msg = "hello from client " + std::to_string(i);
        c.sendall(msg);
        std::string answer;
        while (answer.size() < msg.size()) {
            std::string part = c.recv(1024);
            if (part.empty()) break;
            answer += part;
        }
        say("client " + std::to_string(i) + ": >> " + msg + "  << " + answer);
    }
    say("all three connections were open at once; the blocking seed server would still be "
        "serving client 1");
    for (Socket& c : clients) c.close();
    (*server)->stop();
    (*server)->wait();
    say("server: stop() - " + std::to_string((*server)->stats().accepted) +
        " connections served by one thread");
}

// 3. UDP: no connection, no listen, no accept; each datagram carries its sender's address.
void udp_upper() {
    heading(4, "UDP: the uppercase server");
    Socket server(Family::inet, Type::datagram);
    server.bind(Endpoint{Ipv4Address::loopback(), 0});
    const SocketAddress addr = server.getsockname();
    say("server: socket(AF_INET, SOCK_DGRAM), bind(" + addr.to_string() + ") - no listen(), no accept()");
    Socket client(Family::inet, Type::datagram);
    client.settimeout(5s);
    client.sendto("hello udp", addr);
    auto [data, sender] = server.recvfrom(1024);
    say("server: recvfrom(1024) -> '" + data + "' from " + sender.to_string());
    for (char& c : data) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    server.sendto(data, sender);
    auto [reply, from] = client.recvfrom(1024);
    say("client: recvfrom(1024) -> '" + reply + "' from " + from.to_string());
}

// 4. The subnet example: two hosts, one mask, one AND.
void subnet() {
    heading(5, "Subnets: are 172.16.10.1 and 172.16.10.2 on the same network?");
    const Ipv4Address a(172, 16, 10, 1), b(172, 16, 10, 2), mask(255, 255, 255, 0);
    const Ipv4Address na(a.to_uint() & mask.to_uint()), nb(b.to_uint() & mask.to_uint());
    auto row = [](const std::string& label, const std::string& bits, const std::string& tail = "") {
        std::string padded = label;
        padded.resize(16, ' ');
        say(padded + bits + tail);
    };
    row(a.to_string(), a.to_binary());
    row(mask.to_string(), mask.to_binary());
    row("AND", na.to_binary(), " = " + na.to_string());
    row(b.to_string(), b.to_binary());
    row(mask.to_string(), mask.to_binary());
    row("AND", nb.to_binary(), " = " + nb.to_string());
    say(same_subnet(a, b, mask) ? "equal networks: same subnet, they talk without a router"
                                : "different networks: a router sits between them");
}

struct TourArgs {
    std::string pcap;
    bool json = false;
};

// 7. The tutorial's whole journey, live, when this process may build the lab (root and
// network namespaces); otherwise one line says why not.
void journey_section(const TourArgs& args) {
    std::string why;
    if (!lab::can_build(why)) {
        (args.json ? std::cerr : std::cout) << (args.json ? "" : "\n7. ") << "The journey in a namespace lab is skipped: "
                                            << why << ".\n";
        return;
    }
    if (!args.json)
        std::cout << "\n7. The whole journey, live: a host with no address gets its four elements, finds the gateway,\n"
                     "   resolves the name through the DNS hierarchy and fetches the page; every frame captured\n";
    journey::run_journey({args.pcap, args.json}, std::cout);
}

void run(const TourArgs& args) {
    // --json is for programs: the journey's frames only, one object a line.
    if (!args.json) {
        std::cout << "weft tour: the seed's client/server programs, live on loopback\n";
        const auto [client, server] = hello_hi();
        echo_conversation();
        async_echo();
        udp_upper();
        subnet();
        tour_wire_section(6, client, server);
    }
    journey_section(args);
    if (!args.json)
        std::cout << "\nNext: weft tcp serve --threads 2, weft tcp connect 127.0.0.1 8898, weft udp serve, "
                     "weft ipcalc 172.16.10.1/24 172.16.10.2, weft lab up (weft --help lists all)\n";
}

}  // namespace

void add_tour(CLI::App& app) {
    auto args = std::make_shared<TourArgs>();
    CLI::App* cmd = app.add_subcommand(
        "tour", "run the seed's programs live on loopback, narrated; as root, also the whole journey in a fresh weft lab "
                "(replacing one that is up)");
    cmd->add_option("--pcap", args->pcap, "keep the journey's capture in this pcap file")->type_name("FILE");
    cmd->add_flag("--json", args->json,
                  "only the journey's frames, one JSON object each (decode's, plus step and note)");
    cmd->callback([args] { run(*args); });
}

}  // namespace weft::cli
