#!/usr/bin/env bash
# bench.sh: configures a Release build with benchmarks, builds it, then runs every
# scripts/bench-<subject>.sh in turn; each writes its report under docs/perf/.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=ON \
      -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/bench -j "$(nproc)"
for script in scripts/bench-*.sh; do
  [ -e "$script" ] || continue
  echo "== $script"
  bash "$script" build/bench
done
