#!/usr/bin/env python3
"""profile_dns.py [BUILD_DIR]: where weft and Knot spend their CPU under the DNS bench's load.

For each cell (udp: bench/dns/queries.txt; distinct: many.test, no query repeated) and each
server (weft dns serve --threads 1; knotd with bench_dns.py's one-worker config), one at a time:
the server on core 0, dnsperf (-c 8 -q 64, 8 s) on core 1, `perf record -F 4000 -p SERVER` for
5 s in the middle; prints queries/s, the kernel / user split (perf's dso view) and the top
symbols. docs/perf/dns-profile.md reports a run. Needs perf (linux-perf) and root or
perf_event_paranoid <= 1. Bounded: four runs of 8 s.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_dns", os.path.join(HERE, "bench_dns.py"))
bench_dns = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_dns)

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "release")
weft = os.path.join(build, "bin", "weft")
work = tempfile.mkdtemp(prefix="weft-dns-profile-")
shutil.copy(os.path.join(HERE, "bench.test.zone"), os.path.join(work, "bench.test.zone"))
with open(os.path.join(work, "many.test.zone"), "w") as f:
    f.write(gen.many_zone_text())
with open(os.path.join(work, "many.q"), "w") as f:
    f.write(gen.many_queries_text())
cells = {"udp": os.path.join(HERE, "queries.txt"), "distinct": os.path.join(work, "many.q")}


def wait_answers(port):
    for _ in range(100):
        r = subprocess.run(["dig", "+short", "+tries=1", "+time=1", "-p", str(port), "@127.0.0.1", "ns1.bench.test"],
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return
        time.sleep(0.05)
    raise SystemExit("profile_dns.py: the server on port %d does not answer" % port)


def profile(name, argv, port, cell):
    server = subprocess.Popen(["taskset", "-c", "0"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_answers(port)
        load = subprocess.Popen(["taskset", "-c", "1", "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", cells[cell],
                                 "-l", "8", "-c", "8", "-q", "64"], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        data = os.path.join(work, "%s-%s.data" % (name, cell))
        subprocess.run(["perf", "record", "-F", "4000", "-p", str(server.pid), "-o", data, "--", "sleep", "5"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out = load.communicate(timeout=30)[0]
    finally:
        server.terminate()
        server.wait()
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    rows = lambda sort: [l for l in subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio", "-g", "none"],
        capture_output=True, text=True).stdout.splitlines() if re.match(r"\s+[\d.]+%", l)]
    print("### %s, %s: %s queries/s" % (name, cell, format(int(qps), ",")))
    print("\n".join(rows("dso")[:5]))
    print("\n".join(r[:110] for r in rows("dso,symbol")[:12]))
    print()


for cell in ("udp", "distinct"):
    zones = ["--zone", os.path.join(work, "bench.test.zone"), "--zone", os.path.join(work, "many.test.zone")]
    profile("weft", [weft, "dns", "serve", *zones, "--port", "29501", "--threads", "1", "-q"], 29501, cell)
    profile("knot", bench_dns.knot_conf(work, "knot", 29502), 29502, cell)
shutil.rmtree(work, ignore_errors=True)
