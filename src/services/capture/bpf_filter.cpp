#include "weft/services/capture/bpf_filter.hpp"

#include <mutex>

#include <pcap/pcap.h>

namespace weft::capture {

Expected<std::vector<sock_filter>, std::string> compile_filter(std::string_view expression, std::uint32_t snaplen) {
    const std::string text(expression);
    auto fail = [&](std::string_view why) {
        return Unexpected("invalid filter '" + text + "': " + std::string(why));
    };
    // libpcap documents pcap_compile as thread-safe only since 1.8 and keeps parser state in
    // globals in older ones; the lock costs nothing next to a compile.
    static std::mutex compiler;
    const std::lock_guard lock(compiler);
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, static_cast<int>(snaplen));
    if (dead == nullptr) return fail("libpcap could not make a compiler handle");
    bpf_program program{};
    if (pcap_compile(dead, &program, text.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        std::string why = pcap_geterr(dead);
        pcap_close(dead);
        return fail(why);
    }
    // libpcap's bpf_insn and the kernel's sock_filter are the same four fields.
    static_assert(sizeof(bpf_insn) == sizeof(sock_filter));
    std::vector<sock_filter> out(program.bf_len);
    for (unsigned i = 0; i < program.bf_len; ++i) {
        const bpf_insn& in = program.bf_insns[i];
        out[i] = sock_filter{in.code, in.jt, in.jf, in.k};
    }
    pcap_freecode(&program);
    pcap_close(dead);
    return out;
}

}  // namespace weft::capture
