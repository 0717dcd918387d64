#!/usr/bin/python3
"""bench_capture.py: the capture part of `make bench`, run by scripts/bench-capture.sh (see its
header for the environment variables). Two benchmarks, as issue 12 ("Fast") asks:

capture: `weft capture --write` against `tcpdump -w` (libpcap's default buffer, 2 MiB) and
  `tcpdump -B 8192 -w` (8 MiB, the memory of weft's ring: 8 blocks of 1 MiB) on one interface.
  - The lab: two network namespaces made here (weft-capbench-a-PID, weft-capbench-b-PID), a veth
    pair between them, 198.18.0.1/15 and 198.18.0.2/15, IPv6 off in both (no ND or MLD frames).
  - The load: bench/capture/flood.c, pinned to core 1 in namespace A, sends 60-byte
    Ethernet/IPv4/UDP frames (the Ethernet minimum) at a stepped rate for CAPTURE_FLOOD_S
    seconds per step, each carrying a run id and a sequence number. They go to B's address
    with a destination MAC nobody owns, so B's IPv4 stack drops each at its first check (no
    route lookup, no ICMP error) after every packet socket has had its copy: the kernel's work
    per frame stays small and on the generator's core (veth delivers in the sender's context).
  - The captures run in namespace B, all pinned to core 0. Mode `side-by-side` (default): the
    three run together during one flood, so they see the same frames at the same moments
    and share one core. Mode `interleaved`: each alone during its own flood, in rotating
    order. The script waits until each capture's packet socket is bound (/proc/PID/net/packet),
    floods, waits CAPTURE_DRAIN_S (tcpdump hands over a partly filled ring block after 1 s),
    then sends SIGINT and reads the counts each prints.
  - Per tool and step: flood frames in the file it wrote (counted by marker), the kernel's
    drop count it printed (PACKET_STATISTICS), its CPU time (/proc/PID/schedstat) per frame.
    A step is lossless for a tool when it reports no kernel drop and its file holds every
    frame sent. The lossless rate: the highest step lossless in every round, with every step
    below it lossless too.

decode: `weft decode --json --pcap F` (and the table, without --json) against
  `tcpdump -nn -v -r F` and `tshark -T ek -r F`, all with stdout to /dev/null, pinned to core
  0, on one pcap of DECODE_FRAMES frames of mixed traffic (bench/capture/gen_pcap.py: ARP, ICMP,
  UDP, TCP, IPv4 fragments, DNS, DHCP, HTTP), read once before so that it is in the page
  cache. DECODE_ROUNDS rounds in rotating order (tshark, ~50x slower, in the first
  TSHARK_ROUNDS only); per run the wall time and the child's rusage (user, sys, peak RSS) from
  wait4. weft's peak RSS also on a file DECODE_BIG_FACTOR times larger. With perf installed,
  `perf record -g` of one `weft decode --json` run gives the top symbols for the report.

Results go to build/bench/capture/results.json (whichever weft is measured); the report (docs/perf/capture.md, capture.png) is
written from it. Every process this script starts is ended by PID; the namespaces (and so the
veth pair) and the temporary files are removed on every exit, failure or signal included.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "capture")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # bench/: what the harnesses share
from bench_common import (STARTED, busy_between, core_ticks, heavy_processes, must, on_signal,  # noqa: E402
                          others_busy, proc_cpu, reap, run, schedstat_ns, stop_all, wait_child)
OUT = os.path.join(ROOT, "docs", "perf")

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench"))
WEFT = os.path.abspath(os.environ.get("CAPTURE_BENCH_WEFT") or os.path.join(BUILD, "bin", "weft"))
RESULTS_DIR = os.path.join(ROOT, "build", "bench", "capture")  # whichever weft is measured
RESULTS = os.path.join(RESULTS_DIR, "results.json")
PARTS = os.environ.get("CAPTURE_BENCH_PARTS", "capture decode").split()
RATES = [int(float(x)) for x in os.environ.get("CAPTURE_RATES", "50000 100000 200000 400000 800000").split()]
FLOOD_S = float(os.environ.get("CAPTURE_FLOOD_S", "2"))
DRAIN_S = float(os.environ.get("CAPTURE_DRAIN_S", "1.5"))
CAPTURE_ROUNDS = int(os.environ.get("CAPTURE_ROUNDS", "3"))
MODES = os.environ.get("CAPTURE_MODE", "side-by-side").replace("both", "side-by-side interleaved").split()
DECODE_FRAMES = int(os.environ.get("DECODE_FRAMES", "500000"))
DECODE_ROUNDS = int(os.environ.get("DECODE_ROUNDS", "5"))
TSHARK_ROUNDS = int(os.environ.get("TSHARK_ROUNDS", "3"))
BIG_FACTOR = int(os.environ.get("DECODE_BIG_FACTOR", "4"))
PROFILE = os.environ.get("CAPTURE_BENCH_PROFILE", "1") != "0"
MAX_S = float(os.environ.get("CAPTURE_BENCH_MAX_S", "600"))
NOTE = os.environ.get("CAPTURE_BENCH_NOTE", "")
NCPU = os.cpu_count() or 1
TOOL_CPU = "0"
GEN_CPU = "1" if NCPU > 1 else "0"
PID = os.getpid()
NS_A, NS_B = f"weft-capbench-a-{PID}", f"weft-capbench-b-{PID}"
IF_A, IF_B = f"wcapA{PID}"[:15], f"wcapB{PID}"[:15]
IP_A, IP_B = "198.18.0.1", "198.18.0.2"
NOBODY_MAC = "02:00:5e:10:00:b2"  # owned by no interface: B's stack drops the frame at once
TOOLS = ["weft", "tcpdump", "tcpdump -B 8192"]
TIME = "/usr/bin/time"  # GNU time (Debian package `time`): the decoders' peak RSS
DECODERS = ["weft --json", "weft table", "tcpdump -nn -v", "tshark -T ek"]


def log(msg):
    try:
        print(f"bench-capture: {msg}", flush=True)
    except BrokenPipeError:
        pass


# ---- CPU accounting -------------------------------------------------------------------------

def others_top(before, after, mine):
    """The three processes not started here that took the most CPU between two proc_cpu()
    snapshots: [(comm, seconds, last core)], the largest first."""
    return [(comm, sec, core) for comm, sec, _, core in others_busy(before, after, mine)[:3]]


# ---- the lab ----------------------------------------------------------------------------------

LAB = []  # namespaces created, to be deleted


def lab_up():
    for ns in (NS_A, NS_B):
        must(["ip", "netns", "add", ns])
        LAB.append(ns)
        for key in ("all", "default"):
            must(["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"])
    must(["ip", "link", "add", IF_A, "netns", NS_A, "type", "veth", "peer", "name", IF_B, "netns", NS_B])
    for ns, ifname, addr in ((NS_A, IF_A, IP_A), (NS_B, IF_B, IP_B)):
        must(["ip", "-n", ns, "addr", "add", f"{addr}/15", "dev", ifname])
        must(["ip", "-n", ns, "link", "set", ifname, "up"])
        must(["ip", "-n", ns, "link", "set", "lo", "up"])
    mac_a = must(["ip", "netns", "exec", NS_A, "cat", f"/sys/class/net/{IF_A}/address"]).strip()
    ifindex_b = int(must(["ip", "netns", "exec", NS_B, "cat", f"/sys/class/net/{IF_B}/ifindex"]))
    return mac_a, ifindex_b


def lab_down():
    for ns in list(LAB):
        r = run(["ip", "netns", "del", ns])
        if r.returncode == 0:
            LAB.remove(ns)
        else:
            log(f"could not delete namespace {ns}: {r.stderr.strip()}")


def rx_packets_b():
    return int(must(["ip", "netns", "exec", NS_B, "cat", f"/sys/class/net/{IF_B}/statistics/rx_packets"]))


# ---- capture trials ---------------------------------------------------------------------------

def tool_cmd(tool, path):
    if tool == "weft":
        return [WEFT, "capture", "--iface", IF_B, "--write", path]
    extra = tool.split()[1:]  # "-B 8192"
    return ["tcpdump", "-Z", "root", "-i", IF_B] + extra + ["-w", path]


def packet_socket_bound(pid, ifindex):
    """True when pid holds a packet socket bound to ifindex and running (/proc/PID/net/packet)."""
    try:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
            if m:
                inodes.add(m.group(1))
        with open(f"/proc/{pid}/net/packet") as f:
            for line in f.read().splitlines()[1:]:
                c = line.split()
                if len(c) >= 9 and c[8] in inodes and int(c[4]) == ifindex and c[5] == "1":
                    return True
    except OSError:
        pass
    return False


def parse_counts(tool, text):
    if tool == "weft":
        m = re.search(r"(\d+) frames captured, (\d+) received by filter, (\d+) dropped by kernel", text)
        return tuple(int(x) for x in m.groups()) if m else None
    got = [re.search(rf"(\d+) packets? {w}", text) for w in ("captured", "received by filter", "dropped by kernel")]
    return tuple(int(m.group(1)) for m in got) if all(got) else None


def count_marked(path, run_id):
    """Frames of flood run run_id in the pcap at path, and the first and last sequence numbers
    (the 8 bytes after the marker), found by the marker "WFLD" + run id."""
    marker = b"WFLD" + run_id.to_bytes(4, "big")
    with open(path, "rb") as f:
        data = f.read()
    n = data.count(marker)
    first = data.find(marker)
    last = data.rfind(marker)
    seq = lambda at: int.from_bytes(data[at + 8:at + 16], "big") if at >= 0 else None  # noqa: E731
    return n, seq(first), seq(last), len(data)


TRIAL_NO = [0]
RINGS = {}  # tool -> its receive ring as the kernel reports it (ss -0 -e: packet_diag)


def ring_geometry(pid_to_tool):
    """{tool: "8 blocks of 256 KiB, timeout 1000 ms"} from `ss -0 -e -p` in namespace B."""
    r = run(["ip", "netns", "exec", NS_B, "ss", "-0", "-e", "-p"])
    out, tool = {}, None
    for line in r.stdout.splitlines():
        m = re.search(r"pid=(\d+)", line)
        if m:
            tool = pid_to_tool.get(int(m.group(1)))
        m = re.search(r"ring_rx\(blk_size:(\d+),blk_nr:(\d+),.*?tmo:(\d+)", line)
        if m and tool:
            size, nr, tmo = (int(x) for x in m.groups())
            out[tool] = {"block_size": size, "blocks": nr, "timeout_ms": tmo}
            tool = None
    return out


def trial(d, tools, rate, ifindex, mac_a, mode, rnd):
    """One flood at `rate` for FLOOD_S seconds with `tools` capturing together."""
    TRIAL_NO[0] += 1
    run_id = 0x57000000 + TRIAL_NO[0]
    count = max(1, int(rate * FLOOD_S))
    procs = {}
    for i, tool in enumerate(tools):
        path = os.path.join(d, f"cap{i}.pcap")
        errf = open(os.path.join(d, f"cap{i}.stderr"), "w+")
        cmd = ["ip", "netns", "exec", NS_B, "taskset", "-c", TOOL_CPU] + tool_cmd(tool, path)
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
        STARTED.append(p)
        procs[tool] = (p, path, errf)
    deadline = time.monotonic() + 10
    for tool, (p, _, errf) in procs.items():
        while not packet_socket_bound(p.pid, ifindex):
            if p.poll() is not None or time.monotonic() > deadline:
                errf.seek(0)
                raise RuntimeError(f"{tool} did not start capturing on {IF_B}: {errf.read().strip()[-300:]}")
            time.sleep(0.02)
    time.sleep(0.3)  # ring and filter in place after bind (libpcap maps its ring after binding)
    for tool, geometry in ring_geometry({p.pid: t for t, (p, _, _) in procs.items()}).items():
        RINGS.setdefault(tool, geometry)
    rx0 = rx_packets_b()
    cpu0 = {t: schedstat_ns(p.pid) for t, (p, _, _) in procs.items()}
    procs0 = proc_cpu()
    ticks0 = core_ticks()
    gen = subprocess.Popen(["ip", "netns", "exec", NS_A, "taskset", "-c", GEN_CPU, FLOOD, IF_A, mac_a,
                            NOBODY_MAC, IP_A, IP_B, str(rate), str(count), str(run_id)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    STARTED.append(gen)
    code, gen_wall, ru = wait_child(gen, 2 * FLOOD_S + 15)
    gen_out = gen.stdout.read().decode(errors="replace")
    gen.stdout.close()
    ticks_flood = core_ticks()
    time.sleep(DRAIN_S)
    rx1 = rx_packets_b()
    cpu1 = {t: schedstat_ns(p.pid) for t, (p, _, _) in procs.items()}
    ticks1 = core_ticks()
    mine = {os.getpid(), gen.pid} | {p.pid for p, _, _ in procs.values()}
    others = others_top(procs0, proc_cpu(), mine)
    for tool, (p, _, _) in procs.items():
        p.send_signal(signal.SIGINT)
    for tool, (p, _, _) in procs.items():
        reap(p, 15)
    try:
        g = json.loads(gen_out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"flood failed (exit {code}): {gen_out.strip()[-300:]}")
    row = {"mode": mode, "round": rnd, "target": rate, "run_id": run_id, "sent": g["sent"],
           "gen_rate": g["rate"], "gen_s": g["seconds"], "gen_errors": g["errors"],
           "gen_cpu_s": ru.ru_utime + ru.ru_stime, "veth_rx": rx1 - rx0,
           "core_tools": busy_between(ticks0, ticks_flood, TOOL_CPU),
           "core_gen": busy_between(ticks0, ticks_flood, GEN_CPU),
           "core_tools_all": busy_between(ticks0, ticks1, TOOL_CPU),
           "window_s": FLOOD_S + DRAIN_S, "others": others, "tools": {}}
    tools_cpu_s = 0.0
    for tool, (p, path, errf) in procs.items():
        errf.seek(0)
        text = errf.read()
        errf.close()
        counts = parse_counts(tool, text)
        n, first, last, size = count_marked(path, run_id) if os.path.exists(path) else (0, None, None, 0)
        cpu_s = (cpu1[tool] - cpu0[tool]) / 1e9
        tools_cpu_s += cpu_s
        row["tools"][tool] = {
            "exit": p.returncode, "captured": counts[0] if counts else None,
            "received": counts[1] if counts else None, "dropped": counts[2] if counts else None,
            "written": n, "first_seq": first, "last_seq": last, "file_bytes": size, "cpu_s": cpu_s,
            "stderr": "" if counts else text.strip()[-300:],
            "lossless": bool(counts) and counts[2] == 0 and n == g["sent"] and p.returncode == 0}
        os.unlink(path)
    # other work on the tools' core: its busy share less what the captures used, over the window
    t_all = (ticks1[TOOL_CPU][1] - ticks0[TOOL_CPU][1]) / os.sysconf("SC_CLK_TCK")
    row["other_on_tools_core"] = (max(0.0, row["core_tools_all"] - tools_cpu_s / t_all) if t_all > 0
                                  else float("nan"))
    return row


def capture_part(results, results_rings, t_start):
    d = tempfile.mkdtemp(prefix="bench-capture.")
    try:
        mac_a, ifindex = lab_up()
        log(f"lab up: {NS_A} ({IF_A} {IP_A}) <-> {NS_B} ({IF_B} {IP_B}), IPv6 off")
        for rnd in range(CAPTURE_ROUNDS):
            for rate in RATES:
                if "side-by-side" in MODES:
                    results.append(trial(d, TOOLS, rate, ifindex, mac_a, "side-by-side", rnd))
                    show_trial(results[-1])
                if "interleaved" in MODES:
                    k = (rnd + RATES.index(rate)) % len(TOOLS)
                    for tool in TOOLS[k:] + TOOLS[:k]:
                        results.append(trial(d, [tool], rate, ifindex, mac_a, "interleaved", rnd))
                        show_trial(results[-1])
            if time.monotonic() - t_start > MAX_S * 0.5:
                log(f"time budget: capture stops after round {rnd + 1}")
                break
    finally:
        stop_all()
        lab_down()
        shutil.rmtree(d, ignore_errors=True)
        results_rings.update(RINGS)


def show_trial(r):
    log(f"{r['mode']} round {r['round'] + 1} {r['target'] / 1e3:.0f}k/s: sent {r['sent']:,} at "
        f"{r['gen_rate'] / 1e3:.0f}k/s, veth rx {r['veth_rx']:,}; " + "; ".join(
            f"{t}: wrote {x['written']:,} dropped {x['dropped']} cpu {x['cpu_s'] * 1e9 / max(1, r['sent']):.0f} ns/frame"
            for t, x in r["tools"].items()))


# ---- decode -----------------------------------------------------------------------------------

def decode_cmd(name, path):
    return {"weft --json": [WEFT, "decode", "--json", "--pcap", path],
            "weft table": [WEFT, "decode", "--pcap", path],
            "tcpdump -nn -v": ["tcpdump", "-nn", "-v", "-r", path],
            "tshark -T ek": ["tshark", "-T", "ek", "-r", path]}[name]


def timed(cmd, errpath, limit_s=900):
    """Runs cmd pinned to the tools' core with stdout to /dev/null. Wall time from here, CPU
    from wait4 (microseconds; GNU time's own few hundred microseconds included), peak RSS from
    GNU time (%M): a process forked from this Python one inherits its resident pages as its
    starting high-water mark, which survives exec, so its own ru_maxrss would read ~80 MiB
    whatever it ran; GNU time forks the command from its own small address space."""
    rss_path = errpath + ".rss"
    with open(os.devnull, "w") as null, open(errpath, "w") as err:
        procs0 = proc_cpu()
        ticks0 = core_ticks()
        p = subprocess.Popen(["taskset", "-c", TOOL_CPU, TIME, "-f", "%M", "-o", rss_path] + cmd,
                             stdin=subprocess.DEVNULL, stdout=null, stderr=err)
        STARTED.append(p)
        code, wall, ru = wait_child(p, limit_s)
        ticks1 = core_ticks()
        others = others_top(procs0, proc_cpu(), {os.getpid(), p.pid})
    if code != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited {code}: {open(errpath).read().strip()[-300:]}")
    with open(rss_path) as f:
        maxrss = int(f.read().split()[-1])
    cpu = ru.ru_utime + ru.ru_stime
    core = busy_between(ticks0, ticks1, TOOL_CPU)
    return {"wall_s": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "maxrss_kib": maxrss,
            "core": core, "other": max(0.0, core - cpu / wall) if wall > 0 else float("nan"), "others": others}


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def verify_outputs(path, frames):
    """Frames each tool printed (not timed): weft's JSON lines and error layers, tcpdump's
    packet lines (those that start with a timestamp)."""
    out = {}
    p = subprocess.Popen([WEFT, "decode", "--json", "--pcap", path], stdout=subprocess.PIPE)
    STARTED.append(p)
    lines = errors = size = 0
    tail = b""
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        size += len(chunk)
        errors += (tail + chunk).count(b'"layer":"error"')
        tail = chunk[-20:]
    reap(p, 30)
    out["weft --json"] = {"frames": lines, "error_layers": errors, "bytes": size}
    p = subprocess.Popen([WEFT, "decode", "--pcap", path], stdout=subprocess.PIPE)
    STARTED.append(p)
    size = sum(len(c) for c in iter(lambda: p.stdout.read(1 << 20), b""))
    reap(p, 30)
    out["weft table"] = {"bytes": size}
    p = subprocess.Popen(["tcpdump", "-nn", "-v", "-r", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    STARTED.append(p)
    n = size = 0
    for line in p.stdout:
        n += bool(re.match(rb"\d\d:\d\d:\d\d\.\d{6} ", line))
        size += len(line)
    reap(p, 30)
    out["tcpdump -nn -v"] = {"frames": n, "bytes": size}
    return out


def perf_profile(path, d):
    """Where one `weft decode --json` run spends its time: perf record with DWARF call graphs
    (the release build keeps no frame pointers), then the symbols by their own samples and by
    their samples with callees."""
    if shutil.which("perf") is None:
        return {"skipped": "perf not installed"}
    data = os.path.join(d, "perf.data")
    r = subprocess.run(["perf", "record", "-q", "-F", "999", "--call-graph", "dwarf,16384", "-o", data,
                        "taskset", "-c", TOOL_CPU, WEFT, "decode", "--json", "--pcap", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
    if r.returncode != 0:
        return {"skipped": f"perf record failed: {r.stderr.strip()[-200:]}"}

    def report(children):
        args = ["perf", "report", "-i", data, "--stdio", "-g", "none", "--percent-limit", "0.3",
                "--sort", "symbol", "--comm", "weft"] + (["--children"] if children else ["--no-children"])
        text = subprocess.run(args, capture_output=True, text=True, timeout=300).stdout
        rows = []
        for line in text.splitlines():
            m = (re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(.*)", line) if children else
                 re.match(r"\s+([\d.]+)%\s+\[[.k]\]\s+(.*)", line))
            if m:
                g = m.groups()
                rows.append({"pct": float(g[0]), "self": float(g[1] if children else g[0]),
                             "symbol": short_symbol(g[-1]), "full": g[-1].strip()[:400]})
        return rows
    return {"self": report(False)[:25], "children": report(True)[:80],
            "samples_note": "perf record -F 999 --call-graph dwarf"}


def short_symbol(s):
    """A C++ symbol without template arguments and argument lists, for a table."""
    s = s.strip().replace(" (inlined)", "").replace("[abi:cxx11]", "")
    s = s.replace("(anonymous namespace)::", "").replace("std::__cxx11::", "std::")
    out, depth = [], 0
    for ch in s:
        if ch in "<(":
            if depth == 0:
                out.append("<…>" if ch == "<" else "()")
            depth += 1
        elif ch in ">)":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    s = "".join(out).replace("()()", "()").strip()
    s = re.sub(r"(\s+-)+$", "", s)
    return s[:110]


def decode_part(results, t_start):
    import gen_pcap
    d = tempfile.mkdtemp(prefix="bench-capture-decode.")
    try:
        path = os.path.join(d, "mix.pcap")
        info = gen_pcap.write(path, DECODE_FRAMES)
        results["file"] = info
        log(f"decode: {info['frames']:,} frames, {info['bytes'] / 2**20:.0f} MiB: {info['mix']}")
        warm(path)
        results["verify"] = verify_outputs(path, DECODE_FRAMES)
        log(f"decode: printed {results['verify']}")
        runs = results.setdefault("runs", [])
        for rnd in range(DECODE_ROUNDS):
            names = [n for n in DECODERS if n != "tshark -T ek" or rnd < TSHARK_ROUNDS]
            k = rnd % len(names)
            for name in names[k:] + names[:k]:
                if shutil.which(decode_cmd(name, path)[0]) is None:
                    continue
                r = dict(timed(decode_cmd(name, path), os.path.join(d, "err")), tool=name, round=rnd,
                         frames=DECODE_FRAMES, file="main")
                runs.append(r)
                log(f"decode round {rnd + 1}: {name}: {r['wall_s']:.2f} s, {DECODE_FRAMES / r['wall_s'] / 1e3:.0f}k "
                    f"frames/s, cpu {r['user_s'] + r['sys_s']:.2f} s, rss {r['maxrss_kib'] / 1024:.1f} MiB")
            if time.monotonic() - t_start > MAX_S:
                log(f"time budget: decode stops after round {rnd + 1}")
                break
        if PROFILE:
            results["profile"] = perf_profile(path, d)
        os.unlink(path)
        if BIG_FACTOR > 1:
            big = os.path.join(d, "mix-big.pcap")
            binfo = gen_pcap.write(big, DECODE_FRAMES * BIG_FACTOR)
            results["big_file"] = binfo
            warm(big)
            for rnd in range(2):
                for name in ("weft --json", "weft table"):
                    r = dict(timed(decode_cmd(name, big), os.path.join(d, "err")), tool=name, round=rnd,
                             frames=binfo["frames"], file="big")
                    runs.append(r)
                    log(f"decode {BIG_FACTOR}x file: {name}: {r['wall_s']:.2f} s, rss {r['maxrss_kib'] / 1024:.1f} MiB")
            os.unlink(big)
    finally:
        stop_all()
        shutil.rmtree(d, ignore_errors=True)


# ---- versions ---------------------------------------------------------------------------------

def versions():
    v = {}
    r = run(["tcpdump", "--version"])
    lines = (r.stdout + r.stderr).splitlines()
    v["tcpdump"] = lines[0] if lines else "?"
    v["libpcap"] = next((l for l in lines if l.startswith("libpcap")), "?")
    r = run(["tshark", "--version"]) if shutil.which("tshark") else None
    v["tshark"] = (r.stdout.splitlines() or ["?"])[0] if r else "not installed"
    v["kernel"] = os.uname().release
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    v["cpu"] = cpu
    v["ncpu"] = NCPU
    r = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    v["commit"] = r.stdout.strip() or "?"
    dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    v["dirty"] = bool(dirty)
    v["weft"] = os.path.relpath(WEFT, ROOT) if WEFT.startswith(ROOT) else WEFT
    v["cc"] = (run(["cc", "--version"]).stdout.splitlines() or ["?"])[0]
    return v


# ---- main ---------------------------------------------------------------------------------

FLOOD = os.path.join(RESULTS_DIR, "flood")


def build_flood():
    src = os.path.join(HERE, "flood.c")
    if not os.path.exists(FLOOD) or os.path.getmtime(FLOOD) < os.path.getmtime(src):
        must(["cc", "-O2", "-Wall", "-Wextra", "-o", FLOOD, src])


def main():
    import report
    if os.environ.get("CAPTURE_BENCH_REPORT_ONLY") == "1":
        with open(RESULTS) as f:
            res = json.load(f)
        if "CAPTURE_BENCH_NOTE" in os.environ:  # a note may be added, or changed, afterwards
            res["note"] = NOTE
        report.write(res, OUT)
        log("wrote docs/perf/capture.md and docs/perf/capture.png from " + os.path.relpath(RESULTS, ROOT))
        return
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    os.sched_setaffinity(0, {int(GEN_CPU)})  # the harness stays off the captures' core
    t_start = time.monotonic()
    res = {"started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "versions": versions(),
           "settings": {"rates": RATES, "flood_s": FLOOD_S, "drain_s": DRAIN_S, "capture_rounds": CAPTURE_ROUNDS,
                        "modes": MODES, "decode_frames": DECODE_FRAMES, "decode_rounds": DECODE_ROUNDS,
                        "tshark_rounds": TSHARK_ROUNDS, "big_factor": BIG_FACTOR, "tool_cpu": TOOL_CPU,
                        "gen_cpu": GEN_CPU, "nobody_mac": NOBODY_MAC, "tools": TOOLS},
           "env": {k: v for k, v in sorted(os.environ.items())
                   if k.split("_")[0] in ("CAPTURE", "DECODE", "TSHARK") and k != "CAPTURE_BENCH_NOTE"},
           "build_arg": os.path.relpath(BUILD, ROOT),
           "note": NOTE, "heavy_at_start": heavy_processes(), "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
           "skipped": [], "capture": [], "rings": {}, "decode": {}}
    if res["heavy_at_start"]:
        log("the machine is not quiet: " + "; ".join(x[:80] for x in res["heavy_at_start"][:5]))
    if not os.access(WEFT, os.X_OK):
        raise RuntimeError(f"{WEFT} not built (cmake --build ... --target weft_cli)")
    failed = []
    completed = False
    try:
        if "capture" in PARTS:
            why = None
            if os.geteuid() != 0:
                why = "needs root (network namespaces, packet sockets)"
            elif shutil.which("tcpdump") is None:
                why = "tcpdump missing (scripts/install-deps.sh test)"
            if why:
                res["skipped"].append(f"capture: {why}")
                log(f"capture skipped: {why}")
            else:
                build_flood()
                try:
                    capture_part(res["capture"], res["rings"], t_start)
                except RuntimeError as e:
                    failed.append(f"capture: {e}")
                    log(f"capture failed: {e}")
        if "decode" in PARTS:
            try:
                decode_part(res["decode"], t_start)
            except RuntimeError as e:
                failed.append(f"decode: {e}")
                log(f"decode failed: {e}")
        completed = True
    finally:
        stop_all()
        lab_down()
        res["elapsed_s"] = time.monotonic() - t_start
        res["heavy_at_end"] = heavy_processes()
        res["failed"] = failed
        # An interrupted run keeps what it measured beside the last complete results.
        path = RESULTS if completed else RESULTS.replace(".json", "-interrupted.json")
        with open(path, "w") as f:
            json.dump(res, f, indent=1)
        if not completed:
            log(f"interrupted: everything started was stopped, the lab removed; partial results in "
                f"{os.path.relpath(path, ROOT)}")
    report.write(res, OUT)
    log(f"wrote {os.path.relpath(RESULTS, ROOT)}, docs/perf/capture.md and docs/perf/capture.png "
        f"in {res['elapsed_s']:.0f} s")
    if failed:
        raise RuntimeError("; ".join(failed))


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"bench-capture: {e}", file=sys.stderr)
        sys.exit(1)
