#!/usr/bin/env bash
# test.sh — build and run every test: first under ASan+UBSan (clang) and TSan (gcc),
# then the plain checked build (gcc), whose ctest summary is the last thing printed.
# Usage: scripts/test.sh [--quick]   (--quick: plain build only)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
run() { # name, ctest args..., -- cmake args...
  local name=$1; shift
  local ctest_args=()
  while [[ $# -gt 0 && $1 != -- ]]; do ctest_args+=("$1"); shift; done
  shift
  echo "=== $name: configure and build"
  cmake -S . -B "build/$name" -DLOOKASIDE_BUILD_TESTS=ON "$@" >/dev/null
  cmake --build "build/$name" -j"$jobs" >/dev/null
  echo "=== $name: ctest"
  (cd "build/$name" && ctest --output-on-failure -j"$jobs" "${ctest_args[@]}")
}
if [[ "${1:-}" != "--quick" ]]; then
  run asan -LE package -- -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DLOOKASIDE_SANITIZE=address,undefined
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    run tsan -LE package -- -DCMAKE_BUILD_TYPE=Debug -DLOOKASIDE_SANITIZE=thread -DLOOKASIDE_BUILD_SHARED=OFF
fi
run checked -- -DCMAKE_BUILD_TYPE=RelWithDebInfo
