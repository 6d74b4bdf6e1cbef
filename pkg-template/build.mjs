#!/usr/bin/env node
// Builds the npm package into pkg/: cargo (release, wasm32) -> wasm-bindgen (nodejs and web
// targets) -> wasm-opt -Oz -> entry files and package.json from this folder; the web glue minified.
//
// Usage: node pkg-template/build.mjs [--out DIR] [--no-opt]
// Needs: the wasm32-unknown-unknown target, the wasm-bindgen CLI of exactly the crate's version,
// and js-tests' npm packages (binaryen's wasm-opt, esbuild). Each missing piece stops the build
// with the command that installs it.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = resolve(root, outIndex >= 0 ? args[outIndex + 1] : "pkg");
const optimize = !args.includes("--no-opt");
const crate = "confluence_users";

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function run(cmd, cmdArgs, options = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", ...options });
  if (result.error) fail(`${cmd} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${cmd} ${cmdArgs.join(" ")} exited with ${result.status}`);
}

// The CLI must be the exact version of the wasm-bindgen crate in Cargo.lock: the generated glue
// and the wasm's custom section must agree.
function checkWasmBindgen() {
  if (!existsSync(join(root, "Cargo.lock"))) run("cargo", ["generate-lockfile"]);
  const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
  const want = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
  if (!want) fail("Cargo.lock has no wasm-bindgen entry");
  const probe = spawnSync("wasm-bindgen", ["--version"], { encoding: "utf8" });
  const have = probe.stdout?.trim().split(/\s+/)[1];
  if (have !== want) {
    const found = probe.error ? "is not installed" : `is ${have}`;
    fail(`the wasm-bindgen CLI ${found}, the crate needs ${want}. Install it with:\n  cargo install wasm-bindgen-cli --version =${want}`);
  }
}

function wasmOpt() {
  // npm's binaryen, never Debian's: Debian's wasm-opt (v108) emits modules that fail to load.
  const bin = join(root, "js-tests", "node_modules", ".bin", "wasm-opt");
  if (!existsSync(bin)) fail("binaryen's wasm-opt is missing. Install js-tests' packages with:\n  npm ci --prefix js-tests");
  return bin;
}

// esbuild from js-tests' packages (pinned there), for the web glue.
function esbuild() {
  try {
    return createRequire(join(root, "js-tests", "package.json"))("esbuild");
  } catch {
    fail("esbuild is missing. Install js-tests' packages with:\n  npm ci --prefix js-tests");
  }
}

checkWasmBindgen();
const opt = optimize ? wasmOpt() : null;
run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib"]);
const wasm = join(root, "target", "wasm32-unknown-unknown", "release", `${crate}.wasm`);

rmSync(out, { recursive: true, force: true });
for (const [target, dir] of [["nodejs", "node"], ["web", "web"]]) {
  const dest = join(out, dir);
  run("wasm-bindgen", [wasm, "--out-dir", dest, "--target", target, "--remove-name-section", "--remove-producers-section"]);
  if (opt) {
    const file = join(dest, `${crate}_bg.wasm`);
    run(opt, ["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue", file, "-o", file]);
  }
  inlineSnippets(dest);
}

// The skin's JS steps (`#[wasm_bindgen(module = "/src/wasm/….js")]`) are emitted by wasm-bindgen as
// files under snippets/, imported (web) or required (nodejs) by the glue. They are written into the
// glue itself instead, in place of that line: one file per target loads the same way everywhere (the
// CommonJS copy could not require an ES module, and bundlers, Workers and Forge see no extra file).
function inlineSnippets(dest) {
  const file = join(dest, `${crate}.js`);
  const imports = /^(?:import \{ ([\w, ]+) \} from '\.\/(snippets\/[^']+)';|const \{ ([\w, ]+) \} = require\(String\.raw`\.\/(snippets\/[^`]+)`\);)$/gm;
  const glue = readFileSync(file, "utf8").replace(imports, (_, webNames, webPath, nodeNames, nodePath) => {
    const names = (webNames ?? nodeNames).split(", ");
    const source = readFileSync(join(dest, webPath ?? nodePath), "utf8");
    const exported = [...source.matchAll(/^export (?:async )?function (\w+)/gm)].map((m) => m[1]);
    for (const name of names) if (!exported.includes(name)) fail(`${webPath ?? nodePath}: the glue imports ${name}, which it does not export as a function`);
    if (/^\s*(import|export)\b(?! (?:async )?function )/m.test(source)) fail(`${webPath ?? nodePath}: a JS step file may hold only \`export function\`s`);
    return source.replace(/^export (async )?function /gm, "$1function ").trimEnd();
  });
  if (/snippets\//.test(glue)) fail(`${file}: a snippet import this script does not recognise is left in the glue`);
  writeFileSync(file, glue);
  rmSync(join(dest, "snippets"), { recursive: true, force: true });
}

// The package is "type": "module", so the CommonJS build and its declarations get .cjs/.d.cts.
const node = join(out, "node");
renameSync(join(node, `${crate}.js`), join(node, `${crate}.cjs`));
renameSync(join(node, `${crate}.d.ts`), join(node, `${crate}.d.cts`));

// Both targets emit the same .wasm (only the glue differs); the web copy is the one browsers fetch
// and workerd imports as a compiled module.
const webWasm = join(out, "web", `${crate}_bg.wasm`);
const wasmBytes = readFileSync(webWasm);
if (!readFileSync(join(node, `${crate}_bg.wasm`)).equals(wasmBytes)) fail("the nodejs and web targets emitted different .wasm files");
rmSync(join(node, `${crate}_bg.wasm`));
rmSync(join(node, `${crate}_bg.wasm.d.ts`));

// The same bytes as a CommonJS module of base64 text, for every place that cannot look a file up at
// run time: Node code bundled into one file (esbuild, webpack, Forge's bundler), edge runtimes, and
// the opt-in `confluence-users/embedded` browser entry. CommonJS so that Node 18's `require` can load
// it; ES modules and bundlers import it too, so the bytes are in the package once.
const embedded = join(out, "embedded");
mkdirSync(embedded, { recursive: true });
writeFileSync(
  join(embedded, "wasm.cjs"),
  `// Generated by pkg-template/build.mjs: web/${crate}_bg.wasm (${wasmBytes.length} bytes) as base64.\n` +
    `"use strict";\n` +
    `const text = "${wasmBytes.toString("base64")}";\n` +
    // Node's Buffer decodes in native code; atob is the portable fallback (every runtime with fetch).
    `module.exports = typeof Buffer === "function" ? new Uint8Array(Buffer.from(text, "base64")) : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));\n`,
);

// The nodejs glue reads `${__dirname}/x_bg.wasm` with fs, which bundlers neither follow nor copy: it
// takes the embedded bytes instead.
const nodeGlue = join(node, `${crate}.cjs`);
const readWasm = /^const wasmPath = `\$\{__dirname\}\/\w+_bg\.wasm`;\nconst wasmBytes = require\('fs'\)\.readFileSync\(wasmPath\);$/m;
const glue = readFileSync(nodeGlue, "utf8");
if (!readWasm.test(glue)) fail(`${nodeGlue}: the wasm-bindgen glue no longer reads its .wasm the way this script expects`);
writeFileSync(nodeGlue, glue.replace(readWasm, `const wasmBytes = require("../embedded/wasm.cjs");`));

// The entries re-export exactly what the wasm module exports, read from the built module.
const exportsList = Object.keys(createRequire(import.meta.url)(join(node, `${crate}.cjs`))).sort();
const names = exportsList.join(", ");
// wasm-bindgen declares `[Symbol.dispose](): void` on classes, which only compiles for
// consumers whose lib includes esnext.disposable; the method stays at runtime, undeclared.
const stripDispose = (text) => text.replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/gm, "");
for (const file of [join(node, `${crate}.d.cts`), join(out, "web", `${crate}.d.ts`)]) {
  writeFileSync(file, stripDispose(readFileSync(file, "utf8")));
}
// Every class with free() gets the guard of freed.js: a freed object's calls reject with a
// ConfluenceError rather than wasm-bindgen's "null pointer passed to rust".
const loaded = createRequire(import.meta.url)(join(node, `${crate}.cjs`));
const freeable = exportsList.filter((n) => typeof loaded[n]?.prototype?.free === "function");
const guard = `${readFileSync(join(here, "freed.js"), "utf8")}__guardFreed([${freeable.join(", ")}]);\n`;
for (const file of [join(node, `${crate}.cjs`), join(out, "web", `${crate}.js`)]) writeFileSync(file, readFileSync(file, "utf8") + guard);
// The web glue is what a browser downloads, with the .wasm and index.js: minified, keeping function and
// class names (freed.js reads them, and users' stack traces show them), in ES2020 syntax (esbuild would
// keep names with class static blocks otherwise, which Chrome < 94 lacks). 3.4 KB less gzip -9
// (js-tests/bench/SIZE.md); the Node glue stays as wasm-bindgen wrote it.
const webGlue = join(out, "web", `${crate}.js`);
writeFileSync(webGlue, esbuild().transformSync(readFileSync(webGlue, "utf8"), { minify: true, keepNames: true, format: "esm", target: "es2020" }).code);
const declarations = readFileSync(join(node, `${crate}.d.cts`), "utf8");
const banner = "// Generated by pkg-template/build.mjs.\n";

// Node ESM loads the CommonJS build, so `import` and `require` share one wasm instance.
writeFileSync(
  join(node, "index.mjs"),
  `${banner}import wasm from "./${crate}.cjs";\nexport const { ${names} } = wasm;\n`,
);
// Declarations need no DOM types (the web target's do), so every entry uses the nodejs ones.
writeFileSync(join(node, "index.d.mts"), declarations);
writeFileSync(join(out, "index.d.ts"), declarations);
// Browsers and bundlers: initialise the wasm once, so users never call init().
writeFileSync(
  join(out, "index.js"),
  `${banner}import init from "./web/${crate}.js";\nawait init();\nexport { ${names} } from "./web/${crate}.js";\n`,
);
// Every other entry wraps the same web glue and differs only in where the module comes from; their
// `types` in package.json are index.d.ts, the declarations above.
const webEntry = (dir, body) => {
  mkdirSync(join(out, dir), { recursive: true });
  writeFileSync(join(out, dir, "index.js"), `${banner}${body}export { ${names} } from "../web/${crate}.js";\n`);
};
// workerd (Cloudflare Workers): wrangler turns a `.wasm` import into a compiled WebAssembly.Module,
// and workerd refuses to compile wasm from bytes at run time; instantiating is synchronous.
webEntry("workerd", `import module from "../web/${crate}_bg.wasm";\nimport { initSync } from "../web/${crate}.js";\ninitSync({ module });\n`);
// Edge runtimes that load one script (Vercel's edge-light): the bytes are in the JS, and no
// top-level await, so CommonJS and IIFE bundles of it build too.
webEntry("edge", `import bytes from "../embedded/wasm.cjs";\nimport { initSync } from "../web/${crate}.js";\ninitSync({ module: bytes });\n`);
// Opt-in browser entry: the bytes are in the JS, so a bundler that does not emit the .wasm (esbuild)
// needs no copy step. Compiled asynchronously, as browsers want off the main thread.
webEntry("embedded", `import bytes from "./wasm.cjs";\nimport init from "../web/${crate}.js";\nawait init({ module_or_path: bytes });\n`);

const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const cargoVersion = /^version = "([^"]+)"/m.exec(readFileSync(join(root, "Cargo.toml"), "utf8"))[1];
pkg.version = cargoVersion;
writeFileSync(join(out, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
// npm renders only README.md, so the adapters guide is appended to it (one heading level down,
// under the README's own title); ADAPTERS.md also ships on its own for readers of the tarball.
const adaptersGuide = readFileSync(join(here, "ADAPTERS.md"), "utf8");
writeFileSync(join(out, "README.md"), `${readFileSync(join(here, "README.md"), "utf8").trimEnd()}\n\n${demoteHeadings(adaptersGuide)}`);
copyFileSync(join(here, "ADAPTERS.md"), join(out, "ADAPTERS.md"));
for (const license of ["LICENSE-MIT", "LICENSE-APACHE"]) copyFileSync(join(root, license), join(out, license));

// The host adapters are plain JS over the hosts' SDK objects, written as an ES module with no
// imports; the CommonJS copy is that module with its exports rewritten.
const adapters = readFileSync(join(here, "adapters.js"), "utf8");
copyFileSync(join(here, "adapters.js"), join(out, "adapters.js"));
copyFileSync(join(here, "adapters.d.ts"), join(out, "adapters.d.ts"));
copyFileSync(join(here, "adapters.d.ts"), join(out, "adapters.d.cts"));
const exported = [...adapters.matchAll(/^export (?:async )?function (\w+)/gm)].map((m) => m[1]);
writeFileSync(
  join(out, "adapters.cjs"),
  `${banner}"use strict";\n${adapters.replace(/^export (async )?function /gm, "$1function ")}\nmodule.exports = { ${exported.join(", ")} };\n`,
);
mkdirSync(join(out, "bin"), { recursive: true });
copyFileSync(join(here, "bin", "cli.mjs"), join(out, "bin", "cli.mjs"));
for (const dir of ["node", "web"]) rmSync(join(out, dir, ".gitignore"), { force: true });
console.log(`build: ${out} (exports: ${names})`);

/** Markdown with every ATX heading one level deeper, except inside fenced code blocks. */
function demoteHeadings(markdown) {
  let fenced = false;
  return markdown
    .split("\n")
    .map((line) => {
      if (/^(```|~~~)/.test(line)) fenced = !fenced;
      return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join("\n");
}
