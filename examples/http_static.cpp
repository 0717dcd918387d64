// A directory served over HTTP until Ctrl-C: weft's `python3 -m http.server`, with keep-alive,
// ranges, conditional requests, sendfile and a live /status page.
// Usage: http_static [DIR [PORT]]   (default: the current directory, port 8000)
#include <iostream>
#include <string>

#include <weft/io/stop_signals.hpp>
#include <weft/services/http/http_server.hpp>

int main(int argc, char** argv) {
    const std::string root = argc > 1 ? argv[1] : ".";
    const auto port = static_cast<std::uint16_t>(argc > 2 ? std::stoi(argv[2]) : 8000);

    auto signals = weft::StopSignals::open();  // first: the server's threads inherit the mask
    auto site = weft::http::Site::open(root);
    if (!signals || !site) {
        std::cerr << "http_static: " << (site ? signals.error().message() : site.error()) << '\n';
        return 1;
    }
    auto server = weft::http::HttpServer::start({"127.0.0.1", port}, *site, {.threads = 2});
    if (!server) {
        std::cerr << "http_static: 127.0.0.1:" << port << ": " << server.error().message() << '\n';
        return 1;
    }
    std::cout << "serving " << (*site)->root() << " at http://" << (*server)->local_endpoint().to_string()
              << "/ (status at /status)" << std::endl;
    (void)signals->wait();
    (*server)->stop();  // requests already begun are answered
    (*server)->wait();
    const auto stats = (*server)->stats();
    std::cout << stats.requests << " requests, " << stats.bytes_sent << " bytes sent\n";
}
