#!/usr/bin/env bash
# bench-http.sh [BUILD_DIR]: `weft http serve` against nginx (nginx-light), h2o and lighttpd
# serving the same files (bench/http/docroot.py), driven by wrk, measured as shared/DESIGN.md's
# "Performance method" says; the work is done by bench/http/bench_http.py (its header tells
# the method). Writes docs/perf/http.md and docs/perf/http.png and keeps every slice's figures
# in BUILD_DIR/bench/http/run.json; takes ~2.5 minutes with the defaults on a quiet machine,
# ~4 at most whatever the load (HTTP_BENCH_MAX_S bounds the measuring). `make bench` runs it
# through scripts/bench.sh, which runs every scripts/bench-*.sh with build/bench. Exits 1 when a
# server answers wrong or wrk counts an error (after writing the report, which says so).
#
# weft is measured when BUILD_DIR/bin/weft (default build/bench, as `make bench` builds it,
# else build/release) has `http serve`; without it the peers are measured and the report says
# weft was left out. The servers, wrk and gnuplot come from `scripts/install-deps.sh bench`;
# every server is started with its own config in a temporary directory and stopped by PID
# when the script ends, however it ends (bench_http.py's cleanup runs on exit, SIGINT,
# SIGTERM and SIGHUP).
#
# Environment: SLICE_S (seconds per slice, default 0.5), ROUNDS (undisturbed slices per server
# per cell, default 12; a round in which other work took the servers' core is run again, up to
# HTTP_BENCH_MAX_ROUNDS rounds in all, default 1.5 x ROUNDS), HTTP_BENCH_CELLS (default
# "1k 64k conn"), HTTP_BENCH_CONNS (wrk -c, default 50), HTTP_BENCH_PORT (first port, default
# 29400: below the ephemeral range), HTTP_BENCH_STANDIN (1, the default: a second nginx,
# `nginx_b`, runs as a stand-in to show the harness has no bias; 0: not), HTTP_BENCH_SYSCALLS
# (1, the default: count every server's system calls per request over one more run per cell,
# with perf or strace when present; 0: not), HTTP_BENCH_WEFT (another weft binary),
# HTTP_BENCH_RAW (where run.json goes, default BUILD_DIR/bench/http), HTTP_BENCH_REPORT_ONLY=1
# (measure nothing: rewrite the report from run.json), HTTP_BENCH_NOTE (a sentence added to the
# report), HTTP_BENCH_MAX_S (default 180: each cell starts no round after its share of it),
# HTTP_BENCH_QUIET_WAIT_S (wait up to this long for compilers and build tools to finish before
# measuring, default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/bench}
WEFT_BUILD=$BUILD
if [[ $# -eq 0 && ! -x $BUILD/bin/weft && -x build/release/bin/weft ]]; then
  WEFT_BUILD=build/release  # run alone after `make build`: the release build's weft will do
  echo "bench-http.sh: no build/bench/bin/weft: measuring build/release/bin/weft" >&2
fi
for tool in nginx h2o lighttpd wrk taskset python3 gnuplot; do
  command -v "$tool" >/dev/null || {
    echo "bench-http.sh: $tool missing (scripts/install-deps.sh bench)" >&2; exit 1; }
done
exec python3 bench/http/bench_http.py "$BUILD" "$WEFT_BUILD"
