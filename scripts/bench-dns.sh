#!/usr/bin/env bash
# bench-dns.sh [BUILD_DIR]: `weft dns serve` against NSD and Knot DNS serving the same zone
# (bench/dns/bench.test.zone), driven by dnsperf, measured as shared/DESIGN.md's "Performance
# method" says; the work is done by bench/dns/bench_dns.py (its header tells the method).
# Writes docs/perf/dns.md and docs/perf/dns.png; takes ~1.5 minutes with the defaults, and
# stops measuring after DNS_BENCH_MAX_S seconds whatever the settings. `make bench` runs it
# through scripts/bench.sh, which runs every scripts/bench-*.sh with build/bench.
#
# weft is measured when BUILD_DIR/bin/weft (default build/bench, as `make bench` builds it,
# else build/release) has `dns serve`; without it the peers are measured and the report says
# weft was left out.
# NSD, Knot and dnsperf come from `scripts/install-deps.sh bench`; dig (dnsutils) compares
# the servers' answers before measuring and is only in the test set: without it the
# comparison is skipped and the report says so.
#
# Environment: SLICE_S (seconds per slice, default 0.4), ROUNDS (slices per server per cell,
# default 16), DNS_BENCH_CELLS (default "udp tcp udp-distinct"), DNS_BENCH_CLIENTS (dnsperf
# -c, default 8), DNS_BENCH_INFLIGHT (dnsperf -q, default 64), DNS_BENCH_PORT (first port, default 29300:
# below the ephemeral range), DNS_BENCH_STANDIN (1, the default: a second NSD, `nsd_b`, runs
# as a stand-in to show the harness has no bias; 0: not), DNS_BENCH_WEFT (another weft
# binary), DNS_BENCH_RAW (keep every slice's figures in this directory, as run.json),
# DNS_BENCH_REPORT_ONLY=1 (measure nothing: rewrite the report from DNS_BENCH_RAW/run.json),
# DNS_BENCH_NOTE (a sentence added to the report), DNS_BENCH_MAX_S (default 170).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/bench}
if [[ $# -eq 0 && ! -x $BUILD/bin/weft && -x build/release/bin/weft ]]; then
  BUILD=build/release  # run alone after `make build`: the release build's weft will do
  echo "bench-dns.sh: no build/bench/bin/weft: measuring build/release/bin/weft" >&2
fi
for tool in nsd knotd dnsperf taskset python3 gnuplot; do
  command -v "$tool" >/dev/null || {
    echo "bench-dns.sh: $tool missing (scripts/install-deps.sh bench)" >&2; exit 1; }
done
exec python3 bench/dns/bench_dns.py "$BUILD"
