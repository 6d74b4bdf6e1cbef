#!/usr/bin/env bash
# The main job: builds the package (installing what is missing) and runs the example, against
# the site in CONFLUENCE_BASE_URL when credentials are set, else against the fake Confluence.
source "$(dirname "${BASH_SOURCE[0]}")/../js-tests/setup.sh"
cd "$ROOT"
ensure_base_tools
ensure_wasm_target
ensure_wasm_bindgen
ensure_npm_packages
build_package
say "running examples/lookup-users.mjs"
node examples/lookup-users.mjs
