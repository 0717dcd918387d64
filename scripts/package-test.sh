#!/usr/bin/env bash
# package-test.sh DEBDIR   (`make package-test`, as root)
#
# The .debs in DEBDIR on a fresh Debian 12 machine: a minimal bookworm chroot made with
# debootstrap (once, then cached in $PACKAGE_TEST_DIR/base), a throwaway overlay of it per run,
# and inside it packaging/check-installed.sh: apt-get install, weft --version, man -w, bash
# completion, the examples built both ways against the installed package and run, purge, and
# nothing left behind. As /work/shared/tools/fresh-machine.sh does for `make test`, the run is
# PID 1 of its own mount and PID namespace, so its mounts and processes end with it.
#
# Downloaded .debs are kept in $PACKAGE_TEST_DIR/apt-archives between runs (only apt's cache:
# the machine itself is fresh each time). Prints how long each part took.
set -euo pipefail

PACKAGE_TEST_DIR=${PACKAGE_TEST_DIR:-/var/tmp/weft-package-test}
SUITE=bookworm
BASE=$PACKAGE_TEST_DIR/base
here=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '[package-test] %s\n' "$*"; }
die() { printf 'package-test.sh: %s\n' "$*" >&2; exit 1; }

# ---- inner: PID 1 of a private mount+PID namespace (see the end of this file) ----
if [[ ${1:-} == __inner ]]; then
  run=$2 debs=$3 version=$4
  root=$run/root
  mkdir -p "$root" "$run/upper" "$run/work" "$run/tmp" "$PACKAGE_TEST_DIR/apt-archives/partial"
  if ! mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$run/upper,workdir=$run/work" "$root" 2>/dev/null; then
    cp -a "$BASE/." "$root/"   # no overlayfs here: a copy does the same, slower
  fi
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"   # no daemon starts in the chroot
  chmod 755 "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
  chmod 1777 "$run/tmp"
  mount --bind "$run/tmp" "$root/tmp"
  mount --bind "$PACKAGE_TEST_DIR/apt-archives" "$root/var/cache/apt/archives"
  mkdir -p "$root/tmp/debs"
  cp "$debs"/*.deb "$root/tmp/debs/"
  cp "$here/packaging/check-installed.sh" "$root/tmp/check-installed.sh"
  env_vars=()
  for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [[ -n ${!v:-} ]] && env_vars+=("$v=${!v}")
  done
  exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    "${env_vars[@]}" /bin/bash /tmp/check-installed.sh /tmp/debs "$version"
fi

# ---- outer ----
[[ $# == 1 ]] || die "usage: package-test.sh DEBDIR"
debs=$(cd "$1" 2>/dev/null && pwd) || die "no such directory: $1"
compgen -G "$debs/*.deb" >/dev/null || die "no .deb in $debs (make package makes them)"
[[ $(id -u) == 0 ]] || die "must run as root (debootstrap, chroot, mount)"
for tool in debootstrap unshare chroot; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh package installs debootstrap)"
done
version=$(dpkg-deb -f "$(ls "$debs"/weft_*.deb | head -n1)" Version)
t_start=$SECONDS
mkdir -p "$PACKAGE_TEST_DIR/runs"

# The mirror the host's apt uses for bookworm (deb822 sources first, then one-line ones).
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && awk -v suite=$SUITE '
      /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      /^[ \t]*$/ { if (ok && uri) { print uri; exit } ok = 0; uri = "" }
      END { if (ok && uri) print uri }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] && sed -E 's/\[[^]]*\]//' "$f" | awk -v suite=$SUITE '$1 == "deb" && $3 == suite { print $2 }'
  done
  return 0
}

exec 9> "$PACKAGE_TEST_DIR/lock"
flock 9   # one base at a time; runs share it read-only
if [[ ! -d $BASE ]]; then
  mirror=${PACKAGE_TEST_MIRROR:-$(host_mirror | head -n1)}
  [[ -n $mirror ]] || die "no $SUITE mirror in the host's apt sources (set PACKAGE_TEST_MIRROR)"
  # debootstrap downloads with wget, which does not read apt's proxy setting.
  aproxy=
  eval "$(apt-config shell aproxy Acquire::http::Proxy)"
  [[ -n $aproxy && $aproxy != DIRECT && -z ${http_proxy:-} ]] && export http_proxy=$aproxy
  say "debootstrap --variant=minbase $SUITE (once; cached in $BASE)"
  t0=$SECONDS
  tmp=$PACKAGE_TEST_DIR/base.tmp
  rm -rf --one-file-system "$tmp"
  unshare --mount --propagation private debootstrap --variant=minbase "$SUITE" "$tmp" "$mirror" \
    > "$PACKAGE_TEST_DIR/debootstrap.log" 2>&1 9>&- ||
    { tail -n 20 "$PACKAGE_TEST_DIR/debootstrap.log" >&2; rm -rf --one-file-system "$tmp"; die "debootstrap failed"; }
  # The host's apt sources, keys and Acquire settings (proxy, snapshot), so apt works inside.
  rm -f "$tmp/etc/apt/sources.list"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -s $f ]] || continue
    cp "$f" "$tmp$f"
    for key in $(grep -ohE '(Signed-By:[ \t]*|signed-by=)/[^] \t]+' "$f" | sed -E 's/^(Signed-By:[ \t]*|signed-by=)//' | sort -u); do
      [[ -e $tmp$key ]] || { mkdir -p "$(dirname "$tmp$key")"; cp "$key" "$tmp$key"; }
    done
  done
  for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
    [[ -f $f ]] && grep -q 'Acquire::' "$f" && ! dpkg -S "$f" >/dev/null 2>&1 && cp "$f" "$tmp$f"
  done
  grep -qw localhost "$tmp/etc/hosts" 2>/dev/null || printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >> "$tmp/etc/hosts"
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/archives/*.deb   # fresh: no lists, no .debs
  mv "$tmp" "$BASE"
  say "base made in $((SECONDS - t0))s"
else
  say "reusing the base chroot $BASE"
fi
flock -u 9

run=$(mktemp -d "$PACKAGE_TEST_DIR/runs/run.XXXXXX")
cleanup() {
  if grep -qF " $run/" /proc/self/mountinfo; then
    say "mounts still present under $run; not deleting it" >&2
  else
    rm -rf --one-file-system "$run"
  fi
}
trap cleanup EXIT
say "installing and using $(cd "$debs" && echo *.deb) in a fresh chroot"
t0=$SECONDS
status=0
unshare --mount --propagation private --pid --fork --kill-child=KILL \
  bash "$here/scripts/package-test.sh" __inner "$run" "$debs" "$version" 9>&- || status=$?
say "chroot run: $((SECONDS - t0))s; total $((SECONDS - t_start))s; exit $status"
exit "$status"
