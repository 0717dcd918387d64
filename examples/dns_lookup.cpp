// One DNS question, one call: weft's resolver picks a random ID and source port, accepts only
// the answer to this question from this server, retries, and falls back to TCP when the
// answer is truncated. What is left for the program is the question and the answer.
// Usage: dns_lookup NAME [SERVER [PORT]]   (default server 127.0.0.1, port 53)
#include <iostream>
#include <string>

#include <weft/services/dns/resolver.hpp>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: dns_lookup NAME [SERVER [PORT]]\n";
        return 2;
    }
    const std::string server = argc > 2 ? argv[2] : "127.0.0.1";
    const auto port = static_cast<std::uint16_t>(argc > 3 ? std::stoi(argv[3]) : 53);

    auto question = weft::dns::make_question(argv[1], weft::wire::DnsType::A);
    if (!question) {
        std::cerr << "dns_lookup: " << question.error().message << '\n';
        return 2;
    }
    auto result = weft::dns::query_blocking({server, port}, *question);
    if (!result) {
        std::cerr << "dns_lookup: " << result.error().message << '\n';  // "no response from ... after 3 tries"
        return 1;
    }
    const auto& response = result->response;
    std::cout << weft::wire::dns_rcode_to_string(response.full_rcode()) << '\n';
    for (const auto& rr : response.answers)
        std::cout << rr.name.to_text() << ". " << rr.ttl << ' ' << weft::wire::dns_type_to_string(rr.type) << ' '
                  << weft::wire::dns_rdata_to_string(rr.data) << '\n';
}
