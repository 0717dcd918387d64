#pragma once
// What the dissector's files share: how decoding stops with an error layer, the payload layer,
// and the application-layer entry points (dissect_app.cpp). Everything reports to a
// DissectSink (dissect_sink.hpp), so one walk of a frame serves the tree and the JSON text.
// The walk is a template on the sink, instantiated for TreeSink and JsonSink in the .cpp
// files: a direct call the compiler can inline costs a fraction of a virtual one, and a
// frame makes dozens of them.

#include <cstddef>
#include <span>
#include <string_view>

#include "dissect_sink.hpp"
#include "weft/wire/dns.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire::detail {

/// The error layer: {"layer":"error","at":<layer>,"offset":<frame offset>,"reason":...}.
template <DissectSink Sink>
void add_error(Sink& sink, std::string_view at, std::size_t offset, std::string_view reason) {
    sink.begin_layer("error", offset, 0);
    sink.plain("at", at);  // a layer's name
    sink.number("offset", static_cast<std::int64_t>(offset));
    sink.string("reason", reason);
}

/// `error` came from a parser given the span that starts at `base` in the frame.
template <DissectSink Sink>
void add_error(Sink& sink, const WireError& error, std::size_t base) {
    add_error(sink, error.layer, base + error.offset, error.reason);
}

/// A payload layer when `length` is not 0.
template <DissectSink Sink>
void add_payload(Sink& sink, std::size_t offset, std::size_t length) {
    if (length == 0) return;
    sink.begin_layer("payload", offset, length);
    sink.number("length", static_cast<std::int64_t>(length));
}

/// Walks one frame (dissect_frame()'s contract) into `sink`.
template <DissectSink Sink>
void dissect(std::span<const std::byte> frame, std::uint32_t linktype, Sink& sink);

/// The application layers; `base` is where `bytes` start in the frame. `partial` is true in
/// the first fragment of a datagram: the message may be cut, so what cannot be decoded is
/// payload rather than an error. Each adds its layer(s) and any payload that follows.
template <DissectSink Sink>
void dissect_dhcp(Sink& sink, std::span<const std::byte> bytes, std::size_t base, bool partial);
template <DissectSink Sink>
void dissect_dns(Sink& sink, std::span<const std::byte> bytes, std::size_t base, bool over_tcp,
                 bool partial);
/// False (nothing added) when the bytes do not begin an HTTP head.
template <DissectSink Sink>
bool dissect_http(Sink& sink, std::span<const std::byte> bytes, std::size_t base);

/// The members of dns_value(): the dns layer's fields.
template <DissectSink Sink>
void dns_fields(Sink& sink, const DnsMessage& message);

}  // namespace weft::wire::detail
