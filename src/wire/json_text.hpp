#pragma once
// Internal: the JSON text writer behind to_json() and JsonSink. Tokens go to a buffer on the
// stack and reach the std::string in chunks: appending each small token to the string cost
// more than decoding the frame (a capacity check and a libc memcpy call per key), so short
// copies are done inline here with fixed-size moves the compiler turns into plain stores.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace weft::wire::detail {

class JsonText {
public:
    explicit JsonText(std::string& out) noexcept : out_(out) {}
    JsonText(const JsonText&) = delete;
    JsonText& operator=(const JsonText&) = delete;

    /// Room for `n` <= 2048 more bytes at the returned pointer; commit() says how many were used.
    [[gnu::always_inline]] char* room(std::size_t n) {
        if (kChunk - used_ < n) spill();
        return buf_ + used_;
    }
    [[gnu::always_inline]] void commit(char* end) noexcept { used_ = static_cast<std::size_t>(end - buf_); }
    /// `n` <= 32 bytes copied inline to `d` (room() made the space).
    [[gnu::always_inline]] static char* copy(char* d, std::string_view s) noexcept {
        copy_small(d, s.data(), s.size());
        return d + s.size();
    }

    /// Raw text (punctuation, a key known to need no escaping).
    [[gnu::always_inline]] void put(char c) {
        if (used_ == kChunk) spill();
        buf_[used_++] = c;
    }
    [[gnu::always_inline]] void put(std::string_view s) {
        if (s.size() > kSmall) {
            spill();
            out_.append(s);
            return;
        }
        if (kChunk - used_ < s.size()) spill();
        copy_small(buf_ + used_, s.data(), s.size());
        used_ += s.size();
    }
    /// `value` in decimal at `p`, which has room for 20 bytes; returns the end.
    [[gnu::always_inline]] static char* decimal(char* p, std::int64_t value) noexcept {
        // Most fields are small (ports, lengths, flags): one and two digits take no loop.
        if (value >= 0 && value < 100) {
            if (value >= 10) *p++ = static_cast<char>('0' + value / 10);
            *p++ = static_cast<char>('0' + value % 10);
            return p;
        }
        return wide_decimal(p, value);
    }
    /// A number in decimal.
    [[gnu::always_inline]] void number(std::int64_t value) { commit(decimal(room(kMaxDigits), value)); }
    /// A quoted string, escaped per RFC 8259 (and every byte from 0x7f up, see the .cpp).
    void string(std::string_view s);
    /// A quoted string the caller knows needs no escaping (printable ASCII, no '"' or '\\').
    [[gnu::always_inline]] void plain_string(std::string_view s) {
        if (s.size() > kSmall) return string(s);
        char* p = room(s.size() + 2);
        *p++ = '"';
        p = copy(p, s);
        *p++ = '"';
        commit(p);
    }
    /// Everything written so far reaches the string. Call before the string is read.
    void flush() { spill(); }

private:
    static constexpr std::size_t kChunk = 2048;
    static constexpr std::size_t kSmall = 32;     // copied inline below this, else appended
    static constexpr std::size_t kMaxDigits = 20;  // "-9223372036854775808"

    // n <= 32: two overlapping moves of a fixed size cover any length in their range.
    [[gnu::always_inline]] static void copy_small(char* d, const char* s, std::size_t n) noexcept {
        if (n >= 16) {
            std::memcpy(d, s, 16);
            std::memcpy(d + n - 16, s + n - 16, 16);
        } else if (n >= 8) {
            std::memcpy(d, s, 8);
            std::memcpy(d + n - 8, s + n - 8, 8);
        } else if (n >= 4) {
            std::memcpy(d, s, 4);
            std::memcpy(d + n - 4, s + n - 4, 4);
        } else if (n > 0) {
            d[0] = s[0];
            d[n / 2] = s[n / 2];
            d[n - 1] = s[n - 1];
        }
    }
    // Two digits per division, from the end: the length is counted first so the digits land
    // in place (std::to_chars does the same with more checks around it).
    static char* wide_decimal(char* p, std::int64_t value) noexcept {
        static constexpr char kPairs[] =
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
            "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
            "8081828384858687888990919293949596979899";
        std::uint64_t u = static_cast<std::uint64_t>(value);
        if (value < 0) {
            *p++ = '-';
            u = 0 - u;
        }
        // The digit count from the bit width (log10(2) ~ 1233/4096) and one comparison, not
        // a division per digit: a chain of ten of those per sequence number showed in profiles.
        static constexpr std::uint64_t kPowers[20] = {1u,
                                                      10u,
                                                      100u,
                                                      1000u,
                                                      10000u,
                                                      100000u,
                                                      1000000u,
                                                      10000000u,
                                                      100000000u,
                                                      1000000000u,
                                                      10000000000u,
                                                      100000000000u,
                                                      1000000000000u,
                                                      10000000000000u,
                                                      100000000000000u,
                                                      1000000000000000u,
                                                      10000000000000000u,
                                                      100000000000000000u,
                                                      1000000000000000000u,
                                                      10000000000000000000u};
        const auto estimate = static_cast<std::size_t>(std::bit_width(u | 1) * 1233 >> 12);
        const std::size_t digits = estimate - (u < kPowers[estimate]) + 1;
        char* end = p + digits;
        char* q = end;
        while (u >= 100) {
            const std::size_t pair = static_cast<std::size_t>(u % 100) * 2;
            u /= 100;
            q -= 2;
            q[0] = kPairs[pair];
            q[1] = kPairs[pair + 1];
        }
        if (u >= 10) {
            q[-2] = kPairs[u * 2];
            q[-1] = kPairs[u * 2 + 1];
        } else {
            q[-1] = static_cast<char>('0' + u);
        }
        return end;
    }

    void spill() {
        out_.append(buf_, used_);
        used_ = 0;
    }

    std::string& out_;
    std::size_t used_ = 0;
    char buf_[kChunk];
};

}  // namespace weft::wire::detail
