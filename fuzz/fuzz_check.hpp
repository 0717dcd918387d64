#pragma once
// Helpers shared by the fuzz targets: a check that aborts (so libFuzzer records the input as
// a crash) and byte-span comparison. Invariants are checked only where they are cheap.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace weft::fuzz {

inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const std::byte*>(data), size};
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(data), size};
}

/// Aborts with `what` when an invariant does not hold: libFuzzer keeps the input as a crash.
inline void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
}

inline bool same(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
    return std::ranges::equal(a, b);
}

/// A span must lie inside the input it was parsed from (views never point elsewhere).
inline bool within(std::span<const std::byte> view, std::span<const std::byte> input) noexcept {
    if (view.empty()) return true;
    return view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size();
}

}  // namespace weft::fuzz
