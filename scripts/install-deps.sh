#!/usr/bin/env bash
# install-deps.sh [build|test|bench|fuzz]...
#
# Installs, with apt-get, the Debian 12 packages a target needs and that are missing.
# Nothing is installed when everything is present, so repeated `make` runs stay fast and
# need no network.
set -euo pipefail

# The default build configures the tests too, so GoogleTest belongs to the build set.
build_pkgs=(g++ cmake ninja-build make pkg-config libcli11-dev nlohmann-json3-dev
            googletest libgtest-dev libgmock-dev)
test_pkgs=(python3 socat netcat-openbsd iproute2 procps python3-scapy tshark)
bench_pkgs=(libbenchmark-dev libasio-dev libevent-dev libuv1-dev libtins-dev gnuplot-nox
            liburing-dev util-linux)
fuzz_pkgs=(clang libclang-rt-14-dev)

want=()
for what in "${@:-build}"; do
  case $what in
    build) want+=("${build_pkgs[@]}") ;;
    test)  want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
    fuzz)  want+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    *) echo "install-deps.sh: unknown set '$what' (build, test, bench, fuzz)" >&2; exit 2 ;;
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
# tshark asks whether non-root users may capture; answer before it asks.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo[@]}" debconf-set-selections 2>/dev/null || true
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
