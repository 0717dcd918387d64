// The client engine's random sources (client_engine.hpp).
#include <cerrno>
#include <random>

#include <sys/random.h>

#include "weft/services/dhcp/client_engine.hpp"

namespace weft::dhcp {

RandomSource random_source() {
    // A word from the kernel per draw: the engine draws a few per exchange, so the cost does
    // not matter, and xids nobody off the link can predict cost nothing more.
    return [] {
        std::uint32_t word = 0;
        for (;;) {
            const ssize_t n = ::getrandom(&word, sizeof word, 0);
            if (n == static_cast<ssize_t>(sizeof word)) return word;
            if (n < 0 && errno == EINTR) continue;
            break;
        }
        // Only kernels before 3.17 lack getrandom; random_device reads /dev/urandom then.
        std::random_device device;
        return static_cast<std::uint32_t>(device());
    };
}

RandomSource seeded_random_source(std::uint32_t seed) {
    return [generator = std::mt19937(seed)]() mutable { return static_cast<std::uint32_t>(generator()); };
}

}  // namespace weft::dhcp
