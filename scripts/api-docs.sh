#!/usr/bin/env bash
# api-docs.sh OUTDIR
#
# Builds the API reference (docs/Doxyfile) into OUTDIR/html and judges doxygen's warnings:
# every warning fails, except those listed in docs/api-undocumented.txt, the public symbols of
# services/dns/, services/http/ and services/dhcp/ that were undocumented when the reference was
# introduced (their owners document them; the list may only shrink). A listed warning that doxygen no
# longer gives fails too, so that its line is removed and cannot come back unnoticed.
# `make docs` and tests/integration/api_docs_test.sh both run it.
set -euo pipefail
out=${1:?usage: api-docs.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v doxygen >/dev/null ||
  { echo "api-docs.sh: doxygen is not installed (Debian package doxygen; scripts/install-deps.sh docs)" >&2; exit 1; }
version=$(sed -n 's/^project(weft VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# docs/Doxyfile with the output directory given; the list decides, not doxygen's exit status.
{ cat "$root/docs/Doxyfile"; echo "OUTPUT_DIRECTORY = $out"; echo "WARN_AS_ERROR = NO"; } > "$work/Doxyfile"
(cd "$root" && WEFT_VERSION=$version doxygen "$work/Doxyfile") 2> "$work/stderr" >/dev/null

# One line per warning, "include-relative path: message" (no line numbers: they move with
# every edit of a header, the symbol does not). A warning that continues on further lines
# (doxygen wraps some) keeps only its first.
sed -nE "s#^$root/include/weft/([^:]+):[0-9]+: (warning|error): #\1: #p" "$work/stderr" | sort -u > "$work/got"
other=$(grep -vE "^$root/include/weft/[^:]+:[0-9]+: (warning|error): " "$work/stderr" | grep -v '^[[:space:]]*$' || true)
# (grep finds no line once the list is empty: not a failure.)
{ grep -vE '^(#|$)' "$root/docs/api-undocumented.txt" || true; } | sort -u > "$work/known"

status=0
new=$(comm -23 "$work/got" "$work/known")
gone=$(comm -13 "$work/got" "$work/known")
if [[ -n $new ]]; then
  echo "api-docs.sh: doxygen warnings (document the symbol with a /// comment, or fix the comment):"
  sed 's/^/  /' <<<"$new"
  status=1
fi
if [[ -n $other ]]; then
  echo "api-docs.sh: doxygen reported:"
  sed 's/^/  /' <<<"$other"
  status=1
fi
if [[ -n $gone ]]; then
  echo "api-docs.sh: documented now, remove these lines from docs/api-undocumented.txt:"
  sed 's/^/  /' <<<"$gone"
  status=1
fi
echo "api-docs.sh: $(wc -l < "$work/got") warnings, $(wc -l < "$work/known") of them listed as known;" \
     "reference in $out/html/index.html"
exit "$status"
