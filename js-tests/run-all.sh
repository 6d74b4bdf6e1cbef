#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, the native core tests, the wasm skin in
# Node and in headless Chromium, then the built npm package (fake server, package as installed,
# browser e2e, TypeScript consumers). Installs whatever is missing first (see setup.sh).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT

ensure_base_tools
ensure_wasm_target
ensure_wasm_bindgen
ensure_npm_packages
ensure_chromium
ensure_tmux
ensure_runtime_packages
ensure_firefox

step() {  # step NAME COMMAND...: runs it, keeps its output for the totals, stops on failure
  local name="$1"; shift
  say "$name"
  if ! "$@" 2>&1 | tee "$LOGS/$name.log"; then
    echo "FAILED: $name"
    exit 1
  fi
}

step fmt cargo fmt --all -- --check
step clippy-native cargo clippy --all-targets -- -D warnings
# The native client (cargo feature `client`) has its own code paths: lint them too.
step clippy-native-client cargo clippy --all-targets --features client -- -D warnings
step clippy-wasm cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
# With the native client: its tests start the fake Confluence with node (ensure_base_tools above).
step rust-native cargo test --features client
# The property suite (over a million generated cases) runs optimised to fit the CI budget.
step rust-properties cargo test --release --test properties
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step wasm-node cargo test --target wasm32-unknown-unknown --lib --test node
CHROMEDRIVER=/usr/bin/chromedriver step wasm-chromium cargo test --target wasm32-unknown-unknown --test browser
step package build_package
# Bounded, so a hung server in some suite fails the run in minutes rather than holding CI.
step js timeout --kill-after=10 1500 node --test --test-timeout=600000 --test-reporter=tap js-tests/

# Totals over every runner: cargo's "test result:" lines and node's TAP "# pass"/"# fail".
read -r passed failed < <(cat "$LOGS"/rust-*.log "$LOGS"/wasm-*.log \
  | awk '/^test result: / { gsub(/;/, ""); for (i = 1; i <= NF; i++) { if ($(i+1) == "passed") p += $i; if ($(i+1) == "failed") f += $i } } END { print p + 0, f + 0 }')
js_pass=$(awk '/^# pass / { n = $3 } END { print n + 0 }' "$LOGS/js.log")
js_fail=$(awk '/^# fail / { n = $3 } END { print n + 0 }' "$LOGS/js.log")
echo
echo "rust and wasm: $passed passed, $failed failed; js: $js_pass passed, $js_fail failed"
echo "all: $((passed + js_pass)) passed, $((failed + js_fail)) failed"
