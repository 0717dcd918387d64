#!/usr/bin/env bash
# bench-io.sh BUILD_DIR: weft's io/ core against Asio, libevent, libuv and a hand-written
# epoll server, measured as shared/DESIGN.md's "Performance method" says, in one run:
#
# - every echo server is started at once, each pinned to core 0 with one server thread;
# - one load generator (bench/io/loadgen.cpp), pinned to core 1, drives them in turn in short
#   slices (SLICE_MS, default 300 ms), the order rotating every round, SLICES rounds (default
#   10, so ~3 s counted per server per cell);
# - for every slice the server's CPU time is read before and after (/proc/PID/task/*/schedstat,
#   ns; /proc/PID/stat utime+stime as a fallback), so each cell reports messages/s, MiB/s and
#   server CPU µs per message: the medians over the slices.
#
# Grid: C in {1, 10, 100, 1000} connections x S in {64, 4096, 65536} bytes (ping-pong, every
# echoed byte verified), with two limits beside the peers: a hand-written epoll server and a
# hand-written io_uring one (multishot receive, provided buffers; built when liburing is).
# Then UDP echo (64-byte datagrams, 64 client sockets at 2, 8 and 32 in flight) for weft,
# Asio and epoll; weft's accept modes with 2 server threads; the Google Benchmark
# microbenchmarks. Writes docs/perf/pingpong.md (+ pingpong.png) and docs/perf/io_micro.md,
# prints a summary of weft's ratios. Every process it starts is ended by PID on exit.
#
# Environment: SLICE_MS, SLICES, IO_BENCH_PORT (first port, default 29100: below the
# ephemeral range, so no client socket holds it), IO_BENCH_RAW (keep the raw slice lines in
# this directory), IO_BENCH_PARTS (default "grid accept udp micro": measure only these and
# build the report from whatever raw files IO_BENCH_RAW holds; "none": only rewrite the
# report), IO_BENCH_NOTE (a sentence added to the report, e.g. how a report was assembled),
# IO_BENCH_BASELINE (a directory with weft_echo and weft_udp_echo built from an earlier commit:
# they run as "weft_before" in the same slices, so a change to weft is measured against the
# weft before it in one run; IO_BENCH_BASELINE_NAME labels it, e.g. the commit).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/bench}
BIN=$BUILD/bench/io
SLICE_MS=${SLICE_MS:-300}
SLICES=${SLICES:-10}
PORT=${IO_BENCH_PORT:-29100}
PARTS=" ${IO_BENCH_PARTS:-grid accept udp micro} "
OUT=docs/perf
COMMAND="SLICE_MS=$SLICE_MS SLICES=$SLICES scripts/bench-io.sh $BUILD"
PASSES=${IO_BENCH_NOTE:+" $IO_BENCH_NOTE"}

for b in weft_echo epoll_echo weft_udp_echo epoll_udp_echo io_loadgen; do
  [[ -x $BIN/$b ]] || { echo "bench-io.sh: $BIN/$b missing (build with -DWEFT_BUILD_BENCH=ON)" >&2; exit 1; }
done
command -v taskset >/dev/null || { echo "bench-io.sh: taskset missing (util-linux)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench-io.sh: python3 missing" >&2; exit 1; }
CORES=$(nproc)
SERVER_CPU=0
CLIENT_CPU=$(( CORES > 1 ? 1 : 0 ))
PAIR_CPUS=0-$CLIENT_CPU

# 1000 connections per server, six servers: the load generator needs ~6,000 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < 7000 )); then
  echo "bench-io.sh: RLIMIT_NOFILE is $(ulimit -n); 1000-connection cells need ~7000" >&2
fi

RAW=${IO_BENCH_RAW:-$(mktemp -d)}
mkdir -p "$RAW" "$OUT"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${IO_BENCH_RAW:-} ]] || rm -rf "$RAW"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # wait_port PROTO PORT PID: until PID listens/binds there; 1 if PID died
  for _ in $(seq 50); do
    kill -0 "$3" 2>/dev/null || return 1
    if [[ $1 == tcp ]]; then ss -Htlnp "sport = :$2" | grep -q "pid=$3," && return 0
    else ss -Hunap "sport = :$2" | grep -q "pid=$3," && return 0; fi
    sleep 0.1
  done
  echo "bench-io.sh: pid $3 not bound to $1 port $2 after 5 s" >&2; exit 1
}

TARGETS=()
start() {  # start NAME PROTO CPUS BINARY ARGS...: starts a pinned server on the next port
  local name=$1 proto=$2 cpus=$3 binary=$4; shift 4
  [[ $binary == */* ]] || binary=$BIN/$binary  # a baseline binary comes with its own path
  if [[ ! -x $binary ]]; then echo "bench-io.sh: $binary not built: $name left out" >&2; return 0; fi
  local port pid tries
  for tries in 1 2 3 4 5; do  # a port somebody else holds: take the next one
    port=$PORT; PORT=$((PORT + 1))
    taskset -c "$cpus" "$binary" "$port" "$@" 2>/dev/null &
    pid=$!
    PIDS+=("$pid")
    if wait_port "$proto" "$port" "$pid"; then
      TARGETS+=("$name:$port:$pid")
      return 0
    fi
  done
  echo "bench-io.sh: $name could not bind (last port $port)" >&2; exit 1
}

load() {  # load OUTFILE MODE A B: runs the load generator on the client core against TARGETS
  local out=$1; shift
  taskset -c "$CLIENT_CPU" "$BIN/io_loadgen" "$1" "$2" "$3" "$SLICE_MS" "$SLICES" "${TARGETS[@]}" >"$out"
}

T0=$(date +%s)
echo "bench-io: ping-pong grid, servers on core $SERVER_CPU, load generator on core $CLIENT_CPU, ${SLICES}x${SLICE_MS} ms per server per cell"
if [[ $PARTS == *" grid "* ]]; then
TARGETS=()
start weft tcp $SERVER_CPU weft_echo 1
[[ -z ${IO_BENCH_BASELINE:-} ]] || start weft_before tcp $SERVER_CPU "$IO_BENCH_BASELINE/weft_echo" 1
start asio tcp $SERVER_CPU asio_echo 1
start libevent tcp $SERVER_CPU libevent_echo 1
start libuv tcp $SERVER_CPU libuv_echo 1
start epoll tcp $SERVER_CPU epoll_echo 1
if [[ -x $BIN/uring_echo ]] && ! "$BIN/uring_echo" --probe; then
  echo "bench-io.sh: io_uring cannot be set up here: the io_uring limit is left out" >&2
else
  start io_uring tcp $SERVER_CPU uring_echo 1
fi
for c in 1 10 100 1000; do
  for s in 64 4096 65536; do
    printf '  C=%-4s S=%-5s ' "$c" "$s"
    load "$RAW/tcp-$c-$s.txt" tcp "$c" "$s"
    echo "done ($(( $(date +%s) - T0 )) s)"
  done
done
fi

if [[ $PARTS == *" accept "* ]]; then
echo "bench-io: accept modes (weft, 2 threads, cores $PAIR_CPUS)"
TARGETS=()
start reuse_port tcp "$PAIR_CPUS" weft_echo 2 reuse_port
start single_acceptor tcp "$PAIR_CPUS" weft_echo 2 single_acceptor
for c in 10 1000; do
  load "$RAW/accept-$c-64.txt" tcp "$c" 64
done
fi

if [[ $PARTS == *" udp "* ]]; then
echo "bench-io: UDP echo (64 sockets x 2, 8 and 32 datagrams in flight)"
TARGETS=()
start weft udp $SERVER_CPU weft_udp_echo
[[ -z ${IO_BENCH_BASELINE:-} ]] || start weft_before udp $SERVER_CPU "$IO_BENCH_BASELINE/weft_udp_echo"
start asio udp $SERVER_CPU asio_udp_echo
start epoll udp $SERVER_CPU epoll_udp_echo
# The window is how many datagrams each client socket keeps in flight: 2 is a light load,
# 8 and 32 let datagrams queue at the server, which is where batching pays (the issue:
# "measure with many clients so datagrams queue up").
for w in 2 8 32; do
  load "$RAW/udp-$w.txt" udp 64 "$w"
done
fi

if [[ $PARTS == *" micro "* && -x $BIN/io_micro_bench ]]; then
  echo "bench-io: microbenchmarks"
  taskset -c "$SERVER_CPU" "$BIN/io_micro_bench" --benchmark_min_time=0.2 --benchmark_format=json \
    >"$RAW/micro.json" 2>/dev/null
fi
echo "bench-io: measured in $(( $(date +%s) - T0 )) s"

MACHINE="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $CORES cores (nproc)"
KERNEL=$(uname -r)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
COMPILER=$(c++ --version | head -1)
VERSIONS=$(for p in libasio-dev libevent-dev libuv1-dev libbenchmark-dev; do
  printf '%s %s; ' "$p" "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo none)"; done)
BASELINE_NAME=${IO_BENCH_BASELINE_NAME:-an earlier build}
export RAW OUT MACHINE KERNEL DATE COMPILER VERSIONS COMMAND PASSES SLICE_MS SLICES BASELINE_NAME

python3 - <<'PY'
import json, math, os, re, statistics, subprocess

raw, out = os.environ["RAW"], os.environ["OUT"]
PEERS = ["asio", "libevent", "libuv"]
GRID = [(c, s) for c in (1, 10, 100, 1000) for s in (64, 4096, 65536)]

def parse(path):
    slices, setup = {}, {}
    if not os.path.exists(path):
        return slices, setup
    for line in open(path):
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        if line.startswith("slice"):
            slices.setdefault(kv["server"], []).append(
                (int(kv["msgs"]), int(kv["bytes"]), int(kv["ns"]), int(kv["cpu_ns"])))
        elif line.startswith("setup"):
            setup[kv["server"]] = float(kv["ms"])
    return slices, setup

def summary(rows, size):
    rate = statistics.median(m / ns * 1e9 for m, b, ns, cpu in rows if ns)
    cpu = statistics.median(cpu / m / 1e3 for m, b, ns, cpu in rows if m)
    counted = sum(ns for m, b, ns, cpu in rows) / 1e9
    return {"rate": rate, "mib": rate * size / 2**20, "cpu": cpu, "seconds": counted}

def geomean(xs):
    xs = [x for x in xs if x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")

def fmt_rate(x):
    return f"{x/1e3:,.1f} k" if x < 1e6 else f"{x/1e6:,.2f} M"

cells = {}
for c, s in GRID:
    slices, _ = parse(f"{raw}/tcp-{c}-{s}.txt")
    cells[(c, s)] = {name: summary(rows, s) for name, rows in slices.items()}
LIMITS = ["epoll", "io_uring"]  # hand-written servers: what the kernel allows, not peers
BASELINE = ["weft_before"]      # weft built from an earlier commit (IO_BENCH_BASELINE), if run
servers = [n for n in ["weft"] + BASELINE + PEERS + LIMITS if any(n in v for v in cells.values())]
peers = [p for p in PEERS if p in servers]

def against_best(name, r):
    """name's msgs/s and CPU/msg over the best peer's in cell r (the highest rate, the
    lowest CPU: each may be a different peer), with those peers; None without peers."""
    present = [p for p in peers if p in r]
    if name not in r or not present:
        return None
    best_rate = max(present, key=lambda p: r[p]["rate"])
    best_cpu = min(present, key=lambda p: r[p]["cpu"])
    return (r[name]["rate"] / r[best_rate]["rate"], best_rate, r[name]["cpu"] / r[best_cpu]["cpu"], best_cpu)

ratio = {}  # per cell: weft / X for msgs/s, and weft / X for CPU per message
for cell, r in cells.items():
    if "weft" not in r:
        continue
    w = r["weft"]
    d = {f"rate_{n}": w["rate"] / r[n]["rate"] for n in servers if n in r and n != "weft"}
    d.update({f"cpu_{n}": w["cpu"] / r[n]["cpu"] for n in servers if n in r and n != "weft"})
    best = against_best("weft", r)
    if best:
        d["rate_best"], d["best_rate_peer"], d["cpu_best"], d["best_cpu_peer"] = best
    ratio[cell] = d

def gm(key):
    return geomean([d[key] for d in ratio.values() if key in d])

def worst(key, lowest=True):
    items = [(d[key], cell) for cell, d in ratio.items() if key in d]
    return (min if lowest else max)(items) if items else (float("nan"), None)

L = []
L.append("# Ping-pong echo: weft vs Asio, libevent, libuv and hand-written epoll and io_uring servers\n")
L.append(f"Generated by `scripts/bench-io.sh` on {os.environ['DATE']}. Reproduce: `make bench`, which "
         f"builds build/bench and runs `{os.environ['COMMAND']}`.{os.environ.get('PASSES', '')}\n")
L.append(f"- Machine: {os.environ['MACHINE']}; kernel {os.environ['KERNEL']}; {os.environ['COMPILER']}")
L.append(f"- Peers (Debian packages): {os.environ['VERSIONS']}")
L.append(f"- Method (shared/DESIGN.md, \"Performance method\"): all servers run at once, each pinned to "
         f"core 0 with **one server thread**; one load generator (bench/io/loadgen.cpp, one thread, epoll) "
         f"pinned to core 1 drives them in turn in {os.environ['SLICE_MS']} ms slices, the order rotating "
         f"each round, {os.environ['SLICES']} rounds, so each server has ~"
         f"{int(os.environ['SLICES'])*int(os.environ['SLICE_MS'])/1000:.0f} s counted per cell. A slice "
         f"counts complete round trips (messages in flight at its end finish inside it). Every echoed byte "
         f"is compared with what was sent.")
L.append("- Server CPU is read before and after every slice from /proc/PID/task/*/schedstat (run time of "
         "all the server's threads, ns; finer than /proc/PID/stat's 10 ms utime+stime ticks). It "
         "includes the kernel work done in the server's syscalls (on loopback, a send() also runs the "
         "receiver's TCP input path).")
L.append("- Every figure is the **median over the slices**. Ratios are weft / peer: above 1 is better "
         "for msgs/s, below 1 is better for CPU per message.")
L.append("- The machine is shared (2 cores, other work running): absolute figures drift; the "
         "interleaved slices make the ratios comparable, not the absolutes across runs.\n")
L.append("Servers (bench/io/): weft = the echo service `weft tcp serve` runs (services/echo: a coroutine per connection on TcpServer, `read_lent` into the loop's shared 64 KiB buffer, `try_write`, `write_all` only for what the kernel cannot take at once); "
         "Asio = completion handlers, `async_read_some` 64 KiB + `async_write` (io_context hint 1); "
         "libevent = persistent EV_READ event, one raw `read()` of 64 KiB + `write()` per callback "
         "(bufferevents read 4 KiB per call), evbuffer only for short writes; libuv = `uv_read_start` with "
         "a 64 KiB buffer, `uv_try_write` then `uv_write` for a remainder; epoll = level-triggered, EPOLLIN "
         "only, one `read()` + one `write()` per message; io_uring = liburing, one ring (SINGLE_ISSUER, "
         "DEFER_TASKRUN), a multishot receive per connection into a ring of 1024 provided 64 KiB buffers, "
         "a send straight from the received buffer (one in flight per connection), everything submitted "
         "and reaped with one `io_uring_enter` per loop turn. All set TCP_NODELAY.\n")
if any("weft_before" in v for v in cells.values()):
    L.append(f"weft_before = the same two weft servers built from {os.environ['BASELINE_NAME']}, run in the same "
             "slices: the row `weft_before` in the summary is this build against that one.\n")

if ratio:
    rb_gm, (rb_w, rb_cell) = gm("rate_best"), worst("rate_best")
    cb_gm, (cb_w, cb_cell) = gm("cpu_best"), worst("cpu_best", lowest=False)
    L.append("## Summary\n")
    L.append("| weft / … | msgs/s geomean | msgs/s worst cell | CPU/msg geomean | CPU/msg worst cell |")
    L.append("|---|---|---|---|---|")
    for n in peers + BASELINE + LIMITS:
        if f"rate_{n}" not in next(iter(ratio.values())):
            continue
        w1, c1 = worst(f"rate_{n}")
        w2, c2 = worst(f"cpu_{n}", lowest=False)
        L.append(f"| {n} | {gm('rate_'+n):.3f} | {w1:.3f} (C={c1[0]} S={c1[1]}) | {gm('cpu_'+n):.3f} | "
                 f"{w2:.3f} (C={c2[0]} S={c2[1]}) |")
    L.append(f"| best peer per cell | **{rb_gm:.3f}** | {rb_w:.3f} (C={rb_cell[0]} S={rb_cell[1]}) | "
             f"**{cb_gm:.3f}** | {cb_w:.3f} (C={cb_cell[0]} S={cb_cell[1]}) |\n")
    L.append("Targets (issue 3): msgs/s ≥ 1.0× the best of Asio/libevent/libuv as a geomean with no cell "
             f"below 0.9× — **{'met' if rb_gm >= 1.0 and rb_w >= 0.9 else 'not met'}** "
             f"({rb_gm:.3f}, worst {rb_w:.3f}); server CPU per message ≤ 0.97× the best peer's — "
             f"**{'met' if cb_gm <= 0.97 else 'not met'}** ({cb_gm:.3f}); below raw epoll's (moonshot) — "
             f"**{'met' if gm('cpu_epoll') < 1.0 else 'not met'}** ({gm('cpu_epoll'):.3f}).\n")
    # The limits against the best peer, computed exactly as for weft: where even a server with
    # no library at all does not reach a target, the kernel's share of the work is what stops it.
    for lim in LIMITS:
        per_cell = [b for b in (against_best(lim, cells[cell]) for cell in GRID) if b]
        lr = [b[0] for b in per_cell]
        lc = [b[2] for b in per_cell]
        if lr:
            L.append(f"For scale, the {lim} limit (hand-written, no library) against the best peer per cell: "
                     f"msgs/s geomean {geomean(lr):.3f} (worst cell {min(lr):.3f}), CPU/msg geomean "
                     f"{geomean(lc):.3f} (worst cell {max(lc):.3f}).\n")
    # The io_uring limit against the epoll limit: what a completion backend could gain at best.
    ue = [(cells[cell]["io_uring"]["rate"] / cells[cell]["epoll"]["rate"],
           cells[cell]["io_uring"]["cpu"] / cells[cell]["epoll"]["cpu"], cell)
          for cell in GRID if "io_uring" in cells[cell] and "epoll" in cells[cell]]
    if ue:
        small = [x for x in ue if x[2][1] < 65536]
        big = [x for x in ue if x[2][1] == 65536]
        L.append("io_uring limit / epoll limit (both hand-written, no library): msgs/s geomean "
                 f"**{geomean([x[0] for x in ue]):.3f}**, CPU/msg geomean **{geomean([x[1] for x in ue]):.3f}**; "
                 f"CPU/msg over the 64 B and 4 KiB cells {geomean([x[1] for x in small]):.3f}, over the "
                 f"64 KiB cells {geomean([x[1] for x in big]):.3f}. This bounds what an io_uring backend "
                 "behind weft's API could gain over weft's epoll loop.\n")

L.append("## Messages/s (MiB/s)\n")
L.append("| C | S | " + " | ".join(servers) + " |")
L.append("|---|---|" + "---|" * len(servers))
for c, s in GRID:
    r = cells[(c, s)]
    L.append(f"| {c} | {s} | " + " | ".join(
        f"{fmt_rate(r[n]['rate'])} ({r[n]['mib']:,.1f})" if n in r else "–" for n in servers) + " |")
L.append("\n## Server CPU per message (µs)\n")
L.append("| C | S | " + " | ".join(servers) + " |")
L.append("|---|---|" + "---|" * len(servers))
for c, s in GRID:
    r = cells[(c, s)]
    L.append(f"| {c} | {s} | " + " | ".join(f"{r[n]['cpu']:.2f}" if n in r else "–" for n in servers) + " |")
L.append("\n## weft's ratios per cell\n")
others = [n for n in servers if n != "weft"]
L.append("| C | S | " + " | ".join(f"msgs/s vs {n}" for n in others) + " | msgs/s vs best peer | "
         + " | ".join(f"CPU vs {n}" for n in others) + " | CPU vs best peer |")
L.append("|---|---|" + "---|" * (2 * len(others) + 2))
for c, s in GRID:
    d = ratio.get((c, s), {})
    cols = [f"{d['rate_'+n]:.3f}" if 'rate_'+n in d else "–" for n in others]
    cols.append(f"{d['rate_best']:.3f} ({d['best_rate_peer']})" if "rate_best" in d else "–")
    cols += [f"{d['cpu_'+n]:.3f}" if 'cpu_'+n in d else "–" for n in others]
    cols.append(f"{d['cpu_best']:.3f} ({d['best_cpu_peer']})" if "cpu_best" in d else "–")
    L.append(f"| {c} | {s} | " + " | ".join(cols) + " |")
L.append("\n![weft msgs/s ratio per cell](pingpong.png)\n")

# Accept modes.
acc = {}
for c in (10, 1000):
    slices, setup = parse(f"{raw}/accept-{c}-64.txt")
    if slices:
        acc[c] = ({n: summary(rows, 64) for n, rows in slices.items()}, setup)
if acc:
    L.append("## Accept modes: weft with 2 server threads\n")
    L.append("Both weft servers run with `threads = 2`, unpinned within cores 0-1 (the load generator still "
             "on core 1), 64-byte ping-pong, same slicing. `setup` is the time to connect all C "
             "connections and complete one round trip on each (accepting included).\n")
    L.append("| C | mode | msgs/s | CPU µs/msg | setup ms |")
    L.append("|---|---|---|---|---|")
    for c, (r, setup) in acc.items():
        for n in ("reuse_port", "single_acceptor"):
            if n in r:
                L.append(f"| {c} | {n} | {fmt_rate(r[n]['rate'])} | {r[n]['cpu']:.2f} | {setup.get(n, float('nan')):.1f} |")
    ratios = [r["reuse_port"]["rate"] / r["single_acceptor"]["rate"] for r, _ in acc.values()
              if "reuse_port" in r and "single_acceptor" in r]
    if ratios:
        g = geomean(ratios)
        faster = "reuse_port" if g >= 1 else "single_acceptor"
        L.append(f"\nreuse_port / single_acceptor msgs/s: {' and '.join(f'{x:.3f}' for x in ratios)} "
                 f"(geomean {g:.3f}): **{faster}** is faster here. reuse_port lets the kernel pick the "
                 f"listener by a hash of the 4-tuple (no cross-thread hand-off, but the split is only "
                 f"balanced on average); single_acceptor hands descriptors round-robin through a post to the "
                 f"other loop (exact balance, one wake-up per accepted connection). In steady-state ping-pong "
                 f"accepting is off the hot path, so the difference is mostly how evenly the connections "
                 f"are split and is within the noise unless the ratio is far from 1.\n")

# UDP: one table per window (datagrams in flight per client socket).
udp_by_window = {}
for w in (2, 8, 32):
    udp_slices, _ = parse(f"{raw}/udp-{w}.txt")
    if udp_slices:
        udp_by_window[w] = {n: summary(rows, 64) for n, rows in udp_slices.items()}
if udp_by_window:
    L.append("## UDP echo, 64-byte datagrams\n")
    L.append("64 client sockets, each keeping W datagrams in flight (a verified reply triggers the next "
             "datagram), one load generator using recvmmsg/sendmmsg on core 1, servers on core 0, same "
             "slicing. W = 2 is a light load; with W = 8 and 32 datagrams queue at the server, which is "
             "where batching pays. weft = UdpServer with the echo service's datagram handler (recvmmsg up to 64, "
             "one sendmmsg for the replies; bound to 127.0.0.1, so without IP_PKTINFO, which only a "
             "wildcard-bound server asks for); "
             "Asio = async_receive_from → async_send_to; epoll = level-triggered, recvfrom/sendto until "
             "EAGAIN. Lost datagrams are not counted (the server's CPU spent on them is).\n")
    L.append("| W | server | packets/s | CPU µs/datagram | weft packets/s ratio | weft CPU ratio |")
    L.append("|---|---|---|---|---|---|")
    for w, udp in udp_by_window.items():
        for n in ("weft", "weft_before", "asio", "epoll"):
            if n in udp:
                rr = udp["weft"]["rate"] / udp[n]["rate"] if "weft" in udp else float("nan")
                cr = udp["weft"]["cpu"] / udp[n]["cpu"] if "weft" in udp else float("nan")
                L.append(f"| {w} | {n} | {fmt_rate(udp[n]['rate'])} | {udp[n]['cpu']:.2f} | {rr:.3f} | {cr:.3f} |")
    L.append("")
    for w, udp in udp_by_window.items():
        if "weft" in udp and "weft_before" in udp:
            L.append(f"- W = {w}: weft / weft_before (the earlier build, same slices): packets/s "
                     f"{udp['weft']['rate'] / udp['weft_before']['rate']:.3f}, CPU per datagram "
                     f"{udp['weft']['cpu'] / udp['weft_before']['cpu']:.3f}.")
        if "weft" in udp and "asio" in udp:
            pr = udp["weft"]["rate"] / udp["asio"]["rate"]
            cr = udp["weft"]["cpu"] / udp["asio"]["cpu"]
            L.append(f"- W = {w}: packets/s ≥ 1.0× Asio — **{'met' if pr >= 1 else 'not met'}** ({pr:.3f}); "
                     f"CPU per datagram ≤ 0.7× Asio's — **{'met' if cr <= 0.7 else 'not met'}** ({cr:.3f}).")
    L.append("")

open(f"{out}/pingpong.md", "w").write("\n".join(L) + "\n")

# Chart: weft's msgs/s ratio to each peer and to epoll, per cell.
if ratio:
    cols = [n for n in peers + LIMITS if any(f"rate_{n}" in d for d in ratio.values())]
    with open(f"{raw}/chart.dat", "w") as f:
        f.write("# cell " + " ".join(cols) + "\n")
        for c, s in GRID:
            d = ratio.get((c, s), {})
            f.write(f"\"C={c} S={s}\" " + " ".join(f"{d.get('rate_'+n, float('nan')):.4f}" for n in cols) + "\n")
    plot = ", ".join(f"'{raw}/chart.dat' using {i+2}:xtic(1) title 'vs {n}'" for i, n in enumerate(cols))
    script = f"""
set terminal pngcairo size 1200,520 font 'sans,10'
set output '{out}/pingpong.png'
set title 'weft echo: messages/s ratio to each peer (1 server thread, ping-pong; >1 = weft faster)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
set xtics rotate by -30
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black'
plot {plot}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)

# Microbenchmarks.
mpath = f"{raw}/micro.json"
if os.path.exists(mpath) and os.path.getsize(mpath) > 0:
    data = json.load(open(mpath))
    M = ["# io/ microbenchmarks (Google Benchmark)\n",
         f"Generated by `scripts/bench-io.sh` on {os.environ['DATE']} (`make bench`); "
         f"bench/io/micro_bench.cpp, pinned to core 0, `--benchmark_min_time=0.2`. "
         f"Machine: {os.environ['MACHINE']}; kernel {os.environ['KERNEL']}.\n",
         "| benchmark | time/iteration | items/s | bytes/s |", "|---|---|---|---|"]
    for b in data.get("benchmarks", []):
        t = b.get("real_time", 0.0)
        unit = b.get("time_unit", "ns")
        ips = b.get("items_per_second")
        bps = b.get("bytes_per_second")
        M.append(f"| {b['name']} | {t:,.1f} {unit} | {fmt_rate(ips) + '/s' if ips else '–'} | "
                 f"{(f'{bps/2**30:,.2f} GiB/s' if bps >= 2**30 else f'{bps/2**20:,.1f} MiB/s') if bps else '–'} |")
    M.append("\nWhat each measures: BufferAppendConsume/N = append N bytes then consume them (a connection's "
             "steady state); BufferAppendPartialConsume = ten 100-byte appends, consume 990 (compaction); "
             "LengthPrefixDecode/N and LineDecode/N = 1000 frames of N bytes appended in one go then decoded "
             "one by one (items = frames); LoopPostSameThread = post() from the loop thread, then one "
             "run() (items = posts); LoopPostCrossThread = another thread posts 1000 while the loop runs; "
             "TimerAddCancel/N = add_timer + cancel_timer with N other timers pending; TimerFire/1000 = 1000 "
             "due timers run in one turn.")
    open(f"{out}/io_micro.md", "w").write("\n".join(M) + "\n")

# One summary line.
parts = []
if ratio:
    for n in peers + BASELINE + LIMITS:
        if any(f"rate_{n}" in d for d in ratio.values()):
            parts.append(f"{n} {gm('rate_'+n):.2f}x msgs/s, {gm('cpu_'+n):.2f}x CPU/msg")
    parts.append(f"best peer {gm('rate_best'):.2f}x (worst cell {worst('rate_best')[0]:.2f}x), "
                 f"CPU {gm('cpu_best'):.2f}x")
for w, udp in udp_by_window.items():
    if "weft" in udp and "weft_before" in udp:
        parts.append(f"UDP W={w} vs weft_before {udp['weft']['rate']/udp['weft_before']['rate']:.2f}x pkts/s, "
                     f"{udp['weft']['cpu']/udp['weft_before']['cpu']:.2f}x CPU/datagram")
    if "weft" in udp and "asio" in udp:
        parts.append(f"UDP W={w} vs asio {udp['weft']['rate']/udp['asio']['rate']:.2f}x pkts/s, "
                     f"{udp['weft']['cpu']/udp['asio']['cpu']:.2f}x CPU/datagram")
print("bench-io: weft geomean ratios: " + "; ".join(parts))
print(f"bench-io: wrote {out}/pingpong.md, {out}/pingpong.png, {out}/io_micro.md")
PY
