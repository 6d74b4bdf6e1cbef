#!/usr/bin/env bash
# The benchmark in one command, from a fresh clone: installs what is missing (the same checks as
# the README's two commands), builds the optimised package into its own directory (never pkg/),
# then runs bench.mjs on it. Extra arguments go to bench.mjs, e.g. --rounds 50 or --json out.json.
#
#   bash js-tests/bench/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup.sh"
cd "$ROOT"
ensure_base_tools
ensure_wasm_target
ensure_wasm_bindgen
ensure_npm_packages

OUT="${BENCH_PKG:-${TMPDIR:-/tmp}/confluence-users-bench-pkg}"
say "building the optimised package into $OUT"
if command -v flock >/dev/null 2>&1; then
  flock /tmp/pkg.lock node pkg-template/build.mjs --out "$OUT"
else
  node pkg-template/build.mjs --out "$OUT"
fi
say "benchmark (about 2 minutes)"
exec node js-tests/bench/bench.mjs --pkg "$OUT" "$@"
