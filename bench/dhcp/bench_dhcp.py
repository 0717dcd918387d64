#!/usr/bin/python3
"""bench_dhcp.py: the DHCP part of `make bench`, run by scripts/bench-dhcp.sh (see its header for
the environment variables). Issue 11, "Fast": perfdhcp runs full DORA exchanges (DISCOVER,
OFFER, REQUEST, ACK) against `weft dhcp serve`, Kea (memfile, persist on) and dnsmasq.

The lab: two network namespaces made here (weft-dhcpbench-a-PID, weft-dhcpbench-b-PID) joined
by a veth pair, IPv6 off. perfdhcp in A on 198.18.0.2/15 acts as a relay agent (it puts its own
address in giaddr and listens on port 67), so every server answers it by unicast to
198.18.0.2:67; the servers, one at a time, in B on 198.18.0.1/15, serving the pool
198.18.1.0-198.19.255.254 (130,815 addresses) with a 7200 s lease. The server is pinned to core
1, perfdhcp (`-g single`: its receiver thread would only compete with its sender on the same
core) to core 0, and this harness stays on core 0.

The servers (SERVERS):
  weft      `weft dhcp serve --quiet`, as it ships: its lease log fdatasync'd once per batch before
            the batch's ACKs leave.
  kea       kea-dhcp4, memfile with persist true, one thread (its 2.2 default), logging at WARN for
            the per-lease messages: every lease is written to the CSV file (page cache) before the
            ACK, never fsync'd.
  kea-sync  the same Kea with its lease file in a directory marked `chattr +S` (ext4 synchronous
            updates, inherited by the file Kea creates there): every lease write returns only once
            it is on disk, as a write followed by fdatasync would. Kea has no setting for this;
            it is the durability weft ships, so this is "Kea with the same durability promise".
  dnsmasq   `--no-daemon --port=0` (no DNS) with its own lease file, `--no-ping` (it would wait
            for an ICMP echo before each new OFFER; weft and Kea do not probe), `--quiet-dhcp`,
            `--dhcp-lease-max` the pool size (its default is 1,000). After every request that
            changes a lease it rewrites its whole lease file and fsyncs it, before the reply.

A probe: a fresh server (empty lease directory, started and found ready: UDP port 67 bound and
its CPU idle), one `perfdhcp -4 -r RATE -p SECONDS -R CLIENTS -u -W 500000` run, the server
stopped (SIGTERM), its lease file checked. CLIENTS is the pool size and perfdhcp numbers its
clients' MACs in sequence, so no client appears twice in a probe (RATE x SECONDS stays below
the pool size): every ACK is a new lease for a new client. perfdhcp's `-u` counts any address
it was given twice. Counted: DISCOVERs sent, OFFERs, REQUESTs, ACKs, perfdhcp's drops (an
exchange whose answer did not come back within 1 s, or before the end), the UDP receive-buffer
drops in each namespace (/proc/net/snmp: the server's socket full vs perfdhcp's), the server's
CPU time (/proc/PID/schedstat), perfdhcp's (wait4). A probe passes when at most LOSS_MAX of
the DISCOVERs sent did not end in an ACK and no address was given twice.

The search, in ROUNDS interleaved rounds (the order rotates: weft, kea, kea-sync, dnsmasq;
kea, kea-sync, dnsmasq, weft; ...): every rate probed is a point of one grid, 1000 x 2^(i/8)
exchanges/s (9% apart), the same for every server, so servers that hold the same rate get the
same figure. In each round each server searches the grid on its own: a first probe, then
away from it in growing steps until it has both a passing and a failing rate, then bisection
down to neighbouring grid points (at most MAX_PROBES probes of STEP_S seconds). Round 1 starts
at RATE_START with steps of a doubling; later rounds start at the server's previous figure
with steps of one grid point, so they follow the machine's drift. A round's figure for a
server: the completed leases/s (ACKs / STEP_S) of its highest passing probe, less than one
grid step under its limit. The report gives the median over rounds and the per-round ratios.

A probe during which other programs (not kernel threads: those include the block layer's
completions of the servers' own flushes) took more than DISTURBED of a core is repeated after a
pause, twice at most; the disturbed attempts are kept in the results but count in no figure.

Correctness, after every weft probe (a violation stops the bench with an error): every line of
the lease file has its CRC and a newline; no address is leased to two clients; no client holds
two addresses; the leases in the file are at least the ACKs perfdhcp received. Once per round a
verification probe (not measured) runs perfdhcp with `-x l`, which lists every ACK's client
identifier and address: each must be in weft's lease file, as that client's lease. Kea's and
dnsmasq's lease files get the same counts (recorded, not fatal: they are not ours to fix).

Results go to build/bench/dhcp/results.json; the report (docs/perf/dhcp.md, dhcp.png) is
written from it. Every process this script starts is ended by PID; the namespaces (and so the
veth pair) and the lease directories are removed on every exit, failure or signal included.
"""
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "dhcp")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # bench/: what the harnesses share
from bench_common import (STARTED, busy_between, core_ticks, heavy_processes, must, on_signal,  # noqa: E402
                          others_busy, proc_cpu, reap, run, schedstat_ns, stop_all, wait_child)
import lease_files  # noqa: E402
OUT = os.path.join(ROOT, "docs", "perf")

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench"))
WEFT = os.path.abspath(os.environ.get("DHCP_BENCH_WEFT") or os.path.join(BUILD, "bin", "weft"))
RESULTS_DIR = os.path.join(ROOT, "build", "bench", "dhcp")
RESULTS = os.path.join(RESULTS_DIR, "results.json")


def env_float(name, default):
    text = os.environ.get(name, str(default))
    try:
        return float(text)
    except ValueError:
        raise SystemExit(f"bench-dhcp: {name}={text!r} is not a number")


SERVERS = os.environ.get("DHCP_SERVERS", "weft kea kea-sync dnsmasq").split()
ROUNDS = int(env_float("DHCP_ROUNDS", 3))
STEP_S = env_float("DHCP_STEP_S", 2)
MAX_PROBES = int(env_float("DHCP_PROBES", 12))  # per server and round
RATE_START = int(env_float("DHCP_RATE_START", 2000))
RATE_MIN = int(env_float("DHCP_RATE_MIN", 50))
LOSS_MAX = env_float("DHCP_LOSS_MAX", 0.01)
VERIFY = os.environ.get("DHCP_VERIFY", "1") != "0"
MAX_S = env_float("DHCP_BENCH_MAX_S", 330)
DISTURBED = env_float("DHCP_DISTURBED", 0.15)  # other programs' CPU, in cores, that voids a probe
PAUSE_S = 10  # before a disturbed probe is tried again
NOTE = os.environ.get("DHCP_BENCH_NOTE", "")
# The lease files live on the repository's filesystem (not /tmp, which may be tmpfs, where
# fdatasync costs nothing): the same one for every server.
LEASE_PARENT = os.path.abspath(os.environ.get("DHCP_LEASE_DIR") or RESULTS_DIR)

# kea-standin is Kea again under another name: the harness check DESIGN.md asks for (a peer
# against itself must come out at 1.0x within the noise), run by hand with
# DHCP_SERVERS="kea kea-standin"; never part of the default run.
KNOWN = ("weft", "kea", "kea-sync", "dnsmasq", "kea-standin")
NCPU = os.cpu_count() or 1
SERVER_CPU = "1" if NCPU > 1 else "0"
GEN_CPU = "0"
PID = os.getpid()
NS_A, NS_B = f"weft-dhcpbench-a-{PID}", f"weft-dhcpbench-b-{PID}"
IF_A, IF_B = f"wdhA{PID}"[:15], f"wdhB{PID}"[:15]
IP_GEN, IP_SRV, PREFIX = "198.18.0.2", "198.18.0.1", 15
NETMASK = "255.254.0.0"
POOL_FIRST, POOL_LAST = "198.18.1.0", "198.19.255.254"
DNS = "198.18.0.53"
LEASE_TIME = 7200  # longer than any run: no lease expires while it is counted


def ip_int(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


POOL_SIZE = ip_int(POOL_LAST) - ip_int(POOL_FIRST) + 1
# perfdhcp numbers its clients 0..CLIENTS-1 in sequence: a probe never sends more DISCOVERs
# than this, so no MAC repeats and every ACK is a new client's lease.
CLIENTS = POOL_SIZE
RATE_MAX = int(env_float("DHCP_RATE_MAX", int(0.9 * CLIENTS / STEP_S)))
WAIT_US = 500000  # perfdhcp -W: answers to the last requests still counted, nothing new sent


def log(msg):
    try:
        print(f"bench-dhcp: {msg}", flush=True)
    except BrokenPipeError:
        pass


# ---- CPU and counters -----------------------------------------------------------------------

def others_cpu(before, after, mine):
    """CPU taken by processes not started here between two proc_cpu() snapshots: the three
    largest [(comm, seconds)], and the seconds of user processes in all. Kernel threads are
    listed but not summed: the block layer's completions of the servers' own flushes run in
    them."""
    rows = others_busy(before, after, mine)
    return [(comm, sec) for comm, sec, _, _ in rows[:3]], sum(sec for _, sec, kthread, _ in rows if not kthread)


def udp_counters(ns):
    """UDP InDatagrams, OutDatagrams and RcvbufErrors of namespace ns (/proc/net/snmp)."""
    text = must(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"])
    lines = [line.split() for line in text.splitlines() if line.startswith("Udp:")]
    row = dict(zip(lines[0][1:], (int(x) for x in lines[1][1:])))
    return {"in": row["InDatagrams"], "out": row["OutDatagrams"], "rcvbuf_errors": row["RcvbufErrors"]}


# ---- the lab ----------------------------------------------------------------------------------

LAB = []  # namespaces created, to be deleted


def lab_up():
    for ns in (NS_A, NS_B):
        must(["ip", "netns", "add", ns])
        LAB.append(ns)
        # Before the veth exists: no IPv6 address, no router or neighbour solicitations.
        for key in ("all", "default"):
            must(["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"])
    must(["ip", "link", "add", IF_A, "netns", NS_A, "type", "veth", "peer", "name", IF_B, "netns", NS_B])
    for ns, ifname, addr in ((NS_A, IF_A, IP_GEN), (NS_B, IF_B, IP_SRV)):
        must(["ip", "-n", ns, "addr", "add", f"{addr}/{PREFIX}", "dev", ifname])
        must(["ip", "-n", ns, "link", "set", ifname, "up"])
        must(["ip", "-n", ns, "link", "set", "lo", "up"])
    deadline = time.monotonic() + 10
    while True:
        states = [must(["ip", "-n", ns, "-br", "link", "show", "dev", ifname]).split()[1]
                  for ns, ifname in ((NS_A, IF_A), (NS_B, IF_B))]
        if all(s in ("UP", "UNKNOWN") for s in states):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the veth {IF_A}/{IF_B} did not come up: {states}")
        time.sleep(0.05)


def lab_down():
    for ns in list(LAB):
        r = run(["ip", "netns", "del", ns])
        if r.returncode == 0:
            LAB.remove(ns)
        else:
            log(f"could not delete namespace {ns}: {r.stderr.strip()}")


# ---- the servers ------------------------------------------------------------------------------

def kea_config(d, lease_dir):
    return {"Dhcp4": {
        # Every request comes through perfdhcp acting as a relay: plain UDP sockets suffice.
        "interfaces-config": {"interfaces": [IF_B], "dhcp-socket-type": "udp"},
        "lease-database": {"type": "memfile", "persist": True, "name": os.path.join(lease_dir, "kea-leases4.csv"),
                           "lfc-interval": 0},
        "multi-threading": {"enable-multi-threading": False},
        "valid-lifetime": LEASE_TIME,
        "subnet4": [{"id": 1, "subnet": f"198.18.0.0/{PREFIX}", "pools": [{"pool": f"{POOL_FIRST} - {POOL_LAST}"}],
                     "option-data": [{"name": "routers", "data": IP_SRV},
                                     {"name": "domain-name-servers", "data": DNS}]}],
        # INFO would log every lease (kea-dhcp4.leases); weft runs with --quiet and dnsmasq with
        # --quiet-dhcp, so Kea keeps only its start-up lines and warnings.
        "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": os.path.join(d, "kea.log")}],
                     "severity": "INFO"},
                    {"name": "kea-dhcp4.leases", "output_options": [{"output": os.path.join(d, "kea.log")}],
                     "severity": "WARN"}]}}


def lease_path(server, lease_dir):
    return os.path.join(lease_dir, {"weft": "weft.leases", "kea": "kea-leases4.csv", "kea-sync": "kea-leases4.csv",
                                    "kea-standin": "kea-leases4.csv",
                                    "dnsmasq": "dnsmasq.leases"}[server])


def server_cmd(server, d, lease_dir):
    """(argv, env) of one server, all its files in d and lease_dir."""
    if server == "weft":
        return [WEFT, "dhcp", "serve", "--iface", IF_B, "--range", f"{POOL_FIRST}-{POOL_LAST}", "--router", IP_SRV,
                "--dns", DNS, "--lease-time", str(LEASE_TIME), "--lease-file", lease_path(server, lease_dir),
                "--quiet"], None
    if server in ("kea", "kea-sync", "kea-standin"):
        path = os.path.join(d, "kea.json")
        with open(path, "w") as f:
            json.dump(kea_config(d, lease_dir), f)
        return ["kea-dhcp4", "-c", path], dict(os.environ, KEA_PIDFILE_DIR=d, KEA_LOCKFILE_DIR=d)
    if server == "dnsmasq":
        return ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", f"--interface={IF_B}",
                "--bind-interfaces", "--no-ping", "--quiet-dhcp", f"--log-facility={os.path.join(d, 'dnsmasq.log')}",
                f"--dhcp-range={POOL_FIRST},{POOL_LAST},{NETMASK},{LEASE_TIME}", f"--dhcp-option=3,{IP_SRV}",
                f"--dhcp-option=6,{DNS}", f"--dhcp-lease-max={POOL_SIZE}",
                f"--dhcp-leasefile={lease_path(server, lease_dir)}", f"--pid-file={os.path.join(d, 'dnsmasq.pid')}"], None
    raise RuntimeError(f"unknown server {server!r} (known: {', '.join(KNOWN)})")


def udp_port_bound(pid, port=67):
    """True when pid holds a UDP socket bound to `port` (/proc/PID/net/udp: its own namespace)."""
    try:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
            if m:
                inodes.add(m.group(1))
        with open(f"/proc/{pid}/net/udp") as f:
            for line in f.read().splitlines()[1:]:
                c = line.split()
                if len(c) >= 10 and int(c[1].split(":")[1], 16) == port and c[9] in inodes:
                    return True
    except OSError:
        pass
    return False


def receive_buffer(pid):
    """The receive buffer limit (bytes) of pid's port-67 socket, from `ss -u -a -m -p` in B."""
    r = run(["ip", "netns", "exec", NS_B, "ss", "-u", "-a", "-m", "-p", "-n"])
    block = ""
    for line in r.stdout.splitlines():
        block = line if not line.startswith((" ", "\t")) else block + line
        if f"pid={pid}," in block and ":67 " in block:
            m = re.search(r"rb(\d+)", block)
            if m:
                return int(m.group(1))
    return None


class Server:
    """One server process in namespace B, pinned to SERVER_CPU, with a fresh lease directory."""

    def __init__(self, name, parent):
        self.name = name
        self.d = tempfile.mkdtemp(prefix=f"{name}.", dir=parent)
        self.lease_dir = os.path.join(self.d, "leases")
        os.mkdir(self.lease_dir)
        if name == "kea-sync":
            # ext4's synchronous-updates attribute; files created in the directory inherit it.
            must(["chattr", "+S", self.lease_dir])
        argv, env = server_cmd(name, self.d, self.lease_dir)
        self.errpath = os.path.join(self.d, "stderr")
        self.err = open(self.errpath, "w+")
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS_B, "taskset", "-c", SERVER_CPU] + argv, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err)
        STARTED.append(self.proc)
        self.pid = self.proc.pid  # ip netns exec and taskset exec the server: the same PID
        try:
            self.wait_ready()
            if name == "kea-sync":
                path = self.lease_path()
                attrs = must(["lsattr", path]).split()[0] if os.path.exists(path) else ""
                if "S" not in attrs:
                    raise RuntimeError(f"kea-sync: {path} lacks the S attribute ({attrs!r}): the "
                                       "filesystem does not honour chattr +S")
        except BaseException:
            self.proc.kill()
            reap(self.proc, 5)
            self.remove()
            raise

    def lease_path(self):
        return lease_path(self.name, self.lease_dir)

    def tail(self):
        self.err.seek(0)
        text = self.err.read()
        for extra in ("kea.log", "dnsmasq.log"):
            p = os.path.join(self.d, extra)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text.strip()[-400:]

    def wait_ready(self):
        """Port 67 bound, then no CPU used for 0.25 s (start-up work done: Kea and dnsmasq read
        their configuration and lease file after binding)."""
        deadline = time.monotonic() + 20
        while not udp_port_bound(self.pid):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not bind port 67 in {NS_B}"
                                   f"{' (exit %d)' % self.proc.returncode if self.proc.poll() is not None else ''}: "
                                   f"{self.tail()}")
            time.sleep(0.02)
        last, quiet_since = schedstat_ns(self.pid), time.monotonic()
        while time.monotonic() - quiet_since < 0.25:
            time.sleep(0.05)
            now = schedstat_ns(self.pid)
            if now != last:
                last, quiet_since = now, time.monotonic()
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not settle after binding port 67: {self.tail()}")

    def stop(self):
        """SIGTERM, then its exit code (SIGKILL after 10 s, which is then an error)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{self.name} did not stop within 10 s of SIGTERM")
        finally:
            if self.proc in STARTED:
                STARTED.remove(self.proc)
        return self.proc.returncode

    def remove(self):
        self.err.close()
        if os.path.isdir(self.lease_dir):
            run(["chattr", "-S", self.lease_dir])
        shutil.rmtree(self.d, ignore_errors=True)


# ---- perfdhcp ---------------------------------------------------------------------------------

STAT_KEYS = {"sent packets": "sent", "received packets": "received", "drops": "drops", "orphans": "orphans",
             "rejected leases": "rejected", "non unique addresses": "non_unique", "avg delay": "avg_delay_ms",
             "max delay": "max_delay_ms"}


def parse_perfdhcp(text):
    """{"DISCOVER-OFFER": {...}, "REQUEST-ACK": {...}, "leases": [(client id hex, address)]}."""
    out = {}
    section = None
    leases = None
    for line in text.splitlines():
        m = re.match(r"\*\*\*Statistics for: (.+?)\*\*\*", line)
        if m:
            section, leases = out.setdefault(m.group(1), {}), None
            continue
        m = re.match(r"\*\*\*Leases for (.+?)\*\*\*", line)
        if m:
            section = None
            leases = out.setdefault("leases", []) if m.group(1) == "REQUEST-ACK" else None
            continue
        if leases is not None:
            parts = line.strip().split(",")
            if len(parts) >= 2 and re.match(r"\d+\.\d+\.\d+\.\d+$", parts[1]):
                leases.append((parts[0].lower(), parts[1]))
            continue
        m = re.match(r"([a-z ]+): ([\d.]+)", line.strip())
        if m and section is not None and m.group(1) in STAT_KEYS:
            v = float(m.group(2))
            section[STAT_KEYS[m.group(1)]] = v if "delay" in m.group(1) else int(v)
        m = re.match(r"Malformed packets: (\d+)", line.strip())
        if m:
            out["malformed"] = int(m.group(1))
    return out


def perfdhcp_cmd(rate, seconds, list_leases=False):
    return (["ip", "netns", "exec", NS_A, "taskset", "-c", GEN_CPU, "perfdhcp", "-4", "-g", "single", "-l", IF_A,
             "-r", str(rate), "-p", f"{seconds:g}", "-R", str(CLIENTS), "-u", "-W", str(WAIT_US)]
            + (["-x", "l"] if list_leases else []) + [IP_SRV])


# ---- lease files: what each server wrote ------------------------------------------------------

def check_leases(server, path, acks, fatal):
    if not os.path.exists(path):
        chk = {"lines": 0, "leases": 0, "violations": [f"no lease file at {path}"]}
    elif server == "weft":
        chk = lease_files.check_weft_file(path)
        chk.pop("live")
    elif server.startswith("kea"):
        chk = lease_files.check_kea_file(path)
    else:
        chk = lease_files.check_dnsmasq_file(path)
    chk["acks"] = acks
    if chk["leases"] < acks:
        chk["violations"].append(f"{acks} ACKs received but only {chk['leases']} leases in the file")
    if chk["violations"]:
        msg = f"{server}: lease check failed: " + "; ".join(chk["violations"][:4])
        if fatal:
            raise RuntimeError(msg)
        log("WARNING " + msg)
    return chk


# ---- probes -----------------------------------------------------------------------------------

def probe(server_name, rate, seconds, phase, rnd, list_leases=False):
    """One fresh server, one perfdhcp run at `rate` for `seconds`, the lease file checked."""
    srv = Server(server_name, LEASE_PARENT)
    try:
        rb = receive_buffer(srv.pid)
        cpu0 = schedstat_ns(srv.pid)
        ua0, ub0 = udp_counters(NS_A), udp_counters(NS_B)
        ticks0 = core_ticks()
        procs0 = proc_cpu()
        outpath = os.path.join(srv.d, "perfdhcp.out")
        with open(outpath, "w+") as out:
            gen = subprocess.Popen(perfdhcp_cmd(rate, seconds, list_leases), stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT)
            STARTED.append(gen)
            code, wall, ru = wait_child(gen, seconds + 30)
            out.seek(0)
            text = out.read()
        ticks1 = core_ticks()
        cpu1 = schedstat_ns(srv.pid)
        ua1, ub1 = udp_counters(NS_A), udp_counters(NS_B)
        others, others_s = others_cpu(procs0, proc_cpu(), {os.getpid(), srv.pid, gen.pid})
        alive = srv.proc.poll() is None
        exit_code = srv.stop()
        if not alive:
            raise RuntimeError(f"{server_name} exited {exit_code} during the probe: {srv.tail()}")
        # perfdhcp exits 3 when some exchange was not completed: that is data, not a failure.
        stats = parse_perfdhcp(text)
        do, ra = stats.get("DISCOVER-OFFER"), stats.get("REQUEST-ACK")
        if code not in (0, 3) or not do or not ra:
            raise RuntimeError(f"perfdhcp exited {code} against {server_name}: {text.strip()[-400:]}")
        fatal = server_name == "weft"
        try:
            chk = check_leases(server_name, srv.lease_path(), ra.get("received", 0), fatal)
            verified = None
            if list_leases:
                verified = verify_listed(server_name, srv.lease_path(), stats.get("leases", []), ra.get("received", 0))
        except RuntimeError as e:
            # The evidence outlives the probe's directory: the lease file and perfdhcp's output.
            kept = os.path.join(RESULTS_DIR, f"failed-{server_name}-{phase}-{rate}")
            for src, name in ((srv.lease_path(), "leases"), (outpath, "perfdhcp.out")):
                if os.path.exists(src):
                    shutil.copyfile(src, f"{kept}.{name}")
            raise RuntimeError(f"{e} (kept as {os.path.relpath(kept, ROOT)}.leases and .perfdhcp.out)")
        server_cpu = (cpu1 - cpu0) / 1e9
        busy = busy_between(ticks0, ticks1, SERVER_CPU)
        gen_core = busy_between(ticks0, ticks1, GEN_CPU)
        gen_cpu = ru.ru_utime + ru.ru_stime
        window = wall
        sent = do.get("sent", 0)
        acks = ra.get("received", 0)
        loss = 1 - acks / sent if sent else 1.0
        row = {"server": server_name, "phase": phase, "round": rnd, "target": rate, "seconds": seconds,
               "wall_s": wall, "discover_sent": sent, "offers": do.get("received", 0),
               "requests": ra.get("sent", 0), "acks": acks,
               "drops_do": do.get("drops", 0), "drops_ra": ra.get("drops", 0),
               "orphans": do.get("orphans", 0) + ra.get("orphans", 0),
               "rejected": do.get("rejected", 0) + ra.get("rejected", 0),
               "non_unique_offers": do.get("non_unique", 0), "non_unique_acks": ra.get("non_unique", 0),
               "malformed": stats.get("malformed", 0),
               "avg_delay_do_ms": do.get("avg_delay_ms"), "avg_delay_ra_ms": ra.get("avg_delay_ms"),
               "offered": sent / seconds, "completed": acks / seconds, "loss": loss,
               "gen_limited": sent < 0.95 * rate * seconds,
               # Busy over the sending period: the server's work is there (the -W tail is short).
               "server_cpu_s": server_cpu, "server_busy": server_cpu / seconds,
               "gen_cpu_s": ru.ru_utime + ru.ru_stime, "gen_reached": sent / (rate * seconds),
               "core_server": busy, "other_on_server_core": max(0.0, busy - server_cpu / window) if window > 0 else float("nan"),
               # perfdhcp polls its core full above 10,000/s: what it did not get went to others.
               "core_gen": gen_core, "other_on_gen_core": max(0.0, gen_core - gen_cpu / window) if window > 0 else float("nan"),
               "server_rcvbuf_drops": ub1["rcvbuf_errors"] - ub0["rcvbuf_errors"],
               "gen_rcvbuf_drops": ua1["rcvbuf_errors"] - ua0["rcvbuf_errors"],
               "server_udp_in": ub1["in"] - ub0["in"], "server_udp_out": ub1["out"] - ub0["out"],
               "server_exit": exit_code, "receive_buffer": rb, "lease_check": chk, "verified": verified,
               "others": others, "others_cpu_s": others_s,
               # Someone else's program took a real share of a core: the probe measured the
               # machine's sharing, not the server; the search repeats it (measured_probe).
               # /proc/stat's ticks catch what the snapshots miss, a compiler that came and went
               # within the probe.
               "disturbed": (others_s > DISTURBED * wall or max(busy - server_cpu / window, gen_core - gen_cpu / window)
                             > DISTURBED)}
        row["passed"] = loss <= LOSS_MAX and row["non_unique_acks"] == 0 and not chk["violations"] and acks > 0
        return row
    finally:
        srv.remove()


def verify_listed(server_name, path, listed, acks):
    """Every (client id, address) perfdhcp lists as ACKed is that client's lease in the file."""
    if server_name != "weft":
        return None
    if len(listed) != acks:
        raise RuntimeError(f"weft verification: perfdhcp listed {len(listed)} ACKed leases for {acks} ACKs")
    chk = lease_files.check_weft_file(path)
    live = chk["live"]
    missing = [(c, a) for c, a in listed if live.get(a) != f"id:{c}"]
    addresses = [a for _, a in listed]
    dup = len(addresses) - len(set(addresses))
    if missing or dup:
        raise RuntimeError(f"weft verification: {len(missing)} of {len(listed)} ACKed leases are not in the lease "
                           f"file as their client's (e.g. {missing[:2]}), {dup} addresses ACKed twice")
    return {"listed": len(listed), "found": len(listed) - len(missing), "duplicates": dup}


def show(r):
    chk = r["lease_check"]
    log(f"{r['phase']:<6} {r['server']:<8} r{r['round'] + 1 if r['round'] >= 0 else '-'} {r['target']:>6}/s: "
        f"sent {r['discover_sent']:,} offers {r['offers']:,} acks {r['acks']:,} -> {r['completed']:,.0f} leases/s, "
        f"loss {r['loss']:.2%}{' PASS' if r['passed'] else ' fail'}{' (perfdhcp limit)' if r['gen_limited'] else ''}; "
        f"server cpu {r['server_busy']:.0%} ({r['server_cpu_s'] * 1e6 / max(1, r['acks']):.0f} us/lease), "
        f"perfdhcp cpu {r['gen_cpu_s']:.2f} s; others on cores {r['other_on_gen_core']:.0%}/{r['other_on_server_core']:.0%}; "
        f"socket drops server {r['server_rcvbuf_drops']:,} "
        f"perfdhcp {r['gen_rcvbuf_drops']:,}; file {chk['leases']:,} leases"
        + (f"; verified {r['verified']['found']:,}/{r['verified']['listed']:,}" if r.get("verified") else ""))


# ---- the search -------------------------------------------------------------------------------

class OutOfTime(Exception):
    pass


DEADLINE = [0.0]


def budget():
    if time.monotonic() > DEADLINE[0]:
        raise OutOfTime()


# Every probe rate is a point of one geometric grid, 1000 x 2^(i/8) (steps of 9%), the same for
# every server: two servers that hold the same rate then get the same figure whatever path
# their searches took (with rates picked anywhere in each server's bracket, Kea against itself
# came out at 0.88x, its two copies having been probed at different rates).
GRID_STEPS = 8  # grid points per doubling


def grid_rate(i):
    return int(round(1000 * 2 ** (i / GRID_STEPS)))


def grid_index(rate):
    """The grid point nearest `rate`."""
    return int(round(GRID_STEPS * math.log2(rate / 1000)))


def measured_probe(server, rate, seconds, phase, rnd, probes):
    """probe(), repeated (twice at most, after a pause) when other programs took more than
    DISTURBED of a core meanwhile; the disturbed attempts are kept, as phase "disturbed", out
    of the figures. Returns the last attempt."""
    for attempt in range(3):
        budget()
        r = probe(server, rate, seconds, phase, rnd)
        show(r)
        if not r["disturbed"] or attempt == 2:
            probes.append(r)
            return r
        r["phase"], r["was_phase"] = "disturbed", phase
        probes.append(r)
        log(f"disturbed: other programs used {r['others_cpu_s']:.1f} s of CPU during that probe "
            f"({', '.join(c for c, _ in r['others'])}); again in {PAUSE_S:g} s")
        time.sleep(PAUSE_S)
    return r


def search_round(server, start, step, rnd, probes):
    """One round's search for the highest grid rate the server passes: a probe at grid index
    `start`, then away from it in steps that double until they double the rate (step, 2 step,
    ..., GRID_STEPS) until both a passing and a failing rate are known, then bisection between
    them down to neighbouring grid points, in at most MAX_PROBES probes. Returns (the highest
    passing probe or None, the grid index to start the server's next round from)."""
    lo = hi = None  # this round's highest pass and lowest failure
    best = None
    bottom, top = grid_index(RATE_MIN) + 1, grid_index(RATE_MAX)
    while grid_rate(top) > RATE_MAX:
        top -= 1
    i = min(max(start, bottom), top)
    for _ in range(MAX_PROBES):
        r = measured_probe(server, grid_rate(i), STEP_S, "round", rnd, probes)
        if r["passed"]:
            lo = i
            best = r if best is None or r["completed"] > best["completed"] else best
            if r["gen_limited"]:
                hi = i  # perfdhcp could not send more: nothing above can be measured
        else:
            hi = i
        if lo is not None and hi is not None:
            if hi - lo <= 1:
                break
            i = (lo + hi) // 2
        elif hi is None:  # everything passed so far: gallop up
            if lo >= top:
                break
            i, step = min(top, lo + step), min(2 * step, GRID_STEPS)
        else:  # everything failed so far: gallop down
            if hi <= bottom:
                break
            i, step = max(bottom, hi - step), min(2 * step, GRID_STEPS)
    return best, (lo if lo is not None else (hi - 1 if hi is not None else start))


# ---- the filesystem the lease files are on ----------------------------------------------------

def filesystem_facts(path):
    """Which filesystem and device hold `path`, its mount options, the device's write cache,
    and what write + fdatasync of one lease-sized line costs there (200 times)."""
    facts = {"path": os.path.relpath(path, ROOT) if path.startswith(ROOT) else path}
    r = run(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS,TARGET", "-T", path])
    parts = r.stdout.split()
    if len(parts) >= 4:
        facts.update(source=parts[0], fstype=parts[1], options=parts[2], mount=parts[3])
    dev = os.path.basename(facts.get("source", ""))
    base = re.sub(r"p?\d+$", "", dev) if not os.path.exists(f"/sys/block/{dev}") else dev
    for name, rel in (("write_cache", "queue/write_cache"), ("fua", "queue/fua"), ("rotational", "queue/rotational")):
        try:
            with open(f"/sys/block/{base}/{rel}") as f:
                facts[name] = f.read().strip()
        except OSError:
            pass
    facts["device"] = base
    # How long a write that nobody fsyncs (Kea's) may stay only in memory.
    for name in ("dirty_expire_centisecs", "dirty_writeback_centisecs"):
        try:
            with open(f"/proc/sys/vm/{name}") as f:
                facts[name] = int(f.read())
        except (OSError, ValueError):
            pass
    d = tempfile.mkdtemp(prefix="fsync.", dir=path)
    try:
        fd = os.open(os.path.join(d, "probe"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        line = b"lease 198.18.1.1 id:01000c01020304 00:0c:01:02:03:04 1700003600 3b62d3e8\n"
        lat = []
        for _ in range(200):
            os.write(fd, line)
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t)
        os.close(fd)
        lat.sort()
        facts["fdatasync_us"] = {"median": lat[100] * 1e6, "p90": lat[180] * 1e6, "p99": lat[198] * 1e6,
                                 "max": lat[-1] * 1e6}
        sd = os.path.join(d, "s")
        os.mkdir(sd)
        facts["chattr_S"] = run(["chattr", "+S", sd]).returncode == 0
        run(["chattr", "-S", sd])
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return facts


# ---- versions ---------------------------------------------------------------------------------

def first_line(args):
    try:
        r = run(args)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = (r.stdout + r.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


def versions():
    v = {"perfdhcp": first_line(["perfdhcp", "-v"]).replace("VERSION:", "").strip(),
         "kea": first_line(["kea-dhcp4", "-v"]), "dnsmasq": first_line(["dnsmasq", "--version"]),
         "kernel": os.uname().release, "ncpu": NCPU}
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    v["cpu"] = cpu
    v["commit"] = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip() or "?"
    v["dirty"] = bool(run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip())
    v["weft"] = os.path.relpath(WEFT, ROOT) if WEFT.startswith(ROOT) else WEFT
    return v


# ---- main ---------------------------------------------------------------------------------------

def measure(res):
    probes = res["probes"]
    log(f"lab up: {NS_A} ({IF_A} {IP_GEN}, perfdhcp on core {GEN_CPU}) <-> {NS_B} ({IF_B} {IP_SRV}, "
        f"servers on core {SERVER_CPU}); pool {POOL_FIRST}-{POOL_LAST} ({POOL_SIZE:,})")
    # Round 1 starts every server at RATE_START and doubles (8 grid points) or halves until it
    # has a pass and a failure; later rounds start where the server's previous round ended, a
    # grid point at a time, so each round is a search of its own that follows the machine's drift.
    start = {server: (grid_index(RATE_START), GRID_STEPS) for server in SERVERS}
    for rnd in range(ROUNDS):
        order = SERVERS[rnd % len(SERVERS):] + SERVERS[:rnd % len(SERVERS)]
        for server in order:
            best, nxt = search_round(server, *start[server], rnd, probes)
            start[server] = (nxt, 1)
            res["rounds"].append({"round": rnd, "server": server,
                                  "completed": best["completed"] if best else 0.0,
                                  "target": best["target"] if best else 0,
                                  "gen_limited": bool(best and best["gen_limited"])})
            log(f"round {rnd + 1} {server}: {res['rounds'][-1]['completed']:,.0f} leases/s")
            if VERIFY and server == "weft" and best:
                # The exact check: perfdhcp lists every ACK; each must be in the file.
                budget()
                # Half the round's rate: perfdhcp keeps every packet with -x l and slows down.
                r = probe("weft", max(RATE_MIN, int(best["target"] * 0.5)), STEP_S, "verify", rnd, list_leases=True)
                probes.append(r)
                show(r)
        res["rounds_done"] = rnd + 1


def main():
    import report
    if os.environ.get("DHCP_BENCH_REPORT_ONLY") == "1":
        with open(RESULTS) as f:
            res = json.load(f)
        if "DHCP_BENCH_NOTE" in os.environ:  # a note added afterwards stays with the results
            res["note"] = NOTE
            with open(RESULTS, "w") as f:
                json.dump(res, f, indent=1)
        report.write(res, OUT)
        log("wrote docs/perf/dhcp.md and docs/perf/dhcp.png from " + os.path.relpath(RESULTS, ROOT))
        return
    unknown = [s for s in SERVERS if s not in KNOWN]
    if unknown:
        raise RuntimeError(f"DHCP_SERVERS: unknown {' '.join(unknown)} (known: {', '.join(KNOWN)})")
    if os.geteuid() != 0:
        raise RuntimeError("needs root (network namespaces, port 67): run `sudo scripts/bench-dhcp.sh`")
    if "weft" in SERVERS and not os.access(WEFT, os.X_OK):
        raise RuntimeError(f"{WEFT} not built (cmake --build ... --target weft_cli)")
    if STEP_S * RATE_MAX > CLIENTS:
        raise RuntimeError(f"DHCP_RATE_MAX x seconds must stay under {CLIENTS:,} clients (the pool)")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    os.makedirs(LEASE_PARENT, exist_ok=True)
    os.sched_setaffinity(0, {int(GEN_CPU)})  # the harness stays off the servers' core
    t_start = time.monotonic()
    DEADLINE[0] = t_start + MAX_S
    res = {"started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "versions": versions(),
           "settings": {"servers": SERVERS, "rounds": ROUNDS, "step_s": STEP_S, "probes": MAX_PROBES,
                        "rate_start": RATE_START, "rate_min": RATE_MIN, "rate_max": RATE_MAX, "loss_max": LOSS_MAX,
                        "clients": CLIENTS, "pool": f"{POOL_FIRST}-{POOL_LAST}", "pool_size": POOL_SIZE,
                        "lease_time": LEASE_TIME, "wait_us": WAIT_US, "server_cpu": SERVER_CPU, "gen_cpu": GEN_CPU,
                        "verify": VERIFY, "max_s": MAX_S, "disturbed": DISTURBED, "pause_s": PAUSE_S, "ip_gen": IP_GEN, "ip_srv": IP_SRV, "prefix": PREFIX},
           "env": {k: v for k, v in sorted(os.environ.items())
                   if k.startswith("DHCP_") and k != "DHCP_BENCH_NOTE"},
           "build_arg": os.path.relpath(BUILD, ROOT), "note": NOTE,
           "heavy_at_start": heavy_processes(), "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
           "probes": [], "rounds": [], "rounds_done": 0, "stopped_early": None}
    if res["heavy_at_start"]:
        log("the machine is not quiet: " + "; ".join(x[:80] for x in res["heavy_at_start"][:5]))
    res["filesystem"] = filesystem_facts(LEASE_PARENT)
    fs = res["filesystem"]
    log(f"lease files on {fs.get('fstype', '?')} ({fs.get('source', '?')}, write cache {fs.get('write_cache', '?')}): "
        f"fdatasync median {fs['fdatasync_us']['median']:.0f} us, p99 {fs['fdatasync_us']['p99']:.0f} us")
    if "kea-sync" in SERVERS and not fs.get("chattr_S"):
        raise RuntimeError(f"kea-sync needs chattr +S on {LEASE_PARENT} (ext4); drop it from DHCP_SERVERS")
    completed = False
    try:
        lab_up()
        try:
            measure(res)
        except OutOfTime:
            res["stopped_early"] = (f"time budget of {MAX_S:.0f} s (DHCP_BENCH_MAX_S) reached after "
                                    f"{res['rounds_done']} complete rounds")
            log(res["stopped_early"])
        completed = True
    finally:
        stop_all()
        lab_down()
        res["elapsed_s"] = time.monotonic() - t_start
        res["heavy_at_end"] = heavy_processes()
        res["loadavg_at_end"] = open("/proc/loadavg").read().split()[:3]
        path = RESULTS if completed else RESULTS.replace(".json", "-interrupted.json")
        with open(path, "w") as f:
            json.dump(res, f, indent=1)
        if not completed:
            log(f"interrupted: everything started was stopped, the lab removed; partial results in "
                f"{os.path.relpath(path, ROOT)}")
    report.write(res, OUT)
    log(f"wrote {os.path.relpath(RESULTS, ROOT)}, docs/perf/dhcp.md and docs/perf/dhcp.png in {res['elapsed_s']:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"bench-dhcp: {e}", file=sys.stderr)
        sys.exit(1)
