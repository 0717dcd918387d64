#!/usr/bin/env bash
# bench.sh: configures a Release build with benchmarks, builds it, then runs every
# scripts/bench-<subject>.sh in turn; each writes its report under docs/perf/ (a failing one
# does not stop the others; bench.sh then exits 1 naming it).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=ON \
      -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/bench -j "$(nproc)"
# One subject failing (a peer that would not start) must not cost the others their report:
# every script runs, and the failures are named at the end.
failed=()
for script in scripts/bench-*.sh; do
  [ -e "$script" ] || continue
  echo "== $script"
  bash "$script" build/bench || failed+=("$script")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench.sh: failed: ${failed[*]}" >&2
  exit 1
fi
