// DHCP: parse (overload included) and run every typed getter; parse -> from_packet -> build
// -> parse keeps the fixed fields, the text fields (cut to their builder limits) and every
// option in order (overload unfolded into the options field).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "weft/wire/dhcp.hpp"

using namespace weft::wire;
using weft::fuzz::check;

namespace {

void use_getters(const DhcpPacket& p) {
    (void)p.message_type();
    (void)p.subnet_mask();
    (void)p.routers();
    (void)p.dns_servers();
    (void)p.host_name();
    (void)p.domain_name();
    (void)p.broadcast_address();
    (void)p.vendor_specific();
    (void)p.requested_ip();
    (void)p.lease_time();
    (void)p.server_id();
    (void)p.parameter_request_list();
    (void)p.renewal_time();
    (void)p.rebinding_time();
    (void)p.client_id();
    (void)p.relay_agent_info();
    (void)p.client_mac();
    if (auto t = p.message_type()) (void)dhcp_message_type_to_string(static_cast<std::uint8_t>(*t));
}

bool same_fixed(const DhcpFixed& a, const DhcpFixed& b) {
    return a.op == b.op && a.htype == b.htype && a.hlen == b.hlen && a.hops == b.hops && a.xid == b.xid &&
           a.secs == b.secs && a.flags == b.flags && a.ciaddr == b.ciaddr && a.yiaddr == b.yiaddr &&
           a.siaddr == b.siaddr && a.giaddr == b.giaddr && a.chaddr == b.chaddr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = weft::fuzz::as_bytes(data, size);
    auto p = parse_dhcp(input);
    if (!p) return 0;
    use_getters(*p);
    for (const auto& o : p->options) check(weft::fuzz::within(o.data, input), "option data inside input");

    const auto bytes = build_dhcp(DhcpMessage::from_packet(*p));
    check(bytes.size() >= kDhcpMinMessageSize, "built message padded to 300 bytes");
    auto q = parse_dhcp(bytes);
    check(q.has_value(), "rebuilt message parses");
    use_getters(*q);
    check(same_fixed(*p, *q), "dhcp fixed fields round trip");
    const std::string_view sname = p->overload & 2 ? std::string_view() : p->sname.substr(0, kDhcpSnameSize - 1);
    const std::string_view file = p->overload & 1 ? std::string_view() : p->file.substr(0, kDhcpFileSize - 1);
    check(q->sname == sname && q->file == file, "dhcp sname/file round trip");
    check(q->overload == 0, "rebuilt message has no overload");
    std::size_t j = 0;
    for (const auto& o : p->options) {
        if (o.code == dhcp_option::kOverload) continue;
        check(j < q->options.size(), "dhcp option count round trip");
        check(q->options[j].code == o.code && weft::fuzz::same(q->options[j].data, o.data), "dhcp option round trip");
        ++j;
    }
    check(j == q->options.size(), "dhcp no extra options");
    return 0;
}
