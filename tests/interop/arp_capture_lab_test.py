"""weft arp and weft capture on real links, judged by tcpdump, tshark and scapy, in a lab of two
network namespaces joined by a veth pair. Needs root (every part skips with the reason otherwise).

  caplab-<pid>-a: veth caplab-a 198.18.0.1/24, lo up (the HTTP fetch on lo)
  caplab-<pid>-b: veth caplab-b 198.18.0.2/24

IPv6 is off in both namespaces (sysctl, before the veth exists), so that only the test's own
traffic crosses the link and captures taken side by side see the same frames.

1. `weft arp` in A finds B's MAC after the neighbour caches are flushed; a tcpdump in B saw the
   request (read back with scapy); an absent address times out with exit 1 within its bound.
2. `weft capture` (to a pcap, to --json, and with --filter 'tcp port 8099') beside tcpdump (with
   and without the filter) in A while A pings B and sends a line over TCP to socat in B: the same
   frames, byte for byte and in order; the ARP exchange, the echo pairs and the handshake with
   the right fields (cross-checked against scapy); tshark and scapy read weft's pcap; --json is
   `weft decode --json` of tcpdump's pcap, line for line.
3. `weft capture --iface lo --json` of an HTTP fetch (weft http serve, curl) in A: the request
   and response heads in `http` layers, and the same frames as tcpdump on lo.
4. --count 5 and --duration 1 stop by themselves; SIGTERM stops a capture.

Every process is started by the test, awaited on conditions (tcpdump's "listening on", weft's
packet socket bound in /proc/PID/net/packet, sockets gone from /proc/net/tcp, frames in tcpdump's
packet-buffered file) and stopped by PID. The namespaces are deleted at the end, also on failure
and on SIGTERM/SIGINT; those of a run killed outright (its pid gone) are deleted by the next run."""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403
import weft_testlib  # noqa: E402
from weft_lab import in_ns, interruptible, ip, link_up, remove_leftover_namespaces  # noqa: E402

PREFIX = "caplab-"
NS_A, NS_B = "%s%d-a" % (PREFIX, os.getpid()), "%s%d-b" % (PREFIX, os.getpid())
IF_A, IF_B = "caplab-a", "caplab-b"
IP_A, IP_B, IP_ABSENT = "198.18.0.1", "198.18.0.2", "198.18.0.77"
TCP_PORT = 8099
LINE = b"hello from the capture lab\n"
BROADCAST = "ff:ff:ff:ff:ff:ff"
SUMMARY = re.compile(r"^(\d+) frames captured, (\d+) received by filter, (\d+) dropped by kernel$", re.M)
# Generous: the sanitizer build runs the same script, several times slower.
SLOW = 3.0 if os.environ.get("WEFT_SANITIZE", "").lower() in ("1", "true", "on") else 1.0


# ---- the lab ---------------------------------------------------------------------------------

class Lab:
    def __init__(self):
        self.created = []
        self.tmp = None
        self.mac_a = self.mac_b = None
        self.ifindex_a = None

    def build(self):
        """The namespaces and the veth between them; each namespace is recorded at once, so
        that destroy() deletes it whatever fails later."""
        self.tmp = tempfile.mkdtemp(prefix="weft-capture-lab-")
        remove_leftover_namespaces(PREFIX)
        for ns in (NS_A, NS_B):
            rc, _, err = ip("netns", "add", ns, check_rc=False)
            if rc != 0:
                skip("cannot create a network namespace (ip netns add %s): %s" % (ns, err.strip()))
            self.created.append(ns)
            # Before any interface exists: the veth then never gets an IPv6 address, sends no
            # router or neighbour solicitations, no MLD reports.
            rc, _, err = run(in_ns(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                                   "net.ipv6.conf.default.disable_ipv6=1"), timeout=20)
            check(rc == 0 or not os.path.exists("/proc/sys/net/ipv6"),
                  "turning IPv6 off in %s: exit %d %s" % (ns, rc, err))
        # Each end is created in its namespace directly: no name is ever taken in ours.
        ip("link", "add", IF_A, "netns", NS_A, "type", "veth", "peer", "name", IF_B, "netns", NS_B)
        for ns, dev, addr in ((NS_A, IF_A, IP_A), (NS_B, IF_B, IP_B)):
            ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        wait_for(lambda: link_up(NS_A, IF_A) and link_up(NS_B, IF_B), timeout=10, what="the veth link to come up")
        for ns, dev in ((NS_A, IF_A), (NS_B, IF_B)):
            _, out, _ = ip("-n", ns, "-6", "addr", "show", "dev", dev)
            check("inet6" not in out, "IPv6 is still on for %s in %s: %s" % (dev, ns, out))
        self.mac_a, self.ifindex_a = link_address(NS_A, IF_A)
        self.mac_b, _ = link_address(NS_B, IF_B)

    def destroy(self):
        for ns in list(self.created):
            rc, _, err = ip("netns", "del", ns, check_rc=False)
            if rc == 0:
                self.created.remove(ns)
            else:
                print("could not delete namespace %s: %s" % (ns, err.strip()), file=sys.stderr)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def path(self, name):
        return os.path.join(self.tmp, name)


LAB = None


def lab():
    """The lab, built by the first test that needs it (so that its skip or failure is that
    test's); deleted by test_lab_is_removed and, whatever happens, by the `finally` at the end."""
    global LAB
    require_tool("ip", "iproute2")
    require_tool("sysctl", "procps")
    if os.geteuid() != 0:
        skip("needs root: network namespaces (ip netns), veth, AF_PACKET sockets")
    if LAB is None:
        LAB = Lab()
        LAB.build()
    check(len(LAB.created) == 2, "the lab was not built (see the first test's failure)")
    return LAB


def link_address(ns, dev):
    """(MAC, ifindex) of dev in ns, as iproute2 reports them."""
    _, out, _ = ip("-n", ns, "-o", "link", "show", "dev", dev)
    m = re.match(r"(\d+): .*link/ether ([0-9a-f:]{17}) ", out)
    check(m is not None, "no MAC in `ip -n %s link show %s`: %r" % (ns, dev, out))
    return m.group(2), int(m.group(1))


def flush_neighbours():
    for ns in (NS_A, NS_B):
        ip("-n", ns, "neigh", "flush", "all")


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ---- pcap files and frames -------------------------------------------------------------------

class Frame:
    def __init__(self, ts, caplen, origlen, data):
        self.ts, self.caplen, self.origlen, self.data = ts, caplen, origlen, data


def read_pcap(path):
    """(linktype, [Frame], trailing bytes) of a pcap file, either byte order, micro- or
    nanosecond; a record that is still being written is left out (counted as trailing)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None, [], len(data)
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise AssertionError("%s: not a pcap file (magic %s)" % (path, data[:4].hex()))
    scale = 1e9 if magic == 0xA1B23C4D else 1e6
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            break
        frames.append(Frame(sec + frac / scale, incl, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, frames, len(data) - off


def tcp_of(frame):
    """(src ip, dst ip, sport, dport, flags, payload length) of an Ethernet/IPv4/TCP frame, else None."""
    d = frame.data if isinstance(frame, Frame) else frame
    if len(d) < 34 or d[12:14] != b"\x08\x00" or d[23] != 6:
        return None
    ihl = (d[14] & 0x0F) * 4
    total = struct.unpack("!H", d[16:18])[0]
    t = 14 + ihl
    if len(d) < t + 20:
        return None
    sport, dport = struct.unpack("!HH", d[t:t + 4])
    doff = (d[t + 12] >> 4) * 4
    return (".".join(map(str, d[26:30])), ".".join(map(str, d[30:34])), sport, dport, d[t + 13],
            total - ihl - doff)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def connection_closed(frames, port):
    """True when the frames hold a TCP connection on `port` closed both ways: a FIN from each
    side, and after the second one the other side's ACK of it."""
    fins, seen_second = set(), None
    for f in frames:
        t = tcp_of(f)
        if t is None or port not in (t[2], t[3]):
            continue
        side = t[2] == port  # True: from the server
        if t[4] & FIN and side not in fins:
            fins.add(side)
            if len(fins) == 2:
                seen_second = side
                continue
        if seen_second is not None and side != seen_second and t[4] & ACK:
            return True
    return False


def describe(frame):
    d = frame.data
    t = tcp_of(frame)
    if t:
        return "tcp %s:%d > %s:%d flags %#x len %d" % (t[0], t[2], t[1], t[3], t[4], t[5])
    if d[12:14] == b"\x08\x06":
        return "arp op %d %s > %s" % (d[21], ".".join(map(str, d[28:32])), ".".join(map(str, d[38:42])))
    if d[12:14] == b"\x08\x00" and d[23] == 1:
        return "icmp type %d %s > %s" % (d[34], ".".join(map(str, d[26:30])), ".".join(map(str, d[30:34])))
    return "ethertype %s, %d bytes" % (d[12:14].hex(), len(d))


def same_frames(ours, theirs, what):
    """ours and theirs ([Frame]) hold the same bytes in the same order."""
    if [f.data for f in ours] == [f.data for f in theirs]:
        return
    lines = ["%s: weft has %d frames, tcpdump %d" % (what, len(ours), len(theirs))]
    for i in range(max(len(ours), len(theirs))):
        a = describe(ours[i]) if i < len(ours) else "-"
        b = describe(theirs[i]) if i < len(theirs) else "-"
        same = i < len(ours) and i < len(theirs) and ours[i].data == theirs[i].data
        lines.append("  %3d %s weft: %-60s tcpdump: %s" % (i + 1, " " if same else "*", a, b))
    raise AssertionError("\n".join(lines))


# ---- processes -------------------------------------------------------------------------------

def started(proc):
    weft_testlib._started.append(proc)  # killed by main()'s cleanup if all else fails
    return proc


def end(proc, sig=signal.SIGINT, timeout=15):
    """Signals proc (by its PID) unless it ended, and waits; kills it if it does not end. Returns
    its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("%s did not end within %gs of signal %d" % (proc.args, timeout * SLOW, sig))
    return proc.returncode


def end_quietly(proc, sig=signal.SIGINT):
    """end() in a `finally`: a process that will not end is killed and reported on stderr, and
    the exception being handled (if any) stays the one reported."""
    if proc is None:
        return
    try:
        end(proc, sig)
    except AssertionError as e:
        print(e, file=sys.stderr)


class Tcpdump:
    """tcpdump writing a pcap, packet-buffered (-U) and in immediate mode, so that what it has
    seen is in the file at once; ready once it says "listening on"."""

    def __init__(self, ns, iface, path, *filter_words):
        self.path, self.err_path = path, path + ".stderr"
        with open(self.err_path, "w") as err:
            # -Z root: do not drop to the tcpdump user, who cannot write in our 0700 directory.
            self.proc = started(subprocess.Popen(
                in_ns(ns, "tcpdump", "-i", iface, "-nn", "-U", "--immediate-mode", "-Z", "root", "-w", path,
                      *filter_words), stdout=subprocess.DEVNULL, stderr=err))

        def listening():
            check(self.proc.poll() is None, "tcpdump exited with %s: %s" % (self.proc.returncode,
                                                                            read_text(self.err_path)))
            return "listening on" in read_text(self.err_path)
        wait_for(listening, timeout=10 * SLOW, what="tcpdump on %s to say 'listening on'" % iface)

    def frames(self):
        return read_pcap(self.path)[1] if os.path.exists(self.path) else []

    def stop(self):
        rc = end(self.proc)
        return self.finish(rc)

    def finish(self, rc):
        check(rc == 0, "tcpdump: exit %d: %s" % (rc, read_text(self.err_path)))
        linktype, frames, trailing = read_pcap(self.path)
        check(linktype == 1 and trailing == 0, "tcpdump's pcap: linktype %s, %d trailing bytes" % (linktype, trailing))
        return frames


def packet_socket_bound(pid, ifindex):
    """True when process pid holds a packet socket bound (running) on ifindex: /proc/PID/net/packet
    shows the sockets of the pid's namespace; the inode ties one to the process."""
    inodes = weft_testlib._socket_inodes(pid)
    try:
        with open("/proc/%d/net/packet" % pid) as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return False
    for row in rows:
        f = row.split()  # sk RefCnt Type Proto Iface R Rmem User Inode
        if len(f) >= 9 and f[8] in inodes and int(f[4]) == ifindex and f[5] == "1":
            return True
    return False


class WeftCapture:
    """`weft capture` in a namespace, stdout and stderr to files; ready once its packet socket
    is bound on the interface."""

    def __init__(self, ns, ifindex, args, name):
        self.out_path, self.err_path = name + ".stdout", name + ".stderr"
        self.args = args
        with open(self.out_path, "wb") as out, open(self.err_path, "w") as err:
            self.t0 = time.monotonic()
            self.proc = started(subprocess.Popen(in_ns(ns, WEFT, "capture", *args), stdout=out, stderr=err))
        self.ifindex = ifindex

    def wait_ready(self):
        def bound():
            check(self.proc.poll() is None, "weft capture %s exited with %s: %s"
                  % (" ".join(self.args), self.proc.returncode, read_text(self.err_path)))
            return packet_socket_bound(self.proc.pid, self.ifindex)
        wait_for(bound, timeout=10 * SLOW, what="weft capture %s to bind its packet socket" % " ".join(self.args))
        return self

    def finish(self, rc):
        """(captured, received, dropped, stdout bytes) once the process ended with rc."""
        err = read_text(self.err_path)
        what = "weft capture %s" % " ".join(self.args)
        check(rc == 0, "%s: exit %d: %s" % (what, rc, err))
        m = SUMMARY.search(err)
        check(m is not None, "%s: no summary line on stderr: %r" % (what, err))
        check(err.strip() == m.group(0), "%s: stderr has more than the summary: %r" % (what, err))
        with open(self.out_path, "rb") as f:
            out = f.read()
        return int(m.group(1)), int(m.group(2)), int(m.group(3)), out

    def stop(self, sig=signal.SIGINT):
        return self.finish(end(self.proc, sig))


def check_counts(what, captured, received, dropped, frames, loopback=False):
    check(captured == frames, "%s: the summary says %d frames captured, the output has %d" % (what, captured, frames))
    check(dropped == 0, "%s: %d frames dropped by the kernel" % (what, dropped))
    # On lo the kernel passes (and counts) each frame twice, going out and coming in; the
    # capture keeps one copy, as libpcap does, and "received by filter" is the kernel's count,
    # as tcpdump's is.
    expected = 2 * captured if loopback else captured
    check(received == expected, "%s: %d received by the filter for %d captured (expected %d; no traffic after the stop)"
          % (what, received, captured, expected))


def weft_pcap(path, what):
    linktype, frames, trailing = read_pcap(path)
    check(linktype == 1, "%s: link type %s, expected 1 (Ethernet)" % (what, linktype))
    check(trailing == 0, "%s: %d bytes after the last whole record" % (what, trailing))
    for i, f in enumerate(frames):
        check(f.caplen == len(f.data) and f.origlen == f.caplen,
              "%s frame %d: caplen %d origlen %d" % (what, i + 1, f.caplen, f.origlen))
    return frames


def decode_json(path):
    rc, out, err = run([WEFT, "decode", "--pcap", path, "--json"], timeout=60)
    check(rc == 0, "weft decode --pcap %s --json: exit %d %s" % (path, rc, err))
    return out.decode().splitlines()


def layers(obj):
    return {l["layer"]: l for l in obj["layers"]}


def scapy_modules():
    try:
        import logging
        logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
        from scapy.all import ARP, ICMP, IP, TCP, Ether, rdpcap  # noqa: F401
    except ImportError as e:
        raise AssertionError("scapy is not importable by %s (%s); scripts/install-deps.sh test installs python3-scapy"
                             % (sys.executable, e))
    import scapy.all
    return scapy.all


TCP_FLAG_NAMES = [("F", "FIN"), ("S", "SYN"), ("R", "RST"), ("P", "PSH"), ("A", "ACK"), ("U", "URG"), ("E", "ECE"),
                  ("C", "CWR")]


def scapy_agrees(sc, pkt, obj, n):
    """weft's JSON object for a frame reports the fields scapy reads from the same bytes."""
    got = layers(obj)
    want = {"ethernet": {"dst": pkt[sc.Ether].dst, "src": pkt[sc.Ether].src, "type": pkt[sc.Ether].type}}
    if sc.ARP in pkt:
        a = pkt[sc.ARP]
        want["arp"] = {"op": a.op, "sender_mac": a.hwsrc, "sender_ip": a.psrc, "target_mac": a.hwdst,
                       "target_ip": a.pdst}
    if sc.IP in pkt:
        p = pkt[sc.IP]
        want["ipv4"] = {"src": p.src, "dst": p.dst, "ttl": p.ttl, "id": p.id, "protocol": p.proto,
                        "total_length": p.len, "header_length": p.ihl * 4, "df": bool(p.flags.DF),
                        "checksum": p.chksum}
    if sc.ICMP in pkt:
        c = pkt[sc.ICMP]
        want["icmp"] = {"type": c.type, "code": c.code, "checksum": c.chksum, "id": c.id, "seq": c.seq}
    if sc.TCP in pkt:
        t = pkt[sc.TCP]
        want["tcp"] = {"src_port": t.sport, "dst_port": t.dport, "seq": t.seq, "ack": t.ack, "window": t.window,
                       "header_length": t.dataofs * 4,
                       "flags": [name for letter, name in TCP_FLAG_NAMES if letter in str(t.flags)]}
    for layer, fields in want.items():
        check(layer in got, "frame %d: scapy sees %s, weft's layers are %s" % (n, layer, list(got)))
        for field, value in fields.items():
            check(got[layer].get(field) == value, "frame %d: %s.%s is %r in weft's JSON, %r for scapy"
                  % (n, layer, field, got[layer].get(field), value))


# ---- 1. weft arp -----------------------------------------------------------------------------

def arp_frames(frames):
    """(op, sender mac, sender ip, target mac, target ip, eth dst) of the ARP frames."""
    out = []
    for f in frames:
        d = f.data
        if len(d) >= 42 and d[12:14] == b"\x08\x06":
            mac = lambda b: ":".join("%02x" % x for x in b)  # noqa: E731
            dotted = lambda b: ".".join(map(str, b))  # noqa: E731
            out.append((struct.unpack("!H", d[20:22])[0], mac(d[22:28]), dotted(d[28:32]), mac(d[32:38]),
                        dotted(d[38:42]), mac(d[0:6])))
    return out


def test_arp_finds_the_peer():
    L = lab()
    require_tool("tcpdump", "tcpdump")
    sc = scapy_modules()
    flush_neighbours()
    td = Tcpdump(NS_B, IF_B, L.path("arp-b.pcap"), "arp")
    try:
        rc, out, err = run(in_ns(NS_A, WEFT, "arp", IP_B, "--iface", IF_A, "--timeout", "5"), timeout=30)
        text = out.decode(errors="replace")
        check(rc == 0, "weft arp %s: exit %d %s%s" % (IP_B, rc, text, err))
        m = re.fullmatch(r"198\.18\.0\.2 is at ([0-9a-f:]{17}) on %s \((\d+\.\d{3}) ms, (\d+) requests?\)\n"
                         % IF_A, text)
        check(m is not None, "weft arp output %r" % text)
        check(m.group(1) == L.mac_b, "weft arp says %s is at %s, `ip -n %s link show` says %s"
              % (IP_B, m.group(1), NS_B, L.mac_b))
        requests = int(m.group(3))
        check(requests >= 1 and (requests == 1) == text.endswith("1 request)\n"), "requests in %r" % text)

        rc, out, err = run(in_ns(NS_A, WEFT, "arp", IP_B, "--iface", IF_A, "--timeout", "5", "--json"), timeout=30)
        check(rc == 0, "weft arp --json: exit %d %s" % (rc, err))
        j = json.loads(out)
        check(set(j) == {"ip", "mac", "rtt_ms", "interface", "requests"}, "weft arp --json keys: %s" % sorted(j))
        check(j["ip"] == IP_B and j["mac"] == L.mac_b and j["interface"] == IF_A, "weft arp --json: %s" % j)
        check(isinstance(j["rtt_ms"], (int, float)) and 0 <= j["rtt_ms"] < 5000, "rtt_ms %r" % j["rtt_ms"])
        check(isinstance(j["requests"], int) and j["requests"] >= 1, "requests %r" % j["requests"])
        requests += j["requests"]

        t0 = time.monotonic()
        rc, out, err = run(in_ns(NS_A, WEFT, "arp", IP_ABSENT, "--iface", IF_A, "--timeout", "1"), timeout=30)
        took = time.monotonic() - t0
        m = re.fullmatch(r"weft: no ARP reply from 198\.18\.0\.77 on %s within 1 s \((\d+) requests?\)\n" % IF_A, err)
        check(rc == 1 and m is not None and out == b"", "weft arp %s --timeout 1: exit %d stdout %r stderr %r"
              % (IP_ABSENT, rc, out, err))
        check(1.0 <= took < 1.0 + 5.0 * SLOW, "weft arp %s --timeout 1 took %.2fs" % (IP_ABSENT, took))
        absent_requests = int(m.group(1))
        check(absent_requests >= 2, "one request in 1 s (they are resent twice a second): %r" % err)

        # Every request is on B's side of the wire before tcpdump is stopped.
        wait_for(lambda: len([a for a in arp_frames(td.frames()) if a[0] == 1 and a[4] == IP_ABSENT])
                 >= absent_requests, timeout=10 * SLOW, what="tcpdump in %s to see the requests for %s"
                 % (NS_B, IP_ABSENT))
        wait_for(lambda: len([a for a in arp_frames(td.frames()) if a[0] == 2]) >= requests, timeout=10 * SLOW,
                 what="tcpdump in %s to see %d replies" % (NS_B, requests))
    finally:
        end_quietly(td.proc)
    frames = td.finish(td.proc.returncode)

    # What B's tcpdump saw, read by scapy: the requests weft sent and nothing else from A.
    pkts = sc.rdpcap(td.path)
    check(len(pkts) == len(frames), "scapy reads %d frames in tcpdump's pcap, expected %d" % (len(pkts), len(frames)))
    asked = {IP_B: 0, IP_ABSENT: 0}
    for n, p in enumerate(pkts, 1):
        check(sc.ARP in p, "frame %d of tcpdump's 'arp' capture is not ARP: %s" % (n, p.summary()))
        a = p[sc.ARP]
        if a.op == 1:
            check(p[sc.Ether].src == L.mac_a and p[sc.Ether].dst == BROADCAST,
                  "request %d: Ethernet %s > %s, expected %s > broadcast" % (n, p[sc.Ether].src, p[sc.Ether].dst,
                                                                            L.mac_a))
            check(a.hwsrc == L.mac_a and a.psrc == IP_A and a.pdst in asked,
                  "request %d: sender %s %s, target %s (expected sender %s %s)" % (n, a.hwsrc, a.psrc, a.pdst,
                                                                                    L.mac_a, IP_A))
            check(a.hwtype == 1 and a.ptype == 0x0800 and a.hwlen == 6 and a.plen == 4, "request %d: %r" % (n, a))
            asked[a.pdst] += 1
        else:
            check(a.op == 2 and a.hwsrc == L.mac_b and a.psrc == IP_B and a.hwdst == L.mac_a and a.pdst == IP_A
                  and p[sc.Ether].dst == L.mac_a, "frame %d: not B's reply to A: %s" % (n, p.summary()))
    check(asked == {IP_B: requests, IP_ABSENT: absent_requests},
          "requests on the wire %s; weft reported %d for %s and %d for %s"
          % (asked, requests, IP_B, absent_requests, IP_ABSENT))


# ---- 2. weft capture beside tcpdump ----------------------------------------------------------

def tcp_states(ns, port):
    """The TCP states (hex, as /proc/net/tcp has them) of the sockets on `port` in ns."""
    rc, out, err = run(in_ns(ns, "cat", "/proc/net/tcp"), timeout=20)
    check(rc == 0, "reading /proc/net/tcp in %s: %s" % (ns, err))
    states = []
    for row in out.decode().splitlines()[1:]:
        f = row.split()
        if int(f[1].rsplit(":", 1)[1], 16) == port or int(f[2].rsplit(":", 1)[1], 16) == port:
            states.append(f[3])
    return states


def listening(pid, port):
    """True when process pid (in its namespace) has a TCP socket listening on port."""
    inodes = weft_testlib._socket_inodes(pid)
    try:
        with open("/proc/%d/net/tcp" % pid) as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return False
    return any(int(r.split()[1].rsplit(":", 1)[1], 16) == port and r.split()[3] == "0A" and r.split()[9] in inodes
               for r in rows)


def test_capture_matches_tcpdump():
    L = lab()
    require_tool("tcpdump", "tcpdump")
    require_tool("ping", "iputils-ping")
    socat = require_tool("socat", "socat")
    tshark = require_tool("tshark", "tshark")
    sc = scapy_modules()
    flush_neighbours()
    received_path = L.path("received.txt")
    server = started(subprocess.Popen(
        in_ns(NS_B, socat, "-u", "TCP-LISTEN:%d,bind=%s,reuseaddr" % (TCP_PORT, IP_B), "CREATE:" + received_path),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    caps, tds = [], []
    try:
        wait_for(lambda: listening(server.pid, TCP_PORT) or server.poll() is not None, timeout=10 * SLOW,
                 what="socat to listen on %s:%d" % (IP_B, TCP_PORT))
        if server.poll() is not None:
            raise AssertionError("socat exited with %d: %s" % (server.returncode, server.stderr.read()))
        w_all = WeftCapture(NS_A, L.ifindex_a, ["--iface", IF_A, "--write", L.path("weft-all.pcap")], L.path("w-all"))
        caps.append(w_all)
        w_json = WeftCapture(NS_A, L.ifindex_a, ["--iface", IF_A, "--json"], L.path("w-json"))
        caps.append(w_json)
        w_filt = WeftCapture(NS_A, L.ifindex_a, ["--iface", IF_A, "--filter", "tcp port %d" % TCP_PORT,
                                                 "--write", L.path("weft-filtered.pcap")], L.path("w-filt"))
        caps.append(w_filt)
        for c in caps:
            c.wait_ready()
        t_all = Tcpdump(NS_A, IF_A, L.path("tcpdump-all.pcap"))
        tds.append(t_all)
        t_filt = Tcpdump(NS_A, IF_A, L.path("tcpdump-filtered.pcap"), "tcp", "port", str(TCP_PORT))
        tds.append(t_filt)

        rc, out, err = run(in_ns(NS_A, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", IP_B), timeout=30)
        check(rc == 0, "ping -c 3 %s: exit %d %s %s" % (IP_B, rc, out.decode(errors="replace"), err))
        rc, out, err = run(in_ns(NS_A, socat, "-u", "-", "TCP:%s:%d" % (IP_B, TCP_PORT)), input=LINE, timeout=30)
        check(rc == 0, "socat client: exit %d %s" % (rc, err))
        try:
            server.wait(timeout=10 * SLOW)
        except subprocess.TimeoutExpired:
            raise AssertionError("the socat server did not end after the client closed")
        if server.returncode != 0:
            raise AssertionError("socat server: exit %d %s" % (server.returncode, server.stderr.read()))
        with open(received_path, "rb") as f:
            check(f.read() == LINE, "the server received something else than the line")
        # The traffic is over once B's end is gone (A's waits in TIME_WAIT) and both tcpdumps,
        # which write each frame as it comes, have the last ACK.
        wait_for(lambda: all(s == "06" for s in tcp_states(NS_B, TCP_PORT)), timeout=10 * SLOW,
                 what="the connection to %s:%d to close" % (IP_B, TCP_PORT))
        for td in tds:
            wait_for(lambda: connection_closed(td.frames(), TCP_PORT), timeout=10 * SLOW,
                     what="tcpdump to see the connection closed")
        echo_replies = lambda frames: sum(1 for f in frames if f.data[12:14] == b"\x08\x00" and f.data[23] == 1  # noqa
                                          and f.data[34] == 0)
        wait_for(lambda: echo_replies(t_all.frames()) >= 3, timeout=10 * SLOW, what="tcpdump to see 3 echo replies")
    finally:
        for p in [c.proc for c in caps] + [td.proc for td in tds]:
            end_quietly(p)
        end_quietly(server, signal.SIGTERM)
    t_all_frames, t_filt_frames = [td.finish(td.proc.returncode) for td in tds]

    # weft's pcap: the same frames as tcpdump's, in the same order; the counts add up.
    captured, received, dropped, _ = w_all.finish(w_all.proc.returncode)
    all_frames = weft_pcap(L.path("weft-all.pcap"), "weft capture --write")
    check_counts("weft capture --write", captured, received, dropped, len(all_frames))
    same_frames(all_frames, t_all_frames, "weft capture --write vs tcpdump -w on %s" % IF_A)
    for i, (ours, theirs) in enumerate(zip(all_frames, t_all_frames)):
        check(abs(ours.ts - theirs.ts) < 1.0, "frame %d: weft's timestamp %.6f, tcpdump's %.6f"
              % (i + 1, ours.ts, theirs.ts))
        check(i == 0 or ours.ts >= all_frames[i - 1].ts, "frame %d: timestamp goes back" % (i + 1))

    # tshark and scapy read weft's pcap, frame for frame.
    rc, out, err = run([tshark, "-n", "-r", L.path("weft-all.pcap"), "-T", "fields", "-e", "frame.len"], timeout=60)
    check(rc == 0, "tshark -r weft's pcap: exit %d %s" % (rc, err))
    check([int(x) for x in out.split()] == [len(f.data) for f in all_frames],
          "tshark reads frame lengths %s, weft wrote %s" % (out.split(), [len(f.data) for f in all_frames]))
    pkts = sc.rdpcap(L.path("weft-all.pcap"))
    check(len(pkts) == len(all_frames), "scapy reads %d frames, weft wrote %d" % (len(pkts), len(all_frames)))

    # --json: exactly `weft decode --json` of tcpdump's pcap of the same traffic.
    captured, received, dropped, out = w_json.finish(w_json.proc.returncode)
    lines = out.decode().splitlines()
    check_counts("weft capture --json", captured, received, dropped, len(lines))
    decoded = decode_json(L.path("tcpdump-all.pcap"))
    if lines != decoded:
        diff = next(i for i in range(max(len(lines), len(decoded)))
                    if i >= len(lines) or i >= len(decoded) or lines[i] != decoded[i])
        raise AssertionError("weft capture --json (%d lines) differs from weft decode --json of tcpdump's pcap "
                             "(%d lines) at line %d:\n  capture: %s\n  decode:  %s"
                             % (len(lines), len(decoded), diff + 1, lines[diff] if diff < len(lines) else "-",
                                decoded[diff] if diff < len(decoded) else "-"))
    objs = [json.loads(x) for x in lines]
    for n, (pkt, obj) in enumerate(zip(pkts, objs), 1):
        check(obj["frame"] == n and obj["length"] == len(pkt) and obj["original_length"] == len(pkt),
              "frame %d: frame/length fields %s" % (n, {k: obj[k] for k in ("frame", "length", "original_length")}))
        scapy_agrees(sc, pkt, obj, n)
    check_exchange(L, objs)

    # --filter 'tcp port 8099': only that connection's frames, the ones tcpdump's filter passed.
    captured, received, dropped, _ = w_filt.finish(w_filt.proc.returncode)
    filt_frames = weft_pcap(L.path("weft-filtered.pcap"), "weft capture --filter")
    check_counts("weft capture --filter", captured, received, dropped, len(filt_frames))
    for i, f in enumerate(filt_frames):
        t = tcp_of(f)
        check(t is not None and TCP_PORT in (t[2], t[3]), "filtered frame %d is not TCP port %d: %s"
              % (i + 1, TCP_PORT, describe(f)))
    check(len(filt_frames) == len(t_filt_frames), "--filter 'tcp port %d': weft captured %d frames, tcpdump %d"
          % (TCP_PORT, len(filt_frames), len(t_filt_frames)))
    same_frames(filt_frames, t_filt_frames, "weft capture --filter vs tcpdump with the same filter")
    same_frames(filt_frames, [f for f in all_frames if (tcp_of(f) or (0,) * 4)[2:4].count(TCP_PORT)],
                "weft capture --filter vs the tcp port %d frames of the unfiltered capture" % TCP_PORT)
    check(len(filt_frames) >= 8, "only %d frames of the connection" % len(filt_frames))
    print("on %s: %d frames (%d with --filter 'tcp port %d'), byte for byte tcpdump's"
          % (IF_A, len(all_frames), len(filt_frames), TCP_PORT))


def check_exchange(L, objs):
    """The ARP exchange, the echo pairs and the handshake, read from weft's JSON."""
    ls = [layers(o) for o in objs]
    check(len(ls) >= 2 and "arp" in ls[0] and "arp" in ls[1], "the capture does not begin with the ARP exchange: %s"
          % [list(x) for x in ls[:3]])
    req, rep = ls[0]["arp"], ls[1]["arp"]
    check(ls[0]["ethernet"]["dst"] == BROADCAST and ls[0]["ethernet"]["src"] == L.mac_a and ls[0]["ethernet"]["type"]
          == 0x0806, "ARP request's Ethernet header: %s" % ls[0]["ethernet"])
    check(req == {"layer": "arp", "op": 1, "sender_mac": L.mac_a, "sender_ip": IP_A, "target_mac": req["target_mac"],
                  "target_ip": IP_B} and req["target_mac"] in ("00:00:00:00:00:00", BROADCAST),
          "ARP request: %s" % req)
    check(ls[1]["ethernet"]["dst"] == L.mac_a and ls[1]["ethernet"]["src"] == L.mac_b, "ARP reply's Ethernet: %s"
          % ls[1]["ethernet"])
    check(rep == {"layer": "arp", "op": 2, "sender_mac": L.mac_b, "sender_ip": IP_B, "target_mac": L.mac_a,
                  "target_ip": IP_A}, "ARP reply: %s" % rep)

    icmp = [x for x in ls if "icmp" in x]
    check(len(icmp) == 6, "%d ICMP frames, expected 3 echo pairs" % len(icmp))
    for k in range(3):
        q, r = icmp[2 * k], icmp[2 * k + 1]
        check(q["icmp"]["type"] == 8 and q["icmp"]["code"] == 0 and q["ipv4"]["src"] == IP_A and q["ipv4"]["dst"] == IP_B
              and q["ethernet"]["src"] == L.mac_a and q["ethernet"]["dst"] == L.mac_b,
              "echo request %d: %s %s" % (k + 1, q["ipv4"], q["icmp"]))
        check(r["icmp"]["type"] == 0 and r["icmp"]["code"] == 0 and r["ipv4"]["src"] == IP_B and r["ipv4"]["dst"] == IP_A
              and r["ethernet"]["src"] == L.mac_b and r["ethernet"]["dst"] == L.mac_a,
              "echo reply %d: %s %s" % (k + 1, r["ipv4"], r["icmp"]))
        check(q["icmp"]["seq"] == k + 1 and r["icmp"]["seq"] == k + 1 and q["icmp"]["id"] == r["icmp"]["id"],
              "echo pair %d: request id/seq %s/%s, reply %s/%s" % (k + 1, q["icmp"]["id"], q["icmp"]["seq"],
                                                                  r["icmp"]["id"], r["icmp"]["seq"]))
        for x in (q, r):
            check(x["icmp"]["checksum_ok"] is True and x["ipv4"]["checksum_ok"] is True, "echo checksums: %s" % x)
            check(x["ipv4"]["protocol"] == 1 and x["ipv4"]["ttl"] == 64, "echo IPv4 header: %s" % x["ipv4"])

    tcp = [x for x in ls if "tcp" in x]
    check(len(tcp) >= 3, "%d TCP frames" % len(tcp))
    syn, synack, ack = (x["tcp"] for x in tcp[:3])
    check(syn["flags"] == ["SYN"] and syn["dst_port"] == TCP_PORT and tcp[0]["ipv4"]["src"] == IP_A
          and tcp[0]["ipv4"]["dst"] == IP_B and syn["ack"] == 0, "first TCP frame is not A's SYN: %s" % syn)
    check(any(o["kind"] == 2 for o in syn["options"]), "SYN without MSS: %s" % syn["options"])
    check(synack["flags"] == ["SYN", "ACK"] and synack["src_port"] == TCP_PORT and synack["dst_port"] == syn["src_port"]
          and synack["ack"] == (syn["seq"] + 1) % 2**32 and tcp[1]["ipv4"]["src"] == IP_B,
          "second TCP frame is not B's SYN-ACK of it: %s (SYN seq %d)" % (synack, syn["seq"]))
    check(ack["flags"] == ["ACK"] and ack["src_port"] == syn["src_port"] and ack["seq"] == (syn["seq"] + 1) % 2**32
          and ack["ack"] == (synack["seq"] + 1) % 2**32, "third TCP frame does not complete the handshake: %s" % ack)
    data = [x for x in tcp if x["tcp"]["src_port"] == syn["src_port"] and "payload" in x]
    check(len(data) == 1 and data[0]["payload"]["length"] == len(LINE) and data[0]["tcp"]["seq"] == ack["seq"],
          "the line is not one %d-byte segment after the handshake: %s" % (len(LINE), data))
    fins = [x["tcp"]["src_port"] for x in tcp if "FIN" in x["tcp"]["flags"]]
    check(sorted(fins) == sorted([syn["src_port"], TCP_PORT]), "FINs from ports %s" % fins)


# ---- 3. HTTP on lo ---------------------------------------------------------------------------

def test_capture_http_on_loopback():
    L = lab()
    require_tool("tcpdump", "tcpdump")
    curl = require_tool("curl", "curl")
    root = L.path("www")
    os.makedirs(root, exist_ok=True)
    body = b"captured on lo\n" * 8
    with open(os.path.join(root, "hello.txt"), "wb") as f:
        f.write(body)
    srv = Server(in_ns(NS_A, WEFT, "http", "serve", "--port", "0", "--root", root, "--quiet"), timeout=10 * SLOW)
    weft_testlib._started.append(srv.proc)
    cap, td = None, None
    try:
        check(srv.host == "127.0.0.1", "weft http serve: %s" % srv.banner)
        port = srv.port
        cap = WeftCapture(NS_A, 1, ["--iface", "lo", "--json", "--filter", "tcp port %d" % port],
                          L.path("w-lo")).wait_ready()
        td = Tcpdump(NS_A, "lo", L.path("tcpdump-lo.pcap"), "tcp", "port", str(port))
        rc, out, err = run(in_ns(NS_A, curl, "-sS", "--max-time", "10", "http://127.0.0.1:%d/hello.txt" % port),
                           timeout=30)
        check(rc == 0 and out == body, "curl: exit %d, %d bytes %s" % (rc, len(out), err))
        wait_for(lambda: connection_closed(td.frames(), port), timeout=10 * SLOW,
                 what="tcpdump on lo to see the connection closed")
    finally:
        for p in (cap.proc if cap else None, td.proc if td else None):
            end_quietly(p)
        end_quietly(srv.proc, signal.SIGTERM)
    src, _, serr = srv.wait(timeout=15 * SLOW)
    check(src == 0, "weft http serve: exit %d after SIGTERM: %s" % (src, serr))
    t_frames = td.finish(td.proc.returncode)
    captured, received, dropped, out = cap.finish(cap.proc.returncode)
    lines = out.decode().splitlines()
    check_counts("weft capture --iface lo", captured, received, dropped, len(lines), loopback=True)
    objs = [json.loads(x) for x in lines]
    for o in objs:
        ly = layers(o)
        check(ly["ipv4"]["src"] == "127.0.0.1" and port in (ly["tcp"]["src_port"], ly["tcp"]["dst_port"]),
              "frame %d is not of the fetch: %s" % (o["frame"], o))
    # The heads first (each distinct head once: a frame seen twice is judged below).
    heads = []
    for o in objs:
        for layer in o["layers"]:
            if layer["layer"] == "http" and layer not in heads:
                heads.append(layer)
    check(len(heads) == 2, "expected a request head and a response head, got %s" % heads)
    req, resp = heads
    check(req["kind"] == "request" and req["method"] == "GET" and req["target"] == "/hello.txt"
          and req["version"] == "HTTP/1.1", "request head: %s" % req)
    req_headers = {k.lower(): v for k, v in req["headers"]}
    check(req_headers.get("host") == "127.0.0.1:%d" % port and "curl/" in req_headers.get("user-agent", ""),
          "request headers: %s" % req["headers"])
    check(resp["kind"] == "response" and resp["status"] == 200 and resp["version"] == "HTTP/1.1",
          "response head: %s" % resp)
    resp_headers = {k.lower(): v for k, v in resp["headers"]}
    check(resp_headers.get("content-length") == str(len(body)), "response headers: %s" % resp["headers"])

    # Frame for frame what tcpdump saw on lo (libpcap hands over each frame once there, not
    # its outgoing copy as well).
    check(len(lines) == len(t_frames), "on lo weft captured %d frames, tcpdump %d: %s"
          % (len(lines), len(t_frames), "every frame twice (the outgoing copy too)"
             if len(objs) == 2 * len(t_frames) and [o["layers"] for o in objs[0::2]] == [o["layers"] for o in objs[1::2]]
             else "\n".join(lines)))
    decoded = decode_json(L.path("tcpdump-lo.pcap"))
    check(lines == decoded, "weft capture --json on lo differs from weft decode --json of tcpdump's pcap:\n%s\n---\n%s"
          % ("\n".join(lines), "\n".join(decoded)))


# ---- 4. stopping by itself -------------------------------------------------------------------

def test_count_and_duration_stop_by_themselves():
    L = lab()
    require_tool("ping", "iputils-ping")
    cap = WeftCapture(NS_A, L.ifindex_a, ["--iface", IF_A, "--count", "5", "--json"], L.path("w-count")).wait_ready()
    try:
        for _ in range(40):  # traffic until the capture has its 5 frames (2 per ping at least)
            rc, out, err = run(in_ns(NS_A, "ping", "-n", "-c", "1", "-W", "2", IP_B), timeout=30)
            check(rc == 0, "ping: exit %d %s" % (rc, err))
            try:
                cap.proc.wait(timeout=0.5 * SLOW)
                break
            except subprocess.TimeoutExpired:
                continue
        check(cap.proc.poll() is not None, "weft capture --count 5 did not stop after 40 pings")
    finally:
        end_quietly(cap.proc)
    captured, received, dropped, out = cap.finish(cap.proc.returncode)
    lines = out.decode().splitlines()
    check(captured == 5 and len(lines) == 5, "--count 5: %d captured, %d lines" % (captured, len(lines)))
    check(dropped == 0 and received >= 5, "--count 5: %d received, %d dropped" % (received, dropped))
    check([json.loads(x)["frame"] for x in lines] == [1, 2, 3, 4, 5], "--count 5 frames: %s" % lines)

    cap = WeftCapture(NS_A, L.ifindex_a, ["--iface", IF_A, "--duration", "1", "--write", L.path("w-duration.pcap")],
                      L.path("w-duration"))
    try:
        cap.proc.wait(timeout=15 * SLOW)
    except subprocess.TimeoutExpired:
        raise AssertionError("weft capture --duration 1 still runs after %gs" % (15 * SLOW))
    finally:
        end_quietly(cap.proc)
    took = time.monotonic() - cap.t0
    check(1.0 <= took < 1.0 + 5.0 * SLOW, "--duration 1 ended after %.2fs" % took)
    captured, received, dropped, _ = cap.finish(cap.proc.returncode)
    frames = weft_pcap(L.path("w-duration.pcap"), "weft capture --duration 1 --write")
    check_counts("weft capture --duration 1", captured, received, dropped, len(frames))

    # SIGTERM stops it as SIGINT does: the summary and exit 0.
    cap = WeftCapture(NS_A, L.ifindex_a, ["--iface", IF_A, "--json"], L.path("w-term")).wait_ready()
    rc, out, err = run(in_ns(NS_A, "ping", "-n", "-c", "1", "-W", "2", IP_B), timeout=30)
    check(rc == 0, "ping: exit %d %s" % (rc, err))
    t0 = time.monotonic()
    captured, received, dropped, out = cap.stop(signal.SIGTERM)
    check(time.monotonic() - t0 < 5.0 * SLOW, "SIGTERM took %.2fs to stop the capture" % (time.monotonic() - t0))
    check(captured >= 2 and captured == len(out.decode().splitlines()) and dropped == 0,
          "after SIGTERM: %d captured, %d lines, %d dropped" % (captured, len(out.decode().splitlines()), dropped))


def test_capture_ends_when_the_interface_goes():
    """Capture::run's errors are the socket's, "the interface went away" among them (tcpdump:
    "The interface disappeared", exit 1): a capture does not wait forever on a dead link."""
    L = lab()
    ip("-n", NS_A, "link", "add", "caplab-x", "type", "veth", "peer", "name", "caplab-y")
    ip("-n", NS_A, "link", "set", "caplab-x", "up")
    ip("-n", NS_A, "link", "set", "caplab-y", "up")
    _, ifindex = link_address(NS_A, "caplab-x")
    cap = WeftCapture(NS_A, ifindex, ["--iface", "caplab-x", "--json"], L.path("w-gone"))
    try:
        cap.wait_ready()
        ip("-n", NS_A, "link", "del", "caplab-x")
        try:
            cap.proc.wait(timeout=10 * SLOW)
        except subprocess.TimeoutExpired:
            raise AssertionError("weft capture --iface caplab-x still runs %gs after the interface was deleted"
                                 % (10 * SLOW))
    finally:
        end_quietly(cap.proc)
        ip("-n", NS_A, "link", "del", "caplab-x", check_rc=False)
    err = read_text(cap.err_path)
    check(cap.proc.returncode == 1 and "caplab-x" in err, "weft capture after its interface went: exit %d, stderr %r"
          % (cap.proc.returncode, err))


def test_lab_is_removed():
    if LAB is None:
        skip("no lab was built (see the tests before)")
    LAB.destroy()
    _, out, _ = ip("netns", "list", check_rc=False)
    check(NS_A not in out and NS_B not in out, "a lab namespace is left: %s" % out)


if __name__ == "__main__":
    with interruptible():
        try:
            main([test_arp_finds_the_peer, test_capture_matches_tcpdump, test_capture_http_on_loopback,
                  test_count_and_duration_stop_by_themselves, test_capture_ends_when_the_interface_goes,
                  test_lab_is_removed])
        finally:
            weft_testlib.cleanup()  # the processes first: a namespace goes when its last one does
            if LAB is not None:
                LAB.destroy()
