#!/usr/bin/env bash
# deps.sh <group>... — make sure the Debian packages a task needs are installed.
#   build  compilers, cmake, pkg-config
#   test   build + cmocka, clang sanitizer runtimes
#   bench  build + peers: mimalloc, jemalloc, tcmalloc (gperftools), Concurrency Kit, valgrind
# Installs only what is missing; uses sudo when not root. Prints what it installs.
set -euo pipefail
declare -A groups=(
  [build]="build-essential cmake pkg-config"
  [test]="build-essential cmake pkg-config clang libclang-rt-14-dev libcmocka-dev"
  [bench]="build-essential cmake pkg-config libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev libck-dev valgrind"
)
want=()
for g in "$@"; do
  [[ -n "${groups[$g]:-}" ]] || { echo "deps.sh: unknown group '$g'" >&2; exit 2; }
  for p in ${groups[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
  done
done
[[ ${#want[@]} -eq 0 ]] && exit 0
echo "deps.sh: installing ${want[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${want[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
