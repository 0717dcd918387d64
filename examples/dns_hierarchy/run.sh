#!/usr/bin/env bash
# The tutorial's name lookup, live on loopback: a root server (127.0.0.2) delegates test. to
# its server (127.0.0.3), which delegates example.test. to the zone's own server (127.0.0.4).
# `weft dns query --trace` then walks the tree from the root, as a resolver does.
#
#   examples/dns_hierarchy/run.sh [NAME] [TYPE]     (default: www.example.test A)
#
# WEFT names the weft binary (default: weft on PATH); PORT the port all three servers share
# (default 5300; every server of the walk is asked on it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
weft=${WEFT:-weft}
port=${PORT:-5300}
name=${1:-www.example.test}
type=${2:-A}

pids=()
stop() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait; }
trap stop EXIT

serve() {  # serve ZONE ADDRESS: start a server and wait for its "listening on" line
  local fifo
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  "$weft" dns serve --zone "$here/$1" --host "$2" --port "$port" --threads 1 --quiet >"$fifo" &
  pids+=($!)
  if ! read -r -t 10 line <"$fifo" || [[ $line != "listening on "* ]]; then
    rm -f "$fifo"
    echo "run.sh: the server for $1 did not start on $2:$port" >&2
    exit 1
  fi
  rm -f "$fifo"
  echo "$1 served on $2:$port"
}

serve root.zone 127.0.0.2
serve test.zone 127.0.0.3
serve example.test.zone 127.0.0.4
echo
"$weft" dns query "$name" --type "$type" --trace --root 127.0.0.2 --port "$port"
