#!/usr/bin/env bash
# check-installed.sh DEBDIR VERSION
#
# What a user of the packages does on a Debian 12 machine, checked step by step, as root:
# install the .debs in DEBDIR with apt-get, run `weft --version`, find the man pages with
# `man -w`, complete `weft dn<TAB>` through bash-completion, build the packaged examples with
# find_package(weft) and with pkg-config and run one against the installed `weft dns serve`;
# then purge the packages (and, with autoremove, what apt installed only for them: libpcap)
# and check that no file and no package is left behind.
#
# scripts/package-test.sh runs it inside a fresh debootstrap chroot (`make package-test`); it
# changes the machine it runs on, so run it only where that is the point.
set -euo pipefail
debs=$(cd "$1" && pwd)
version=$2
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
step() { printf '[check-installed] %s\n' "$*"; }
fail() { printf '[check-installed] FAIL: %s\n' "$*" >&2; exit 1; }

step "apt-get update; what a user brings: a compiler, CMake, make, pkg-config, man, bash-completion"
apt-get update -qq
apt-get install -y -qq --no-install-recommends g++ cmake make pkg-config man-db bash-completion >/dev/null
apt-get autoremove -y -qq --purge >/dev/null   # so that the autoremove below takes only ours

# The machine before: every file (on this filesystem, outside apt's and dpkg's own state and
# caches, logs, /tmp and /run, which is transient) and every installed package. Also left out:
# the backups useradd keeps of the account files (/etc/shadow- ...), written when a
# dependency's maintainer script adds a system user (libpcap0.8 recommends dbus, whose
# postinst adds messagebus); Debian keeps such users after a purge, by policy.
snapshot() {
  { find / -xdev \( -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/log \
                   -o -path /tmp -o -path /root -o -path /run \) -prune \
         -o \( -path /etc/passwd- -o -path /etc/group- -o -path /etc/shadow- -o -path /etc/gshadow- \) \
         -o -print
    dpkg-query -W -f 'package: ${Package} ${Version}\n'; } | sort
}
snapshot > /tmp/before.txt

step "apt-get install ./weft_*.deb ./libweft*.deb"
apt-get install -y -qq "$debs"/*.deb >/dev/null
ours=$(for deb in "$debs"/*.deb; do dpkg-deb -f "$deb" Package; done)
new=$(comm -13 <(grep '^package: ' /tmp/before.txt) <(dpkg-query -W -f 'package: ${Package} ${Version}\n' | sort) |
      cut -d' ' -f2)
step "installed: $(echo $new)"
for package in $ours; do
  grep -qx "$package" <<<"$new" || fail "$package is not installed after apt-get install"
done

step "weft --version"
got=$(weft --version)
[[ $got == "weft $version" ]] || fail "weft --version printed '$got', want 'weft $version'"

step "man -w weft, weft-dns"
for page in weft weft-dns; do
  where=$(man -w "$page") || fail "man -w $page found nothing"
  [[ $where == /usr/share/man/man1/$page.1.gz ]] || fail "man -w $page: $where"
done
page=$(MANWIDTH=80 man weft 2>&1)
grep -q "weft - network programming toolkit" <<<"$page" || fail "man weft does not render its NAME: $page"

step "weft dn<TAB> through bash-completion"
completion=$(bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  __load_completion weft || exit 1
  COMP_WORDS=(weft dn); COMP_CWORD=1; COMP_LINE="weft dn"; COMP_POINT=7; COMPREPLY=()
  func=$(complete -p weft | sed -E "s/.*-F ([^ ]+).*/\1/")
  "$func" weft dn weft
  echo "${COMPREPLY[*]}"') || fail "bash-completion does not load a completion for weft"
[[ $completion == dns ]] || fail "weft dn<TAB> offers '$completion', want 'dns'"

step "the packaged examples with find_package(weft) (CMake) and with pkg-config (make)"
rm -rf /tmp/examples
cp -r /usr/share/doc/libweft-dev/examples /tmp/examples
cmake -S /tmp/examples -B /tmp/examples/build >/dev/null
cmake --build /tmp/examples/build -j 2 >/dev/null || fail "the examples do not build with find_package(weft)"
make -C /tmp/examples -j 2 >/dev/null || fail "the examples do not build with pkg-config"
libs=$(ldd /tmp/examples/dns_lookup)
grep -Eq "libweft\.so\.[0-9.]+ => /(usr/)?lib/" <<<"$libs" ||
  fail "the pkg-config build does not load the installed libweft.so: $libs"

step "dns_lookup (both builds) asks the installed weft dns serve"
weft dns serve --zone /tmp/examples/dns_hierarchy/example.test.zone --port 0 --threads 1 --quiet \
  > /tmp/serve.out 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" /tmp/serve.out && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' /tmp/serve.out)
[[ -n $port ]] || fail "weft dns serve did not start: $(cat /tmp/serve.out)"
for program in /tmp/examples/build/examples/dns_lookup /tmp/examples/dns_lookup; do
  out=$("$program" www.example.test 127.0.0.1 "$port") || fail "$program exited $?: $out"
  grep -q "198.18.0.10" <<<"$out" || fail "$program printed: $out"
done
kill -TERM "$server"
wait "$server" || fail "weft dns serve exited $? on SIGTERM"

step "apt-get purge, autoremove; nothing left behind"
rm -rf /tmp/examples /tmp/serve.out
# Every file our packages installed (directories may be shared with other packages).
files=$(dpkg -L $ours | while read -r path; do [[ -d $path ]] || echo "$path"; done)
apt-get purge -y -qq $ours >/dev/null
apt-get autoremove -y -qq --purge >/dev/null
left=$(while read -r path; do if [[ -e $path || -L $path ]]; then echo "$path"; fi; done <<<"$files")
[[ -z $left ]] || fail "files of the packages are still there after the purge:
$left"
snapshot > /tmp/after.txt
if ! diff /tmp/before.txt /tmp/after.txt > /tmp/left.txt; then
  fail "the machine differs after purging the packages:
$(cat /tmp/left.txt)"
fi
step "ok: installed, used and removed without a trace"
