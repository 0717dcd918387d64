#!/usr/bin/env python3
"""bench_http.py: the HTTP part of `make bench`, run by scripts/bench-http.sh (see its header for
the environment variables). `weft http serve` against nginx, h2o and lighttpd serving the same
files (bench/http/docroot.py), driven by wrk, as shared/DESIGN.md's "Performance method" says:

- every server is started by this script with its own config (bench/http/<server>.conf filled
  in) in a temporary directory, on its own loopback port, pinned to core 0, with one worker:
  nginx one worker process (sendfile and tcp_nopush on, access log off, open-file cache on,
  keep-alive for the whole run), h2o one thread (no access log, file.send-compressed OFF), lighttpd one process
  (no access log, keep-alive for the whole run), weft `--threads 1`;
- before measuring, every server is asked every file once with curl (status 200, SHA-256 of
  the body) and once more over a raw socket with the request wrk sends, keep-alive and
  `Connection: close` (the exact response size; the server must close after the latter);
- wrk (`-t1 -c<N>`), pinned to core 1, drives the servers in turn in short slices (SLICE_S
  seconds, a new wrk per slice stopped by SIGINT), the order rotating every round, ROUNDS
  undisturbed rounds per cell (a round in which another task took the servers' core is
  measured again, up to HTTP_BENCH_MAX_ROUNDS rounds), after one uncounted warm-up slice per
  server; the cells: `1k` and `64k`
  (the file over N keep-alive connections) and `conn` (1 KiB, `Connection: close`: one request
  per connection);
- per slice: wrk's counts (requests, bytes, socket errors, non-2xx/3xx responses, latency
  p50/p99, from a `done` hook in bench/http/summary.lua), the server's CPU time from
  /proc/PID/task/*/schedstat of all its processes and threads before and after, and wrk's own
  CPU time (wait4 rusage); a slice whose bytes do not fit its request count times the
  response size counts as wrong;
- medians over the slices; ratios against the peers measured in the same round;
- then (HTTP_BENCH_SYSCALLS) one more uncounted slice per server and cell with the server's
  system calls counted (perf stat on the syscalls:sys_enter_* tracepoints, else strace -c).

Writes docs/perf/http.md and docs/perf/http.png, keeps every slice's figures in
HTTP_BENCH_RAW/run.json (default BUILD/bench/http). Every process it starts is ended by PID.
"""
import hashlib
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "http")
sys.path.insert(0, HERE)
import docroot  # noqa: E402  (bench/http/docroot.py: the files served)
sys.path.insert(0, os.path.dirname(HERE))  # bench/: what the harnesses share
from bench_common import core_ticks  # noqa: E402
OUT = os.path.join(ROOT, "docs", "perf")

BUILD_ARG = sys.argv[1] if len(sys.argv) > 1 else "build/bench"  # where results go
BUILD = sys.argv[2] if len(sys.argv) > 2 else BUILD_ARG  # where weft is
WEFT = os.path.abspath(os.environ.get("HTTP_BENCH_WEFT") or os.path.join(BUILD, "bin", "weft"))
SLICE_S = float(os.environ.get("SLICE_S", "0.5"))
ROUNDS = int(os.environ.get("ROUNDS", "12"))
PORT0 = int(os.environ.get("HTTP_BENCH_PORT", "29400"))
CELLS = os.environ.get("HTTP_BENCH_CELLS", "1k 64k conn").split()
CONNS = int(os.environ.get("HTTP_BENCH_CONNS", "50"))
STANDIN = os.environ.get("HTTP_BENCH_STANDIN", "1") != "0"
SYSCALLS = os.environ.get("HTTP_BENCH_SYSCALLS", "1") != "0"
MAX_ROUNDS = int(os.environ.get("HTTP_BENCH_MAX_ROUNDS", str(ROUNDS + ROUNDS // 2)))
MAX_S = float(os.environ.get("HTTP_BENCH_MAX_S", "180"))  # each cell gets its share of this
QUIET_WAIT_S = float(os.environ.get("HTTP_BENCH_QUIET_WAIT_S", "0"))
RAW = os.environ.get("HTTP_BENCH_RAW") or os.path.join(BUILD_ARG, "bench", "http")
NOTE = os.environ.get("HTTP_BENCH_NOTE", "")
NCPU = os.cpu_count() or 1
SERVER_CPU = "0"
CLIENT_CPU = "1" if NCPU > 1 else "0"
PEERS = ["nginx", "h2o", "lighttpd"]
LUA = os.path.join(HERE, "summary.lua")

# cell -> (path, extra request headers, label)
CELL_DEFS = {
    "1k": ("/1k.bin", [], f"1 KiB file, {CONNS} keep-alive connections"),
    "64k": ("/64k.bin", [], f"64 KiB file, {CONNS} keep-alive connections"),
    "conn": ("/1k.bin", ["Connection: close"],
             f"1 KiB file, one request per connection ({CONNS} at a time)"),
}
TARGET_CELLS = ("1k", "64k")
HEAVY = ("cc1plus", "cc1", "ninja", "ld", "ld.gold", "lto1", "clang", "clang++", "rustc", "ctest")


def log(msg):
    try:
        print(f"bench-http: {msg}", flush=True)
    except BrokenPipeError:
        pass


# ---- processes we start, and only those ----------------------------------------------------

STARTED = []  # Popen objects: every process this script started and has not yet reaped


def children_of(pid):
    """PIDs of pid's descendants (nginx's worker, h2o's backtrace helper)."""
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
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def stop_all():
    """SIGTERM to every process started here, SIGKILL after 5 s; then SIGKILL to any of their
    descendants still there, identified by PID and start time."""
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
    STARTED.clear()
    time.sleep(0.2)
    for pid, st in helpers:
        if st is not None and start_time(pid) == st:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def heavy_builds():
    """How many compiler, build-tool or test-suite (ctest) processes run on the machine now."""
    n = 0
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/comm") as f:
                    n += f.read().strip() in HEAVY
            except OSError:
                pass
    return n


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


# ---- HTTP over a raw socket: readiness and exact response sizes ------------------------------

def wrk_request(port, path, headers):
    """The bytes wrk sends for a request (wrk 4.1's default: method, path, Host, -H headers)."""
    h = "".join(f"{x}\r\n" for x in headers)
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{h}\r\n".encode()


def raw_get(port, path, headers=(), timeout=2.0):
    """Sends wrk's request once; returns (status, header bytes, body, closed): closed is True
    when the server closed the connection right after the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(wrk_request(port, path, headers))
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed before the response header ended")
            buf += chunk
        head, body = buf.split(b"\r\n\r\n", 1)
        head += b"\r\n\r\n"
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
        if not m:
            raise OSError(f"no Content-Length in {head[:200]!r}")
        length = int(m.group(1))
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed inside the body")
            body += chunk
        if len(body) > length:
            raise OSError(f"{len(body) - length} bytes after the body")
        s.settimeout(0.5)
        try:
            closed = s.recv(1) == b""
        except (socket.timeout, ConnectionResetError):
            closed = False
        return status, len(head), body, closed


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# ---- the servers ----------------------------------------------------------------------------

def fill(template, d, name, port, root):
    with open(os.path.join(HERE, template)) as f:
        text = f.read()
    for k, v in (("@DIR@", d), ("@NAME@", name), ("@PORT@", str(port)), ("@ROOT@", root)):
        text = text.replace(k, v)
    path = os.path.join(d, f"{name}.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def server_cmd(d, name, kind, port, root):
    if kind == "nginx":
        return ["nginx", "-p", d, "-e", f"{d}/{name}.early.log",
                "-c", fill("nginx.conf", d, name, port, root)]
    if kind == "h2o":
        return ["h2o", "-c", fill("h2o.conf", d, name, port, root)]
    if kind == "lighttpd":
        return ["lighttpd", "-D", "-f", fill("lighttpd.conf", d, name, port, root)]
    return [WEFT, "http", "serve", "--host", "127.0.0.1", "--port", str(port), "--root", root,
            "--threads", "1", "--quiet"]


def weft_supports_http_serve():
    if not os.access(WEFT, os.X_OK):
        return f"{os.path.relpath(WEFT, ROOT)} not built"
    r = subprocess.run([WEFT, "http", "serve", "--help"], capture_output=True, text=True,
                       timeout=10)
    if r.returncode != 0:
        said = (r.stderr or r.stdout).strip().splitlines()
        return f"{os.path.relpath(WEFT, ROOT)} has no `http serve`: it says \"{said[0] if said else r.returncode}\""
    return None


class Server:
    def __init__(self, name, kind, port, proc):
        self.name, self.kind, self.port, self.proc = name, kind, port, proc
        self.pids = [proc.pid]

    def refresh_pids(self):
        self.pids = [self.proc.pid] + children_of(self.proc.pid)


def start_server(d, root, name, kind, port):
    while not port_free(port):
        port += 1
    cmd = ["taskset", "-c", SERVER_CPU] + server_cmd(d, name, kind, port, root)
    errf = open(os.path.join(d, f"{name}.stderr"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf, cwd=d)
    STARTED.append(proc)
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            errf.close()
            msg = open(os.path.join(d, f"{name}.stderr")).read().strip().splitlines()[-3:]
            raise RuntimeError(f"{name} exited with {proc.returncode}: {' / '.join(msg)}")
        try:
            if raw_get(port, "/1k.bin", timeout=0.5)[0] == 200:
                s = Server(name, kind, port, proc)
                time.sleep(0.2)  # nginx: let the master fork its worker before listing it
                s.refresh_pids()
                return s, port + 1
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer on 127.0.0.1:{port} within 15 s")


# ---- answers: every file from every server, before measuring -------------------------------

def check_answers(d, servers, sums):
    """curl every file once from every server (status 200, SHA-256 of the body), then wrk's
    request over a raw socket, keep-alive and with `Connection: close`: the exact response size
    per server and cell, and whether the server closed after the latter. Returns ({server:
    {cell: response bytes}}, {server: {cell: header bytes}}, [problems])."""
    problems, sizes, heads = [], {}, {}
    have_curl = have("curl")
    if not have_curl:
        log("curl missing (scripts/install-deps.sh test): bodies checked over a raw socket only")
    for s in servers:
        for name, want in sums.items():
            url = f"http://127.0.0.1:{s.port}/{name}"
            if have_curl:
                out = os.path.join(d, "curl.out")
                r = subprocess.run(["curl", "-s", "-o", out, "-w", "%{http_code}", url],
                                   capture_output=True, text=True, timeout=20)
                got = hashlib.sha256(open(out, "rb").read()).hexdigest() if os.path.exists(out) else "-"
                if r.returncode != 0 or r.stdout != "200" or got != want:
                    problems.append(f"{s.name} {url}: curl exit {r.returncode}, status {r.stdout}, "
                                    f"sha256 {got[:16]} (want {want[:16]})")
        sizes[s.name], heads[s.name] = {}, {}
        for cell in CELLS:
            path, hdrs, _ = CELL_DEFS[cell]
            try:
                status, head, body, closed = raw_get(s.port, path, hdrs)
            except OSError as e:
                problems.append(f"{s.name} {cell}: {e}")
                continue
            want = sums[path.lstrip("/")]
            if status != 200 or hashlib.sha256(body).hexdigest() != want:
                problems.append(f"{s.name} {cell}: status {status}, body sha256 "
                                f"{hashlib.sha256(body).hexdigest()[:16]} (want {want[:16]})")
            if ("Connection: close" in hdrs) != closed:
                problems.append(f"{s.name} {cell}: the server {'closed' if closed else 'kept'} the "
                                f"connection after a {'Connection: close' if hdrs else 'keep-alive'} request")
            sizes[s.name][cell] = head + len(body)
            heads[s.name][cell] = head
    return sizes, heads, problems


# ---- slices ---------------------------------------------------------------------------------

WRK_RE = re.compile(r"WRKSUM (.*)")


def wrk_args(server, cell, duration_s):
    """wrk's command line; -d is whole seconds (wrk reads no fraction)."""
    path, hdrs, _ = CELL_DEFS[cell]
    a = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{CONNS}", f"-d{duration_s}s",
         "--timeout", "2s", "-s", LUA]
    for h in hdrs:
        a += ["-H", h]
    return a + [f"http://127.0.0.1:{server.port}{path}"]


def run_wrk(server, cell, seconds):
    """One wrk against server for `seconds` (stopped with SIGINT: wrk then prints its summary);
    returns (parsed summary, wall s, wrk CPU ns). Blocks in wait4: the harness takes no cycles
    while wrk runs."""
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} died (exit {server.proc.returncode})")
    out = tempfile.TemporaryFile(mode="w+")
    t0 = time.monotonic()
    # -d beyond the slice: SIGINT ends it (wrk's threads see it within 100 ms)
    proc = subprocess.Popen(wrk_args(server, cell, math.ceil(seconds) + 2), stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT)
    STARTED.append(proc)
    stage = [0]

    def alarm(*_):
        stage[0] += 1
        try:
            proc.send_signal(signal.SIGINT if stage[0] == 1 else signal.SIGKILL)
        except OSError:
            pass
        if stage[0] == 1:
            signal.setitimer(signal.ITIMER_REAL, 10)
    signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        while True:
            try:
                _, status, ru = os.wait4(proc.pid, 0)
                break
            except InterruptedError:
                continue
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    STARTED.remove(proc)
    wall = time.monotonic() - t0
    out.seek(0)
    text = out.read()
    m = WRK_RE.search(text)
    if not m or stage[0] > 1:
        raise RuntimeError(f"wrk against {server.name} ({cell}) failed: {text.strip()[-300:]}")
    r = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}
    return r, wall, int((ru.ru_utime + ru.ru_stime) * 1e9)


def run_slice(server, cell, sizes):
    server.refresh_pids()
    builds = heavy_builds()
    ticks0 = core_ticks()
    run0, wait0 = schedstat(server.pids)
    w, wall, gen_ns = run_wrk(server, cell, SLICE_S)
    run1, wait1 = schedstat(server.pids)
    ticks1 = core_ticks()
    r = {"server": server.name, "cell": cell, "requests": w["requests"], "bytes": w["bytes"],
         "run_s": w["duration_us"] / 1e6, "wall_s": wall, "cpu_ns": run1 - run0,
         "wait_ns": wait1 - wait0, "gen_cpu_ns": gen_ns, "p50_us": w["p50_us"], "p99_us": w["p99_us"],
         "errors": {k: w[k] for k in ("connect", "read", "write", "status", "timeout")},
         "builds": builds}
    r["rps"] = r["requests"] / r["run_s"] if r["run_s"] else 0.0
    for c, key in ((SERVER_CPU, "core_server"), (CLIENT_CPU, "core_client")):
        b = ticks1[c][0] - ticks0[c][0]
        t = ticks1[c][1] - ticks0[c][1]
        r[key] = b / t if t else float("nan")
    # Every completed response is `size` bytes; at most one partial response per connection
    # is read when wrk stops. Anything else is a response of the wrong size.
    size = sizes.get(server.name, {}).get(cell)
    r["wrong"] = 0
    if size:
        lo, hi = r["requests"] * size, (r["requests"] + CONNS) * size
        if not lo <= r["bytes"] <= hi:
            r["wrong"] = 1
            log(f"!! {server.name} {cell}: {r['bytes']} bytes for {r['requests']} responses of {size}")
    if any(r["errors"].values()):
        log(f"!! {server.name} {cell}: {r['requests']} requests, errors {r['errors']}")
    return r


# ---- system calls per request (one uncounted slice per server and cell) -----------------------

# The system calls perf counts one by one (the rest of raw_syscalls:sys_enter's total shows as
# "other"): enabling all ~360 syscall tracepoints takes perf ~10 s per attach.
SYSCALL_NAMES = """read write readv writev pread64 preadv pwrite64 sendfile64 splice tee vmsplice
recvfrom sendto recvmsg sendmsg recvmmsg sendmmsg accept accept4 connect socket shutdown close
close_range setsockopt getsockopt getsockname getpeername epoll_wait epoll_pwait epoll_pwait2
epoll_ctl epoll_create1 poll ppoll select pselect6 io_uring_enter openat newfstat newfstatat
newstat newlstat statx access faccessat faccessat2 fcntl ioctl lseek fstatfs mmap munmap
madvise brk futex clock_gettime gettimeofday time timerfd_settime nanosleep sched_yield getpid
gettid getrandom rt_sigprocmask tgkill""".split()


def have(tool):
    return subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode == 0


def count_syscalls(d, server, cell):
    """Runs one more 1 s wrk slice with the server's system calls counted; returns (requests,
    {syscall: calls}, tool) or None. perf stat (the syscall tracepoints, opened before wrk
    starts and closed when it ends) barely slows the server; strace -c (the fallback) stops it
    at every call, so its counts come from a slower server that batches more per call."""
    server.refresh_pids()
    outf = os.path.join(d, "syscalls.txt")
    if os.path.exists(outf):
        os.unlink(outf)
    wrk = wrk_args(server, cell, 1)
    if have("perf"):
        tool = "perf"
        events = ",".join(["raw_syscalls:sys_enter"] +
                          [f"syscalls:sys_enter_{n}" for n in SYSCALL_NAMES])
        cmd = ["taskset", "-c", CLIENT_CPU, "perf", "stat", "-x,", "-o", outf, "-e", events,
               "-p", ",".join(map(str, server.pids)), "--"] + wrk
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        STARTED.append(proc)
        try:
            text = proc.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            text = proc.communicate()[0]
        STARTED.remove(proc)
    elif have("strace"):
        tool = "strace"
        tids = [t for p in server.pids for t in os.listdir(f"/proc/{p}/task")]
        cmd = ["taskset", "-c", CLIENT_CPU, "strace", "-c", "-f", "-q", "-o", outf]
        for t in tids:
            cmd += ["-p", t]
        tracer = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        STARTED.append(tracer)
        time.sleep(0.5)  # strace seizes every thread
        try:
            r = subprocess.run(wrk, capture_output=True, text=True, timeout=60)
            text = r.stdout
        finally:
            tracer.send_signal(signal.SIGINT)
            try:
                tracer.wait(timeout=20)
            except subprocess.TimeoutExpired:
                tracer.kill()
                tracer.wait()
            STARTED.remove(tracer)
    else:
        return None
    m = WRK_RE.search(text or "")
    if not m or not os.path.exists(outf):
        log(f"system calls of {server.name} ({cell}) not counted: {(text or '').strip()[-200:]}")
        return None
    requests = int(re.search(r"requests=(\d+)", m.group(1)).group(1))
    calls, total = {}, None
    for line in open(outf):
        if tool == "perf":
            f = line.strip().split(",")
            if len(f) >= 3 and f[0].isdigit():
                if f[2] == "raw_syscalls:sys_enter":
                    total = int(f[0])
                elif f[2].startswith("syscalls:sys_enter_") and int(f[0]):
                    calls[f[2][len("syscalls:sys_enter_"):]] = int(f[0])
        else:
            f = line.split()
            if len(f) >= 5 and f[-1] != "total" and re.fullmatch(r"[\d.]+", f[0]) and f[3].isdigit():
                calls[f[-1]] = int(f[3])
    if total is not None and total > sum(calls.values()):
        calls["other"] = total - sum(calls.values())
    if not calls or not requests:
        return None
    return requests, calls, tool


# ---- report ---------------------------------------------------------------------------------

def disturbed(r):
    """Other work took a core during this slice: the server waited for its core a tenth of the
    slice or more, other work used a quarter of core 0 or of core 1 (beside wrk) or more, a
    compiler, build tool or test suite ran, or wrk completed no request at all (seen when the
    whole machine stalled)."""
    if not r["run_s"] or not r["requests"]:
        return True
    return (r["wait_ns"] / 1e9 / r["run_s"] >= 0.10 or
            r["core_server"] - r["cpu_ns"] / 1e9 / r["wall_s"] >= 0.25 or
            r["core_client"] - r["gen_cpu_ns"] / 1e9 / r["wall_s"] >= 0.25 or r["builds"] > 0)


def counted(results):
    """The slices the figures come from: per cell, those of the undisturbed rounds when there
    are at least 3 of them, else all (and the report says so)."""
    out, note = [], {}
    for c in CELLS:
        rows = [r for r in results if r["cell"] == c]
        rounds = {r["round"] for r in rows}
        clean_rounds = rounds - {r["round"] for r in rows if disturbed(r)}
        clean = [r for r in rows if r["round"] in clean_rounds]
        if len(clean_rounds) >= 3:
            out += clean
        else:
            out += rows
        note[c] = (len(clean_rounds), len(rounds))
    return out, note


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def summarize(rows):
    done = [r for r in rows if r["requests"]]
    return {
        "rps": med([r["rps"] for r in rows]),
        "cpu_us": med([r["cpu_ns"] / r["requests"] / 1e3 for r in done]),
        "gen_us": med([r["gen_cpu_ns"] / r["requests"] / 1e3 for r in done]),
        "busy": med([r["cpu_ns"] / 1e9 / r["run_s"] for r in rows if r["run_s"]]),
        "waited": med([r["wait_ns"] / 1e9 / r["run_s"] for r in rows if r["run_s"]]),
        "gen_busy": med([r["gen_cpu_ns"] / 1e9 / r["wall_s"] for r in rows]),
        "core_server": med([r["core_server"] for r in rows]),
        "core_client": med([r["core_client"] for r in rows]),
        "p50_ms": med([r["p50_us"] / 1e3 for r in rows]),
        "p99_ms": med([r["p99_us"] / 1e3 for r in rows]),
        "requests": sum(r["requests"] for r in rows),
        "errors": sum(sum(r["errors"].values()) for r in rows),
        "error_kinds": {k: sum(r["errors"][k] for r in rows) for k in rows[0]["errors"]},
        "wrong": sum(r["wrong"] for r in rows),
        "bytes_per": med([r["bytes"] / r["requests"] for r in done]),
        "slices": len(rows), "seconds": sum(r["run_s"] for r in rows),
    }


class Ratio(float):
    """The median of per-round ratios, with their quartiles in .lo and .hi."""
    def __new__(cls, xs):
        r = super().__new__(cls, med(xs))
        r.lo, r.hi = (statistics.quantiles(xs, n=4)[0::2] if len(xs) >= 2 else (float(r), float(r)))
        return r

    def spread(self):
        return f"{self.lo:.2f}–{self.hi:.2f}"


def paired(results, cell, a, b):
    """Median over the rounds of a's figure over b's in the same round (requests/s, CPU per
    request): neighbours in time share the drift of a shared machine."""
    by = {}
    for r in results:
        if r["cell"] == cell and r["server"] in (a, b) and r["requests"]:
            by.setdefault(r["round"], {})[r["server"]] = r
    pairs = [(x[a], x[b]) for x in by.values() if a in x and b in x]
    q = Ratio([ra["rps"] / rb["rps"] for ra, rb in pairs if rb["rps"]])
    c = Ratio([(ra["cpu_ns"] / ra["requests"]) / (rb["cpu_ns"] / rb["requests"])
               for ra, rb in pairs if rb["cpu_ns"]])
    return q, c


def limiter(s):
    """Which side limited: the server's core, wrk's, both, or neither (latency)."""
    srv = s["busy"] + s["waited"] >= 0.85
    gen = s["gen_busy"] >= 0.85 or s["core_client"] >= 0.95
    name = {(True, True): "both", (True, False): "server", (False, True): "wrk"}.get(
        (srv, gen), "neither (latency)")
    if s["waited"] >= 0.3:
        return f"other work (server waited {s['waited']:.0%})"
    return name + (" (cores shared)" if srv and s["waited"] >= 0.1 else "")


def versions():
    def first(cmd, pat):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        except OSError:
            return "missing"
        m = re.search(pat, r.stdout + r.stderr)
        return m.group(1) if m else "?"
    v = {
        "nginx": first(["nginx", "-v"], r"nginx/(\S+)"),
        "nginx_pkg": first(["dpkg-query", "-W", "-f=${Version}", "nginx-light"], r"(\S+)"),
        "h2o": first(["h2o", "-v"], r"h2o version (\S+)"),
        "lighttpd": first(["lighttpd", "-v"], r"lighttpd/(\S+)"),
        "wrk": first(["wrk", "-v"], r"wrk (\S+)"),
        "curl": first(["curl", "--version"], r"curl (\S+)"),
        "weft": first(["git", "-C", ROOT, "describe", "--always"], r"(\S+)"),
    }
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "include",
                            "tools", "CMakeLists.txt"], capture_output=True, text=True).stdout
    if dirty.strip():
        v["weft"] += " with uncommitted changes"
    return v


def write_report(run):
    all_results, names = run["results"], run["names"]
    results, round_note = counted(all_results)
    cells = [c for c in CELLS if any(r["cell"] == c for r in results)]
    summ = {c: {n: summarize([r for r in results if r["cell"] == c and r["server"] == n])
                for n in names if any(r["cell"] == c and r["server"] == n for r in results)}
            for c in cells}
    peers = [p for p in PEERS if p in names]
    vers, sizes, heads = run["vers"], run["sizes"], run["heads"]
    machine = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p' | head -1"],
                             capture_output=True, text=True).stdout.strip()
    L = ["# HTTP: `weft http serve` vs nginx, h2o and lighttpd, driven by wrk\n"]
    # run without an argument, the script measured build/release's weft (no build/bench one)
    cmd = f"SLICE_S={SLICE_S:g} ROUNDS={ROUNDS} scripts/bench-http.sh" + (
        f" {BUILD_ARG}" if BUILD == BUILD_ARG else "")
    raw_shown = os.path.join(RAW, "run.json")
    if not os.path.isabs(raw_shown) or raw_shown.startswith(ROOT + os.sep):
        raw_shown = os.path.relpath(os.path.abspath(raw_shown), ROOT)
    L.append(f"Generated by `scripts/bench-http.sh` on {run['started_at']}. Reproduce: `make bench` "
             f"(all benchmarks), or this one alone: `{cmd}` (~{run['elapsed']:.0f} s). Every slice's "
             f"figures: `{raw_shown}`; "
             f"`HTTP_BENCH_REPORT_ONLY=1` rewrites this page from it."
             f"{(' ' + NOTE) if NOTE else ''}\n")
    other0 = med([r["core_server"] - r["cpu_ns"] / 1e9 / r["wall_s"] for r in results])
    waited = med([r["wait_ns"] / 1e9 / r["run_s"] for r in results if r["run_s"]])
    with_builds = sum(1 for r in all_results if r["builds"])
    n_dist = sum(n - k for k, n in round_note.values())
    n_rounds = sum(n for _, n in round_note.values())
    rounds_txt = (f" {n_dist} of {n_rounds} rounds were disturbed (a slice in which the server "
                  "waited ≥ 10 % for its core, other work took ≥ 25 % of core 0 or of core 1 beside "
                  "wrk, a compiler or test suite ran, or wrk completed no request) and "
                  "were measured again; they are left out of every figure below" +
                  "".join(f" (except in {c}, which had only {k} undisturbed rounds: all its rounds "
                          "count)" for c, (k, n) in round_note.items() if k < 3) + "."
                  if n_dist else " No round was disturbed.")
    if other0 >= 0.05 or waited >= 0.05 or with_builds:
        shared = (f"**The machine was shared**: other work took ~{max(other0, 0):.0%} of core "
                  f"{SERVER_CPU} beside the servers, which waited ~{waited:.0%} of the time for it "
                  f"(medians over the slices counted); a compiler, build tool or test suite ran during "
                  f"{with_builds} of {len(all_results)} slices. Absolute figures drift under such "
                  "load; the ratios of servers measured in the same interleaved slices are what "
                  "compare." + rounds_txt)
    else:
        shared = (f"Other work took ~{max(other0, 0):.0%} of core {SERVER_CPU} (median over the "
                  "slices counted) and no compiler, build tool or test suite ran during any slice: a quiet "
                  "machine." + rounds_txt)
    L.append(f"- Machine: {machine}, {NCPU} cores (nproc); kernel {os.uname().release}. {shared} "
             "Columns `core 0` / `core 1` give how busy each core was in total, `waited` how long "
             "the server was runnable but not running (another task held its core).")
    L.append(f"- Versions: nginx {vers['nginx']} (Debian nginx-light {vers['nginx_pkg']}), h2o "
             f"{vers['h2o']}, lighttpd {vers['lighttpd']}, wrk {vers['wrk']}, curl {vers['curl']}; "
             f"weft: `{os.path.relpath(WEFT, ROOT)}`, built from the checkout at {vers['weft']}.")
    L.append("- Files (bench/http/docroot.py, deterministic and incompressible): "
             + ", ".join(f"`/{n}` ({docroot.FILES[n]:,} bytes, SHA-256 `{h[:16]}…`)"
                         for n, h in run["sums"].items()) + ".")
    L.append("- Cells: " + "; ".join(f"**{c}**: {CELL_DEFS[c][2]}" for c in cells) +
             f". wrk sends `GET <path> HTTP/1.1` with `Host` only (plus `Connection: close` in "
             "`conn`, where every response ends its connection and wrk opens another).")
    L.append(f"- Method (shared/DESIGN.md, \"Performance method\"): all servers run at once, each "
             f"pinned to core {SERVER_CPU} with **one worker**, started by the script with its own "
             "config (bench/http/*.conf) on its own loopback port, never as a service: **nginx** "
             "`worker_processes 1` (the master only supervises), `sendfile on`, `tcp_nopush on` (Debian's "
             "default nginx.conf has both; the header and the file leave in one segment), `access_log off`, "
             "`open_file_cache max=1000`, `keepalive_requests 1000000`; **h2o** `num-threads: 1`, no "
             "access log, `file.send-compressed: OFF`; **lighttpd** one process (no "
             "`server.max-worker`), mod_accesslog not loaded, `server.max-keep-alive-requests = "
             "1000000`; **weft** `weft http serve --threads 1 --quiet`; everything else each "
             f"server's default. wrk (`-t1 -c{CONNS}`, one thread) is pinned to core {CLIENT_CPU} "
             f"and drives the servers in turn in {SLICE_S:g} s slices (a new wrk per slice, stopped "
             f"by SIGINT), the order rotating every round, after one uncounted warm-up slice per "
             f"server and cell, {ROUNDS} undisturbed rounds per cell wanted (at most {MAX_ROUNDS} "
             f"run), so each server has ~{SLICE_S * ROUNDS:.0f} s counted per cell.")
    L.append("- Server CPU: /proc/PID/task/*/schedstat of every process and thread of the server "
             "(nginx's master and worker, h2o's threads and its backtrace helper), read before and "
             "after each slice (ns; includes the kernel's work in its system calls and the loopback "
             "softirq work done in them). wrk's CPU: its rusage (wait4), which includes its start and "
             "its connects. Every figure is the **median over the slices**; counts are sums. "
             "Latency p50/p99: wrk's, per slice, then the median over slices.")
    L.append("- Correctness: before measuring, every file fetched once from every server with curl "
             "(status 200 and SHA-256 of the body), and wrk's exact request sent over a raw socket "
             "in each cell (body SHA-256, response size, and that the server closes after "
             "`Connection: close` and not otherwise). While measuring: wrk's socket errors "
             "(connect, read, write, timeout) and non-2xx/3xx responses, and every slice's bytes "
             "read must equal its responses times the server's response size (plus at most one "
             "partial response per connection when wrk stops). Target: none.")
    L.append("- Limited by: `server` when the server's core was saturated (server run + waited ≥ "
             "85 % of the slice), `wrk` when wrk used ≥ 85 % of its core (or core 1 was ≥ 95 % busy), "
             "`both`, or `neither` (latency); `other work` when the server waited for its core 30 % "
             "of the slice or more. Where wrk limits, requests/s bunch together and server CPU per "
             "request is the figure that separates servers.\n")
    if run["skipped"]:
        L.append("Not measured: " + "; ".join(run["skipped"]) + ".\n")
    if run["problems"]:
        L.append(f"**ANSWERS WRONG before measuring ({len(run['problems'])})**:\n")
        L += [f"- {p}" for p in run["problems"][:30]]
        L.append("")
    else:
        L.append(f"Answers checked before measuring: every file from {', '.join(names)} "
                 f"**identical** to the document root ({'curl and ' if run['vers']['curl'] != 'missing' else ''}"
                 "wrk's request over a raw socket, SHA-256), and every server closes after "
                 "`Connection: close` and keeps the connection otherwise. Response sizes, header + "
                 "body bytes (the headers differ by server): " + "; ".join(
                     f"{n} " + ", ".join(f"{c} {sizes[n][c]:,} ({heads[n][c]} header)"
                                         for c in cells if c in sizes.get(n, {}))
                     for n in names) + ".\n")
    bad = [(c, n, x) for c in cells for n, x in summ[c].items() if x["errors"] or x["wrong"]]
    if bad:
        L.append("**ERRORS WHILE MEASURING** (socket errors, non-2xx/3xx responses or responses of "
                 "the wrong size; a server's figures do not count until it has none):\n")
        for c, n, x in bad:
            kinds = ", ".join(f"{k} {v:,}" for k, v in x["error_kinds"].items() if v)
            L.append(f"- {c} {n}: {kinds or 'no socket error'}"
                     + (f"; {x['wrong']} slices with the wrong byte count" if x["wrong"] else ""))
        L.append("")

    ratios = {}
    for c in cells:
        s = summ[c]
        present = [p for p in peers if p in s]
        if "weft" in s and present:
            bq = max(present, key=lambda p: s[p]["rps"])
            bc = min(present, key=lambda p: s[p]["cpu_us"])
            ratios[c] = {"rps": paired(results, c, "weft", bq)[0], "rps_peer": bq,
                         "cpu": paired(results, c, "weft", bc)[1], "cpu_peer": bc,
                         "gen": summ[c]["weft"]["gen_us"] / summ[c][bq]["gen_us"]}
            for p in present:
                ratios[c][f"rps_{p}"], ratios[c][f"cpu_{p}"] = paired(results, c, "weft", p)
    L.append("## Summary\n")
    if ratios:
        L.append("| cell | weft requests/s ÷ best peer | weft CPU/request ÷ best peer | " +
                 " | ".join(f"÷ {p} (req/s, CPU)" for p in peers) +
                 " | limited by (weft; best peer) | wrk CPU/request, weft ÷ best peer | weft errors |")
        L.append("|---|---|---|" + "---|" * len(peers) + "---|---|---|")
        for c, r in ratios.items():
            L.append(f"| {c} | **{r['rps']:.3f}** ({r['rps_peer']}; {r['rps'].spread()}) | "
                     f"**{r['cpu']:.3f}** ({r['cpu_peer']}; {r['cpu'].spread()}) | " + " | ".join(
                         f"{r.get('rps_' + p, float('nan')):.3f}, {r.get('cpu_' + p, float('nan')):.3f}"
                         for p in peers) +
                     f" | {limiter(summ[c]['weft'])}; {limiter(summ[c][r['rps_peer']])} | "
                     f"{r['gen']:.3f} | {summ[c]['weft']['errors'] + summ[c]['weft']['wrong']} |")
        L.append("\nRatios are weft ÷ peer in the same run, each the **median over the rounds of the "
                 "ratio within a round** (after the best peer's name, the quartiles of those per-round "
                 "ratios): above 1 is better for requests/s, below 1 is better for CPU per request. "
                 "\"Best peer\" is the peer with the highest median requests/s, and the one with the "
                 "lowest median CPU per request, per cell. Where wrk limits, the client's CPU per "
                 "response (its medians' ratio, against the best peer for requests/s) tells how much "
                 "of the requests/s ratio the way a server sends costs the client.\n")
        verdict = []
        for c in TARGET_CELLS:
            if c in ratios:
                r = ratios[c]
                ok = r["rps"] >= 1.0 and r["cpu"] <= 0.9
                verdict.append(f"{c}: requests/s {r['rps']:.3f}× (≥ 1.0: "
                               f"{'met' if r['rps'] >= 1.0 else '**not met**'}), CPU/request "
                               f"{r['cpu']:.3f}× (≤ 0.9: {'met' if r['cpu'] <= 0.9 else '**not met**'})"
                               + ("" if ok else ""))
        L.append("Targets (issue 10), on the 1k and 64k cells: requests/s ≥ 1.0× the best peer and "
                 "server CPU per request ≤ 0.9× the best. " + "; ".join(verdict) + ".\n")
    else:
        L.append("weft was not measured in this run (see above): the tables compare the peers "
                 "only.\n")

    if STANDIN and "nginx_b" in names:
        L.append("Stand-in check (a second nginx, identical config, under the name `nginx_b`, "
                 "measured in the same slices; a harness without bias scores 1.0× within a few "
                 "percent):")
        worst = 0.0
        for c in cells:
            s = summ[c]
            if "nginx" in s and "nginx_b" in s:
                q, u = paired(results, c, "nginx_b", "nginx")
                L.append(f"- {c}: nginx_b ÷ nginx requests/s **{q:.3f}** (quartiles {q.spread()}), "
                         f"CPU per request **{u:.3f}** ({u.spread()}); ratio of the medians: "
                         f"{s['nginx_b']['rps'] / s['nginx']['rps']:.3f} and "
                         f"{s['nginx_b']['cpu_us'] / s['nginx']['cpu_us']:.3f}")
                worst = max(worst, abs(q - 1), abs(u - 1))
        if worst <= 0.05:
            L.append(f"\nThe stand-in stays within {worst:.1%} of 1.0: no bias in the harness shows.")
        else:
            L.append(f"\nThe stand-in strays {worst:.1%} from 1.0 in this run: two identical servers "
                     "differ that much here, so a ratio of weft's within that distance of 1.0 is not "
                     "a difference. Rerun on a quiet machine.")
        L.append("")

    for c in cells:
        s = summ[c]
        L.append(f"## {c}: {CELL_DEFS[c][2]}\n")
        L.append("| server | requests/s | server CPU µs/request | server busy | waited | wrk CPU "
                 "µs/request | wrk busy | core 0 | core 1 | limited by | p50 ms | p99 ms | "
                 "requests | errors | bytes/response |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in names:
            if n not in s:
                continue
            x = s[n]
            err = x["errors"] + x["wrong"]
            L.append(f"| {n} | {x['rps']:,.0f} | {x['cpu_us']:.2f} | {x['busy']:.0%} | "
                     f"{x['waited']:.0%} | {x['gen_us']:.2f} | {x['gen_busy']:.0%} | "
                     f"{x['core_server']:.0%} | {x['core_client']:.0%} | {limiter(x)} | "
                     f"{x['p50_ms']:.2f} | {x['p99_ms']:.2f} | {x['requests']:,} | "
                     f"{'**' + str(err) + '**' if err else 0} | {x['bytes_per']:,.0f} |")
        k, n = round_note[c]
        L.append(f"\n{s[names[0]]['slices'] if names[0] in s else 0} slices per server, "
                 f"~{med([x['seconds'] for x in s.values()]):.1f} s counted per server"
                 + (f" ({n - k} disturbed rounds of {n} left out)" if n > k and k >= 3 else
                    f" (all {n} rounds, {n - k} of them disturbed)" if n > k else "") + ".\n")

    sc = run.get("syscalls") or {}
    if sc:
        tool = next(iter(v["tool"] for x in sc.values() for v in x.values()))
        how = ("`perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_<name>... -p <server's "
               "PIDs> -- wrk ...` (tracepoints: the server runs at nearly full speed; `other` is "
               "the total less the calls counted by name)" if tool == "perf" else
               "`strace -c -f -p <every thread>` (ptrace stops slow the server, so it batches more "
               "per call than unobserved: counts of epoll_wait and the like read low)")
        L.append("## System calls per request\n")
        L.append(f"One more 1 s wrk run per server and cell, not counted above, with the server's system "
                 f"calls counted by {how}; calls divided by the requests wrk completed in that "
                 "slice (the counts include the calls for requests in flight when wrk stopped).\n")
        for c in cells:
            if c not in sc:
                continue
            top = {}
            for n, v in sc[c].items():
                for k, calls in v["calls"].items():
                    top[k] = max(top.get(k, 0), calls / v["requests"])
            keys = [k for k, x in sorted(top.items(), key=lambda kv: -kv[1]) if x >= 0.01][:12]
            L.append(f"**{c}**\n")
            L.append("| server | all | " + " | ".join(keys) + " |")
            L.append("|---|---|" + "---|" * len(keys))
            for n in names:
                if n not in sc[c]:
                    continue
                v = sc[c][n]
                per = {k: x / v["requests"] for k, x in v["calls"].items()}
                L.append(f"| {n} | {sum(per.values()):.2f} | " +
                         " | ".join(f"{per[k]:.2f}" if k in per else "–" for k in keys) + " |")
            L.append("")
    L.append("![requests/s and server CPU per request](http.png)\n")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "http.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    plot(summ, cells, names)
    return summ, ratios, bad


def plot(summ, cells, names):
    d = tempfile.mkdtemp(prefix="httpplot.")
    dat = os.path.join(d, "http.dat")
    with open(dat, "w") as f:
        f.write("# cell " + " ".join(f"{n}_krps {n}_cpu" for n in names) + "\n")
        for c in cells:
            f.write(c + " " + " ".join(
                f"{summ[c][n]['rps'] / 1e3:.3f} {summ[c][n]['cpu_us']:.3f}" if n in summ[c] else "NaN NaN"
                for n in names) + "\n")
    q = ", ".join(f"'{dat}' using {2 + 2 * i}:xtic(1) title '{n}'" for i, n in enumerate(names))
    u = ", ".join(f"'{dat}' using {3 + 2 * i}:xtic(1) title '{n}'" for i, n in enumerate(names))
    script = f"""
set terminal pngcairo noenhanced size 1100,500 font 'sans,10'
set output '{os.path.join(OUT, "http.png")}'
set multiplot layout 1,2 title 'HTTP, one server worker on core 0, wrk -t1 -c{CONNS} on core 1 (medians over slices)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set key outside bottom center horizontal
set title 'thousand requests/s (higher is better)'
plot {q}
set title 'server CPU µs per request (lower is better)'
plot {u}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    for x in os.listdir(d):
        os.unlink(os.path.join(d, x))
    os.rmdir(d)


# ---- main -----------------------------------------------------------------------------------

SETTINGS = ["SLICE_S", "ROUNDS", "MAX_ROUNDS", "CELLS", "CONNS", "STANDIN", "BUILD_ARG", "BUILD", "WEFT"]


def rmtree(d):
    for root, dirs, files in os.walk(d, topdown=False):
        for x in files:
            os.unlink(os.path.join(root, x))
        for x in dirs:
            os.rmdir(os.path.join(root, x))
    os.rmdir(d)


def measure():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    # The harness stays off the servers' core: it shares wrk's, where it sleeps in wait4.
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    for c in CELLS:
        if c not in CELL_DEFS:
            raise SystemExit(f"bench-http: unknown cell {c!r} ({', '.join(CELL_DEFS)})")
    if QUIET_WAIT_S > 0:
        t = time.monotonic()
        while heavy_builds() and time.monotonic() - t < QUIET_WAIT_S:
            time.sleep(5)
        log(f"waited {time.monotonic() - t:.0f} s for builds to end "
            f"({'quiet' if not heavy_builds() else 'still building'})")
    run = {"started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "vers": versions(),
           "results": [], "names": [], "skipped": [], "problems": ["no servers started"],
           "sizes": {}, "heads": {}, "syscalls": {}}
    t_start = time.monotonic()
    d = tempfile.mkdtemp(prefix="bench-http.")
    os.chmod(d, 0o755)  # nginx's worker and h2o serve as `nobody` when started as root
    www = os.path.join(d, "www")
    run["sums"] = docroot.write_root(www)
    servers = []
    try:
        plan = []
        why = weft_supports_http_serve()
        if why:
            run["skipped"].append(f"weft ({why})")
            log(f"weft left out: {why}")
        else:
            plan.append(("weft", "weft"))
        plan += [(p, p) for p in PEERS]
        if STANDIN:
            plan.append(("nginx_b", "nginx"))
        port = PORT0
        for name, kind in plan:
            try:
                s, port = start_server(d, www, name, kind, port)
            except RuntimeError as e:
                if kind != "weft":
                    raise
                run["skipped"].append(f"weft ({e})")
                log(f"weft left out: {e}")
                continue
            servers.append(s)
            log(f"{name} serves 127.0.0.1:{s.port} (pids {' '.join(map(str, s.pids))})")
        run["names"] = [s.name for s in servers]
        run["sizes"], run["heads"], run["problems"] = check_answers(d, servers, run["sums"])
        if run["problems"]:
            for p in run["problems"]:
                log(f"!! {p}")
        else:
            log("answers checked: every body identical, Connection: close honoured")
        sizes = run["sizes"]
        log(f"measuring: cells {' '.join(CELLS)}, {ROUNDS} rounds x {SLICE_S:g} s slices, "
            f"servers on core {SERVER_CPU}, wrk -t1 -c{CONNS} on core {CLIENT_CPU}")
        for cell in CELLS:
            t_cell = time.monotonic()
            for s in servers:
                run_slice(s, cell, sizes)  # warm-up, not counted
            clean = rnd = 0
            while clean < ROUNDS and rnd < MAX_ROUNDS:
                order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
                rows = [dict(run_slice(s, cell, sizes), round=rnd) for s in order]
                dist = any(disturbed(r) for r in rows)
                for r in rows:
                    r["round_disturbed"] = dist
                run["results"] += rows
                clean += not dist
                rnd += 1
                if time.monotonic() - t_cell > MAX_S / len(CELLS):
                    log(f"{cell}: its share of the time budget ({MAX_S / len(CELLS):.0f} s) spent: "
                        f"stopping after round {rnd}")
                    break
            log(f"{cell}: done, {clean} undisturbed rounds of {rnd} "
                f"({time.monotonic() - t_start:.0f} s)")
        if SYSCALLS:
            for cell in CELLS:
                for s in servers:
                    if s.name == "nginx_b":
                        continue
                    got = count_syscalls(d, s, cell)
                    if got:
                        run["syscalls"].setdefault(cell, {})[s.name] = {
                            "requests": got[0], "calls": got[1], "tool": got[2]}
            log(f"system calls counted ({time.monotonic() - t_start:.0f} s)")
    finally:
        stop_all()
        run["elapsed"] = time.monotonic() - t_start
        run["settings"] = {k: globals()[k] for k in SETTINGS}
        os.makedirs(RAW, exist_ok=True)
        with open(os.path.join(RAW, "run.json"), "w") as f:
            json.dump(run, f, indent=1)
        rmtree(d)
    return run


def main():
    if os.environ.get("HTTP_BENCH_REPORT_ONLY") == "1":
        with open(os.path.join(RAW, "run.json")) as f:
            run = json.load(f)
        globals().update(run["settings"])
    else:
        run = measure()
    summ, ratios, bad = write_report(run)
    for c in summ:
        log(f"{c}: " + "; ".join(f"{n} {x['rps'] / 1e3:.1f} kreq/s {x['cpu_us']:.2f} us/req "
                                 f"({limiter(x)})" for n, x in summ[c].items()))
        if c in ratios:
            r = ratios[c]
            log(f"{c}: weft / best peer: requests/s {r['rps']:.3f} ({r['rps_peer']}), CPU/request "
                f"{r['cpu']:.3f} ({r['cpu_peer']})")
        if "nginx" in summ[c] and "nginx_b" in summ[c]:
            q, u = paired(counted(run["results"])[0], c, "nginx_b", "nginx")
            log(f"{c}: stand-in nginx_b / nginx: requests/s {q:.3f}, CPU/request {u:.3f}")
    log(f"wrote docs/perf/http.md and docs/perf/http.png ({run['elapsed']:.0f} s); raw figures in "
        f"{os.path.join(RAW, 'run.json')}")
    if run["problems"] or bad:
        log("!! FAILED: wrong answers or errors (see docs/perf/http.md)")
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:  # a server or wrk failed: everything started is stopped
        print(f"bench-http: {e}", file=sys.stderr)
        sys.exit(1)
