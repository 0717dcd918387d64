#!/usr/bin/env bash
# bench-capture.sh [BUILD_DIR]: `weft capture --write` against `tcpdump -w` on a veth in a
# two-namespace lab under a stepped UDP flood of small frames (the highest rate each keeps
# with zero drops), and `weft decode` (--json and the table) against `tcpdump -nn -v -r` and
# `tshark -T ek -r` on a 500,000-frame pcap of mixed traffic (frames/s, weft's peak RSS, also
# on a file 4x larger); issue 12, "Fast". The work is done by bench/capture/bench_capture.py
# (its header tells the method): results in build/bench/capture/results.json, the report in
# docs/perf/capture.md and docs/perf/capture.png. Takes ~5 minutes with the defaults (tshark
# alone ~3 of them) and stops measuring after CAPTURE_BENCH_MAX_S seconds whatever the
# settings. `make bench` runs it through scripts/bench.sh with build/bench.
#
# weft is BUILD_DIR/bin/weft (default build/bench, as `make bench` builds it, else
# build/release). The capture part needs root (network namespaces, packet sockets) and
# tcpdump; without them it is skipped and the report says so. tcpdump and tshark come from
# `scripts/install-deps.sh test`, gnuplot from `bench`, scapy (python3-scapy, which the pcap
# generator uses) from `test`; it runs under /usr/bin/python3, where Debian's scapy is.
# perf (linux-perf), when present, profiles one `weft decode --json` run for the report.
#
# Environment: CAPTURE_RATES (frames/s steps, default "50000 100000 200000 400000 800000"),
# CAPTURE_FLOOD_S (seconds per step, default 2), CAPTURE_ROUNDS (default 3), CAPTURE_MODE
# (side-by-side, the default: the three captures on core 0 during one flood; interleaved: each
# alone in turn; both), CAPTURE_DRAIN_S (wait after a flood before SIGINT, default 1.5),
# DECODE_FRAMES (default 500000), DECODE_ROUNDS (default 5), TSHARK_ROUNDS (default 3),
# DECODE_BIG_FACTOR (default 4), CAPTURE_BENCH_PARTS (default "capture decode"),
# CAPTURE_BENCH_PROFILE (0: no perf), CAPTURE_BENCH_WEFT (another weft binary),
# CAPTURE_BENCH_NOTE (a sentence added to the report, also with REPORT_ONLY),
# CAPTURE_BENCH_MAX_S (default 600), CAPTURE_BENCH_REPORT_ONLY=1 (measure nothing: rewrite the
# report from build/bench/capture/results.json).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/bench}
if [[ $# -eq 0 && ! -x $BUILD/bin/weft && -x build/release/bin/weft ]]; then
  BUILD=build/release  # run alone after `make build`: the release build's weft will do
  echo "bench-capture.sh: no build/bench/bin/weft: measuring build/release/bin/weft" >&2
fi
for tool in tcpdump tshark taskset gnuplot cc ip; do
  command -v "$tool" >/dev/null || {
    echo "bench-capture.sh: $tool missing (scripts/install-deps.sh test bench)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || {
  echo "bench-capture.sh: python3-scapy missing (scripts/install-deps.sh test)" >&2; exit 1; }
exec /usr/bin/python3 bench/capture/bench_capture.py "$BUILD"
