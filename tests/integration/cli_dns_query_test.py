"""weft dns query against scripted DNS servers on loopback (written here in Python, so the
bytes on the wire are the test's own): exit codes, the text and --json forms, TCP, the
fallbacks, usage errors, and --trace through a root/TLD/auth lab on 127.0.0.2-4."""
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

QR, AA, TC, RD = 0x8000, 0x0400, 0x0200, 0x0100
A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT = 1, 2, 5, 6, 12, 15, 16, 28, 33, 41
NOERROR, FORMERR, NXDOMAIN = 0, 1, 3


# ---- a small DNS codec: enough to answer weft's queries --------------------------------------

def wire_name(name):
    name = name.rstrip(".")
    out = b""
    for label in (name.split(".") if name else []):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(name, rtype, rdata, ttl=300):
    return wire_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def a(name, address, ttl=300):
    return rr(name, A, socket.inet_aton(address), ttl)


def parse_query(data):
    """id, flags, the question and whether an OPT record came along."""
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    pos, labels = 12, []
    while data[pos]:
        labels.append(data[pos + 1:pos + 1 + data[pos]].decode())
        pos += 1 + data[pos]
    qtype, qclass = struct.unpack("!HH", data[pos + 1:pos + 5])
    return {"id": qid, "flags": flags, "name": ".".join(labels), "qtype": qtype, "qclass": qclass,
            "question": data[12:pos + 5], "opt": ar > 0, "rd": bool(flags & RD)}


def response(q, answers=(), authority=(), additional=(), rcode=NOERROR, flags=QR | AA):
    header = struct.pack("!6H", q["id"], flags | (q["flags"] & RD) | rcode, 1, len(answers), len(authority),
                         len(additional))
    return header + q["question"] + b"".join(answers) + b"".join(authority) + b"".join(additional)


class FakeDns:
    """UDP and TCP on one port of `host`; handler(query, transport) -> list of messages."""

    def __init__(self, handler, host="127.0.0.1", port=0):
        self.handler, self.queries, self.sent = handler, [], []
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # Port 0: the UDP socket's free port, then TCP on the same number, which another
        # process may hold (an ephemeral TCP port): then both try another.
        for attempt in range(20):
            self.udp = socket.socket(family, socket.SOCK_DGRAM)
            self.udp.bind((host, port))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(family, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind((host, self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
                if port != 0 or attempt == 19:
                    raise
        self.tcp.listen(8)
        self.stopping = False
        self.threads = [threading.Thread(target=self._serve_udp, daemon=True),
                        threading.Thread(target=self._serve_tcp, daemon=True)]
        for t in self.threads:
            t.start()

    def _answer(self, data, transport):
        q = parse_query(data)
        self.queries.append((q, transport))
        out = self.handler(q, transport)
        self.sent.extend(out)
        return out

    def _serve_udp(self):
        while not self.stopping:
            try:
                data, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            if self.stopping:  # shutdown() wakes recvfrom with an empty read
                return
            if len(data) < 12:
                continue
            for m in self._answer(data, "udp"):
                self.udp.sendto(m, peer)

    def _serve_tcp(self):
        while not self.stopping:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    while True:
                        head = conn.recv(2, socket.MSG_WAITALL)
                        if len(head) < 2:
                            break
                        data = conn.recv(struct.unpack("!H", head)[0], socket.MSG_WAITALL)
                        for m in self._answer(data, "tcp"):
                            conn.sendall(struct.pack("!H", len(m)) + m)
                except OSError:
                    pass

    def close(self):
        self.stopping = True
        for s in (self.udp, self.tcp):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for t in self.threads:
            t.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def soa_rdata(zone):
    return wire_name("ns." + zone) + wire_name("hostmaster." + zone) + struct.pack("!5I", 1, 3600, 600, 86400, 60)


def zone_handler(q, transport):
    """example.test. with one record of each type weft prints."""
    name, t = q["name"].lower(), q["qtype"]
    zone = {
        ("www.example.test", A): [a("www.example.test", "198.18.0.10")],
        ("www.example.test", AAAA): [rr("www.example.test", AAAA, socket.inet_pton(socket.AF_INET6, "2001:db8::10"))],
        ("example.test", MX): [rr("example.test", MX, struct.pack("!H", 10) + wire_name("mail.example.test"))],
        ("example.test", TXT): [rr("example.test", TXT, b"\x0bhello world\x06second")],
        ("example.test", NS): [rr("example.test", NS, wire_name("ns.example.test"))],
        ("example.test", SOA): [rr("example.test", SOA, soa_rdata("example.test"))],
        ("_sip._udp.example.test", SRV): [rr("_sip._udp.example.test", SRV, struct.pack("!3H", 0, 5, 5060) +
                                             wire_name("sip.example.test"))],
        ("10.0.18.198.in-addr.arpa", PTR): [rr("10.0.18.198.in-addr.arpa", PTR, wire_name("www.example.test"))],
        ("alias.example.test", A): [rr("alias.example.test", CNAME, wire_name("www.example.test")),
                                    a("www.example.test", "198.18.0.10")],
    }
    if (name, t) in zone:
        return [response(q, zone[(name, t)])]
    return [response(q, authority=[rr("example.test", SOA, soa_rdata("example.test"))], rcode=NXDOMAIN)]


def query(*args, timeout=30):
    # Tries of 10 s unless a test sets its own: on a loaded machine an answer that is merely
    # slow must not cause a retry the test would count as a second query.
    if "--timeout" not in args:
        args = (*args, "--timeout", "10")
    return run([WEFT, "dns", "query", *args], timeout=timeout)


# ---- the stub resolver ----------------------------------------------------------------------

def test_text_answer_in_master_file_form():
    with FakeDns(zone_handler) as srv:
        server = "127.0.0.1:%d" % srv.port
        cases = [
            ("www.example.test", "A", "www.example.test. 300 IN A 198.18.0.10"),
            ("www.example.test", "aaaa", "www.example.test. 300 IN AAAA 2001:db8::10"),
            ("example.test", "MX", "example.test. 300 IN MX 10 mail.example.test."),
            ("example.test", "TXT", 'example.test. 300 IN TXT "hello world" "second"'),
            ("example.test", "NS", "example.test. 300 IN NS ns.example.test."),
            ("example.test", "SOA", "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60"),
            ("_sip._udp.example.test", "SRV", "_sip._udp.example.test. 300 IN SRV 0 5 5060 sip.example.test."),
            ("10.0.18.198.in-addr.arpa", "PTR", "10.0.18.198.in-addr.arpa. 300 IN PTR www.example.test."),
        ]
        for name, qtype, line in cases:
            rc, out, err = query(name, "--type", qtype, "--server", server)
            text = out.decode()
            check(rc == 0, "%s %s: rc %d %s" % (name, qtype, rc, err))
            lines = text.splitlines()
            check(lines[0].startswith(";; status: NOERROR, id: "), "header line: %r" % lines[0])
            check(" aa" in lines[0] and "ANSWER: 1" in lines[0], "header line: %r" % lines[0])
            check(line in lines, "%s %s: %r not in\n%s" % (name, qtype, line, text))
            check(";; SERVER: %s (udp)" % server in text, "no server line in\n" + text)
        rc, out, err = query("alias.example.test", "--server", server)
        lines = out.decode().splitlines()
        i = lines.index("alias.example.test. 300 IN CNAME www.example.test.")
        check(lines[i + 1] == "www.example.test. 300 IN A 198.18.0.10", "answer order: %r" % lines)
        # The query carried EDNS0 and RD, and the question exactly as asked.
        q, transport = srv.queries[0]
        check(q["opt"] and q["rd"] and transport == "udp", "query: %r" % q)


def test_nxdomain_is_a_response_exit_0():
    with FakeDns(zone_handler) as srv:
        rc, out, err = query("nosuch.example.test", "--server", "127.0.0.1:%d" % srv.port)
        text = out.decode()
        check(rc == 0, "rc %d %s" % (rc, err))
        check(text.startswith(";; status: NXDOMAIN"), text)
        check("example.test. 300 IN SOA ns.example.test." in text, "SOA missing from authority:\n" + text)


def frame_around(dns_bytes):
    """An Ethernet/IPv4/UDP frame from port 53 carrying dns_bytes, for weft decode."""
    udp = struct.pack("!4H", 53, 40000, 8 + len(dns_bytes), 0) + dns_bytes
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + udp


def test_json_is_decodes_dns_object_plus_server_transport_rtt():
    with FakeDns(zone_handler) as srv:
        server = "127.0.0.1:%d" % srv.port
        for name, qtype in (("www.example.test", "A"), ("example.test", "TXT"), ("nosuch.example.test", "MX")):
            rc, out, err = query(name, "--type", qtype, "--server", server, "--json")
            check(rc == 0, "rc %d %s" % (rc, err))
            lines = out.decode().splitlines()
            check(len(lines) == 1, "one object expected: %r" % lines)
            got = json.loads(lines[0])
            check(got.pop("server") == server, "server: %r" % got)
            check(got.pop("transport") == "udp", "transport")
            rtt = got.pop("rtt_ms")
            check(isinstance(rtt, (int, float)) and 0 <= rtt < 5000, "rtt_ms %r" % rtt)
            # The same bytes through weft decode must give exactly the same object.
            rc, dec, err = run([WEFT, "decode", "--hex", frame_around(srv.sent[-1]).hex(), "--json"])
            check(rc == 0, "decode rc %d %s" % (rc, err))
            layers = json.loads(dec.decode().splitlines()[0])["layers"]
            dns_layer = [l for l in layers if l["layer"] == "dns"][0]
            del dns_layer["layer"]
            check(got == dns_layer, "query --json differs from decode:\n%r\n%r" % (got, dns_layer))
            check(got["questions"][0]["name"] == name and got["questions"][0]["type"] == qtype, "question %r" % got)
        last = json.loads(query("example.test", "--type", "TXT", "--server", server, "--json")[1])
        check(last["answers"][0]["data"] == ["hello world", "second"], "TXT data %r" % last["answers"])


def test_tcp_flag_and_truncation_fallback():
    with FakeDns(zone_handler) as srv:
        rc, out, err = query("www.example.test", "--server", "127.0.0.1:%d" % srv.port, "--tcp", "--json")
        check(rc == 0, "rc %d %s" % (rc, err))
        check(json.loads(out)["transport"] == "tcp", out)
        check([t for _, t in srv.queries] == ["tcp"], "transports used: %r" % srv.queries)

    def truncating(q, transport):
        if transport == "udp":
            return [response(q, flags=QR | AA | TC)]
        return [response(q, [a("www.example.test", "198.18.1.%d" % i) for i in range(60)])]
    with FakeDns(truncating) as srv:
        rc, out, err = query("www.example.test", "--server", "127.0.0.1:%d" % srv.port)
        text = out.decode()
        check(rc == 0, "rc %d %s" % (rc, err))
        check("(tcp)" in text and "truncated" in text, text)
        check(sum(1 for l in text.splitlines() if " IN A 198.18.1." in l) == 60, text)
        check([t for _, t in srv.queries] == ["udp", "tcp"], "transports used: %r" % srv.queries)


def test_formerr_to_edns_and_no_edns():
    def old_server(q, transport):
        if q["opt"]:
            return [response(q, rcode=FORMERR, flags=QR)]
        return [response(q, [a("www.example.test", "198.18.0.10")])]
    with FakeDns(old_server) as srv:
        rc, out, err = query("www.example.test", "--server", "127.0.0.1:%d" % srv.port)
        check(rc == 0 and "www.example.test. 300 IN A 198.18.0.10" in out.decode(), "rc %d %s %s" % (rc, out, err))
        check([q["opt"] for q, _ in srv.queries] == [True, False], "OPT per query: %r" % srv.queries)
    with FakeDns(zone_handler) as srv:
        rc, out, err = query("www.example.test", "--server", "127.0.0.1:%d" % srv.port, "--no-edns")
        check(rc == 0, "rc %d %s" % (rc, err))
        check([q["opt"] for q, _ in srv.queries] == [False], "OPT per query: %r" % srv.queries)
        check(";; EDNS" not in out.decode(), out)


def test_no_response_exit_1_after_every_try():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        t0 = time.monotonic()
        rc, out, err = query("www.example.test", "--server", "127.0.0.1:%d" % port, "--timeout", "0.2",
                             "--retries", "2")
        took = time.monotonic() - t0
        check(rc == 1, "rc %d" % rc)
        check(out == b"", "stdout should be empty: %r" % out)
        check(err.count("\n") == 1, "one line expected: %r" % err)
        check("no response from 127.0.0.1:%d after 3 tries (0.2 s each)" % port in err, err)
        check(took >= 0.6, "gave up after %.2fs, before three 0.2 s tries" % took)
        silent.settimeout(0)
        count = 0
        try:
            while True:
                silent.recvfrom(512)
                count += 1
        except BlockingIOError:
            pass
        check(count == 3, "expected 3 datagrams (1 + 2 retries), got %d" % count)


def test_refused_reported_at_once():
    with refusing_port(socket.SOCK_DGRAM) as port:
        # Tries of 30 s: an answer within the run's 20 s can only be the refusal.
        rc, _, err = query("www.example.test", "--server", "127.0.0.1:%d" % port, "--timeout", "30", timeout=20)
    check(rc == 1 and "refused" in err and "127.0.0.1:%d" % port in err, "rc %d stderr %r" % (rc, err))


def test_default_server_comes_from_resolv_conf():
    # Without --server the first nameserver of /etc/resolv.conf is asked. Checked in a mount
    # and network namespace of the test's own, where a resolv.conf of ours is bind-mounted and
    # nothing listens: the refusal names the server read from it, and no packet leaves.
    import shutil
    import tempfile
    if not shutil.which("unshare") or not shutil.which("ip"):
        skip_part("unshare or ip missing: the resolv.conf default was not checked")
        return
    # Root needs no user namespace (-r), and some machines (containers, chroots) refuse one; a
    # machine that refuses the namespaces altogether is reported as a skipped part.
    flags = "-mn" if os.geteuid() == 0 else "-rmn"
    rc, _, err = run(["unshare", flags, "sh", "-c", "ip link set lo up && mount --bind /dev/null /dev/null"])
    if rc != 0:
        skip_part("cannot make a mount and network namespace here (unshare %s: %s): the resolv.conf "
                  "default was not checked" % (flags, err.strip()))
        return
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        conf.write("# test\nsearch example.test\nnameserver 127.0.0.77\nnameserver 127.0.0.78\n")
        conf.flush()
        script = 'ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2" dns query www.example.test'
        rc, out, err = run(["unshare", flags, "sh", "-c", script, "sh", conf.name, WEFT])
    check(rc == 1 and "127.0.0.77:53" in err and "refused" in err, "rc %d stderr %r" % (rc, err))


def test_ipv6_server():
    if "::1" not in ip_hosts():
        return  # ip_hosts() reported the skipped part
    with FakeDns(zone_handler, "::1") as srv:
        server = "[::1]:%d" % srv.port
        rc, out, err = query("www.example.test", "--server", server, "--json")
        check(rc == 0, "rc %d %s" % (rc, err))
        obj = json.loads(out)
        check(obj["server"] == server and obj["answers"][0]["data"] == "198.18.0.10", "json %r" % obj)
        rc, out, err = query("www.example.test", "--server", server, "--tcp")
        check(rc == 0 and ";; SERVER: %s (tcp)" % server in out.decode(), "rc %d %r %s" % (rc, out, err))
        # A bare IPv6 address means port 53: nothing there on ::1, so a refusal naming it.
        rc, out, err = query("www.example.test", "--server", "::1", "--timeout", "1", "--retries", "0")
        check("[::1]:53" in err or rc == 0, "rc %d %s" % (rc, err))


def test_usage_errors_exit_2_naming_the_argument():
    cases = [
        (["www.example.test", "--type", "FOO"], "invalid --type 'FOO'"),
        (["www.example.test", "--server", "127.0.0.1:99999"], "invalid port '99999'"),
        (["www.example.test", "--server", "127.0.0.1:0"], "--server '127.0.0.1:0'"),
        (["www.example.test", "--server", "[::1"], "--server '[::1'"),
        (["www.example.test", "--timeout", "0"], "invalid --timeout '0'"),
        (["www.example.test", "--timeout", "abc"], "invalid --timeout 'abc'"),
        (["www.example.test", "--retries", "-1"], "--retries"),
        (["a..b"], "invalid DNS name 'a..b'"),
        (["www.example.test", "--root", "127.0.0.2"], "--root needs --trace"),
        (["www.example.test", "--port", "53"], "--port needs --trace"),
        (["www.example.test", "--trace", "--server", "127.0.0.1"], "--server cannot be combined with --trace"),
        (["www.example.test", "--trace", "--root", "127.0.0.2,nope"], "invalid --root '127.0.0.2,nope'"),
        (["www.example.test", "--trace", "--port", "70000"], "invalid port '70000'"),
        ([], "name"),
    ]
    for args, expect in cases:
        rc, out, err = query(*args)
        check(rc == 2, "%r: rc %d %r" % (args, rc, err))
        check(expect in err, "%r: %r not in %r" % (args, expect, err))
        check(err.count("\n") == 1, "%r: one line expected: %r" % (args, err))


# ---- --trace through a lab on 127.0.0.2 (root), .3 (test.), .4 (example.test.) -------------

def lab_handlers():
    def root(q, transport):
        if q["name"].endswith("test"):
            return [response(q, authority=[rr("test", NS, wire_name("ns.test"), 86400)],
                             additional=[a("ns.test", "127.0.0.3", 86400)], flags=QR)]
        return [response(q, rcode=NXDOMAIN)]

    def tld(q, transport):
        return [response(q, authority=[rr("example.test", NS, wire_name("ns1.example.test"), 86400)],
                         additional=[a("ns1.example.test", "127.0.0.4", 86400)], flags=QR)]
    return root, tld, zone_handler


def start_lab():
    for _ in range(20):
        servers = []
        try:
            root, tld, auth = lab_handlers()
            servers.append(FakeDns(root, "127.0.0.2"))
            servers.append(FakeDns(tld, "127.0.0.3", servers[0].port))
            servers.append(FakeDns(auth, "127.0.0.4", servers[0].port))
            return servers
        except OSError:  # that port is taken on .3 or .4: try another
            for s in servers:
                s.close()
    raise AssertionError("no port free on 127.0.0.2-4")


def test_trace_walks_root_tld_auth():
    lab = start_lab()
    try:
        port = lab[0].port
        rc, out, err = query("www.example.test", "--trace", "--root", "127.0.0.2", "--port", str(port))
        text = out.decode()
        check(rc == 0, "rc %d %s" % (rc, err))
        blocks = [b for b in text.split("\n\n") if b.startswith(";; ") and ". asked " in b.splitlines()[0]]
        check(len(blocks) == 3, "three steps expected:\n" + text)
        check(blocks[0].startswith(";; 1. asked 127.0.0.2:%d, a server of ., for www.example.test. A: "
                                   "referral to test. (ns.test.)" % port), blocks[0])
        check("ns.test. 86400 IN A 127.0.0.3" in blocks[0], blocks[0])
        check(blocks[1].startswith(";; 2. asked 127.0.0.3:%d, a server of test., for www.example.test. A: "
                                   "referral to example.test. (ns1.example.test.)" % port), blocks[1])
        check(blocks[2].startswith(";; 3. asked 127.0.0.4:%d, a server of example.test., for www.example.test. A: "
                                   "authoritative answer" % port), blocks[2])
        check("www.example.test. 300 IN A 198.18.0.10" in blocks[2], blocks[2])
        check(text.rstrip().endswith("www.example.test. 300 IN A 198.18.0.10"), text)
        for s in lab:  # an iterative walk asks with RD clear
            check(all(not q["rd"] for q, _ in s.queries), "RD set in a trace query")

        rc, out, err = query("www.example.test", "--trace", "--root", "127.0.0.2", "--port", str(port), "--json")
        check(rc == 0, "rc %d %s" % (rc, err))
        objs = [json.loads(l) for l in out.decode().splitlines()]
        check([o["server"] for o in objs] == ["127.0.0.%d:%d" % (i, port) for i in (2, 3, 4)],
              "servers: %r" % [o["server"] for o in objs])
        check(objs[-1]["answers"][0]["data"] == "198.18.0.10" and objs[-1]["aa"], "last: %r" % objs[-1])
        check(objs[0]["authority"][0]["type"] == "NS", "first: %r" % objs[0])

        rc, out, err = query("nosuch.example.test", "--trace", "--root", "127.0.0.2", "--port", str(port))
        check(rc == 0 and "NXDOMAIN" in out.decode(), "rc %d %s %s" % (rc, out, err))
    finally:
        for s in lab:
            s.close()


def test_trace_with_no_answer_exits_1():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.2", 0))
        port = silent.getsockname()[1]
        rc, out, err = query("www.example.test", "--trace", "--root", "127.0.0.2", "--port", str(port),
                             "--timeout", "0.2", "--retries", "0")
        check(rc == 1, "rc %d" % rc)
        check(err.count("\n") == 1 and "zone ." in err and "127.0.0.2:%d" % port in err, err)
        check("1. asked 127.0.0.2:%d" % port in out.decode(), out)


if __name__ == "__main__":
    main([test_text_answer_in_master_file_form, test_nxdomain_is_a_response_exit_0,
          test_json_is_decodes_dns_object_plus_server_transport_rtt, test_tcp_flag_and_truncation_fallback,
          test_formerr_to_edns_and_no_edns, test_no_response_exit_1_after_every_try, test_refused_reported_at_once,
          test_default_server_comes_from_resolv_conf, test_ipv6_server, test_usage_errors_exit_2_naming_the_argument,
          test_trace_walks_root_tld_auth, test_trace_with_no_answer_exits_1])
