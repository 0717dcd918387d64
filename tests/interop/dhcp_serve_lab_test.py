"""weft dhcp serve judged by independent clients in a lab of two namespaces (root): busybox
udhcpc gets every option right, the same MAC gets its address back, a second MAC another, a
pool of one refuses the second client and keeps serving the first; weft dhcp client gets a
lease from it; and kill -9 in the middle of a burst of clients (a raw-socket client below,
run in ns A) loses no ACKed lease and never gives one address to two MACs."""
import ipaddress
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_lab import Lab  # noqa: E402
from weft_testlib import *  # noqa: E402,F403

SERVER = "198.18.0.1"
RANGE = ("198.18.0.10", "198.18.0.14")
ROUTER = "198.18.0.254"
DNS = ("198.18.0.53", "198.18.0.54")
LEASE = 600

# udhcpc runs this instead of configuring the interface: it writes what it was given.
UDHCPC_SCRIPT = """#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
printf 'ip=%s\\nsubnet=%s\\nrouter=%s\\ndns=%s\\nlease=%s\\nserverid=%s\\n' \
    "$ip" "$subnet" "$router" "$dns" "$lease" "$serverid" > "$(dirname "$0")/udhcpc.out"
"""


class DhcpServer:
    """`weft dhcp serve` in ns B; stderr (one line per event) goes to a file, so a long burst
    never blocks the server on a full pipe."""

    def __init__(self, lab, tmp, *args, lease_file=None):
        self.err_path = os.path.join(tmp, "serve-%d.err" % time.monotonic_ns())
        self.err = open(self.err_path, "w")
        self.lease_file = lease_file or os.path.join(tmp, "leases")
        argv = lab.cmd("b", WEFT, "dhcp", "serve", "--iface", lab.iface("b"), "--lease-file", self.lease_file, *args)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline().strip() if self._readable(10) else ""
        check(line.startswith("listening on %s:67 (dhcp, %s, range " % (SERVER, lab.iface("b"))),
              "server did not start: %r %s" % (line, self.log()))

    def _readable(self, timeout):
        return bool(select.select([self.proc.stdout], [], [], timeout)[0])

    def log(self):
        with open(self.err_path) as f:
            return f.read()

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns (exit code, the last stdout line)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            out = ""
        return self.proc.returncode, out.strip()


def udhcpc(lab, tmp, tries=5):
    busybox = require_tool("busybox", "busybox")
    script = os.path.join(tmp, "udhcpc.sh")
    with open(script, "w") as f:
        f.write(UDHCPC_SCRIPT)
    os.chmod(script, 0o755)
    out = os.path.join(tmp, "udhcpc.out")
    if os.path.exists(out):
        os.unlink(out)
    rc, _, err = run(lab.cmd("a", busybox, "udhcpc", "-i", lab.iface("a"), "-f", "-q", "-n", "-t", str(tries),
                             "-T", "1", "-s", script), timeout=tries * 3 + 10)
    if rc != 0 or not os.path.exists(out):
        return rc, None, err
    with open(out) as f:
        return rc, dict(line.split("=", 1) for line in f.read().splitlines()), err


def check_options(got, what):
    check(got is not None, "%s: udhcpc got no lease" % what)
    address = ipaddress.IPv4Address(got["ip"])
    check(ipaddress.IPv4Address(RANGE[0]) <= address <= ipaddress.IPv4Address(RANGE[1]),
          "%s: %s outside the range" % (what, address))
    check(got["subnet"] == "255.255.255.0", "%s: subnet %r" % (what, got))
    check(got["router"] == ROUTER, "%s: router %r" % (what, got))
    check(got["dns"].split() == list(DNS), "%s: dns %r" % (what, got))
    check(got["lease"] == str(LEASE), "%s: lease %r" % (what, got))
    check(got["serverid"] == SERVER, "%s: serverid %r" % (what, got))
    return got["ip"]


def set_mac(lab, mac):
    run(lab.cmd("a", "ip", "link", "set", lab.iface("a"), "address", mac))


def serve_args(first=RANGE[0], last=RANGE[1]):
    return ("--range", "%s-%s" % (first, last), "--router", ROUTER, "--dns", ",".join(DNS),
            "--lease-time", str(LEASE))


def test_udhcpc_and_weft_client_get_leases():
    with Lab("dhcps", addresses=(None, SERVER + "/24")) as lab:
        tmp = tempfile.mkdtemp(prefix="weft-dhcp-serve-")
        server = None
        try:
            server = DhcpServer(lab, tmp, *serve_args())
            set_mac(lab, "02:00:00:00:01:01")
            first = check_options(udhcpc(lab, tmp)[1], "first MAC")
            check(check_options(udhcpc(lab, tmp)[1], "first MAC again") == first, "the same MAC got another address")
            set_mac(lab, "02:00:00:00:01:02")
            second = check_options(udhcpc(lab, tmp)[1], "second MAC")
            check(second != first, "two MACs got %s" % first)
            # udhcpc asks for no broadcast: the replies went as frames to its MAC (RFC 2131 4.1).
            check("ACK %s to 02:00:00:00:01:02 (hardware)" % second in server.log(), "no ACK line: %s"
                  % server.log())

            # weft's own client, a third MAC.
            set_mac(lab, "02:00:00:00:01:03")
            rc, out, err = run(lab.cmd("a", WEFT, "dhcp", "client", "--iface", lab.iface("a"), "--json",
                                       "--timeout", "10"), timeout=30)
            check(rc == 0, "weft dhcp client: exit %d %s" % (rc, err))
            got = json.loads(out)
            check(got["address"] not in (first, second) and got["netmask"] == "255.255.255.0"
                  and got["router"] == ROUTER and got["dns"] == list(DNS) and got["lease_time"] == LEASE
                  and got["server_id"] == SERVER, "weft dhcp client got %r" % got)

            # A second server on the same link: port 67 is taken (exit 1), and config errors
            # are usage errors naming the value (exit 2).
            rc, _, err = run(lab.cmd("b", WEFT, "dhcp", "serve", "--iface", lab.iface("b"), "--lease-file",
                                     os.path.join(tmp, "other"), *serve_args()))
            check(rc == 1 and "in use" in err and lab.iface("b") in err, "second server: %d %s" % (rc, err))
            rc, _, err = run(lab.cmd("b", WEFT, "dhcp", "serve", "--iface", lab.iface("b"), "--range",
                                     "198.18.0.20-198.18.0.10", "--lease-file", os.path.join(tmp, "other")))
            check(rc == 2 and "198.18.0.20-198.18.0.10" in err, "bad range: %d %s" % (rc, err))
            rc, _, err = run(lab.cmd("a", WEFT, "dhcp", "serve", "--iface", lab.iface("a"), "--range",
                                     "198.18.0.10-198.18.0.11", "--lease-file", os.path.join(tmp, "other")))
            check(rc == 2 and lab.iface("a") in err, "interface without an address: %d %s" % (rc, err))

            rc, last = server.stop()
            check(rc == 0 and last.endswith("requests, 3 leases") and last.startswith("stopped: "),
                  "stop: %d %r" % (rc, last))
            server = None

            # A pool of one: the first client is served, the second refused, the first again.
            server = DhcpServer(lab, tmp, *serve_args(RANGE[0], RANGE[0]),
                                lease_file=os.path.join(tmp, "pool-of-one"))
            set_mac(lab, "02:00:00:00:01:01")
            check(check_options(udhcpc(lab, tmp)[1], "pool of one") == RANGE[0], "pool of one: not its address")
            set_mac(lab, "02:00:00:00:01:02")
            rc, got, _ = udhcpc(lab, tmp, tries=2)
            check(rc != 0 and got is None, "pool of one: the second client got %r" % got)
            check("full" in server.log(), "no full-pool line: %s" % server.log())
            set_mac(lab, "02:00:00:00:01:01")
            check(check_options(udhcpc(lab, tmp)[1], "pool of one again") == RANGE[0], "first client refused")
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


# ---- the burst: a DHCP client for many MACs at once, on a packet socket in ns A ----

def _dhcp(mac, xid, kind, broadcast, extra=b""):
    body = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000 if broadcast else 0,
                       b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"", b"")
    options = b"\x63\x82\x53\x63" + bytes([53, 1, kind]) + extra + bytes([55, 3, 1, 3, 6, 255])
    payload = (body + options).ljust(300, b"\0")
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\0" * 4, b"\xff" * 4)
    csum = sum(struct.unpack("!10H", ip))
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
    ip = ip[:10] + struct.pack("!H", csum) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp


def _reply(frame):
    """(xid, type, yiaddr, server id) of a DHCP reply frame, else None."""
    if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 15) * 4
    udp = 14 + ihl
    if struct.unpack("!H", frame[udp + 2:udp + 4])[0] != 68:
        return None
    d = frame[udp + 8:]
    if d[0] != 2:
        return None
    xid = struct.unpack("!I", d[4:8])[0]
    yiaddr = socket.inet_ntoa(d[16:20])
    kind, server, i = None, None, 240
    while i < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        code, length = d[i], d[i + 1]
        value = d[i + 2:i + 2 + length]
        if code == 53:
            kind = value[0]
        elif code == 54:
            server = value
        i += 2 + length
    return xid, kind, yiaddr, server


def burst(iface, count, out_path, seconds, holds):
    """Runs `count` clients (16 at a time) to an ACK each; one line per ACK in out_path.
    When the ACK count reaches one of `holds`, it prints "at N" and waits for "go" on stdin
    with its other clients still in flight: the test kills the server exactly there, however
    fast or slow the machine is."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    sock.bind((iface, 0))
    out = open(out_path, "w", buffering=1)
    rng = random.Random(os.getpid())
    clients, done, deadline = {}, 0, time.monotonic() + seconds

    def start():
        mac = bytes([2]) + rng.randbytes(5)
        c = {"mac": mac, "xid": rng.getrandbits(32), "state": "discover", "sent": 0.0,
             "broadcast": rng.random() < 0.5}
        clients[c["xid"]] = c

    def send(c):
        if c["state"] == "discover":
            frame = _dhcp(c["mac"], c["xid"], 1, c["broadcast"])
        else:
            extra = bytes([50, 4]) + socket.inet_aton(c["offer"]) + bytes([54, 4]) + c["server"]
            frame = _dhcp(c["mac"], c["xid"], 3, c["broadcast"], extra)
        sock.send(frame)
        c["sent"] = time.monotonic()

    while done < count and time.monotonic() < deadline:
        while len(clients) < min(16, count - done):
            start()
        now = time.monotonic()
        for c in list(clients.values()):
            if now - c["sent"] > 0.3:  # a lost exchange, or a server being restarted
                send(c)
        if not select.select([sock], [], [], 0.05)[0]:
            continue
        frame = sock.recv(2048)
        got = _reply(frame)
        if got is None or got[0] not in clients:
            continue
        c = clients[got[0]]
        xid, kind, yiaddr, server = got
        if kind == 2 and c["state"] == "discover":  # OFFER
            c.update(state="request", offer=yiaddr, server=server)
            send(c)
        elif kind == 5 and c["state"] == "request":  # ACK
            out.write("ACK %s %s\n" % (c["mac"].hex(":"), yiaddr))
            del clients[xid]
            done += 1
            if done in holds:
                print("at %d" % done, flush=True)
                if sys.stdin.readline().strip() != "go":
                    sys.exit(1)
        elif kind == 6:  # NAK: start over
            c.update(state="discover")
            send(c)
    out.close()
    sys.exit(0 if done >= count else 1)


def acks(path):
    with open(path) as f:
        return [tuple(line.split()[1:3]) for line in f if line.startswith("ACK ")]


def lease_file_state(path):
    """The last valid record per address: {address: (event, mac)}."""
    state = {}
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            if not raw or raw.startswith(b"#"):
                continue
            body, _, crc = raw.rpartition(b" ")
            if len(crc) != 8 or "%08x" % zlib.crc32(body) != crc.decode(errors="replace"):
                continue
            event, address, _client, mac, _time = body.decode().split(" ")
            state[address] = (event, mac)
    return state


def check_acks_kept(lease_file, acked, when):
    state = lease_file_state(lease_file)
    for mac, address in acked:
        check(state.get(address) == ("lease", mac), "%s: ACK of %s to %s is not in the lease file (%r)"
              % (when, address, mac, state.get(address)))
    owners = {}
    for mac, address in acked:
        owners.setdefault(address, set()).add(mac)
    doubled = {a: m for a, m in owners.items() if len(m) > 1}
    check(not doubled, "%s: addresses ACKed to two MACs: %r" % (when, doubled))


def test_kill_9_in_a_burst_loses_no_lease():
    clients, kills = 240, 4
    with Lab("dhcpk", addresses=(None, SERVER + "/23")) as lab:
        tmp = tempfile.mkdtemp(prefix="weft-dhcp-kill-")
        server = driver = None
        try:
            args = ("--range", "198.18.0.10-198.18.1.250", "--lease-time", "3600", "--quiet")
            server = DhcpServer(lab, tmp, *args)
            ack_log = os.path.join(tmp, "acks")
            # Kill while clients are in flight: at every k/(kills+1) of the burst, where the
            # burst holds until the server has been killed and started again.
            holds = [clients * k // (kills + 1) for k in range(1, kills + 1)]
            driver = subprocess.Popen(lab.cmd("a", sys.executable, os.path.abspath(__file__), "burst",
                                              lab.iface("a"), str(clients), ack_log, "60",
                                              ",".join(map(str, holds))),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for k, target in enumerate(holds, 1):
                ready = select.select([driver.stdout], [], [], 30)[0]
                line = driver.stdout.readline().strip() if ready else ""
                check(line == "at %d" % target, "kill %d: the burst said %r, not 'at %d' (exit %r)"
                      % (k, line, target, driver.poll()))
                server.kill()
                check_acks_kept(server.lease_file, acks(ack_log), "after kill %d" % k)
                server = DhcpServer(lab, tmp, *args)
                driver.stdin.write("go\n")
                driver.stdin.flush()
            check(driver.wait(timeout=60) == 0, "the burst did not finish: %d ACKs" % len(acks(ack_log)))
            driver = None
            acked = acks(ack_log)
            check(len({mac for mac, _ in acked}) >= 200, "only %d clients ACKed" % len(acked))
            rc, _ = server.stop()
            check(rc == 0, "server exit %d: %s" % (rc, server.log()))
            # --quiet: not one OFFER or ACK line in 240 clients' exchanges.
            routine = [l for l in server.log().splitlines() if re.search(r"\b(OFFER|ACK) \d", l)]
            check(not routine, "--quiet logged %d OFFER/ACK lines, e.g. %r" % (len(routine), routine[:1]))
            server = None
            lease_file = os.path.join(tmp, "leases")
            check_acks_kept(lease_file, acked, "at the end")

            # A damaged line is named file:line in the log, and the good leases are kept.
            with open(lease_file) as f:
                good_lines = sum(1 for _ in f)
            with open(lease_file, "a") as f:
                f.write("lease 198.18.0.9 garbage\n")
            server = DhcpServer(lab, tmp, *args)
            check("%s:%d:" % (lease_file, good_lines + 1) in server.log(), "no file:line issue: %s" % server.log())
            rc, last = server.stop()
            server = None
            live = len({address for _, address in acked})
            check(rc == 0 and last.endswith(" requests, %d leases" % live), "restart on a damaged file: %r" % last)
        finally:
            if driver is not None and driver.poll() is None:
                driver.kill()
                driver.wait()
            if server is not None:
                server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "burst":
        burst(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]),
              {int(n) for n in sys.argv[6].split(",")})
    main([test_udhcpc_and_weft_client_get_leases, test_kill_9_in_a_burst_loses_no_lease])
