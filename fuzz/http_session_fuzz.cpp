// The HTTP request engine: any bytes from a client, fed to a session over a small site (a
// page, a small and a large file, a directory without index, a symbolic link out of the
// root). The first byte says where to cut the input into two feeds. Invariants: feed never
// uses more than it is given and nothing after it closes; every response in the batch parses
// as a head with a Content-Length that the batch's bytes and file ranges hold exactly; file
// ranges lie inside their files; and cutting the input differently changes no status.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.hpp"
#include "weft/services/http/session.hpp"
#include "weft/services/http/site.hpp"
#include "weft/wire/http.hpp"

using namespace weft;
using weft::fuzz::check;

namespace {

std::shared_ptr<http::Site> make_site() {
    char base[] = "/tmp/weft-http-fuzz-XXXXXX";
    check(::mkdtemp(base) != nullptr, "mkdtemp");
    const std::string root = std::string(base) + "/root";
    check(::mkdir(root.c_str(), 0755) == 0 && ::mkdir((root + "/sub").c_str(), 0755) == 0, "mkdir");
    std::ofstream(root + "/index.html") << "<!DOCTYPE html><title>fuzz</title>\n";
    std::ofstream(root + "/a.txt") << "hello\n";
    std::ofstream(std::string(base) + "/secret.txt") << "outside\n";
    std::ofstream big(root + "/big.bin");
    big << std::string(100'000, 'x');
    big.close();
    check(::symlink("../secret.txt", (root + "/out").c_str()) == 0, "symlink");
    auto site = http::Site::open(root);
    check(site.has_value(), "site");
    return *site;
}

struct Parsed {
    std::vector<int> statuses;
};

// What the session logged for each response, in order: its status and its body's length
// (0 for HEAD and 304). The log line ends "... STATUS BYTES" or "... STATUS BYTES (why)".
std::vector<std::pair<int, std::uint64_t>> logged;

void record(std::string_view line) {
    std::string text(line);
    if (const auto paren = text.find(" ("); paren != std::string::npos && text.back() == ')') text.resize(paren);
    const auto last = text.rfind(' ');
    const auto before = text.rfind(' ', last - 1);
    logged.emplace_back(std::stoi(text.substr(before + 1, last - before - 1)), std::stoull(text.substr(last + 1)));
}

// Walks the batch response by response: each head parses, its status is the one logged, and
// the body that follows (in memory or a file range) is exactly as long as its Content-Length.
void check_batch(const http::ResponseBatch& out, Parsed& parsed) {
    std::size_t at = 0;
    std::size_t file = 0;
    std::size_t response = 0;
    while (at < out.bytes.size() || file < out.files.size()) {
        check(at < out.bytes.size(), "a file range follows a head");
        wire::HttpResponseHead head;
        auto r = wire::parse_http_response_head(std::string_view(out.bytes).substr(at), head);
        check(r.status == wire::HttpParseStatus::complete, "a response head parses");
        check(response < logged.size() && logged[response].first == head.status, "the head's status is logged");
        const std::uint64_t body = logged[response].second;
        ++response;
        parsed.statuses.push_back(head.status);
        at += r.consumed;
        if (body == 0) continue;
        const auto* length = head.find("content-length");
        check(length != nullptr && std::stoull(std::string(length->value)) == body, "Content-Length is the body's");
        if (file < out.files.size() && out.files[file].after == at) {
            check(out.files[file].body.length == body, "a file range is the announced length");
            struct stat st {};
            check(::fstat(out.files[file].body.fd, &st) == 0, "the range's file is open");
            check(out.files[file].body.offset + body <= static_cast<std::uint64_t>(st.st_size),
                  "a file range lies inside its file");
            ++file;
        } else {
            check(at + body <= out.bytes.size(), "an in-memory body is whole");
            at += static_cast<std::size_t>(body);
        }
    }
    check(response == logged.size(), "every logged response is in the batch");
    logged.clear();
}

Parsed run(http::Site& site, std::string_view input, std::size_t cut) {
    http::HttpSession session(site, "fuzz");
    Parsed parsed;
    std::string held;
    std::size_t offered = 0;
    const std::size_t pieces[2] = {std::min(cut, input.size()), input.size()};
    for (const std::size_t upto : pieces) {
        held.append(input.substr(offered, upto - offered));
        offered = upto;
        for (;;) {
            http::ResponseBatch out;
            const bool was_closing = session.closing();
            const std::size_t used = session.feed(held, out);
            check(used <= held.size(), "feed uses at most what it is given");
            check(!was_closing || (used == 0 && out.empty()), "nothing is used after closing");
            check_batch(out, parsed);
            held.erase(0, used);
            if (used == 0 || held.empty() || session.closing()) break;
        }
    }
    return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::shared_ptr<http::Site> site = [] {
        auto s = make_site();
        s->log = record;
        return s;
    }();
    if (size == 0) return 0;
    const std::string_view input = weft::fuzz::as_text(data + 1, size - 1);
    const Parsed whole = run(*site, input, input.size());
    const Parsed cut = run(*site, input, data[0] * input.size() / 256);
    check(whole.statuses == cut.statuses, "the statuses do not depend on how the bytes were cut");
    return 0;
}
