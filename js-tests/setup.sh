# Sourced by the README's two commands (examples/run.sh, js-tests/run-all.sh). Each ensure_*
# function installs what is missing, or stops with the exact command that would install it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

need_tool() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is missing. $2"
}

ensure_base_tools() {
  need_tool cargo "Install Rust with rustup: https://rustup.rs"
  need_tool node "Install Node.js 18 or newer (20 recommended)"
  need_tool npm "Install npm with Node.js"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 18 ] || die "Node.js $major is too old: the package needs Node 18 or newer"
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The wasm-bindgen CLI must be exactly the crate's version (pinned with = in Cargo.toml).
ensure_wasm_bindgen() {
  local want have
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  [ -n "$want" ] || die "Cargo.lock names no wasm-bindgen version"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (found: ${have:-none}); takes about 2.5 minutes"
    # Without --locked: the registry mirror here lacks one locked transitive version.
    cargo install wasm-bindgen-cli --version "=$want" \
      || die "could not install it; run: cargo install wasm-bindgen-cli --version =$want"
  fi
}

ensure_npm_packages() {
  local stamp="$ROOT/js-tests/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/js-tests/package-lock.json" -nt "$stamp" ]; then
    say "installing js-tests' npm packages"
    npm ci --prefix "$ROOT/js-tests" --no-audit --no-fund \
      || die "npm ci failed; run: npm ci --prefix js-tests"
  fi
}

# The runtimes suite's runtimes, bundlers and host SDKs (Node 18/22/24/26, Deno, Bun, wrangler with
# workerd, edge-runtime, @forge/*, puppeteer-core): large downloads, so a lock file of their own.
# --ignore-scripts: @forge/bundler's keytar would need libsecret to build, and nothing needs an install
# script (the suite runs bun's own binary, whose postinstall only links it to .bin).
ensure_runtime_packages() {
  local dir="$ROOT/js-tests/runtimes"
  local stamp="$dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    say "installing js-tests/runtimes' npm packages (Node binaries, Deno, Bun, workerd, Forge SDKs; ~600 MB)"
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund \
      || die "npm ci failed; run: npm ci --prefix js-tests/runtimes --ignore-scripts"
  fi
}

ensure_firefox() {
  if [ -x /usr/bin/firefox-esr ]; then return; fi
  local cmd="apt-get update && apt-get install -y firefox-esr"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Firefox ESR (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null \
      || die "could not install Firefox; run as root: $cmd"
  else
    die "Firefox is needed for the runtimes suite; run as root: $cmd"
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  local cmd="apt-get update && apt-get install -y chromium chromium-driver"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Chromium and ChromeDriver (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
      || die "could not install Chromium; run as root: $cmd"
  else
    die "Chromium is needed for the browser tests; run as root: $cmd"
  fi
}

# The CLI's screen test (js-tests/cli-screen.test.mjs) runs it in tmux, a real terminal emulator;
# the other pseudo-terminal tests use util-linux's `script` (Debian's essential bsdutils).
ensure_tmux() {
  if command -v tmux >/dev/null 2>&1; then return; fi
  local cmd="apt-get update && apt-get install -y tmux"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing tmux (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null \
      || die "could not install tmux; run as root: $cmd"
  else
    die "tmux is needed for the CLI's terminal test; run as root: $cmd"
  fi
}

build_package() {
  say "building the npm package into pkg/"
  node "$ROOT/pkg-template/build.mjs" "$@"
}
