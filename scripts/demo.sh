#!/usr/bin/env bash
# demo.sh — build the library and the `lookaside` tool (release) and run `lookaside demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLOOKASIDE_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target lookaside_tool >/dev/null
exec build/release/tools/lookaside/lookaside demo "$@"
