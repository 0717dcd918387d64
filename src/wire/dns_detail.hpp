#pragma once
// What dns.cpp and dns_name.cpp share: reading a name straight into the DnsName that keeps it,
// so that parse_dns fills its records in place instead of moving each name out of a result.

#include <cstddef>
#include <span>

#include "weft/wire/dns_name.hpp"
#include "weft/wire/wire_error.hpp"

namespace weft::wire::detail {

/// read_dns_name, with the labels written to `name` (replacing any it had) and `offset` moved
/// to the end of the name's in-place bytes. On error, false with `error` set; `name` and
/// `offset` are then left as they were.
bool read_dns_name_into(std::span<const std::byte> message, std::size_t& offset, DnsName& name,
                        WireError& error);

}  // namespace weft::wire::detail
