"""weft decode against scapy, both ways.

1. Frames built by scapy (ARP, ICMP echo, UDP, TCP with MSS/NOP/WS/SACKOK/TS/EOL, IPv4 with
   options, IP fragments, 802.1Q, DNS with compression over UDP and TCP, DHCP, HTTP request and
   response, a bad TCP checksum) go into a pcap with wrpcap; `weft decode --pcap --json` must
   report every field with the value scapy reports.
2. Frames built by weft (`weft explain --pcap`, default and --segment) are parsed by scapy:
   the same field values as weft's own JSON, and every checksum is what scapy computes anew.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("WEFT_SOURCE", ""), "tests"))
# scripts/install-deps.sh test installs python3-scapy, so its absence is a failure, and so is a
# name that no longer imports (an API change must not turn this test into a skip).
try:
    import scapy  # noqa: F401
except ImportError as e:
    print("FAIL: scapy is not installed for %s (%s); scripts/install-deps.sh test installs python3-scapy"
          % (sys.executable, e))
    sys.exit(1)
import logging  # noqa: E402
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, BOOTP, DHCP, DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, Dot1Q, Ether,  # noqa: E402
                       IPOption_NOP, IPOption_EOL, IPOption_Router_Alert, Raw, defragment, fragment, load_layer,
                       rdpcap, wrpcap)
from scapy.layers.dns import dns_compress, dnstypes, dnsclasses  # noqa: E402
from scapy.layers.dhcp import DHCPRevOptions  # noqa: E402
load_layer("http")
from scapy.layers.http import HTTPRequest, HTTPResponse  # noqa: E402

WEFT = os.environ.get("WEFT_BIN", "weft")
TCP_FLAGS = [("F", "FIN"), ("S", "SYN"), ("R", "RST"), ("P", "PSH"), ("A", "ACK"), ("U", "URG"), ("E", "ECE"),
             ("C", "CWR"), ("N", "NS")]
TCP_KINDS = {"EOL": 0, "NOP": 1, "MSS": 2, "WScale": 3, "SAckOK": 4, "SAck": 5, "Timestamp": 8}
DHCP_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"}
checked = 0


def eq(got, want, what):
    global checked
    checked += 1
    if got != want:
        raise AssertionError("%s: weft says %r, scapy says %r" % (what, got, want))


def name(b):
    s = b.decode() if isinstance(b, bytes) else b
    return s[:-1] if s.endswith(".") and s != "." else s


def until_eol(options):
    """Options up to and including the first EOL: scapy also lists the zero padding after it."""
    out = []
    for o in options:
        out.append(o)
        if o[0] in (0, "EOL"):
            break
    return out


def fresh_checksum(pkt, layer):
    """The checksum scapy computes for `layer` once the stored one is deleted."""
    p = pkt.copy()
    del p[layer].chksum
    return Ether(bytes(p))[layer].chksum


def compare(pkt, frame, where):
    """Every layer weft reports for one frame against scapy's parse of the same bytes."""
    layers = {l["layer"]: l for l in frame["layers"]}
    check_error = [l for l in frame["layers"] if l["layer"] == "error"]
    if check_error:
        raise AssertionError("%s: weft reports an error: %s" % (where, check_error))
    w = layers["ethernet"]
    eq(w["dst"], pkt[Ether].dst, where + " ethernet dst")
    eq(w["src"], pkt[Ether].src, where + " ethernet src")
    if Dot1Q in pkt:
        eq(w["type"], pkt[Dot1Q].type, where + " ethernet inner type")
        eq(w["vlan"], pkt[Dot1Q].vlan, where + " vlan")
    else:
        eq(w["type"], pkt[Ether].type, where + " ethernet type")
    if ARP in pkt:
        a, w = pkt[ARP], layers["arp"]
        for k, v in [("op", a.op), ("sender_mac", a.hwsrc), ("sender_ip", a.psrc), ("target_mac", a.hwdst),
                     ("target_ip", a.pdst)]:
            eq(w[k], v, where + " arp " + k)
    if IP not in pkt:
        return
    ip, w = pkt[IP], layers["ipv4"]
    for k, v in [("src", ip.src), ("dst", ip.dst), ("header_length", ip.ihl * 4), ("total_length", ip.len),
                 ("id", ip.id), ("df", bool(ip.flags.DF)), ("mf", bool(ip.flags.MF)),
                 ("fragment_offset", ip.frag * 8), ("ttl", ip.ttl), ("protocol", ip.proto), ("checksum", ip.chksum),
                 ("checksum_ok", fresh_checksum(pkt, IP) == ip.chksum)]:
        eq(w[k], v, where + " ipv4 " + k)
    eq([(o["type"], o["length"]) for o in w["options"]],
       until_eol([(bytes(o)[0], len(bytes(o))) for o in ip.options]), where + " ipv4 options")
    fragmented = ip.flags.MF or ip.frag
    if ip.frag:
        eq(layers["payload"]["length"], ip.len - ip.ihl * 4, where + " later fragment payload")
        return
    if TCP in pkt:
        t, w = pkt[TCP], layers["tcp"]
        for k, v in [("src_port", t.sport), ("dst_port", t.dport), ("seq", t.seq), ("ack", t.ack),
                     ("header_length", t.dataofs * 4), ("window", t.window), ("checksum", t.chksum),
                     ("flags", [n for c, n in TCP_FLAGS if c in str(t.flags)]),
                     ("checksum_ok", None if fragmented else fresh_checksum(pkt, TCP) == t.chksum)]:
            eq(w[k], v, where + " tcp " + k)
        opts = until_eol(t.options)
        eq([o["kind"] for o in w["options"]], [TCP_KINDS[n] for n, _ in opts], where + " tcp option kinds")
        for o, (n, v) in zip(w["options"], opts):
            if n == "MSS":
                eq(o["mss"], v, where + " mss")
            elif n == "WScale":
                eq(o["wscale"], v, where + " wscale")
            elif n == "Timestamp":
                eq((o["tsval"], o["tsecr"]), v, where + " timestamps")
    if UDP in pkt and ICMP not in pkt:
        u, w = pkt[UDP], layers["udp"]
        ok = True if u.chksum == 0 else (None if fragmented else fresh_checksum(pkt, UDP) == u.chksum)
        for k, v in [("src_port", u.sport), ("dst_port", u.dport), ("length", u.len), ("checksum", u.chksum),
                     ("checksum_ok", ok)]:
            eq(w[k], v, where + " udp " + k)
    if ICMP in pkt:
        c, w = pkt[ICMP], layers["icmp"]
        for k, v in [("type", c.type), ("code", c.code), ("checksum", c.chksum),
                     ("checksum_ok", fresh_checksum(pkt, ICMP) == c.chksum)]:
            eq(w[k], v, where + " icmp " + k)
        if c.type in (0, 8):
            eq((w["id"], w["seq"]), (c.id, c.seq), where + " icmp id/seq")
    if DNS in pkt and not fragmented:
        compare_dns(pkt[DNS], layers["dns"], where)
    if BOOTP in pkt and not fragmented:
        compare_dhcp(pkt, layers["dhcp"], where)
    if TCP in pkt and bytes(pkt[TCP].payload)[:4] in (b"GET ", b"HTTP"):
        compare_http(bytes(pkt[TCP].payload), layers["http"], where)


def compare_dns(d, w, where):
    for k in ["id", "opcode", "rcode"]:
        eq(w[k], getattr(d, k), where + " dns " + k)
    for k in ["qr", "aa", "tc", "rd", "ra", "ad", "cd"]:
        eq(w[k], bool(getattr(d, k)), where + " dns " + k)
    qs = [{"name": name(q.qname), "type": dnstypes.get(q.qtype, "TYPE%d" % q.qtype),
           "class": dnsclasses.get(q.qclass, "CLASS%d" % q.qclass)} for q in (d.qd or [])][:d.qdcount]
    eq(w["questions"], qs, where + " dns questions")
    for key, section, count in [("answers", d.an, d.ancount), ("authority", d.ns, d.nscount),
                                ("additional", d.ar, d.arcount)]:
        records = []
        for i in range(count):
            r = section[i]
            t = dnstypes.get(r.type, "TYPE%d" % r.type)
            data = r.rdata
            if t in ("NS", "CNAME", "PTR"):
                data = name(data)
            elif t == "TXT":
                data = [s.decode() for s in data]
            records.append({"name": name(r.rrname), "type": t, "class": dnsclasses.get(r.rclass, "CLASS%d" % r.rclass),
                            "ttl": r.ttl, "data": data})
        eq(w[key], records, where + " dns " + key)


def compare_dhcp(pkt, w, where):
    b = pkt[BOOTP]
    for k in ["op", "xid", "ciaddr", "yiaddr", "siaddr", "giaddr"]:
        eq(w[k], getattr(b, k), where + " dhcp " + k)
    eq(w["chaddr"], ":".join("%02x" % x for x in b.chaddr[:b.hlen]), where + " dhcp chaddr")
    opts = {}
    mtype = None
    for o in pkt[DHCP].options:
        if not isinstance(o, tuple):
            continue
        code = DHCPRevOptions[o[0]][0]
        values = list(o[1:])
        if code == 53:
            mtype = DHCP_TYPES[values[0]]
            opts["53"] = values[0]
        elif code in (1, 28, 50, 54):
            opts[str(code)] = values[0]
        elif code in (3, 6):
            opts[str(code)] = values
        elif code in (51, 58, 59, 57):
            opts[str(code)] = values[0]
    eq(w["message_type"], mtype, where + " dhcp message_type")
    for k, v in opts.items():
        eq(w["options"].get(k), v, where + " dhcp option " + k)


def compare_http(raw, w, where):
    head = raw.split(b"\r\n\r\n")[0]
    if raw.startswith(b"HTTP/"):
        h = HTTPResponse(raw)
        eq(w["kind"], "response", where + " http kind")
        eq(w["status"], int(h.Status_Code), where + " http status")
    else:
        h = HTTPRequest(raw)
        eq(w["kind"], "request", where + " http kind")
        eq(w["method"], h.Method.decode(), where + " http method")
        eq(w["target"], h.Path.decode(), where + " http target")
        if h.Host is not None:
            eq(dict(w["headers"]).get("Host"), h.Host.decode(), where + " http Host")
    eq(w["version"], h.Http_Version.decode(), where + " http version")
    if b"\r\n\r\n" in raw:  # a whole head: every line scapy sees, in order
        eq(len(w["headers"]), head.count(b"\r\n"), where + " http header count")


def scapy_frames():
    mac, gw = "02:00:00:00:00:0a", "02:00:00:00:00:01"
    e = Ether(src=mac, dst=gw)
    frames = [
        ("arp", Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc="198.18.0.10", pdst="198.18.0.1")),
        ("icmp", e / IP(src="198.18.0.10", dst="198.18.0.1", id=7) / ICMP(id=0x1234, seq=3) / Raw(b"ping" * 8)),
        ("udp", e / IP(src="198.18.0.10", dst="198.18.0.1") / UDP(sport=40000, dport=9999) / Raw(b"hello")),
        ("tcp options", e / IP(src="198.18.0.10", dst="198.18.0.1", flags="DF") /
         TCP(sport=51775, dport=80, seq=1, flags="S", window=64240,
             options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (123456, 0)),
                      ("EOL", None)])),
        ("tcp flags", e / IP(src="198.18.0.10", dst="198.18.0.1") /
         TCP(sport=1, dport=2, seq=2**32 - 1, ack=5, flags="FSRPAUEC", window=0)),
        ("bad tcp checksum", e / IP(src="198.18.0.10", dst="198.18.0.1") / TCP(sport=3, dport=4, chksum=0x1234)),
        ("ip options", e / IP(src="198.18.0.10", dst="198.18.0.1",
                              options=[IPOption_Router_Alert(), IPOption_NOP(), IPOption_EOL()]) / ICMP()),
        ("vlan", Ether(src=mac, dst=gw) / Dot1Q(vlan=42) / IP(src="198.18.0.10", dst="198.18.0.1") / ICMP()),
    ]
    big = IP(src="198.18.0.10", dst="198.18.0.1", id=0x4242) / UDP(sport=5000, dport=6000) / Raw(bytes(range(256)) * 12)
    for i, f in enumerate(fragment(big, fragsize=1000)):
        frames.append(("fragment %d" % i, e / f))
    dns = DNS(id=0xbeef, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.com"),
              an=DNSRR(rrname="www.example.com", type="CNAME", ttl=60, rdata="web.example.com") /
              DNSRR(rrname="web.example.com", type="A", ttl=60, rdata="198.18.5.5"),
              ar=DNSRR(rrname="www.example.com", type="TXT", ttl=5, rdata=["a b", "c"]))
    dns = dns_compress(dns)
    frames.append(("dns udp", e / IP(src="198.18.0.1", dst="198.18.0.10") / UDP(sport=53, dport=40001) / dns))
    frames.append(("dns query", e / IP(src="198.18.0.10", dst="198.18.0.1") / UDP(sport=40002, dport=53) /
                   DNS(id=9, rd=1, qd=DNSQR(qname="example.org", qtype="AAAA"))))
    wire = bytes(dns)
    frames.append(("dns tcp", e / IP(src="198.18.0.1", dst="198.18.0.10") /
                   TCP(sport=53, dport=40003, flags="PA") / Raw(struct.pack(">H", len(wire)) + wire)))
    frames.append(("dhcp", Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
                   UDP(sport=68, dport=67) /
                   BOOTP(op=1, xid=0x1234abcd, chaddr=bytes.fromhex("02000000000a")) /
                   DHCP(options=[("message-type", "request"), ("requested_addr", "198.18.0.10"),
                                 ("server_id", "198.18.0.1"), "end"])))
    frames.append(("dhcp ack", Ether(src=gw, dst=mac) / IP(src="198.18.0.1", dst="198.18.0.10") /
                   UDP(sport=67, dport=68) /
                   BOOTP(op=2, xid=0x1234abcd, yiaddr="198.18.0.10", chaddr=bytes.fromhex("02000000000a")) /
                   DHCP(options=[("message-type", "ack"), ("server_id", "198.18.0.1"), ("lease_time", 3600),
                                 ("subnet_mask", "255.255.0.0"), ("router", "198.18.0.1"),
                                 ("name_server", "198.18.0.53", "198.18.0.54"), "end"])))
    frames.append(("http request", e / IP(src="198.18.0.10", dst="198.18.0.1") / TCP(sport=51775, dport=80, flags="PA") /
                   Raw(b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n")))
    frames.append(("http response", e / IP(src="198.18.0.1", dst="198.18.0.10") / TCP(sport=80, dport=51775, flags="PA") /
                   Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello")))
    return frames


def weft_json(args):
    out = subprocess.run([WEFT] + args, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("weft %s exited %d: %s" % (" ".join(args), out.returncode, out.stderr))
    return [json.loads(line) for line in out.stdout.splitlines()]


def scapy_to_weft(tmp):
    frames = scapy_frames()
    path = os.path.join(tmp, "scapy.pcap")
    wrpcap(path, [f for _, f in frames])
    decoded = weft_json(["decode", "--pcap", path, "--json"])
    eq(len(decoded), len(frames), "frame count")
    for (label, pkt), frame in zip(frames, decoded):
        built = Ether(bytes(pkt))  # scapy's view of the bytes it wrote
        eq(frame["length"], len(bytes(pkt)), label + " length")
        compare(built, frame, label)
    print("scapy -> weft: %d frames agree" % len(frames))


def weft_to_scapy(tmp, extra):
    path = os.path.join(tmp, "journey.pcap")
    frames = weft_json(["explain", "--pcap", path, "--json"] + extra)
    pkts = rdpcap(path)
    eq(len(pkts), len(frames), "journey frame count")
    for pkt, frame in zip(pkts, frames):
        compare(pkt, frame, "explain %s frame %d (%s)" % (" ".join(extra), frame["frame"], frame["step"]))
        if IP in pkt:
            eq(pkt[IP].chksum, fresh_checksum(pkt, IP), "IP checksum recomputed by scapy")
    # Fragments: reassembled by scapy, the TCP checksum over the whole segment is right.
    whole = [p for p in defragment([p[IP] for p in pkts if IP in p]) if TCP in p and p[IP].len > 1000]
    if "--segment" not in extra:
        eq(len(whole), 1, "reassembled GET datagrams")
        eq(whole[0][IP].len, 5000, "reassembled GET length")
    for p in whole:
        fresh = p.copy()
        del fresh[TCP].chksum
        eq(IP(bytes(fresh))[TCP].chksum, p[TCP].chksum, "TCP checksum of the reassembled GET")
    print("weft -> scapy (%s): %d frames agree" % (" ".join(extra) or "default", len(frames)))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        scapy_to_weft(tmp)
        weft_to_scapy(tmp, [])
        weft_to_scapy(tmp, ["--segment"])
        weft_to_scapy(tmp, ["--mtu", "576"])
    print("ok: %d field comparisons" % checked)


if __name__ == "__main__":
    main()
