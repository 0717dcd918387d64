#!/usr/bin/env bash
# The API reference (`make docs`) builds without a single doxygen warning: every public symbol
# under include/weft/ (outside detail/) is documented and every reference in a comment resolves.
# A new public function without its `///` comment fails here, not at release time.
set -euo pipefail
command -v doxygen >/dev/null ||
  { echo "doxygen is not installed (Debian package doxygen; scripts/install-deps.sh test installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$WEFT_SOURCE"
# docs/Doxyfile as `make docs` runs it, the output into a scratch directory.
{ cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $work"; } > "$work/Doxyfile"
status=0
WEFT_VERSION=test doxygen "$work/Doxyfile" 2> "$work/warnings" || status=$?
warnings=$(grep -c . "$work/warnings" || true)
sed "s#^$WEFT_SOURCE/##" "$work/warnings"
echo "doxygen: exit $status, $warnings warning lines"
[[ $status == 0 && $warnings == 0 ]]
