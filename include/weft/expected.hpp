#pragma once
// weft::Expected<T, E>: a value or an error, the one error channel below the blocking Socket.
//
// g++ 12 has no std::expected (C++23), so this is the subset weft uses, with the same
// names: has_value(), value(), error(), operator*, operator->, value_or(). Accessing the
// value of an Expected that holds an error throws BadExpectedAccess (a programming error,
// never a parse error: parsers return the Expected and the caller checks it).
//
//   weft::Expected<Ipv4Address, ParseError> a = Ipv4Address::parse("10.0.0.1");
//   if (!a) std::cerr << a.error().message << '\n';
//
// Result<T> is Expected<T, std::error_code>, what syscall wrappers and the async core return.

#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft {

/// Wraps an error so that it can be returned where an Expected is expected.
template <class E>
class Unexpected {
public:
    /// Holds `error`; an Expected constructed from this holds the error, not a value.
    explicit Unexpected(E error) : error_(std::move(error)) {}
    ///@{
    /// The error held (moved out of an rvalue).
    const E& error() const& noexcept { return error_; }
    E&& error() && noexcept { return std::move(error_); }
    ///@}

private:
    E error_;
};

/// `Unexpected(e)` deduces its error type.
template <class E>
Unexpected(E) -> Unexpected<E>;

/// Thrown only when value() is called on an Expected that holds an error.
class BadExpectedAccess : public std::logic_error {
public:
    BadExpectedAccess() : std::logic_error("weft::Expected: value() called on an error") {}
};

/// A T or an E, like C++23's std::expected (the subset weft uses). [[nodiscard]]: a result
/// that is never looked at is a warning.
template <class T, class E>
class [[nodiscard]] Expected {
public:
    using value_type = T;  ///< The value's type.
    using error_type = E;  ///< The error's type.

    /// Holds a value, made from anything T can be constructed from (implicit, so a function
    /// returning Expected<T, E> can `return value;`).
    template <class U = T>
        requires std::is_constructible_v<T, U&&>
    Expected(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}
    /// Holds the error of `error` (`return Unexpected(e);`).
    template <class G>
    Expected(Unexpected<G> error) : state_(std::in_place_index<1>, std::move(error).error()) {}

    /// True when it holds a value, false when it holds an error.
    bool has_value() const noexcept { return state_.index() == 0; }
    /// has_value(): `if (auto a = parse(text)) use(*a);`.
    explicit operator bool() const noexcept { return has_value(); }

    ///@{
    /// The value; throws BadExpectedAccess when it holds an error (a programming error).
    T& value() & { check(); return *std::get_if<0>(&state_); }
    const T& value() const& { check(); return *std::get_if<0>(&state_); }
    T&& value() && { check(); return std::move(*std::get_if<0>(&state_)); }
    ///@}
    ///@{
    /// value(): checked as well, throws BadExpectedAccess when it holds an error.
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    ///@}

    /// A copy of the value, or `fallback` converted to T when it holds an error.
    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? *std::get_if<0>(&state_) : static_cast<T>(std::forward<U>(fallback));
    }

    /// Precondition: !has_value(). Checked, like value().
    const E& error() const& {
        if (has_value()) throw BadExpectedAccess();
        return *std::get_if<1>(&state_);
    }

private:
    void check() const {
        if (!has_value()) throw BadExpectedAccess();
    }
    std::variant<T, E> state_;
};

/// Expected<void, E>: success carries nothing.
template <class E>
class [[nodiscard]] Expected<void, E> {
public:
    /// Success.
    Expected() = default;
    /// Failure with the error of `error`.
    template <class G>
    Expected(Unexpected<G> error) : error_(std::move(error).error()), failed_(true) {}

    /// True on success.
    bool has_value() const noexcept { return !failed_; }
    /// has_value().
    explicit operator bool() const noexcept { return has_value(); }
    /// Nothing on success; throws BadExpectedAccess on failure.
    void value() const {
        if (failed_) throw BadExpectedAccess();
    }
    /// Precondition: !has_value(). Checked: throws BadExpectedAccess on success.
    const E& error() const& {
        if (!failed_) throw BadExpectedAccess();
        return error_;
    }

private:
    E error_{};
    bool failed_ = false;
};

/// What syscall wrappers and the async core return.
template <class T>
using Result = Expected<T, std::error_code>;

/// Why text could not be parsed (an address, a prefix, a port): a one-line message that
/// names the offending part, and where in the text it starts.
struct ParseError {
    std::string message;     ///< One line naming what is wrong ("prefix after '/' is empty").
    std::size_t offset = 0;  ///< Where in the parsed text the offending part starts.
};

}  // namespace weft
