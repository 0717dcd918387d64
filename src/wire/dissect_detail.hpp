#pragma once
// What the dissector's files share: how decoding stops with an error layer, the payload layer,
// and the application-layer entry points (dissect_app.cpp). Everything reports to a
// DissectSink (dissect_sink.hpp), so one walk of a frame serves the tree and the JSON text.

#include <cstddef>
#include <span>
#include <string_view>

#include "dissect_sink.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire::detail {

/// The error layer: {"layer":"error","at":<layer>,"offset":<frame offset>,"reason":...}.
void add_error(DissectSink& sink, std::string_view at, std::size_t offset, std::string_view reason);
/// `error` came from a parser given the span that starts at `base` in the frame.
void add_error(DissectSink& sink, const WireError& error, std::size_t base);
/// A payload layer when `length` is not 0.
void add_payload(DissectSink& sink, std::size_t offset, std::size_t length);

/// Walks one frame (dissect_frame()'s contract) into `sink`.
void dissect(std::span<const std::byte> frame, std::uint32_t linktype, DissectSink& sink);

/// The application layers; `base` is where `bytes` start in the frame. `partial` is true in
/// the first fragment of a datagram: the message may be cut, so what cannot be decoded is
/// payload rather than an error. Each adds its layer(s) and any payload that follows.
void dissect_dhcp(DissectSink& sink, std::span<const std::byte> bytes, std::size_t base, bool partial);
void dissect_dns(DissectSink& sink, std::span<const std::byte> bytes, std::size_t base, bool over_tcp,
                 bool partial);
/// False (nothing added) when the bytes do not begin an HTTP head.
bool dissect_http(DissectSink& sink, std::span<const std::byte> bytes, std::size_t base);

/// The members of dns_value(): the dns layer's fields.
void dns_fields(DissectSink& sink, const DnsMessage& message);

}  // namespace weft::wire::detail
