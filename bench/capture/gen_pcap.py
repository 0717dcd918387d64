#!/usr/bin/python3
"""gen_pcap.py: the capture file of the decode benchmark (bench/capture/bench_capture.py).

    /usr/bin/python3 bench/capture/gen_pcap.py OUT.pcap FRAMES

Writes FRAMES Ethernet frames of mixed traffic to a classic pcap (microsecond timestamps, one
frame every 20 µs, snaplen 262144): scapy (python3-scapy, at /usr/bin/python3) builds a set of
~400 template frames once, with a fixed seed, then the records are replicated with struct in a
fixed shuffled order until FRAMES are written, so 2,000,000 frames take seconds. The mix, by
share of frames:

    TCP     36 %  handshakes (SYN with MSS/SACK/TS/WS options, SYN-ACK, ACK), bulk data
                  segments (1,448 bytes), ACKs, FIN and RST, on port 443 and others
    HTTP    12 %  request heads (GET with Host, User-Agent, Accept) and response heads with a
                  small body, on port 80
    DNS     14 %  queries and responses (A, AAAA, MX, CNAME chains, NXDOMAIN, compressed
                  names), over UDP port 53
    UDP     12 %  other datagrams (syslog, NTP-sized, 1,200-byte QUIC-like) to high ports
    ICMP     8 %  echo requests and replies (56-byte payload), port unreachables
    frags    8 %  IPv4 fragments: the first and the later parts of 3,000-byte UDP datagrams
    ARP      6 %  requests (broadcast) and replies
    DHCP     4 %  DISCOVER, OFFER, REQUEST, ACK with the usual options

Deterministic: the same FRAMES give the same file, byte for byte. Importable: write(path,
frames) returns {"frames", "bytes", "mix"}.
"""
import random
import struct
import sys

from scapy.all import (ARP, BOOTP, DHCP, DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, Ether, Raw,
                       fragment)

SEED = 12


def _mac(rng):
    return "02:%02x:%02x:%02x:%02x:%02x" % tuple(rng.randrange(256) for _ in range(5))


def _templates():
    """[(kind, frame bytes)], ~400 frames, deterministic."""
    rng = random.Random(SEED)
    hosts = [(f"198.18.{i // 200}.{i % 200 + 1}", _mac(rng)) for i in range(40)]
    servers = [(f"198.19.{i}.{10 + i}", _mac(rng)) for i in range(12)]
    gw_mac = _mac(rng)
    out = []

    def pair(rng):
        h = rng.choice(hosts)
        s = rng.choice(servers)
        return h, s

    def eth(a, b):
        return Ether(src=a[1], dst=b[1])

    # TCP: handshakes, data, ACKs, FIN/RST
    for _ in range(60):
        (hip, hmac), (sip, smac) = pair(rng)
        sport, dport = rng.randrange(32768, 61000), rng.choice([443, 443, 22, 8443, 5432])
        seq, ack = rng.randrange(2**32), rng.randrange(2**32)
        e1, e2 = Ether(src=hmac, dst=smac), Ether(src=smac, dst=hmac)
        opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (rng.randrange(2**32), 0)), ("NOP", None),
                ("WScale", 7)]
        out.append(("tcp", e1 / IP(src=hip, dst=sip, id=rng.randrange(65536)) /
                    TCP(sport=sport, dport=dport, flags="S", seq=seq, window=64240, options=opts)))
        out.append(("tcp", e2 / IP(src=sip, dst=hip) /
                    TCP(sport=dport, dport=sport, flags="SA", seq=ack, ack=seq + 1, window=65160,
                        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (rng.randrange(2**32),
                                 rng.randrange(2**32))), ("NOP", None), ("WScale", 7)])))
        out.append(("tcp", e1 / IP(src=hip, dst=sip) /
                    TCP(sport=sport, dport=dport, flags="A", seq=seq + 1, ack=ack + 1, window=502,
                        options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2))])))
        n = rng.choice([1448, 1448, 1448, 600, 100])
        out.append(("tcp", e2 / IP(src=sip, dst=hip, flags="DF") /
                    TCP(sport=dport, dport=sport, flags="PA", seq=ack + 1, ack=seq + 1, window=509) /
                    Raw(bytes(rng.randrange(256) for _ in range(n)))))
        out.append(("tcp", e1 / IP(src=hip, dst=sip, flags="DF") /
                    TCP(sport=sport, dport=dport, flags="A", seq=seq + 1, ack=ack + 1 + n, window=501)))
        if rng.random() < 0.3:
            out.append(("tcp", e1 / IP(src=hip, dst=sip) /
                        TCP(sport=sport, dport=dport, flags=rng.choice(["FA", "R"]), seq=seq + 1,
                            ack=ack + 1 + n)))
    # HTTP heads on port 80
    paths = ["/", "/index.html", "/static/app.js", "/img/logo.png", "/api/v1/items?page=2", "/favicon.ico"]
    for _ in range(25):
        (hip, hmac), (sip, smac) = pair(rng)
        sport = rng.randrange(32768, 61000)
        seq, ack = rng.randrange(2**32), rng.randrange(2**32)
        path = rng.choice(paths)
        req = (f"GET {path} HTTP/1.1\r\nHost: www{rng.randrange(9)}.example.test\r\n"
               f"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
               f"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
               f"Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n"
               f"Connection: keep-alive\r\n\r\n").encode()
        body = b"<html><body>" + b"x" * rng.randrange(20, 400) + b"</body></html>\n"
        status = rng.choice(["200 OK", "200 OK", "304 Not Modified", "404 Not Found"])
        resp = (f"HTTP/1.1 {status}\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 01:00:00 GMT\r\n"
                f"Content-Type: text/html\r\nContent-Length: {len(body)}\r\nConnection: keep-alive\r\n"
                f"ETag: \"{rng.randrange(16**8):08x}\"\r\n\r\n").encode() + body
        out.append(("http", Ether(src=hmac, dst=smac) / IP(src=hip, dst=sip, flags="DF") /
                    TCP(sport=sport, dport=80, flags="PA", seq=seq, ack=ack) / Raw(req)))
        out.append(("http", Ether(src=smac, dst=hmac) / IP(src=sip, dst=hip, flags="DF") /
                    TCP(sport=80, dport=sport, flags="PA", seq=ack, ack=seq + len(req)) / Raw(resp)))
    # DNS over UDP
    names = ["www.example.test", "mail.example.test", "api.weft.test", "cdn.static.example.test",
             "nonexistent.example.test", "a.very.long.name.with.many.labels.example.test", "ntp.weft.test"]
    for _ in range(30):
        (hip, hmac), _s = pair(rng)
        dip, dmac = "198.18.0.53", gw_mac
        sport, qid = rng.randrange(1024, 65535), rng.randrange(65536)
        name = rng.choice(names)
        qtype = rng.choice(["A", "A", "AAAA", "MX"])
        q = DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))
        out.append(("dns", Ether(src=hmac, dst=dmac) / IP(src=hip, dst=dip) / UDP(sport=sport, dport=53) / q))
        if name.startswith("nonexistent"):
            r = DNS(id=qid, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname=name, qtype=qtype))
        elif qtype == "A":
            an = DNSRR(rrname=name, type="CNAME", ttl=300, rdata="edge." + name) / \
                DNSRR(rrname="edge." + name, type="A", ttl=60, rdata="198.19.1.%d" % rng.randrange(1, 250)) / \
                DNSRR(rrname="edge." + name, type="A", ttl=60, rdata="198.19.2.%d" % rng.randrange(1, 250))
            r = DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype), an=an)
        elif qtype == "AAAA":
            r = DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                    an=DNSRR(rrname=name, type="AAAA", ttl=300, rdata="2001:db8::%x" % rng.randrange(65536)))
        else:
            r = DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                    an=DNSRR(rrname=name, type="MX", ttl=3600, rdata=b"\x00\x0a\x04mail\xc0\x0c"))
        out.append(("dns", Ether(src=dmac, dst=hmac) / IP(src=dip, dst=hip) / UDP(sport=53, dport=sport) / r))
    # other UDP
    for _ in range(25):
        (hip, hmac), (sip, smac) = pair(rng)
        n = rng.choice([48, 120, 1200, 1200, 300])
        out.append(("udp", Ether(src=hmac, dst=smac) / IP(src=hip, dst=sip, ttl=rng.choice([64, 128])) /
                    UDP(sport=rng.randrange(1024, 65535), dport=rng.choice([514, 4500, 5000, 50000, 3478])) /
                    Raw(bytes(rng.randrange(256) for _ in range(n)))))
    # ICMP
    for _ in range(16):
        (hip, hmac), (sip, smac) = pair(rng)
        ident, seq = rng.randrange(65536), rng.randrange(1000)
        data = bytes(range(56))
        out.append(("icmp", Ether(src=hmac, dst=smac) / IP(src=hip, dst=sip) / ICMP(type=8, id=ident, seq=seq) / Raw(data)))
        out.append(("icmp", Ether(src=smac, dst=hmac) / IP(src=sip, dst=hip) / ICMP(type=0, id=ident, seq=seq) / Raw(data)))
    for _ in range(4):
        (hip, hmac), (sip, smac) = pair(rng)
        inner = IP(src=hip, dst=sip) / UDP(sport=rng.randrange(1024, 65535), dport=33434) / Raw(b"\0" * 12)
        out.append(("icmp", Ether(src=smac, dst=hmac) / IP(src=sip, dst=hip) / ICMP(type=3, code=3) / bytes(inner)))
    # IPv4 fragments of 3,000-byte UDP datagrams
    for _ in range(12):
        (hip, hmac), (sip, smac) = pair(rng)
        dgram = IP(src=hip, dst=sip, id=rng.randrange(65536)) / UDP(sport=rng.randrange(1024, 65535), dport=33000) / \
            Raw(bytes(rng.randrange(256) for _ in range(3000)))
        for frag in fragment(dgram, fragsize=1480):
            out.append(("frag", Ether(src=hmac, dst=smac) / frag))
    # ARP
    for _ in range(14):
        (hip, hmac), (sip, smac) = pair(rng)
        out.append(("arp", Ether(src=hmac, dst="ff:ff:ff:ff:ff:ff") /
                    ARP(op=1, hwsrc=hmac, psrc=hip, hwdst="00:00:00:00:00:00", pdst=sip)))
        out.append(("arp", Ether(src=smac, dst=hmac) / ARP(op=2, hwsrc=smac, psrc=sip, hwdst=hmac, pdst=hip)))
    # DHCP
    for _ in range(6):
        cmac = _mac(rng)
        chaddr = bytes.fromhex(cmac.replace(":", "")) + b"\0" * 10
        xid = rng.randrange(2**32)
        yi = "198.18.%d.%d" % (rng.randrange(1, 50), rng.randrange(2, 250))
        srv = "198.18.0.1"
        for mtype in ("discover", "offer", "request", "ack"):
            client = mtype in ("discover", "request")
            opts = [("message-type", mtype)]
            if client:
                opts += [("client_id", b"\x01" + chaddr[:6]), ("hostname", b"host-%d" % rng.randrange(999)),
                         ("param_req_list", [1, 3, 6, 15, 28, 42])]
                if mtype == "request":
                    opts += [("requested_addr", yi), ("server_id", srv)]
            else:
                opts += [("server_id", srv), ("lease_time", 86400), ("subnet_mask", "255.254.0.0"),
                         ("router", srv), ("name_server", "198.18.0.53"), ("domain", b"lab.test")]
            opts.append("end")
            ip = IP(src="0.0.0.0", dst="255.255.255.255") if client else IP(src=srv, dst=yi)
            eth = Ether(src=cmac, dst="ff:ff:ff:ff:ff:ff") if client else Ether(src=gw_mac, dst=cmac)
            out.append(("dhcp", eth / ip / UDP(sport=68 if client else 67, dport=67 if client else 68) /
                        BOOTP(op=1 if client else 2, xid=xid, chaddr=chaddr, yiaddr="0.0.0.0" if client else yi,
                              siaddr="0.0.0.0" if client else srv, flags=0x8000) / DHCP(options=opts)))
    return [(k, bytes(p)) for k, p in out]


# Share of frames per kind (sums to 100).
MIX = {"tcp": 36, "http": 12, "dns": 14, "udp": 12, "icmp": 8, "frag": 8, "arp": 6, "dhcp": 4}


def sequence(templates, n=1000):
    """A fixed order of n template indices with MIX's shares (a kind's templates in turn)."""
    rng = random.Random(SEED)
    by_kind = {}
    for i, (k, _) in enumerate(templates):
        by_kind.setdefault(k, []).append(i)
    order = []
    for k, share in MIX.items():
        idx = by_kind[k]
        order += [idx[j % len(idx)] for j in range(share * n // 100)]
    rng.shuffle(order)
    return order


def write(path, frames):
    templates = _templates()
    order = sequence(templates)
    recs = [templates[i][1] for i in order]
    kinds = [templates[i][0] for i in order]
    mix = {}
    total = 24
    t0 = 1796601600  # 2026-12-07 00:00 UTC
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        pack = struct.Struct("<IIII").pack
        n = len(recs)
        for i in range(frames):
            data = recs[i % n]
            usec = i * 20
            f.write(pack(t0 + usec // 1000000, usec % 1000000, len(data), len(data)))
            f.write(data)
            total += 16 + len(data)
        for i in range(n):  # the shares in the file (whole passes plus the partial last one)
            c = frames // n + (1 if i < frames % n else 0)
            mix[kinds[i]] = mix.get(kinds[i], 0) + c
    return {"frames": frames, "bytes": total, "mix": mix}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen_pcap.py OUT.pcap FRAMES")
    info = write(sys.argv[1], int(sys.argv[2]))
    print(info)
