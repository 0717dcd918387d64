"""dig and kdig (BIND's and Knot's stub tools, independent DNS implementations) judge
`weft dns serve` on 127.0.0.1: every record type with its TTL, the aa flag, NXDOMAIN and NODATA
with the SOA, CNAME chains, referrals with glue, REFUSED, the query's case kept, truncation over
UDP and the full answer over TCP, EDNS sizes, NOTIMP, FORMERR and silence for raw packets,
several queries on one TCP connection, and a clean stop on SIGTERM."""
import os
import re
import signal
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

# Nine TXT records of 200 bytes: ~1.9 KB, over 512 and over 1232. Three: ~690 bytes, between.
BIG = ["%s" % (chr(ord("a") + i) * 200) for i in range(9)]
MEDIUM = ["%s" % (chr(ord("A") + i) * 200) for i in range(3)]
# A delegation with 8 name servers inside the child, each with A and AAAA glue: the NS RRset
# fits in 512 bytes, the glue it requires (RFC 9471) does not, so TC must be set over UDP.
FAT_NS = ["ns%d-of-the-fat-child" % i for i in range(8)]

EXAMPLE_ZONE = """$ORIGIN example.test.
$TTL 300
@        IN SOA ns1 hostmaster ( 2026120701 ; serial
                                 3600 600 86400
                                 60 )       ; negative TTL
@        NS    ns1
@        NS    ns2
@        MX    10 mail
ns1      A     198.18.0.53
ns2      A     198.18.0.54
         AAAA  2001:db8::54
www      A     198.18.0.10
www      AAAA  2001:db8::10
mail     A     198.18.0.25
a        A     198.18.0.1
b        MX    20 mail
c        TXT   "c text"
alias    CNAME www
chain    CNAME alias
tosub    CNAME host.sub
toout    CNAME www.elsewhere.test.
short 7  A     198.18.0.7
_sip._udp 120 SRV 10 20 5060 www
txt      TXT   "hello world" "second"
ptr      PTR   www
sub      NS    ns.sub
sub      NS    ns.other.test.
ns.sub   A     198.18.0.77
""" + "".join('big TXT "%s"\n' % t for t in BIG) \
    + "".join('medium TXT "%s"\n' % t for t in MEDIUM) \
    + "".join("fat NS %s.fat\n%s.fat A 198.18.1.%d\n%s.fat AAAA 2001:db8:1::%d\n" % (n, n, i + 1, n, i + 1)
              for i, n in enumerate(FAT_NS))

REVERSE_ZONE = """$ORIGIN 0.18.198.in-addr.arpa.
$TTL 3600
@   SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@   NS  ns1.example.test.
10  PTR www.example.test.
"""

_state = {}


def server():
    """The server every test shares (started by the first test that needs it)."""
    if "srv" not in _state:
        tmp = tempfile.mkdtemp(prefix="weft-dns-dig-")
        _state["tmp"] = tmp
        paths = []
        for name, text in (("example.test.zone", EXAMPLE_ZONE), ("reverse.zone", REVERSE_ZONE)):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        _state["zones"] = paths
        _state["srv"] = Server([WEFT, "dns", "serve", "--zone", paths[0], "--zone", paths[1],
                                "--host", "127.0.0.1", "--port", "0"])
    return _state["srv"]


# ---------------------------------------------------------------- dig / kdig output parsing

class Msg:
    def __init__(self):
        self.opcode = self.status = self.id = None
        self.flags = set()
        self.counts = {}
        self.edns_udp = None  # the server's OPT payload size, None when there is no OPT
        self.sections = {"QUESTION": [], "ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        self.size = None
        self.transport = None

    def rr(self, section):
        """Records as (name, ttl, class, type, rdata) with rdata's whitespace normalised."""
        return self.sections[section]

    def data(self, section="ANSWER", rtype=None):
        return sorted(r[4] for r in self.sections[section] if rtype is None or r[3] == rtype)

    def __repr__(self):
        return "<%s %s flags=%s edns=%s size=%s %s>" % (self.opcode, self.status, sorted(self.flags),
                                                        self.edns_udp, self.size,
                                                        {k: v for k, v in self.sections.items() if v})


def parse(text):
    """Every message in dig's or kdig's full output, in order."""
    msgs, cur, section = [], None, None
    for line in text.splitlines():
        m = re.search(r"->>HEADER<<- opcode: (\w+)[,;] status: (\w+)[,;] id: (\d+)", line)
        if m:
            cur = Msg()
            msgs.append(cur)
            cur.opcode, cur.status, cur.id = m.group(1), m.group(2), int(m.group(3))
            section = None
            continue
        if cur is None:
            continue
        m = re.match(r";; [Ff]lags: ([a-z ]*);(.*)", line)
        if m:
            cur.flags = set(m.group(1).split())
            for k, v in re.findall(r"(\w+): (\d+)", m.group(2)):
                cur.counts[k] = int(v)
            continue
        m = re.search(r"EDNS: version: \d+, flags:.*; udp: (\d+)", line) or \
            re.search(r"Version: \d+; flags: .*; UDP size: (\d+) B", line)
        if m:
            cur.edns_udp = int(m.group(1))
            continue
        m = re.match(r";; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r";; MSG SIZE\s+rcvd: (\d+)", line) or re.match(r";; Received (\d+) B", line)
        if m:
            cur.size = int(m.group(1))
            continue
        m = re.match(r";; SERVER: .*\((UDP|TCP)\)", line) or re.match(r";; From .*\((UDP|TCP)\)", line)
        if m:
            cur.transport = m.group(1)
            continue
        if not line.strip():
            section = None if section != "QUESTION" else section
            continue
        if section and not line.startswith(";"):
            f = line.split()
            cur.sections[section].append((f[0], int(f[1]), f[2], f[3], " ".join(f[4:])))
        elif section == "QUESTION":
            f = line.lstrip(";").split()
            if f:
                cur.sections["QUESTION"].append((f[0], f[1], f[2]))
    return msgs


def dig(*args, tool="dig", count=1):
    """Runs dig (or kdig) against the shared server with +norec; the parsed message(s)."""
    srv = server()
    exe = require_tool(tool, "bind9-dnsutils" if tool == "dig" else "knot-dnsutils")
    tries = "+tries=1" if tool == "dig" else "+retry=0"
    argv = [exe, "@127.0.0.1", "-p", str(srv.port), "+norec", "+time=3", tries, *args]
    rc, out, err = run(argv, timeout=20)
    text = out.decode(errors="replace") + err  # kdig warns on stderr (truncated, retrying over TCP)
    check(rc == 0, "%s exited %d: %s %s" % (" ".join(argv), rc, text[-500:], err))
    msgs = parse(text)
    check(len(msgs) == count, "%s: expected %d message(s), parsed %d:\n%s" % (" ".join(argv), count, len(msgs), text))
    return (msgs[0] if count == 1 else msgs), text


def expect(msg, what, status="NOERROR", aa=True, tc=False):
    check(msg.status == status, "%s: status %s, expected %s (%r)" % (what, msg.status, status, msg))
    check(("aa" in msg.flags) == aa, "%s: aa flag %s, expected %s (%r)" % (what, "aa" in msg.flags, aa, msg))
    check(("tc" in msg.flags) == tc, "%s: tc flag %s, expected %s (%r)" % (what, "tc" in msg.flags, tc, msg))
    check("qr" in msg.flags, "%s: qr not set (%r)" % (what, msg))


def E(name):
    return name + ".example.test." if name else "example.test."


# ---------------------------------------------------------------- tests

def test_every_type_answer_and_ttl():
    cases = [  # (name, type, [(owner, ttl, type, rdata)] expected exactly in the answer)
        ("www", "A", [(E("www"), 300, "A", "198.18.0.10")]),
        ("www", "AAAA", [(E("www"), 300, "AAAA", "2001:db8::10")]),
        ("", "NS", [(E(""), 300, "NS", E("ns1")), (E(""), 300, "NS", E("ns2"))]),
        ("alias", "CNAME", [(E("alias"), 300, "CNAME", E("www"))]),
        ("", "SOA", [(E(""), 300, "SOA", "%s hostmaster.example.test. 2026120701 3600 600 86400 60" % E("ns1"))]),
        ("ptr", "PTR", [(E("ptr"), 300, "PTR", E("www"))]),
        ("", "MX", [(E(""), 300, "MX", "10 " + E("mail"))]),
        ("txt", "TXT", [(E("txt"), 300, "TXT", '"hello world" "second"')]),
        ("_sip._udp", "SRV", [(E("_sip._udp"), 120, "SRV", "10 20 5060 " + E("www"))]),
        ("short", "A", [(E("short"), 7, "A", "198.18.0.7")]),
    ]
    for name, rtype, want in cases:
        for tool in ("dig", "kdig"):
            msg, _ = dig(E(name), rtype, tool=tool)
            expect(msg, "%s %s %s" % (tool, E(name), rtype))
            got = sorted((r[0], r[1], r[3], r[4]) for r in msg.rr("ANSWER"))
            check(got == sorted(want), "%s %s %s: answer %s, expected %s" % (tool, E(name), rtype, got, sorted(want)))
            check(msg.rr("QUESTION") and msg.rr("QUESTION")[0][0].lower() == E(name),
                  "%s %s: question not echoed: %r" % (tool, E(name), msg.rr("QUESTION")))
    # The targets' addresses ride along in additional for NS, MX and SRV.
    msg, _ = dig(E(""), "NS")
    add = sorted((r[0], r[3], r[4]) for r in msg.rr("ADDITIONAL"))
    check(add == sorted([(E("ns1"), "A", "198.18.0.53"), (E("ns2"), "A", "198.18.0.54"),
                         (E("ns2"), "AAAA", "2001:db8::54")]), "NS additional: %s" % add)
    msg, _ = dig(E(""), "MX")
    check([(r[0], r[3], r[4]) for r in msg.rr("ADDITIONAL")] == [(E("mail"), "A", "198.18.0.25")],
          "MX additional: %s" % msg.rr("ADDITIONAL"))
    msg, _ = dig(E("_sip._udp"), "SRV")
    add = sorted((r[0], r[3], r[4]) for r in msg.rr("ADDITIONAL"))
    check(add == [(E("www"), "A", "198.18.0.10"), (E("www"), "AAAA", "2001:db8::10")], "SRV additional: %s" % add)
    # The second zone: a reverse lookup (dig -x) answered from 0.18.198.in-addr.arpa.
    msg, _ = dig("-x", "198.18.0.10")
    expect(msg, "dig -x 198.18.0.10")
    check([(r[0], r[1], r[3], r[4]) for r in msg.rr("ANSWER")] ==
          [("10.0.18.198.in-addr.arpa.", 3600, "PTR", E("www"))], "reverse PTR: %r" % msg)


def test_nxdomain_and_nodata_carry_the_soa():
    soa = (E(""), "SOA", "%s hostmaster.example.test. 2026120701 3600 600 86400 60" % E("ns1"))
    for tool in ("dig", "kdig"):
        for name, rtype, status in (("nothere", "A", "NXDOMAIN"), ("deep.nothere", "TXT", "NXDOMAIN"),
                                    ("www", "MX", "NOERROR"), ("mail", "AAAA", "NOERROR"),
                                    ("_udp", "A", "NOERROR")):  # _udp: an empty non-terminal
            msg, _ = dig(E(name), rtype, tool=tool)
            what = "%s %s %s" % (tool, E(name), rtype)
            expect(msg, what, status=status)
            check(not msg.rr("ANSWER"), "%s: answer should be empty: %r" % (what, msg))
            auth = [(r[0], r[3], r[4]) for r in msg.rr("AUTHORITY")]
            check(auth == [soa], "%s: authority %s, expected the SOA" % (what, auth))
            # RFC 2308: the negative TTL is min(SOA TTL 300, SOA minimum 60).
            check(msg.rr("AUTHORITY")[0][1] == 60, "%s: SOA TTL %d, expected 60" % (what, msg.rr("AUTHORITY")[0][1]))


def test_cname_chain_followed():
    for tool in ("dig", "kdig"):
        msg, _ = dig(E("chain"), "A", tool=tool)
        expect(msg, tool + " chain A")
        got = [(r[0], r[3], r[4]) for r in msg.rr("ANSWER")]
        check(got == [(E("chain"), "CNAME", E("alias")), (E("alias"), "CNAME", E("www")), (E("www"), "A", "198.18.0.10")],
              "%s chain A: %s" % (tool, got))
    msg, _ = dig(E("alias"), "AAAA")
    expect(msg, "alias AAAA")
    check([(r[0], r[3], r[4]) for r in msg.rr("ANSWER")] ==
          [(E("alias"), "CNAME", E("www")), (E("www"), "AAAA", "2001:db8::10")], "alias AAAA: %r" % msg)
    # The chain ends at a name without the type: NOERROR, the CNAMEs, the SOA in authority.
    msg, _ = dig(E("chain"), "MX")
    expect(msg, "chain MX")
    check([r[3] for r in msg.rr("ANSWER")] == ["CNAME", "CNAME"] and [r[3] for r in msg.rr("AUTHORITY")] == ["SOA"],
          "chain MX: %r" % msg)
    # A CNAME into a delegated child: the CNAME (authoritative, aa), then the child's referral.
    msg, _ = dig(E("tosub"), "A")
    expect(msg, "tosub A")
    check([(r[0], r[3], r[4]) for r in msg.rr("ANSWER")] == [(E("tosub"), "CNAME", E("host.sub"))] and
          sorted(r[4] for r in msg.rr("AUTHORITY")) == sorted([E("ns.sub"), "ns.other.test."]) and
          [r[4] for r in msg.rr("ADDITIONAL")] == ["198.18.0.77"], "tosub A: %r" % msg)
    # A CNAME out of every zone: the CNAME alone, NOERROR; the resolver chases the rest.
    msg, _ = dig(E("toout"), "A")
    expect(msg, "toout A")
    check([(r[0], r[3], r[4]) for r in msg.rr("ANSWER")] == [(E("toout"), "CNAME", "www.elsewhere.test.")] and
          not msg.rr("AUTHORITY"), "toout A: %r" % msg)


def test_referral_at_delegation():
    for tool in ("dig", "kdig"):
        for qname, rtype in (("host.sub", "A"), ("sub", "NS"), ("a.b.sub", "MX")):
            msg, _ = dig(E(qname), rtype, tool=tool)
            what = "%s %s %s" % (tool, E(qname), rtype)
            expect(msg, what, aa=False)
            check(not msg.rr("ANSWER"), "%s: a referral has no answer: %r" % (what, msg))
            auth = sorted((r[0], r[3], r[4]) for r in msg.rr("AUTHORITY"))
            check(auth == sorted([(E("sub"), "NS", E("ns.sub")), (E("sub"), "NS", "ns.other.test.")]),
                  "%s: authority %s" % (what, auth))
            add = [(r[0], r[3], r[4]) for r in msg.rr("ADDITIONAL")]
            check(add == [(E("ns.sub"), "A", "198.18.0.77")], "%s: glue %s" % (what, add))


def test_required_glue_that_does_not_fit_sets_tc():
    want_ns = sorted((E("fat"), "NS", E(n + ".fat")) for n in FAT_NS)
    want_glue = sorted([(E(n + ".fat"), "A", "198.18.1.%d" % (i + 1)) for i, n in enumerate(FAT_NS)] +
                       [(E(n + ".fat"), "AAAA", "2001:db8:1::%d" % (i + 1)) for i, n in enumerate(FAT_NS)])
    msg, _ = dig(E("www.fat"), "A", "+noedns", "+ignore")
    expect(msg, "www.fat A +noedns (UDP 512)", aa=False, tc=True)
    check(msg.size <= 512, "UDP answer of %d bytes over 512" % msg.size)
    msg, _ = dig(E("www.fat"), "A", "+tcp")
    expect(msg, "www.fat A +tcp", aa=False)
    check(sorted((r[0], r[3], r[4]) for r in msg.rr("AUTHORITY")) == want_ns, "fat NS over TCP: %r" % msg)
    check(sorted((r[0], r[3], r[4]) for r in msg.rr("ADDITIONAL")) == want_glue, "fat glue over TCP: %r" % msg)
    msg, _ = dig(E("www.fat"), "A", "+bufsize=1232", "+ignore")
    expect(msg, "www.fat A +bufsize=1232", aa=False)
    check(len(msg.rr("ADDITIONAL")) == 16, "all glue fits in 1232 bytes: %r" % msg)


def test_refused_outside_the_zones():
    for tool in ("dig", "kdig"):
        for name in ("www.example.org.", "test.", "example.test.example.com.", "."):
            msg, _ = dig(name, "A", tool=tool)
            expect(msg, "%s %s" % (tool, name), status="REFUSED", aa=False)
            check(not msg.rr("ANSWER"), "%s %s: REFUSED with an answer: %r" % (tool, name, msg))


def test_query_case_kept():
    # dig only: kdig lowercases the name before it sends it (even with +noidn).
    for tool in ("dig",):
        for qname, rtype in (("WwW.ExAmple.test.", "A"), ("cHaIn.EXAMPLE.TEST.", "A"), ("NoThErE.eXaMpLe.TeSt.", "A")):
            msg, _ = dig(qname, rtype, tool=tool)
            check(msg.rr("QUESTION")[0][0] == qname, "%s: question %r" % (tool, msg.rr("QUESTION")))
            owners = [r[0] for r in msg.rr("ANSWER")]
            check(msg.status != "NOERROR" or (owners and owners[0] == qname),
                  "%s %s: the answer's first owner is %r, not the query's spelling" % (tool, qname, owners))
    msg, _ = dig("WwW.ExAmple.test.", "A")
    check([r[0] for r in msg.rr("ANSWER")] == ["WwW.ExAmple.test."], "case: %r" % msg)


def test_truncation_over_udp_full_over_tcp():
    want = sorted('"%s"' % t for t in BIG)
    # No EDNS: at most 512 bytes, TC set, fewer records, no OPT.
    msg, _ = dig(E("big"), "TXT", "+noedns", "+ignore")
    expect(msg, "big TXT +noedns +ignore", tc=True)
    check(msg.edns_udp is None, "an OPT came back to a query without one: %r" % msg)
    check(msg.size <= 512 and 0 < len(msg.rr("ANSWER")) < 9, "UDP without EDNS: %d bytes, %d records"
          % (msg.size, len(msg.rr("ANSWER"))))
    check(msg.transport == "UDP", "transport %s" % msg.transport)
    # dig +notcp with its default EDNS 1232: still over, TC, at most 1232 bytes.
    msg, _ = dig(E("big"), "TXT", "+notcp", "+ignore")
    expect(msg, "big TXT +notcp +ignore", tc=True)
    check(msg.size <= 1232 and len(msg.rr("ANSWER")) < 9, "UDP with EDNS: %d bytes, %d records"
          % (msg.size, len(msg.rr("ANSWER"))))
    # Over TCP: everything.
    for tool in ("dig", "kdig"):
        msg, _ = dig(E("big"), "TXT", "+tcp", tool=tool)
        expect(msg, tool + " big TXT +tcp")
        check(msg.transport == "TCP" and msg.data() == want, "%s over TCP: %r" % (tool, msg))
        # Without +ignore, the tool sees TC and asks again over TCP by itself: the full answer.
        msg, text = dig(E("big"), "TXT", tool=tool)
        expect(msg, tool + " big TXT (retry over TCP)")
        check(msg.transport == "TCP" and msg.data() == want, "%s default retry: %r" % (tool, msg))
        check(re.search(r"[Tt]runcated|truncated reply", text), "%s did not say it retried over TCP:\n%s" % (tool, text))


def test_edns_sizes():
    want = sorted('"%s"' % t for t in MEDIUM)  # ~690 bytes: over 512, under 1232
    msg, _ = dig(E("medium"), "TXT", "+bufsize=4096", "+ignore")
    expect(msg, "medium TXT +bufsize=4096")
    check(msg.edns_udp == 1232, "server OPT udp %s, expected 1232" % msg.edns_udp)
    check(msg.data() == want and 512 < msg.size <= 1232, "medium over EDNS 4096: %r" % msg)
    msg, _ = dig(E("medium"), "TXT", "+bufsize=512", "+ignore")
    expect(msg, "medium TXT +bufsize=512", tc=True)
    check(msg.edns_udp == 1232 and msg.size <= 512, "bufsize 512: %r" % msg)
    msg, _ = dig(E("medium"), "TXT", "+noedns", "+ignore")
    expect(msg, "medium TXT +noedns", tc=True)
    check(msg.edns_udp is None and msg.size <= 512, "no EDNS: %r" % msg)
    # A requestor size below 512 counts as 512 (RFC 6891 6.2.5).
    msg, _ = dig(E("medium"), "TXT", "+bufsize=100", "+ignore")
    expect(msg, "medium TXT +bufsize=100", tc=True)
    check(msg.size <= 512 and len(msg.rr("ANSWER")) == 2, "bufsize 100 is read as 512: %r" % msg)
    # Asking for more than the server's 1232 gets at most 1232.
    for tool in ("dig", "kdig"):
        msg, _ = dig(E("big"), "TXT", "+bufsize=4096", "+ignore", tool=tool)
        expect(msg, tool + " big TXT +bufsize=4096", tc=True)
        check(msg.edns_udp == 1232 and 512 < msg.size <= 1232, "%s big over EDNS 4096: %r" % (tool, msg))


def test_edns_version_do_bit_any_class_and_transfers():
    # EDNS version 1: BADVERS (RFC 6891 6.1.3), answered with the server's version-0 OPT.
    msg, _ = dig(E("www"), "A", "+edns=1", "+noednsneg")
    check(msg.status == "BADVERS" and msg.edns_udp == 1232 and not msg.rr("ANSWER"), "EDNS version 1: %r" % msg)
    # The DO bit is echoed in the OPT (RFC 3225).
    _, text = dig(E("www"), "A", "+dnssec")
    check(re.search(r"; EDNS: version: 0, flags: do; udp: 1232", text), "DO bit not echoed:\n" + text)
    # ANY: every RRset at the name.
    msg, _ = dig(E("www"), "ANY")
    expect(msg, "www ANY")
    check(sorted((r[3], r[4]) for r in msg.rr("ANSWER")) == [("A", "198.18.0.10"), ("AAAA", "2001:db8::10")],
          "www ANY: %r" % msg)
    # Another class, and zone transfers: REFUSED.
    msg, _ = dig("version.bind.", "TXT", "-c", "CH")
    expect(msg, "CH TXT version.bind", status="REFUSED", aa=False)
    msg, _ = dig(E("www"), "A", "-c", "HS")
    expect(msg, "HS A www", status="REFUSED", aa=False)
    kdig = require_tool("kdig", "knot-dnsutils")
    for rtype in ("AXFR", "IXFR=2026120700"):
        rc, out, err = run([kdig, "@127.0.0.1", "-p", str(server().port), "+time=3", E(""), rtype], timeout=20)
        check("REFUSED" in out.decode(errors="replace") + err, "kdig %s: rc %d %s %s" % (rtype, rc, out, err))


def test_notimp_for_other_opcodes():
    msg, _ = dig(E("www"), "A", "+opcode=status")
    check(msg.status == "NOTIMP" and msg.opcode == "STATUS", "dig +opcode=status: %r" % msg)
    for opcode in (1, 2, 4, 5, 15):  # IQUERY, STATUS, NOTIFY, UPDATE, unassigned
        resp = udp_exchange(query_bytes(0x1234 + opcode, "www.example.test.", 1, opcode=opcode))
        check(resp is not None, "opcode %d: no response" % opcode)
        qid, flags = struct.unpack("!HH", resp[:4])
        check(qid == 0x1234 + opcode and flags & 0x8000 and (flags >> 11) & 0xF == opcode and flags & 0xF == 4,
              "opcode %d: id %#x flags %#06x, expected QR, the opcode and rcode 4 (NOTIMP)" % (opcode, qid, flags))


# ---------------------------------------------------------------- raw packets

def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query_bytes(qid, name, qtype, opcode=0, qdcount=1, extra=b"", flags=0):
    hdr = struct.pack("!HHHHHH", qid, flags | (opcode << 11), qdcount, 0, 0, 0)
    return hdr + encode_name(name) + struct.pack("!HH", qtype, 1) + extra


def udp_exchange(data, timeout=10.0, sock=None):
    """Sends one datagram to the server; its answer, or None when nothing came in `timeout`."""
    own = sock is None
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(data, ("127.0.0.1", server().port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None
    finally:
        if own:
            s.close()


def rcode_of(resp):
    return struct.unpack("!H", resp[2:4])[0] & 0xF


def test_formerr_and_silence_for_raw_packets():
    www = query_bytes(1, "www.example.test.", 1)
    question = www[12:]
    malformed = {
        "two questions (qdcount 2, both present)": struct.pack("!HHHHHH", 0x0b0b, 0, 2, 0, 0, 0) + question + question,
        "qdcount 2, one question present": struct.pack("!HHHHHH", 0x0c0c, 0, 2, 0, 0, 0) + question,
        "no question (qdcount 0)": struct.pack("!HHHHHH", 0x0d0d, 0, 0, 0, 0, 0),
        "question cut inside the name": struct.pack("!HHHHHH", 0x0e0e, 0, 1, 0, 0, 0) + question[:6],
        "question without type and class": struct.pack("!HHHHHH", 0x0f0f, 0, 1, 0, 0, 0) + question[:-4],
        "label length past the end": struct.pack("!HHHHHH", 0x1010, 0, 1, 0, 0, 0) + b"\x3fabc",
    }
    for what, data in malformed.items():
        resp = udp_exchange(data)
        check(resp is not None, "%s: no response, expected FORMERR" % what)
        qid, flags = struct.unpack("!HH", resp[:4])
        check(qid == struct.unpack("!H", data[:2])[0] and flags & 0x8000 and rcode_of(resp) == 1,
              "%s: id %#x flags %#06x, expected the query's id, QR and rcode 1 (FORMERR)" % (what, qid, flags))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        # Not even a header: nothing at all comes back (bounded wait), and the server still serves.
        for junk in (b"\x12\x34\x01\x00\x00", b"", b"\xff" * 11):
            resp = udp_exchange(junk, timeout=1.0, sock=s)
            check(resp is None, "a %d-byte packet got a %d-byte response: %r" % (len(junk), len(resp or b""), resp))
        # A response (QR set) is never answered: two servers must not bounce errors forever.
        resp = udp_exchange(query_bytes(0x2222, "www.example.test.", 1, flags=0x8000), timeout=1.0, sock=s)
        check(resp is None, "a message with QR set got a response: %r" % resp)
        resp = udp_exchange(query_bytes(0x7777, "www.example.test.", 1), sock=s)
        check(resp is not None and resp[:2] == b"\x77\x77" and rcode_of(resp) == 0 and resp[-4:] == bytes([198, 18, 0, 10]),
              "after the junk, a real query: %r" % resp)


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        part = s.recv(n - len(got))
        check(part, "server closed the TCP connection after %d of %d bytes" % (len(got), n))
        got += part
    return got


def test_pipelined_tcp_raw():
    names = [("www.example.test.", 1), ("big.example.test.", 16), ("example.test.", 15), ("nothere.example.test.", 1),
             ("chain.example.test.", 1), ("www.example.org.", 1), ("medium.example.test.", 16),
             ("x.sub.example.test.", 1), ("_sip._udp.example.test.", 33), ("www.example.test.", 28)]
    queries = [(0x100 + i * 7, *names[i % len(names)]) for i in range(20)]
    blob = b"".join(struct.pack("!H", len(q)) + q for q in (query_bytes(qid, n, t) for qid, n, t in queries))
    with socket.create_connection(("127.0.0.1", server().port), timeout=10) as s:
        s.sendall(blob)  # all 20 in one write
        for qid, name, qtype in queries:
            length = struct.unpack("!H", recv_exact(s, 2))[0]
            resp = recv_exact(s, length)
            got_id, flags = struct.unpack("!HH", resp[:4])
            check(got_id == qid, "answers out of order: expected id %#x, got %#x" % (qid, got_id))
            check(resp[12:12 + len(encode_name(name))].lower() == encode_name(name).lower(),
                  "id %#x: question differs" % qid)
            check(not flags & 0x0200, "id %#x (%s): TC set over TCP" % (qid, name))
            want_rcode = 3 if name.startswith("nothere") else 5 if name.endswith(".org.") else 0
            check(flags & 0xF == want_rcode, "id %#x (%s): rcode %d, expected %d" % (qid, name, flags & 0xF, want_rcode))
            if name.startswith("big"):
                check(struct.unpack("!H", resp[6:8])[0] == 9, "big over TCP: ancount %d" % struct.unpack("!H", resp[6:8])[0])


def test_dig_keepopen_several_queries_one_connection():
    # Its own server, so that its stop line counts only this test's queries and connections.
    server()
    srv = Server([WEFT, "dns", "serve", "--zone", _state["zones"][0], "--port", "0"])
    try:
        dig_exe = require_tool("dig", "bind9-dnsutils")
        argv = [dig_exe, "@127.0.0.1", "-p", str(srv.port), "+norec", "+tcp", "+keepopen", "+time=3", "+tries=1",
                E("a"), "A", E("b"), "MX", E("c"), "TXT", E("big"), "TXT", E("nothere"), "A"]
        rc, out, err = run(argv)
        check(rc == 0, "dig rc %d %s" % (rc, err))
        msgs = parse(out.decode())
        check(len(msgs) == 5, "expected 5 answers, parsed %d:\n%s" % (len(msgs), out.decode()))
        a, b, c, big, nx = msgs
        expect(a, "a A")
        check([(r[0], r[4]) for r in a.rr("ANSWER")] == [(E("a"), "198.18.0.1")], "a A: %r" % a)
        expect(b, "b MX")
        check([(r[0], r[4]) for r in b.rr("ANSWER")] == [(E("b"), "20 " + E("mail"))], "b MX: %r" % b)
        expect(c, "c TXT")
        check([(r[0], r[4]) for r in c.rr("ANSWER")] == [(E("c"), '"c text"')], "c TXT: %r" % c)
        expect(big, "big TXT")
        check(len(big.rr("ANSWER")) == 9, "big TXT over TCP: %r" % big)
        expect(nx, "nothere A", status="NXDOMAIN")
        for m in msgs:
            check(m.transport == "TCP", "not over TCP: %r" % m)
        srv.signal(signal.SIGTERM)
        rc, _, err = srv.wait()
        check(rc == 0, "exit %d after SIGTERM: %s" % (rc, err))
        m = re.search(r"stopped: (\d+) udp queries in \d+ batches, (\d+) tcp queries on (\d+) connections", err)
        check(m is not None, "no stop line: %r" % err)
        check(m.groups() == ("0", "5", "1"), "dig +keepopen: expected 5 tcp queries on 1 connection, server says %r"
              % m.group(0))
    finally:
        srv.stop()


def test_kdig_agrees_with_dig():
    for name, rtype in ((E("www"), "A"), (E(""), "MX"), (E("txt"), "TXT"), (E("medium"), "TXT"), (E("chain"), "A")):
        ref, _ = dig(name, rtype, "+bufsize=1232")
        # kdig sends no OPT unless asked: +bufsize=1232 matches dig's default.
        for opts in (["+notcp", "+bufsize=1232"], ["+tcp"], ["+bufsize=4096"], ["+tcp", "+bufsize=4096"]):
            k, _ = dig(name, rtype, *opts, tool="kdig")
            check(k.status == ref.status and ("aa" in k.flags) == ("aa" in ref.flags), "kdig %s: %r vs dig %r" % (opts, k, ref))
            for sec in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
                check(sorted(k.rr(sec)) == sorted(ref.rr(sec)), "%s %s kdig %s %s section: %s, dig: %s"
                      % (name, rtype, opts, sec, k.rr(sec), ref.rr(sec)))
            check(k.transport == ("TCP" if "+tcp" in opts else "UDP"), "kdig %s transport %s" % (opts, k.transport))


def test_sigterm_exits_0():
    srv = server()
    srv.signal(signal.SIGTERM)
    rc, _, err = srv.wait()
    check(rc == 0, "exit %d after SIGTERM: %s" % (rc, err))
    check(re.search(r"stopped: \d+ udp queries", err), "no stop line on stderr: %r" % err)
    check("loaded zone example.test." in err and "loaded zone 0.18.198.in-addr.arpa." in err, "zone log: %r" % err)


if __name__ == "__main__":
    try:
        main([test_every_type_answer_and_ttl, test_nxdomain_and_nodata_carry_the_soa, test_cname_chain_followed,
              test_referral_at_delegation, test_required_glue_that_does_not_fit_sets_tc, test_refused_outside_the_zones,
              test_query_case_kept, test_truncation_over_udp_full_over_tcp, test_edns_sizes,
              test_edns_version_do_bit_any_class_and_transfers,
              test_notimp_for_other_opcodes, test_formerr_and_silence_for_raw_packets, test_pipelined_tcp_raw,
              test_dig_keepopen_several_queries_one_connection, test_kdig_agrees_with_dig, test_sigterm_exits_0])
    finally:
        if "tmp" in _state:
            import shutil
            shutil.rmtree(_state["tmp"], ignore_errors=True)
