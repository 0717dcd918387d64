#pragma once
// InlineList<T, N>: a list of at most N trivially copyable values stored inside the object.
//
// What a header's option list is: the header bounds the count (40 option bytes hold at most
// 40 one-byte NOPs), so parsing never allocates. Only the first size() slots are ever
// constructed, read or copied; an empty list costs its size counter to make. Adding past N
// throws std::length_error (only code that builds packets can try: a parser's input cannot).

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace weft::wire {

/// A list of at most N trivially copyable values stored inside the object (see above); the
/// subset of std::vector's interface the header parsers and builders use.
template <class T, std::size_t N>
class InlineList {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    static_assert(N > 0 && N < 256);

public:
    ///@{
    /// The container types, as std::vector names them; iterators are pointers.
    using value_type = T;
    using size_type = std::size_t;
    using reference = T&;
    using const_reference = const T&;
    using iterator = T*;
    using const_iterator = const T*;
    ///@}

    /// An empty list.
    InlineList() noexcept {}
    /// The values given; throws std::length_error for more than N.
    InlineList(std::initializer_list<T> values) { assign(values); }
    ///@{
    /// Copies the first size() values only.
    InlineList(const InlineList& other) noexcept : size_(other.size_) { copy_from(other); }
    InlineList& operator=(const InlineList& other) noexcept {
        if (this != &other) {
            size_ = other.size_;
            copy_from(other);
        }
        return *this;
    }
    ///@}
    /// Replaces the contents with `values`; throws std::length_error for more than N.
    InlineList& operator=(std::initializer_list<T> values) {
        assign(values);
        return *this;
    }
    ~InlineList() = default;

    /// N: the most values it holds.
    static constexpr std::size_t capacity() noexcept { return N; }
    /// The values it holds now.
    std::size_t size() const noexcept { return size_; }
    /// No values.
    bool empty() const noexcept { return size_ == 0; }

    ///@{
    /// The first value (the values are contiguous).
    T* data() noexcept { return items_; }
    const T* data() const noexcept { return items_; }
    ///@}
    ///@{
    /// The values as a range: [begin(), end()).
    iterator begin() noexcept { return items_; }
    iterator end() noexcept { return items_ + size_; }
    const_iterator begin() const noexcept { return items_; }
    const_iterator end() const noexcept { return items_ + size_; }
    ///@}

    ///@{
    /// Unchecked, like std::vector's (the index is the caller's, never the peer's).
    T& operator[](std::size_t i) noexcept { return items_[i]; }
    const T& operator[](std::size_t i) const noexcept { return items_[i]; }
    ///@}
    ///@{
    /// The first and the last value. Precondition: !empty() (unchecked).
    T& front() noexcept { return items_[0]; }
    const T& front() const noexcept { return items_[0]; }
    T& back() noexcept { return items_[size_ - 1]; }
    const T& back() const noexcept { return items_[size_ - 1]; }
    ///@}

    /// Appends a copy of `value`; throws std::length_error when it holds N already.
    void push_back(const T& value) {
        if (size_ == N) throw std::length_error("InlineList: more than capacity() items");
        ::new (static_cast<void*>(items_ + size_)) T(value);
        ++size_;
    }
    /// A default value appended; the caller has checked size() < capacity() (parsers, whose
    /// input is bounded by the header they read).
    T& emplace_back_unchecked() noexcept {
        T* slot = ::new (static_cast<void*>(items_ + size_)) T();
        ++size_;
        return *slot;
    }
    /// Drops the last value. Precondition: !empty() (unchecked).
    void pop_back() noexcept { --size_; }
    /// Drops every value.
    void clear() noexcept { size_ = 0; }
    ///@{
    /// Replaces the contents with `count` copies of `value`, or with `values`; throws
    /// std::length_error (leaving the list as it was) for more than N.
    void assign(std::size_t count, const T& value) {
        if (count > N) throw std::length_error("InlineList: more than capacity() items");
        clear();
        for (std::size_t i = 0; i < count; ++i) push_back(value);
    }
    void assign(std::initializer_list<T> values) {
        if (values.size() > N) throw std::length_error("InlineList: more than capacity() items");
        clear();
        for (const T& v : values) push_back(v);
    }
    ///@}

    /// Same size, equal values in order.
    friend bool operator==(const InlineList& a, const InlineList& b)
        requires std::equality_comparable<T>
    {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    void copy_from(const InlineList& other) noexcept {
        // memcpy starts the lifetime of the copied (trivially copyable) values.
        if (size_ != 0) std::memcpy(static_cast<void*>(items_), other.items_, size_ * sizeof(T));
    }

    union {
        T items_[N];  // only [0, size_) is ever constructed
    };
    std::uint8_t size_ = 0;
};

}  // namespace weft::wire
