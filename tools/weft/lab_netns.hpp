#pragma once
// Work done by this process inside one of the lab's namespaces: a new thread enters it with
// setns (a network namespace is per thread) and ends with it, so no other thread moves.

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace weft::cli::lab {

/// Runs f() on a thread inside namespace `ns` (/run/netns/NS, where `ip netns add` keeps it).
/// The future carries f's result or exception; std::runtime_error when the namespace cannot
/// be entered.
template <class F>
auto in_namespace(std::string_view ns, F f) {
    return std::async(std::launch::async, [name = std::string(ns), f] {
        const std::string path = "/run/netns/" + name;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
        const int rc = ::setns(fd, CLONE_NEWNET);
        const int saved = errno;
        ::close(fd);
        if (rc != 0) throw std::runtime_error("setns " + path + ": " + std::strerror(saved));
        return f();
    });
}

/// Turns off transmit checksum offload on `dev` in `ns` (lab_offload.cpp).
void disable_tx_checksum_offload(std::string_view ns, std::string_view dev);

}  // namespace weft::cli::lab
