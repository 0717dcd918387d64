#!/usr/bin/env bash
# test-load.sh [PRESET] [RUNS] — the suite must pass on a machine whose cores are all busy.
#
# Starts one busy loop per core (2 at least: both cores of a 2-core CI machine), each bounded
# in time by itself (WEFT_LOAD_SECONDS, 1800 by default), then runs `ctest --preset PRESET`
# (release by default) RUNS times in a row (3 by default), every run in parallel as `make test`
# runs it. Exits non-zero at the first run that fails. The trap stops exactly the busy loops
# this script started, by PID, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
runs=${2:-3}
seconds=${WEFT_LOAD_SECONDS:-1800}
cores=$(nproc)
loops=${WEFT_LOAD_LOOPS:-$(( cores > 2 ? cores : 2 ))}

hogs=()
stop_hogs() {
  local pid
  for pid in "${hogs[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${hogs[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  hogs=()
}
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ((i = 0; i < loops; i++)); do
  # A subshell spinning on arithmetic until its own deadline: bounded even if this script is
  # killed with SIGKILL and its trap never runs.
  ( end=$((SECONDS + seconds)); while ((SECONDS < end)); do :; done ) &
  hogs+=("$!")
done
echo "test-load: ${#hogs[@]} busy loops (PIDs ${hogs[*]}, at most ${seconds}s each) on $cores cores"

start=$SECONDS
for ((run = 1; run <= runs; run++)); do
  echo "test-load: run $run of $runs (ctest --preset $preset -j $cores)"
  t0=$SECONDS
  if ! ctest --preset "$preset" -j "$cores"; then
    echo "test-load: run $run of $runs FAILED under load (after $((SECONDS - t0))s)" >&2
    exit 1
  fi
  echo "test-load: run $run of $runs passed in $((SECONDS - t0))s"
done
echo "test-load: $runs of $runs runs passed under load in $((SECONDS - start))s"
