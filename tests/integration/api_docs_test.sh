#!/usr/bin/env bash
# The API reference (`make docs`) builds without a doxygen warning beyond the known ones of
# docs/api-undocumented.txt: every other public symbol under include/weft/ (outside detail/)
# is documented and every reference in a comment resolves, so a new public function without
# its `///` comment fails here. scripts/api-docs.sh does the judging.
set -euo pipefail
command -v doxygen >/dev/null ||
  { echo "doxygen is not installed (Debian package doxygen; scripts/install-deps.sh test installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$WEFT_SOURCE/scripts/api-docs.sh" "$work"
