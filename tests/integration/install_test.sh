#!/usr/bin/env bash
# Installs this build into a temporary prefix and builds a program outside the tree against it
# with find_package(weft): the exported CMake package must be complete.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$WEFT_BUILD_DIR" --prefix "$work/prefix" >/dev/null
# A sanitized libweft needs its runtime in the consumer too.
flags=
[[ ${WEFT_SANITIZE:-0} == 1 ]] && flags="-fsanitize=address,undefined"
cmake -S "$WEFT_SOURCE/tests/integration/find_package" -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$work/build" >/dev/null
out=$("$work/build/consumer")
echo "consumer printed: $out"
[[ $out == "172.16.10.0 127.0.0.1" ]]
