#pragma once
// What the dissector's files share: how a layer is started, how decoding stops with an
// error layer, and the application-layer entry points (dissect_app.cpp).

#include <cstddef>
#include <span>
#include <string>

#include "weft/wire/dissect.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire::detail {

/// Appends a layer and returns it for its fields to be added.
DissectLayer& add_layer(DissectedFrame& frame, const char* name, std::size_t offset, std::size_t size);
void add(DissectLayer& layer, const char* name, DissectValue value);
/// The error layer: {"layer":"error","at":<layer>,"offset":<frame offset>,"reason":...}.
void add_error(DissectedFrame& frame, const char* at, std::size_t offset, std::string reason);
/// `error` came from a parser given the span that starts at `base` in the frame.
void add_error(DissectedFrame& frame, const WireError& error, std::size_t base);
/// A payload layer when `length` is not 0.
void add_payload(DissectedFrame& frame, std::size_t offset, std::size_t length);

/// The application layers; `base` is where `bytes` start in the frame. `partial` is true in
/// the first fragment of a datagram: the message may be cut, so what cannot be decoded is
/// payload rather than an error. Each adds its layer(s) and any payload that follows.
void dissect_dhcp(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base, bool partial);
void dissect_dns(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base, bool over_tcp,
                 bool partial);
/// False (nothing added) when the bytes do not begin an HTTP head.
bool dissect_http(DissectedFrame& frame, std::span<const std::byte> bytes, std::size_t base);

}  // namespace weft::wire::detail
