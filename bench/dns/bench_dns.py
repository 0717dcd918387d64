#!/usr/bin/env python3
"""bench_dns.py: the DNS part of `make bench`, run by scripts/bench-dns.sh (see its header for
the environment variables). `weft dns serve` against NSD and Knot DNS serving the same zone
(bench/dns/bench.test.zone), driven by dnsperf, as shared/DESIGN.md's "Performance method"
says:

- every server is started by this script with its own config in a temporary directory, on its
  own loopback port, pinned to core 0, with one worker for queries; NSD's response rate
  limiting is off (rrl-ratelimit: 0);
- before measuring, a sample of queries is asked of every server with dig and the answers
  (rcode, AA, answer section) are compared;
- dnsperf, pinned to core 1, drives the servers in turn in short slices (SLICE_S seconds, a
  new dnsperf process per slice), the order rotating every round, ROUNDS rounds per cell; the
  cells: `udp` and `tcp` (bench/dns/queries.txt: ~5,000 distinct queries, so they repeat) and
  `udp-distinct` (many.test, 44,444 queries none of which repeats within a pass: no server
  can answer from a memo of earlier responses);
- per slice: dnsperf's counts (sent, completed, lost, rcodes), its queries/s, the server's CPU
  time from /proc/PID/task/*/schedstat of all its processes (NSD forks) before and after, and
  dnsperf's own CPU time (wait4 rusage);
- medians over the slices; ratios against the peers measured in the same run.

Writes docs/perf/dns.md and docs/perf/dns.png. Every process it starts is ended by PID.
"""
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "dns")
ZONE_SRC = os.path.join(HERE, "bench.test.zone")
QUERIES = os.path.join(HERE, "queries.txt")
ORIGIN = "bench.test"
sys.path.insert(0, HERE)
import gen  # noqa: E402  (bench/dns/gen.py: many.test and its queries)
sys.path.insert(0, os.path.dirname(HERE))  # bench/: what the harnesses share
from bench_common import core_ticks  # noqa: E402
ORIGINS = [ORIGIN, gen.MANY_ORIGIN]
OUT = os.path.join(ROOT, "docs", "perf")

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
WEFT = os.path.abspath(os.environ.get("DNS_BENCH_WEFT") or os.path.join(BUILD, "bin", "weft"))
SLICE_S = float(os.environ.get("SLICE_S", "0.4"))
ROUNDS = int(os.environ.get("ROUNDS", "16"))
PORT0 = int(os.environ.get("DNS_BENCH_PORT", "29300"))
CELLS = os.environ.get("DNS_BENCH_CELLS", "udp tcp udp-distinct").split()
STANDIN = os.environ.get("DNS_BENCH_STANDIN", "1") != "0"
CLIENTS = int(os.environ.get("DNS_BENCH_CLIENTS", "8"))
INFLIGHT = int(os.environ.get("DNS_BENCH_INFLIGHT", "64"))
MAX_S = float(os.environ.get("DNS_BENCH_MAX_S", "170"))  # measuring stops after this
RAW = os.environ.get("DNS_BENCH_RAW", "")
NOTE = os.environ.get("DNS_BENCH_NOTE", "")
NCPU = os.cpu_count() or 1
SERVER_CPU = "0"
CLIENT_CPU = "1" if NCPU > 1 else "0"
PEERS = ["nsd", "knot"]


def log(msg):
    try:
        print(f"bench-dns: {msg}", flush=True)
    except BrokenPipeError:  # whoever read our output left: go on, the report is the result
        pass


# ---- processes we start, and only those ----------------------------------------------------

STARTED = []  # Popen objects, every process this script started (servers, dnsperf)


def children_of(pid):
    """PIDs of pid's descendants (NSD forks its xfrd and server processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = [int(x) for x in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


def start_time(pid):
    """The kernel's start time of pid (field 22 of /proc/PID/stat), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def stop_all():
    """SIGTERM to every process started here (a server ends its own helpers), SIGKILL after
    5 s; then SIGKILL to any helper still there, identified by PID and start time."""
    helpers = []
    for proc in STARTED:
        if proc.poll() is None:
            helpers += [(k, start_time(k)) for k in children_of(proc.pid)]
            try:
                proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
    deadline = time.time() + 5
    for proc in STARTED:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid, st in helpers:
        if st is not None and start_time(pid) == st:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


# ---- CPU accounting -----------------------------------------------------------------------

def schedstat(pids):
    """(run ns, run-queue wait ns) summed over every thread of pids."""
    run = wait = 0
    for p in pids:
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    a, b, _ = f.read().split()
                run += int(a)
                wait += int(b)
            except (OSError, ValueError):
                pass
    return run, wait


# ---- a minimal DNS probe (readiness: no dependency on dig) ------------------------------

def probe(port, origin, tcp=False, timeout=0.5):
    """True when 127.0.0.1:port answers origin's SOA with NOERROR and AA."""
    qid = os.getpid() & 0xFFFF
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    q += b"".join(bytes([len(x)]) + x.encode() for x in origin.split(".")) + b"\0"
    q += struct.pack(">HH", 6, 1)
    try:
        if tcp:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                s.sendall(struct.pack(">H", len(q)) + q)
                buf = b""
                while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                    chunk = s.recv(4096)
                    if not chunk:
                        return False
                    buf += chunk
                r = buf[2:]
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(q, ("127.0.0.1", port))
                r, _ = s.recvfrom(4096)
    except OSError:
        return False
    if len(r) < 12:
        return False
    rid, flags = struct.unpack(">HH", r[:4])
    return rid == qid and flags & 0x8000 and flags & 0x0400 and flags & 0xF == 0


def port_free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


# ---- the servers ----------------------------------------------------------------------------

def nsd_conf(d, name, port):
    path = os.path.join(d, f"{name}.conf")
    with open(path, "w") as f:
        f.write(f"""# {name}: NSD for bench-dns (written by bench/dns/bench_dns.py)
server:
  ip-address: 127.0.0.1
  port: {port}
  do-ip4: yes
  do-ip6: no
  server-count: 1          # one server process answers queries
  reuseport: no
  username: ""             # no privilege drop: the files are in a temporary directory
  chroot: ""
  database: ""             # zones read from the master file, no nsd.db
  zonesdir: "{d}"
  zonelistfile: "{d}/{name}.zonelist"
  xfrdfile: "{d}/{name}.xfrd"
  xfrdir: "{d}"
  pidfile: "{d}/{name}.pid"
  logfile: "{d}/{name}.log"
  verbosity: 0
  rrl-ratelimit: 0         # response rate limiting off (on by default, drops answers)
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
""" + "".join(f"""zone:
  name: {o}
  zonefile: "{d}/{o}.zone"
""" for o in ORIGINS))
    return ["nsd", "-d", "-c", path]


def knot_conf(d, name, port):
    run = os.path.join(d, name)
    os.makedirs(run, exist_ok=True)
    path = os.path.join(d, f"{name}.conf")
    with open(path, "w") as f:
        f.write(f"""# {name}: Knot DNS for bench-dns (written by bench/dns/bench_dns.py)
server:
    rundir: "{run}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "{run}"
control:
    listen: "{run}/knot.sock"
template:
  - id: default
    storage: "{d}"
    semantic-checks: off
    journal-content: none
    zonefile-sync: -1
zone:
""" + "".join(f"""  - domain: {o}
    file: "{d}/{o}.zone"
""" for o in ORIGINS))
    return ["knotd", "-c", path]


def weft_cmd(d, name, port):
    return [WEFT, "dns", "serve"] + [a for o in ORIGINS for a in ("--zone", f"{d}/{o}.zone")] + [
        "--host", "127.0.0.1", "--port", str(port), "--threads", "1", "--quiet"]


def weft_supports_dns_serve():
    if not os.access(WEFT, os.X_OK):
        return f"{WEFT} not built"
    r = subprocess.run([WEFT, "dns", "serve", "--help"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        said = (r.stderr or r.stdout).strip().splitlines()
        return f"{WEFT} has no `dns serve`: it says \"{said[0] if said else r.returncode}\""
    return None


class Server:
    def __init__(self, name, kind, port, proc):
        self.name, self.kind, self.port, self.proc = name, kind, port, proc
        self.pids = [proc.pid]

    def refresh_pids(self):
        self.pids = [self.proc.pid] + children_of(self.proc.pid)


def start_server(d, name, kind, port):
    make = {"nsd": nsd_conf, "knot": knot_conf, "weft": weft_cmd}[kind]
    while not port_free(port):
        port += 1
    cmd = ["taskset", "-c", SERVER_CPU] + make(d, name, port)
    errf = open(os.path.join(d, f"{name}.stderr"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf, cwd=d)
    STARTED.append(proc)
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            errf.close()
            msg = open(os.path.join(d, f"{name}.stderr")).read().strip().splitlines()[-3:]
            raise RuntimeError(f"{name} exited with {proc.returncode}: {' / '.join(msg)}")
        if all(probe(port, o) and probe(port, o, tcp=True) for o in ORIGINS):
            s = Server(name, kind, port, proc)
            s.refresh_pids()
            return s, port + 1
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer on 127.0.0.1:{port} within 15 s")


# ---- answers: a sample compared across servers with dig -------------------------------------

def sample_queries():
    q = [l.split() for l in open(QUERIES).read().splitlines()[:80]]
    q += [["www.bench.test", "A"], ["alias-chain.bench.test", "A"], ["bench.test", "SOA"],
          ["bench.test", "NS"], ["bench.test", "MX"], ["host-0000.bench.test", "MX"],
          ["host-0001.bench.test", "AAAA"], ["nx-none.bench.test", "A"],
          ["deep.nx.bench.test", "AAAA"], ["ns1.bench.test", "AAAA"], ["sub.bench.test", "A"],
          ["www.sub.bench.test", "AAAA"], ["example.com", "A"], ["h00000.many.test", "A"],
          ["h39999.many.test", "A"], ["nx-1.many.test", "A"], ["many.test", "NS"]]
    return q


SECTIONS = ("answer", "authority", "additional")


def dig_answers(port, queries, tcp=False):
    """Per query, in order, via one `dig -f`: {"status", "aa", "answer", "authority",
    "additional"}, each section's records normalised and sorted."""
    batch = "\n".join(f"{n} {t}" for n, t in queries) + "\n"
    args = ["dig", "-f", "-", "@127.0.0.1", "-p", str(port), "+norec", "+noedns", "+noall",
            "+comments", "+answer", "+authority", "+additional", "+time=2", "+tries=2"]
    out = subprocess.run(args + (["+tcp"] if tcp else []), input=batch, capture_output=True,
                         text=True, timeout=60).stdout
    res, cur, section = [], None, None
    for line in out.splitlines():
        m = re.search(r"->>HEADER<<- opcode: \w+, status: (\w+)", line)
        if m:
            cur = {"status": m.group(1), "aa": False, **{x: [] for x in SECTIONS}}
            res.append(cur)
            section = None
            continue
        if cur is None:
            continue
        m = re.match(r";; flags: ([a-z ]+);", line)
        m2 = re.match(r";; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:", line)
        if m:
            cur["aa"] = "aa" in m.group(1).split()
        elif m2:
            section = m2.group(1).lower()
        elif line and not line.startswith(";") and section:
            cur[section].append(" ".join(line.split()))
    for r in res:
        for x in SECTIONS:
            r[x].sort()
    return res


def show(r, keys):
    return " ".join([r["status"]] + (["aa"] if r["aa"] else []) +
                    [f"{k}={r[k]}" for k in keys if k in SECTIONS])


def check_answers(servers):
    """Asks every server the sample with dig over UDP and TCP. rcode, AA and the answer
    section must equal the first peer's for every server; the whole message (authority and
    additional too) must equal that of the server with the same response policy: weft's
    Knot's (both minimal), nsd_b's NSD's. Returns (queries asked, [differences])."""
    if subprocess.run(["sh", "-c", "command -v dig"], capture_output=True).returncode != 0:
        return 0, ["dig missing (dnsutils): answers not compared"]
    queries = sample_queries()
    by_name = {s.name: s for s in servers}
    ref_srv = next((s for s in servers if s.kind != "weft"), servers[0])
    twin = {"weft": "knot", "nsd_b": "nsd"}
    diffs = []
    for tcp in (False, True):
        qs = queries if not tcp else queries[:20]
        got = {s.name: dig_answers(s.port, qs, tcp) for s in servers}
        for s in servers:
            if len(got[s.name]) != len(qs):
                diffs.append(f"{s.name} ({'tcp' if tcp else 'udp'}): {len(got[s.name])} answers "
                             f"to {len(qs)} queries")
        for s in servers:
            checks = [] if s is ref_srv else [(ref_srv.name, ("status", "aa", "answer"))]
            if twin.get(s.name) in by_name:
                checks.append((twin[s.name], ("status", "aa") + SECTIONS))
            for other, keys in checks:
                for q, a, b in zip(qs, got[other], got[s.name]):
                    if any(a[k] != b[k] for k in keys):
                        diffs.append(f"{s.name} ({'tcp' if tcp else 'udp'}) `{q[0]} {q[1]}`: "
                                     f"{show(b, keys)} vs {other}'s {show(a, keys)}")
    return len(queries) + 20, diffs


# ---- slices ---------------------------------------------------------------------------------

CELL_DEFS = {}  # cell -> (dnsperf mode, query file); filled in by main()
NX_PREFIX = {}  # query file -> running count of its nx- queries


LINES = {}  # query file -> its lines
OFFSET = {}  # (server, cell) -> where in its query file the next slice starts


def lines_of(path):
    if path not in LINES:
        LINES[path] = [l for l in open(path).read().splitlines() if l.strip()]
        acc = [0]
        for line in LINES[path]:
            acc.append(acc[-1] + line.startswith("nx-"))
        NX_PREFIX[path] = acc
    return LINES[path]


def expected_nx(path, start, sent):
    """NXDOMAIN answers due for `sent` queries of a file from line `start` on, cycling."""
    lines_of(path)
    acc = NX_PREFIX[path]
    n = len(acc) - 1
    upto = lambda k: (k // n) * acc[n] + acc[k % n]  # noqa: E731
    return upto(start + sent) - upto(start)


def slice_file(d, server, cell, path):
    """The query file for a server's next slice in a cell: the cell's file rotated to start
    where that server's previous slice stopped, so that over the slices each server is asked
    the file as one continuous stream (a slice does not start again from the first line: in
    udp-distinct no query comes back before the whole file has been asked)."""
    lines = lines_of(path)
    start = OFFSET.get((server.name, cell), 0)
    out = os.path.join(d, "slice-queries.txt")
    with open(out, "w") as f:
        f.write("\n".join(lines[start:] + lines[:start]) + "\n")
    return out, start


def parse_dnsperf(text):
    def num(pat, cast=int, default=0):
        m = re.search(pat, text)
        return cast(m.group(1)) if m else default
    m = re.search(r"Response codes:(.*)", text)
    rcodes = {k: int(v) for k, v in re.findall(r"(\w+) (\d+) \([\d.]+%\)", m.group(1) if m else "")}
    return {"sent": num(r"Queries sent:\s+(\d+)"), "completed": num(r"Queries completed:\s+(\d+)"),
            "lost": num(r"Queries lost:\s+(\d+)"), "run_s": num(r"Run time \(s\):\s+([\d.]+)", float),
            "qps": num(r"Queries per second:\s+([\d.]+)", float),
            "resp_size": num(r"response (\d+)"), "rcodes": rcodes}


def run_slice(d, server, cell):
    mode, queries = CELL_DEFS[cell]
    qfile, start = slice_file(d, server, cell, queries)
    args = ["taskset", "-c", CLIENT_CPU, "dnsperf", "-m", mode, "-s", "127.0.0.1", "-p",
            str(server.port), "-d", qfile, "-l", f"{SLICE_S}", "-c", str(CLIENTS), "-q",
            str(INFLIGHT), "-t", "1"]
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} died (exit {server.proc.returncode})")
    server.refresh_pids()  # NSD's processes: the parent and what it forked
    ticks0 = core_ticks()
    run0, wait0 = schedstat(server.pids)
    t0 = time.monotonic()
    out = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    STARTED.append(proc)
    # Blocks until dnsperf exits (no polling: the harness must not steal cycles); an alarm
    # kills it should it outlive its time limit by 10 s.
    signal.signal(signal.SIGALRM, lambda *_: proc.kill())
    signal.setitimer(signal.ITIMER_REAL, SLICE_S + 10)
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    STARTED.remove(proc)
    wall = time.monotonic() - t0
    run1, wait1 = schedstat(server.pids)
    ticks1 = core_ticks()
    out.seek(0)
    text = out.read()
    r = parse_dnsperf(text)
    if proc.returncode != 0 or not r["sent"]:
        raise RuntimeError(f"dnsperf against {server.name} ({cell}) failed: {text.strip()[-300:]}")
    r.update(server=server.name, cell=cell, wall_s=wall, cpu_ns=run1 - run0, wait_ns=wait1 - wait0,
             gen_cpu_ns=int((ru.ru_utime + ru.ru_stime) * 1e9))
    for c, key in ((SERVER_CPU, "core_server"), (CLIENT_CPU, "core_client")):
        b = ticks1[c][0] - ticks0[c][0]
        t = ticks1[c][1] - ticks0[c][1]
        r[key] = b / t if t else float("nan")
    other = {k: v for k, v in r["rcodes"].items() if k not in ("NOERROR", "NXDOMAIN")}
    nx = r["rcodes"].get("NXDOMAIN", 0)
    if r["lost"] == 0:
        r["wrong"] = sum(other.values()) + abs(nx - expected_nx(queries, start, r["sent"]))
        r["checked"] = True
    else:  # which queries were lost is unknown: only the rcodes nobody should get count
        r["wrong"] = sum(other.values()) + max(0, nx - expected_nx(queries, start, r["sent"]))
        r["checked"] = False
    OFFSET[(server.name, cell)] = (start + r["sent"]) % len(lines_of(queries))
    r["start"] = start
    return r


# ---- report ---------------------------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def summarize(rows):
    done = [r for r in rows if r["completed"]]
    return {
        "qps": med([r["qps"] for r in rows]),
        "cpu_us": med([r["cpu_ns"] / r["completed"] / 1e3 for r in done]),
        "gen_us": med([r["gen_cpu_ns"] / r["completed"] / 1e3 for r in done]),
        "busy": med([r["cpu_ns"] / 1e9 / r["run_s"] for r in rows if r["run_s"]]),
        "waited": med([r["wait_ns"] / 1e9 / r["run_s"] for r in rows if r["run_s"]]),
        "gen_busy": med([r["gen_cpu_ns"] / 1e9 / r["wall_s"] for r in rows]),
        "core_server": med([r["core_server"] for r in rows]),
        "core_client": med([r["core_client"] for r in rows]),
        "sent": sum(r["sent"] for r in rows), "completed": sum(r["completed"] for r in rows),
        "lost": sum(r["lost"] for r in rows), "wrong": sum(r["wrong"] for r in rows),
        "unchecked": sum(1 for r in rows if not r["checked"]),
        "resp_size": med([r["resp_size"] for r in rows]),
        "slices": len(rows), "seconds": sum(r["run_s"] for r in rows),
    }


def paired(results, cell, a, b):
    """Median over the rounds of a's figure over b's in the same round (queries/s, CPU per
    query): servers measured seconds apart share the drift of a shared machine, so the ratio
    of neighbours is steadier than the ratio of the two medians."""
    by = {}
    for r in results:
        if r["cell"] == cell and r["server"] in (a, b) and r["completed"]:
            by.setdefault(r["round"], {})[r["server"]] = r
    pairs = [(x[a], x[b]) for x in by.values() if a in x and b in x]
    q = Ratio([ra["qps"] / rb["qps"] for ra, rb in pairs if rb["qps"]])
    c = Ratio([(ra["cpu_ns"] / ra["completed"]) / (rb["cpu_ns"] / rb["completed"])
               for ra, rb in pairs if rb["cpu_ns"]])
    return q, c


class Ratio(float):
    """The median of per-round ratios, with their quartiles in .lo and .hi."""
    def __new__(cls, xs):
        r = super().__new__(cls, med(xs))
        r.lo, r.hi = (statistics.quantiles(xs, n=4)[0::2] if len(xs) >= 2 else (float(r), float(r)))
        return r

    def spread(self):
        return f"{self.lo:.2f}–{self.hi:.2f}"


def limiter(s):
    """Which side limited a cell: the server's core, dnsperf's core, both, or neither (the
    window of queries in flight and the round trip set the rate). "cores shared": the server
    waited a tenth of the slice or more for its core."""
    srv = s["busy"] + s["waited"] >= 0.85
    gen = s["gen_busy"] >= 0.85 or s["core_client"] >= 0.95
    # Only the server's own wait tells that another task held its core: core 1's total also
    # counts the loopback's softirq work, which is in no process's rusage.
    shared = srv and s["waited"] >= 0.1
    name = {(True, True): "both", (True, False): "server", (False, True): "dnsperf"}.get(
        (srv, gen), "neither (latency)")
    if s["waited"] >= 0.3:  # runnable but not running a third of the time: the machine's load
        return f"other work (server waited {s['waited']:.0%})"
    return name + (" (cores shared)" if shared else "")


def versions():
    def first(cmd, pat=None):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            text = r.stdout + r.stderr
        except OSError:
            return "missing"
        if pat:
            m = re.search(pat, text)
            return m.group(1) if m else "?"
        return text.strip().splitlines()[0] if text.strip() else "?"
    v = {
        "nsd": first(["nsd", "-v"], r"NSD version (\S+)"),
        "knot": first(["knotd", "-V"], r"version (\S+)"),
        "dnsperf": first(["dnsperf", "-h"], r"Version (\S+)"),
        "dig": first(["dig", "-v"], r"DiG (\S+)"),
        "weft": first(["git", "-C", ROOT, "describe", "--always"]) + (" with uncommitted changes" if first(
            ["git", "-C", ROOT, "status", "--porcelain", "--", "src", "include", "tools", "CMakeLists.txt"])
            not in ("?", "") else ""),
    }
    rrl = first(["nsd", "-v"], r"(--(?:enable|disable)-ratelimit)")
    v["nsd_rrl"] = rrl
    return v


def write_report(results, names, skipped, answers, started_at, elapsed, vers):
    cells = [c for c in CELLS if any(r["cell"] == c for r in results)]
    summ = {c: {n: summarize([r for r in results if r["cell"] == c and r["server"] == n])
                for n in names if any(r["cell"] == c and r["server"] == n for r in results)}
            for c in cells}
    peers = [p for p in PEERS if p in names]
    machine = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p' | head -1"],
                             capture_output=True, text=True).stdout.strip()
    L = []
    L.append("# DNS: `weft dns serve` vs NSD and Knot DNS, driven by dnsperf\n")
    cmd = f"SLICE_S={SLICE_S} ROUNDS={ROUNDS} scripts/bench-dns.sh {BUILD}"
    L.append(f"Generated by `scripts/bench-dns.sh` on {started_at}. Reproduce: `make bench` (all "
             f"benchmarks), or this one alone: `{cmd}` (~{elapsed:.0f} s).{(' ' + NOTE) if NOTE else ''}\n")
    other0 = med([r["core_server"] - r["cpu_ns"] / 1e9 / r["wall_s"] for r in results])
    waited = med([r["wait_ns"] / 1e9 / r["run_s"] for r in results if r["run_s"]])
    if other0 >= 0.05 or waited >= 0.05:
        shared = (f"**The machine was shared**: other work took ~{max(other0, 0):.0%} of core "
                  f"{SERVER_CPU} beside the servers, which waited ~{waited:.0%} of the time for it "
                  "(medians over all slices). Absolute figures drift under such load; the ratios of "
                  "servers measured in the same interleaved slices are what compare.")
    else:
        shared = (f"Other work took ~{max(other0, 0):.0%} of core {SERVER_CPU} (median over all "
                  "slices): a quiet machine.")
    L.append(f"- Machine: {machine}, {NCPU} cores (nproc); kernel {os.uname().release}. {shared} "
             "Columns `core 0` / `core 1` give how busy each core was in total, `waited` how long the "
             "server was runnable but not running (another task held its core).")
    L.append(f"- Versions: NSD {vers['nsd']} (Debian build, `{vers['nsd_rrl']}`), Knot DNS {vers['knot']}, "
             f"dnsperf {vers['dnsperf']}, dig {vers['dig']}; weft: `{os.path.relpath(WEFT, ROOT)}`, built "
             f"from the checkout at {vers['weft']}.")
    L.append("- Zones (bench/dns/gen.py, deterministic; every server loads the same two RFC 1035 master "
             "files): bench/dns/bench.test.zone, 3,000 hosts with an A record each, every 4th with an "
             "AAAA, every 25th with an MX; apex SOA, NS, MX with in-zone glue; CNAMEs inside the zone; a "
             "delegation with glue. many.test (written at run time): 40,000 hosts with an A record each.")
    L.append("- Cells: **UDP** and **TCP** ask bench/dns/queries.txt (20,000 queries, ~5,000 distinct, fixed "
             "seed): ~77 % A for existing names, 8 % AAAA, 4 % MX, 1 % A through a CNAME, 10 % names that "
             "do not exist (NXDOMAIN). **UDP-DISTINCT** asks every name of many.test once in a fixed "
             "shuffled order with a different nonexistent name after every 9th (44,444 queries, 10 % "
             "NXDOMAIN): no query repeats within 44,444, so a memo of earlier answers (weft keeps up to "
             "16,384 per thread and empties it when full) never helps and the cell measures the answer "
             "path itself. No EDNS (dnsperf's default), no recursion desired. Each slice starts in its "
             "file where the same server's previous slice in the cell stopped, so each server is "
             "asked the file as one continuous stream. TCP: `dnsperf -m tcp`, the connections opened at "
             "the start of every slice, queries pipelined on them.")
    L.append(f"- Method (shared/DESIGN.md, \"Performance method\"): all servers run at once, each pinned to "
             f"core {SERVER_CPU} with **one worker**: NSD `server-count: 1` (NSD answers in one forked "
             "server process; its parent and xfrd process idle), Knot `udp-workers: 1`, `tcp-workers: 1`, "
             "`background-workers: 1`, weft `--threads 1`. dnsperf (one thread, "
             f"`-c {CLIENTS} -q {INFLIGHT}`: {CLIENTS} sockets or TCP connections, {INFLIGHT} queries in "
             f"flight) is pinned to core {CLIENT_CPU} and drives the servers in turn in {SLICE_S:g} s "
             f"slices (a new dnsperf per slice, `-l {SLICE_S:g}`), the order rotating every round, "
             f"{ROUNDS} rounds per cell, so each server has ~{SLICE_S * ROUNDS:.0f} s counted per cell. "
             "weft: `weft dns serve` (services/dns: the answer engine behind a per-thread memo of "
             "responses keyed by the query's bytes, case-folded; UDP in recvmmsg/sendmmsg batches; "
             "TCP per RFC 7766).")
    L.append("- **NSD's response rate limiting is off** (`rrl-ratelimit: 0`, `rrl-whitelist-ratelimit: 0`): "
             "this NSD is built with it and would otherwise drop answers under load. Knot runs no "
             "module (its RRL is a module, not loaded). Otherwise every server has its defaults; NSD "
             "puts the apex NS and their addresses in every positive answer, Knot does not (minimal "
             "responses): the mean response size is in the tables.")
    L.append("- Server CPU: /proc/PID/task/*/schedstat of every process and thread of the server, read "
             "before and after each slice (ns; includes the kernel's work in its system calls). dnsperf's "
             "CPU: its rusage (wait4), which includes its start and exit (10-20 ms per process). "
             "Every figure is the **median over the slices**; counts (sent, lost, wrong) are sums.")
    L.append("- Correctness: dnsperf counts every query sent, answered and lost (timeout 1 s); a wrong "
             "answer is any rcode other than NOERROR/NXDOMAIN plus the difference between the "
             "NXDOMAIN count and the number of `nx-` names among the queries sent (known exactly "
             "because dnsperf sends its file in order). Target: no query lost or answered wrong.")
    L.append("- Limited by: `server` when the server's core was saturated (server run + waited ≥ 85 % of "
             "the slice), `dnsperf` when dnsperf used ≥ 85 % of its core (or core 1 was ≥ 95 % busy), "
             "`both`, or `neither` (the window of queries in flight and loopback latency set the "
             "rate); `other work` when the server waited for its core 30 % of the slice or more "
             "(then only CPU per query compares). Where dnsperf limits, queries/s bunch together and server CPU per query is the "
             "figure that separates servers.\n")

    if skipped:
        L.append("Not measured: " + "; ".join(skipped) + ".\n")
    n_checked, diffs = answers
    if n_checked:
        if diffs:
            L.append(f"Answers compared before measuring ({n_checked} queries over UDP and TCP, dig, "
                     f"rcode + AA + answer section): **{len(diffs)} differences**:\n")
            L += [f"- {d}" for d in diffs[:30]]
            if len(diffs) > 30:
                L.append(f"- ... and {len(diffs) - 30} more")
            L.append("")
        else:
            twins = [f"{a}'s to {b}'s" for a, b in (("weft", "knot"), ("nsd_b", "nsd"))
                     if a in names and b in names]
            L.append(f"Answers compared before measuring: {n_checked} queries (the first 80 of the mix, "
                     "the apex, CNAME chains, NODATA, NXDOMAIN, a referral, a name outside every zone, "
                     "many.test; 20 of them again over TCP) asked of every server with dig: rcode, AA "
                     f"flag and answer section **identical** across {', '.join(names)}"
                     + (f"; the whole message (authority and additional sections too) identical from "
                        f"{' and '.join(twins)} (the same response policy)" if twins else "") + ".\n")
    else:
        L.append(f"Answers not compared: {diffs[0] if diffs else 'no servers'}.\n")

    ratios = {}
    for c in cells:
        s = summ[c]
        if "weft" in s and any(p in s for p in peers):
            present = [p for p in peers if p in s]
            bq = max(present, key=lambda p: s[p]["qps"])
            bc = min(present, key=lambda p: s[p]["cpu_us"])
            ratios[c] = {"qps": paired(results, c, "weft", bq)[0], "qps_peer": bq,
                         "cpu": paired(results, c, "weft", bc)[1], "cpu_peer": bc}
            for p in present:
                ratios[c][f"qps_{p}"], ratios[c][f"cpu_{p}"] = paired(results, c, "weft", p)
    L.append("## Summary\n")
    if ratios:
        L.append("| cell | weft queries/s ÷ best peer | weft CPU/query ÷ best peer | " +
                 " | ".join(f"÷ {p} (q/s, CPU)" for p in peers) + " | weft lost | weft wrong |")
        L.append("|---|---|---|" + "---|" * len(peers) + "---|---|")
        for c, r in ratios.items():
            L.append(f"| {c.upper()} | **{r['qps']:.3f}** ({r['qps_peer']}; {r['qps'].spread()}) | "
                     f"**{r['cpu']:.3f}** ({r['cpu_peer']}; {r['cpu'].spread()}) | " + " | ".join(
                         f"{r.get('qps_' + p, float('nan')):.3f}, {r.get('cpu_' + p, float('nan')):.3f}"
                         for p in peers) + f" | {summ[c]['weft']['lost']} | {summ[c]['weft']['wrong']} |")
        bad = {c: (summ[c]["weft"]["lost"], summ[c]["weft"]["wrong"]) for c in ratios}
        if any(l or w for l, w in bad.values()):
            L.append("\n**weft lost or answered wrong** (" + "; ".join(
                f"{c.upper()}: {l} lost, {w} wrong" for c, (l, w) in bad.items()) +
                "): target \"no query lost or answered wrong\" **not met**; its speed does not count "
                "until it is.")
        else:
            L.append(f"\nweft lost no query and answered none wrong in "
                     f"{sum(summ[c]['weft']['sent'] for c in ratios):,} queries: target **met**.")
        L.append("\nRatios are weft ÷ peer in the same run, each the **median over the rounds of the "
                 "ratio within a round** (the two servers measured seconds apart; after the best "
                 "peer's name, the quartiles of those per-round ratios): above 1 is better "
                 "for queries/s, below 1 is better for CPU per query. \"Best peer\" is the peer with "
                 "the higher median queries/s, and the one with the lower median CPU per query, per "
                 "cell.\n")
        L.append("Targets (issue 9): queries/s ≥ 1.0× the best peer and server CPU per query ≤ 0.9× "
                 "the best. Where weft's CPU goes, cell by cell, and why UDP stays near 1.0× of Knot "
                 "(the kernel's UDP path is ~87% of the server's cycles, the same syscalls for every "
                 "server): [dns-profile.md](dns-profile.md).\n")
    else:
        L.append("weft was not measured in this run (see above): the tables compare the peers only.\n")

    if STANDIN and "nsd_b" in names:
        L.append("Stand-in check (a second NSD, identical, under the name `nsd_b`, measured in the same "
                 "slices; a harness without bias scores 1.0× within a few percent):")
        worst = 0.0
        for c in cells:
            s = summ[c]
            if "nsd" in s and "nsd_b" in s:
                q, u = paired(results, c, "nsd_b", "nsd")
                L.append(f"- {c.upper()}: nsd_b ÷ nsd queries/s **{q:.3f}** (quartiles {q.spread()}), CPU "
                         f"per query **{u:.3f}** ({u.spread()}), the same ratios as weft's above; ratio of "
                         f"the medians: "
                         f"{s['nsd_b']['qps'] / s['nsd']['qps']:.3f} and "
                         f"{s['nsd_b']['cpu_us'] / s['nsd']['cpu_us']:.3f}")
                worst = max(worst, abs(q - 1), abs(u - 1))
        if worst <= 0.05:
            L.append(f"\nThe stand-in stays within {worst:.1%} of 1.0: no bias in the harness shows.")
        else:
            L.append(f"\nThe stand-in strays {worst:.1%} from 1.0 in this run: two identical servers differ "
                     "that much here, so the noise of this run (see `waited` and the quartiles) is at "
                     "least that large, and a ratio of weft's within that distance of 1.0 is not a "
                     "difference. Rerun on a quiet machine.")
        L.append("")

    for c in cells:
        s = summ[c]
        L.append(f"## {c.upper()}\n")
        L.append("| server | queries/s | server CPU µs/query | server busy | waited | dnsperf CPU "
                 "µs/query | dnsperf busy | core 0 | core 1 | limited by | sent | lost | wrong | "
                 "response bytes |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in names:
            if n not in s:
                continue
            x = s[n]
            L.append(f"| {n} | {x['qps']:,.0f} | {x['cpu_us']:.2f} | {x['busy']:.0%} | {x['waited']:.0%} | "
                     f"{x['gen_us']:.2f} | {x['gen_busy']:.0%} | {x['core_server']:.0%} | "
                     f"{x['core_client']:.0%} | {limiter(x)} | {x['sent']:,} | {x['lost']} | "
                     f"{x['wrong']}{'*' if x['unchecked'] else ''} | {x['resp_size']:.0f} |")
        L.append(f"\n{s[names[0]]['slices'] if names[0] in s else 0} slices per server, "
                 f"~{med([x['seconds'] for x in s.values()]):.1f} s counted per server.\n")
    if any(x["unchecked"] for s in summ.values() for x in s.values()):
        L.append("\\* in slices that lost queries the NXDOMAIN count can only be checked as an upper "
                 "bound.\n")
    L.append("![queries/s and server CPU per query](dns.png)\n")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "dns.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    plot(summ, cells, names)
    return summ, ratios


def plot(summ, cells, names):
    d = tempfile.mkdtemp(prefix="dnsplot.")
    dat = os.path.join(d, "dns.dat")
    with open(dat, "w") as f:
        f.write("# cell " + " ".join(f"{n}_kqps {n}_cpu" for n in names) + "\n")
        for c in cells:
            f.write(c.upper() + " " + " ".join(
                f"{summ[c][n]['qps'] / 1e3:.3f} {summ[c][n]['cpu_us']:.3f}" if n in summ[c] else "NaN NaN"
                for n in names) + "\n")
    q = ", ".join(f"'{dat}' using {2 + 2 * i}:xtic(1) title '{n}'" for i, n in enumerate(names))
    u = ", ".join(f"'{dat}' using {3 + 2 * i}:xtic(1) title '{n}'" for i, n in enumerate(names))
    script = f"""
set terminal pngcairo noenhanced size 1100,500 font 'sans,10'
set output '{os.path.join(OUT, "dns.png")}'
set multiplot layout 1,2 title 'DNS, one server thread on core 0, dnsperf on core 1 (medians over slices)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set key outside bottom center horizontal
set title 'thousand queries/s (higher is better)'
plot {q}
set title 'server CPU µs per query (lower is better)'
plot {u}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    for x in os.listdir(d):
        os.unlink(os.path.join(d, x))
    os.rmdir(d)


# ---- main -----------------------------------------------------------------------------------

SETTINGS = ["SLICE_S", "ROUNDS", "CELLS", "CLIENTS", "INFLIGHT", "STANDIN", "BUILD", "WEFT"]


def main():
    if os.environ.get("DNS_BENCH_REPORT_ONLY") == "1":
        # Rewrites the report from DNS_BENCH_RAW/run.json, written by an earlier run.
        with open(os.path.join(RAW, "run.json")) as f:
            run = json.load(f)
        globals().update(run["settings"])
        finish(run["results"], run["names"], run["skipped"], tuple(run["answers"]),
               run["started_at"], run["elapsed"], run["vers"])
        return
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # The harness itself stays off the servers' core: it shares dnsperf's, where it sleeps.
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    t_start = time.monotonic()
    vers = versions()
    d = tempfile.mkdtemp(prefix="bench-dns.")
    with open(ZONE_SRC) as src, open(os.path.join(d, f"{ORIGIN}.zone"), "w") as dst:
        dst.write(src.read())
    with open(os.path.join(d, f"{gen.MANY_ORIGIN}.zone"), "w") as f:
        f.write(gen.many_zone_text())
    many_queries = os.path.join(d, "many-queries.txt")
    with open(many_queries, "w") as f:
        f.write(gen.many_queries_text())
    CELL_DEFS.update({"udp": ("udp", QUERIES), "tcp": ("tcp", QUERIES),
                      "udp-distinct": ("udp", many_queries)})
    for c in CELLS:
        if c not in CELL_DEFS:
            raise SystemExit(f"bench-dns: unknown cell {c!r} (udp, tcp, udp-distinct)")
    skipped, servers, results, answers = [], [], [], (0, ["no servers started"])
    try:
        plan = []
        why = weft_supports_dns_serve()
        if why:
            skipped.append(f"weft ({why})")
            log(f"weft left out: {why}")
        else:
            plan.append(("weft", "weft"))
        plan += [("nsd", "nsd"), ("knot", "knot")]
        if STANDIN:
            plan.append(("nsd_b", "nsd"))
        port = PORT0
        for name, kind in plan:
            try:
                s, port = start_server(d, name, kind, port)
            except RuntimeError as e:
                if kind != "weft":
                    raise
                skipped.append(f"weft ({e})")
                log(f"weft left out: {e}")
                continue
            servers.append(s)
            log(f"{name} answers on 127.0.0.1:{s.port} (pids {' '.join(map(str, s.pids))})")
        answers = check_answers(servers)
        log(f"answers compared ({answers[0]} queries): "
            + ("identical" if not answers[1] else f"{len(answers[1])} differences"))
        for line in answers[1][:10]:
            log("  " + line)
        log(f"measuring: cells {' '.join(CELLS)}, {ROUNDS} rounds x {SLICE_S:g} s slices, "
            f"servers on core {SERVER_CPU}, dnsperf on core {CLIENT_CPU}")
        stop = False
        for cell in CELLS:
            for rnd in range(ROUNDS):
                order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
                for s in order:
                    results.append(dict(run_slice(d, s, cell), round=rnd))
                if time.monotonic() - t_start > MAX_S:
                    log(f"time budget ({MAX_S:.0f} s) spent: stopping after round {rnd + 1} of {cell}")
                    stop = True
                    break
            if stop:
                break
            log(f"{cell}: done ({time.monotonic() - t_start:.0f} s)")
    finally:
        stop_all()
        if RAW:
            os.makedirs(RAW, exist_ok=True)
            with open(os.path.join(RAW, "run.json"), "w") as f:
                json.dump({"settings": {k: globals()[k] for k in SETTINGS}, "results": results,
                           "names": [x.name for x in servers], "skipped": skipped,
                           "answers": answers, "started_at": started_at,
                           "elapsed": time.monotonic() - t_start, "vers": vers}, f, indent=1)
        for root, dirs, files in os.walk(d, topdown=False):
            for x in files:
                os.unlink(os.path.join(root, x))
            for x in dirs:
                os.rmdir(os.path.join(root, x))
        os.rmdir(d)
    finish(results, [x.name for x in servers], skipped, answers, started_at,
           time.monotonic() - t_start, vers)


def finish(results, names, skipped, answers, started_at, elapsed, vers):
    summ, ratios = write_report(results, names, skipped, answers, started_at, elapsed, vers)
    for c in summ:
        log(f"{c}: " + "; ".join(f"{n} {x['qps'] / 1e3:.1f} kq/s {x['cpu_us']:.2f} us/q lost {x['lost']} "
                                 f"wrong {x['wrong']}" for n, x in summ[c].items()))
        if c in ratios:
            r = ratios[c]
            log(f"{c}: weft / best peer: queries/s {r['qps']:.3f} ({r['qps_peer']}), CPU/query "
                f"{r['cpu']:.3f} ({r['cpu_peer']})")
        if "nsd" in summ[c] and "nsd_b" in summ[c]:
            q, u = paired(results, c, "nsd_b", "nsd")
            log(f"{c}: stand-in nsd_b / nsd: queries/s {q:.3f}, CPU/query {u:.3f}")
    log(f"wrote docs/perf/dns.md and docs/perf/dns.png in {elapsed:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:  # a server or dnsperf failed: everything started is stopped
        print(f"bench-dns: {e}", file=sys.stderr)
        sys.exit(1)
