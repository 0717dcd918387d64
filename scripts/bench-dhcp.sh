#!/usr/bin/env bash
# bench-dhcp.sh [BUILD_DIR]: `weft dhcp serve` against Kea (kea-dhcp4, memfile with persist on;
# also with its lease file made synchronous, the durability weft ships) and dnsmasq, driven by
# perfdhcp's full DORA exchanges in a two-namespace lab; issue 11, "Fast". Each server in turn
# on core 1, perfdhcp on core 0, a fresh server and lease file per probe; in interleaved
# rounds each server searches a rate grid shared by all (9% steps) for the highest rate with
# at most 1% of the exchanges not completed; leases/s is the ACKs per second of that probe,
# medians over rounds; a probe disturbed by other programs is repeated. After every weft probe its lease file is checked (no address given twice, none of
# the ACKed leases missing), and once per round against perfdhcp's list of every ACK: a
# violation fails the bench. The work is done by bench/dhcp/bench_dhcp.py (its header tells
# the method): results in build/bench/dhcp/results.json, the report in docs/perf/dhcp.md and
# docs/perf/dhcp.png. Takes ~4 minutes with the defaults and stops measuring after
# DHCP_BENCH_MAX_S seconds whatever the settings. `make bench` runs it through scripts/bench.sh
# with build/bench.
#
# Needs root (network namespaces, port 67): `sudo scripts/bench-dhcp.sh`; without it nothing
# is measured and the report is left as it is. weft is BUILD_DIR/bin/weft (default
# build/bench, as `make bench` builds it, else build/release). perfdhcp (kea-admin),
# kea-dhcp4 (kea-dhcp4-server), dnsmasq (dnsmasq-base), gnuplot, chattr (e2fsprogs) and iproute2
# come from `scripts/install-deps.sh bench`. The lease files go under build/bench/dhcp (the
# repository's filesystem; the report says which one and what an fdatasync costs there).
#
# Environment: DHCP_SERVERS (default "weft kea kea-sync dnsmasq"), DHCP_ROUNDS (default 3),
# DHCP_STEP_S (seconds per probe, default 2), DHCP_PROBES (the most probes per server and
# round, default 12), DHCP_RATE_START (round 1's first rate, default 2000 exchanges/s; later
# rounds start at the previous figure), DHCP_RATE_MIN (50), DHCP_RATE_MAX
# (default 0.9 x the pool over the probe length), DHCP_LOSS_MAX (exchanges allowed to fail,
# default 0.01), DHCP_DISTURBED (other programs' CPU, in cores, that makes a probe be repeated,
# default 0.15), DHCP_VERIFY (0: no per-round verification probe), DHCP_LEASE_DIR (where the
# lease directories are made), DHCP_BENCH_WEFT (another weft binary), DHCP_BENCH_NOTE (a
# sentence added to the report, also with REPORT_ONLY), DHCP_BENCH_MAX_S (default 330),
# DHCP_BENCH_REPORT_ONLY=1 (measure nothing: rewrite the report from
# build/bench/dhcp/results.json).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/bench}
if [[ $# -eq 0 && ! -x $BUILD/bin/weft && -x build/release/bin/weft ]]; then
  BUILD=build/release  # run alone after `make build`: the release build's weft will do
  echo "bench-dhcp.sh: no build/bench/bin/weft: measuring build/release/bin/weft" >&2
fi
if [[ ${DHCP_BENCH_REPORT_ONLY:-0} != 1 && $(id -u) -ne 0 ]]; then
  echo "bench-dhcp.sh: needs root (network namespaces, port 67): skipped; run sudo scripts/bench-dhcp.sh" >&2
  exit 0
fi
for tool in perfdhcp:kea-admin kea-dhcp4:kea-dhcp4-server dnsmasq:dnsmasq-base taskset:util-linux \
            gnuplot:gnuplot-nox chattr:e2fsprogs ip:iproute2 ss:iproute2; do
  command -v "${tool%%:*}" >/dev/null || {
    echo "bench-dhcp.sh: ${tool%%:*} missing (${tool#*:}; scripts/install-deps.sh bench)" >&2; exit 1; }
done
exec /usr/bin/python3 bench/dhcp/bench_dhcp.py "$BUILD"
