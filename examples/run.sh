#!/usr/bin/env bash
# The main job: builds the package (installing what is missing), installs it into a fresh
# project the way a user would (npm pack, then npm install of the tarball), copies
# examples/lookup-users.mjs there and runs it: against the site in CONFLUENCE_BASE_URL when
# credentials are set, else against the project's fake Confluence on 127.0.0.1.
source "$(dirname "${BASH_SOURCE[0]}")/../js-tests/setup.sh"
cd "$ROOT"
ensure_base_tools
ensure_wasm_target
ensure_wasm_bindgen
ensure_npm_packages
build_package

PROJECT="$(mktemp -d)"
FAKE_PID=""
cleanup() {
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; fi
  rm -rf "$PROJECT"
}
trap cleanup EXIT

say "installing the package into a fresh project ($PROJECT): npm pack pkg, npm install the tarball"
tarball="$(cd "$PROJECT" && npm pack "$ROOT/pkg" --silent)"
printf '{ "name": "try-confluence-users", "private": true, "type": "module" }\n' > "$PROJECT/package.json"
# The package has no dependencies, so this needs no registry.
npm install --prefix "$PROJECT" --offline --no-audit --no-fund --silent "$PROJECT/$tarball"
cp examples/lookup-users.mjs "$PROJECT/"

ids=()
if [ -z "${CONFLUENCE_BASE_URL:-}" ] || { [ -z "${CONFLUENCE_OAUTH_TOKEN:-}" ] && { [ -z "${CONFLUENCE_EMAIL:-}" ] || [ -z "${CONFLUENCE_API_TOKEN:-}" ]; }; }; then
  say "no CONFLUENCE_BASE_URL and credentials: starting the fake Confluence on 127.0.0.1"
  node js-tests/fake-server/cli.mjs --port 0 > "$PROJECT/fake.log" 2>&1 &
  FAKE_PID=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(sed -n 's/^Fake Confluence listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$PROJECT/fake.log")"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || die "the fake Confluence did not start: $(cat "$PROJECT/fake.log")"
  export CONFLUENCE_BASE_URL="$url"
  # The fake's credentials, and two more users of its directory for the bulk lookup.
  # shellcheck disable=SC2046
  read -r CONFLUENCE_EMAIL CONFLUENCE_API_TOKEN id1 id2 < <(node --input-type=module -e '
    const { CREDENTIALS: c, SPECIAL: s } = await import(process.argv[1]);
    console.log(c.email, c.apiToken, s.hiddenProfile, s.externalCollaborator);' "$ROOT/js-tests/fake-server/server.mjs")
  export CONFLUENCE_EMAIL CONFLUENCE_API_TOKEN
  unset CONFLUENCE_OAUTH_TOKEN
  ids=("$id1" "$id2")
fi
say "running lookup-users.mjs (copied from examples/) against $CONFLUENCE_BASE_URL"
(cd "$PROJECT" && node lookup-users.mjs "${ids[@]}")
