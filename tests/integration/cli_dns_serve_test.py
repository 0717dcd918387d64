"""weft dns serve: the command's contract (shared/CLI.md, DNS): zone errors name file:line and
exit 1 before anything binds, usage errors exit 2, a port in use exits 1 with "in use",
SIGTERM exits 0 after answering, answers over UDP and TCP with weft's own client, and a
restart binds at once."""
import os
import signal
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

ZONE = """$ORIGIN example.test.
$TTL 300
@    SOA ns1 hostmaster ( 1 3600 600 86400 60 )
@    NS  ns1
ns1  A   198.18.0.53
www  A   198.18.0.10
"""


def zone_file(text, name="example.test.zone"):
    d = tempfile.mkdtemp(prefix="weft-dns-")
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def serve(*args):
    return Server([WEFT, "dns", "serve", "--port", "0", "--threads", "1", *args])


def query(port, name, tcp=False):
    """A bare query with Python sockets: (rcode, aa, ancount) of the answer."""
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    msg = struct.pack(">HHHHHH", 0x2a2a, 0, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
    if tcp:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(struct.pack(">H", len(msg)) + msg)
            n = struct.unpack(">H", recv_exactly(s, 2))[0]
            resp = recv_exactly(s, n)
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(msg, ("127.0.0.1", port))
            resp, _ = s.recvfrom(65535)
    ident, flags, _, ancount = struct.unpack(">HHHH", resp[:8])
    check(ident == 0x2a2a, "the answer has the query's ID")
    return flags & 0xF, bool(flags & 0x0400), ancount


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        check(chunk, "connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def test_answers_over_udp_and_tcp_and_stops_with_exit_0():
    srv = serve("--zone", zone_file(ZONE))
    try:
        check("dns" in srv.banner and "1 zone" in srv.banner, "banner: %r" % srv.banner)
        check(query(srv.port, "www.example.test") == (0, True, 1), "UDP answer")
        check(query(srv.port, "www.example.test", tcp=True) == (0, True, 1), "TCP answer")
        check(query(srv.port, "nope.example.test")[0] == 3, "NXDOMAIN")
        check(query(srv.port, "www.elsewhere.test")[0] == 5, "REFUSED outside the zone")
        rc, out, _ = run([WEFT, "dns", "query", "www.example.test", "--server", "127.0.0.1:%d" % srv.port])
        check(rc == 0 and b"www.example.test. 300 IN A 198.18.0.10" in out, "weft dns query: %d %r" % (rc, out))
    finally:
        srv.signal(signal.SIGTERM)
        rc, _, err = srv.wait()
    check(rc == 0, "exit %d on SIGTERM: %s" % (rc, err))
    check("loaded zone example.test." in err, "the zone load is logged: %r" % err)
    check("stopped:" in err and "udp queries" in err, "the stop is logged with counts: %r" % err)


def test_zone_errors_name_file_and_line():
    bad = zone_file(ZONE + "mail MX 70000 www\n", "bad.zone")
    rc, _, err = run([WEFT, "dns", "serve", "--zone", bad, "--port", "0"], timeout=10)
    check(rc == 1, "exit %d for a bad zone" % rc)
    check(err.count("\n") == 1 and "%s:7:" % bad in err and "70000" in err, "one line naming file:7: %r" % err)
    rc, _, err = run([WEFT, "dns", "serve", "--zone", "/nonexistent/x.zone", "--port", "0"], timeout=10)
    check(rc == 1 and "/nonexistent/x.zone" in err, "unreadable file: %d %r" % (rc, err))
    twice = zone_file(ZONE)
    rc, _, err = run([WEFT, "dns", "serve", "--zone", twice, "--zone", twice, "--port", "0"], timeout=10)
    check(rc == 1 and "example.test" in err and "twice" in err, "the same zone twice: %d %r" % (rc, err))


def test_usage_errors_exit_2():
    rc, _, err = run([WEFT, "dns", "serve"], timeout=10)
    check(rc == 2 and "--zone" in err, "missing --zone: %d %r" % (rc, err))
    rc, _, err = run([WEFT, "dns", "serve", "--zone", zone_file(ZONE), "--port", "99999"], timeout=10)
    check(rc == 2 and "99999" in err, "bad port: %d %r" % (rc, err))


def test_port_in_use_and_restart():
    path = zone_file(ZONE)
    first = serve("--zone", path)
    try:
        rc, _, err = run([WEFT, "dns", "serve", "--zone", path, "--port", str(first.port)], timeout=10)
        check(rc == 1 and "in use" in err and str(first.port) in err, "second server: %d %r" % (rc, err))
        query(first.port, "www.example.test", tcp=True)  # a TCP connection that leaves TIME_WAIT behind
    finally:
        first.stop()
    again = Server([WEFT, "dns", "serve", "--zone", path, "--port", str(first.port), "--threads", "1"])
    try:
        check(query(again.port, "www.example.test") == (0, True, 1), "the restarted server answers")
    finally:
        again.stop()


if __name__ == "__main__":
    main([test_answers_over_udp_and_tcp_and_stops_with_exit_0, test_zone_errors_name_file_and_line,
          test_usage_errors_exit_2, test_port_in_use_and_restart])
