#!/usr/bin/env bash
# bench.sh — build the benchmarks (Release, unchecked: no trailers, inline fast path) and run them.
# Usage: scripts/bench.sh [--quick] [name...] [-- bench options...]
#   name     run only bench/<name>.c (with or without the bench_ prefix); default: all
#   --quick  pass --quick to every benchmark (2 ms x 3 repetitions: a smoke run)
#   -- ...   everything after -- is passed to each benchmark (e.g. --reps 11)
# Installs the peers first (scripts/deps.sh bench). Never asserts: read bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench
names=()
pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) pass+=("--quick") ;;
    --) shift; pass+=("$@"); break ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) names+=("${1#bench_}") ;;
  esac
  shift
done
echo "=== bench: configure and build (Release, build/bench)"
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DLOOKASIDE_BUILD_BENCH=ON \
      -DLOOKASIDE_BUILD_TESTS=OFF -DLOOKASIDE_BUILD_TOOLS=OFF -DLOOKASIDE_BUILD_SHARED=OFF \
      -DLOOKASIDE_CHECKED=OFF >/dev/null
cmake --build build/bench -j"$(nproc)" >/dev/null
if [[ ${#names[@]} -eq 0 ]]; then
  for src in bench/bench_*.c; do names+=("$(basename "${src%.c}")"); done
  names=("${names[@]#bench_}")
fi
status=0
for n in "${names[@]}"; do
  bin="build/bench/bench/bench_$n"
  if [[ ! -x "$bin" ]]; then
    echo "bench.sh: no benchmark '$n' (looked for $bin)" >&2
    status=1
    continue
  fi
  echo "=== bench_$n ${pass[*]:-}"
  "$bin" "${pass[@]}"
done
exit $status
