#!/usr/bin/env bash
# install-deps.sh [build|test|bench|fuzz|package|docs]...
#
# Installs, with apt-get, the Debian 12 packages a target needs and that are missing.
# Nothing is installed when everything is present, so repeated `make` runs stay fast and
# need no network.
set -euo pipefail

# The default build configures the tests too, so GoogleTest belongs to the build set. python3
# runs the generators of the man pages and the bash completion (scripts/gen-*.py) at build time.
# libpcap-dev: libpcap's filter compiler turns `weft capture --filter` expressions into BPF.
# iproute2 (ip) and procps (sysctl) build `weft lab`'s namespaces, which `make demo`'s tour
# uses for the journey when it runs as root.
build_pkgs=(g++ cmake ninja-build make pkg-config libcli11-dev nlohmann-json3-dev
            googletest libgtest-dev libgmock-dev libpcap-dev python3 iproute2 procps)
# `make package`: CPack's DEB generator runs dpkg-shlibdeps (dpkg-dev) and file(1) to find the
# run-time dependencies, and lintian judges the result. `make package-test` makes its fresh
# Debian 12 chroot with debootstrap.
deb_pkgs=(dpkg-dev file lintian)
package_pkgs=("${deb_pkgs[@]}" debootstrap)
docs_pkgs=(doxygen)
# DNS peers: dig and kdig judge `weft dns serve`; dnsmasq and unbound answer `weft dns query`
# and unbound resolves through weft's servers. Their daemons never run as system services
# (see policy-rc.d below): the tests start them with their own configs and ports.
# HTTP peers: curl judges `weft http serve` byte for byte, and headless chromium (a real browser,
# run with a private profile) loads a page with its subresources and watches /status update.
# ARP and capture: ping makes traffic in the namespace lab, tcpdump captures beside
# `weft capture` (frame for frame the same) and sees `weft arp`'s request on the wire.
# DHCP: busybox's udhcpc judges `weft dhcp serve`; kea-dhcp4-server serves the client test.
# The packaging checks of `make test` (tests/integration/package_test.py, cli_docs_test.py,
# api_docs_test.sh) make the packages too, complete through bash with bash-completion as a
# user's shell does, render the man pages with man-db as lintian does, and run doxygen.
test_pkgs=(python3 socat netcat-openbsd iproute2 procps python3-scapy tshark
           dnsutils knot-dnsutils dnsmasq-base unbound curl chromium iputils-ping tcpdump
           busybox kea-dhcp4-server
           "${deb_pkgs[@]}" bash-completion man-db "${docs_pkgs[@]}")
# HTTP bench peers: nginx-light, h2o and lighttpd serve the same files as `weft http serve`, driven
# by wrk (curl, from the test set, checks their bodies when present); scripts/bench-http.sh
# starts each with its own config and port, never as a service.
# Capture bench (scripts/bench-capture.sh): tcpdump and tshark are the peers, python3-scapy
# writes the decode benchmark's pcap, iproute2 makes the namespace lab, time (GNU time) gives
# each decoder's peak RSS.
# DHCP bench (scripts/bench-dhcp.sh): perfdhcp (kea-admin) drives kea-dhcp4 and dnsmasq beside
# `weft dhcp serve`, each started with its own config and lease file, never as a service.
bench_pkgs=(libbenchmark-dev libasio-dev libevent-dev libuv1-dev libtins-dev gnuplot-nox
            liburing-dev util-linux nsd knot dnsperf dnsutils wrk nginx-light h2o lighttpd
            tcpdump tshark python3-scapy iproute2 time kea-admin kea-dhcp4-server dnsmasq-base)
fuzz_pkgs=(clang libclang-rt-14-dev)

want=()
for what in "${@:-build}"; do
  case $what in
    build) want+=("${build_pkgs[@]}") ;;
    test)  want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
    fuzz)  want+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    package) want+=("${build_pkgs[@]}" "${package_pkgs[@]}") ;;
    docs)  want+=("${docs_pkgs[@]}") ;;
    *) echo "install-deps.sh: unknown set '$what' (build, test, bench, fuzz, package, docs)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps.sh: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# Packages such as unbound, nsd and knot start their daemon as a system service when
# installed (on port 53, the one the lab needs inside its namespace). The standard way to say
# no is a policy-rc.d that forbids every start (exit 101) while apt runs; an existing one is
# left alone.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# written by weft scripts/install-deps.sh while apt-get runs\nexit 101\n' |
    "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
# tshark asks whether non-root users may capture; answer before it asks.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo[@]}" debconf-set-selections 2>/dev/null || true
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
