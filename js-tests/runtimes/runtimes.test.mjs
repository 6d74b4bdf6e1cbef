// Runtimes suite: the packed package in every place a Confluence app's code runs. pkg/ is packed once with
// `npm pack`; the tarball is installed into one throwaway app (template: ./app/, with the real @forge/api
// and @forge/bridge beside it), which each cell builds the way its platform builds and runs where that
// platform runs it. Bundles run from a folder of their own, with no node_modules. Every cell drives the same
// scenario (app/src/scenario.js: current user, a user, bulk lookup, memberships one page and all pages,
// migration, and a 404 that must be a ConfluenceError with kind/status) against the fake Confluence on
// 127.0.0.1, started here.
//
// Cells (what really ran is said in each test's name):
//   Node 18, 20 (the machine's), 22, 24, 26: import and require, unbundled
//   Deno 2 (import by name, and an npm: specifier), Bun 1 (import and require)
//   esbuild --platform=node (CommonJS and ESM consumers), webpack 5 target node18: run from a deploy folder
//   Forge: a function using forgeApiFetch over the real @forge/api, bundled with @forge/bundler's own
//          webpack config, run from its deploy folder (as asApp() and as asUser())
//   Cloudflare Workers: `wrangler deploy --dry-run --outdir` (wrangler's own bundle), run in workerd
//   Vercel edge: esbuild with the edge-light condition into one script, run in edge-runtime
//   Firefox (WebDriver BiDi, puppeteer-core): Vite, webpack, esbuild (+ the .wasm copied), esbuild of
//          confluence-users/embedded (no copy), ./web unbundled, and a Forge Custom UI page using the real
//          @forge/bridge; Chromium: the three new pages (the Chromium bundler pages are in ../matrix/)
//
// The runtimes and tools come from js-tests/runtimes/node_modules (`npm ci --prefix js-tests/runtimes`;
// run-all.sh does it), Firefox from Debian (firefox-esr). Missing ones skip their cells here, except in CI
// (CI=true), where that is a failure.
//
//   node pkg-template/build.mjs --no-opt && node --test js-tests/runtimes/

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { CREDENTIALS, JS_TESTS, PKG_DIR, PKG_NAME, SPECIAL, assertBuilt, closedPort, listen, startFakeConfluence } from "../helpers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = join(HERE, "node_modules");
const TOOLS = join(JS_TESTS, "node_modules", ".bin");
const DRIVERS = join(HERE, "drivers");
const IN_CI = process.env.CI === "true";
const FIREFOX = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr";
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const COMPATIBILITY_DATE = "2026-04-01"; // as in app/wrangler.toml
/** The base64 of the first bytes of every .wasm ("\0asm" + version 1): marks an embedded copy in a bundle. */
const EMBEDDED_MARK = "AGFzbQEAAAAB";

const NODES = {
  18: join(MODULES, "node18", "bin", "node"),
  20: process.execPath,
  22: join(MODULES, "node22", "bin", "node"),
  24: join(MODULES, "node24", "bin", "node"),
  26: join(MODULES, "node26", "bin", "node"),
};
const DENO = join(MODULES, ".bin", "deno");
// The bun package's own binary: its postinstall (which puts it at .bin/bun) is not run by `npm ci
// --ignore-scripts`, so .bin/bun only prints "Bun's postinstall script was not run".
const BUN = join(MODULES, "@oven", "bun-linux-x64", "bin", "bun");
// workerd's own binary, not the .bin/workerd shim: the shim is a node script that spawns it, and killing
// the shim would leave workerd running.
const WORKERD = join(MODULES, "@cloudflare", "workerd-linux-64", "bin", "workerd");
const WRANGLER = join(MODULES, "wrangler", "bin", "wrangler.js"); // needs Node >= 22.12: run with Node 22

const runtimesMissing = [...Object.values(NODES), DENO, BUN, WORKERD, WRANGLER, join(MODULES, "@forge", "bundler", "package.json"), join(MODULES, "edge-runtime", "package.json"), join(MODULES, "puppeteer-core", "package.json")].filter((f) => !existsSync(f));
const firefoxMissing = !existsSync(FIREFOX);
const chromiumMissing = !existsSync(CHROMIUM);
const missingWhy = [
  runtimesMissing.length > 0 ? `js-tests/runtimes' packages are not installed (missing ${runtimesMissing.join(", ")}); run: npm ci --prefix js-tests/runtimes --ignore-scripts` : "",
  firefoxMissing ? `Firefox is not at ${FIREFOX}; run as root: apt-get install -y firefox-esr (or set FIREFOX_PATH)` : "",
  chromiumMissing ? `Chromium is not at ${CHROMIUM}; run as root: apt-get install -y chromium` : "",
].filter(Boolean);
// Outside CI a missing piece skips the whole suite with the command that installs it; in CI, every test fails.
const skip = missingWhy.length > 0 && !IN_CI ? missingWhy.join("; ") : false;
if (skip) console.log(`runtimes suite skipped: ${skip}`);

// ------------------------------------------------------------------------------------------------------------
// Jobs run at most CONCURRENCY commands at once (the machine has 2 cores); tests await their own job.

const CONCURRENCY = 3;
let running = 0;
const waiting = [];
async function slot(fn) {
  while (running >= CONCURRENCY) await new Promise((r) => waiting.push(r));
  running += 1;
  try {
    return await fn();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

let t00 = performance.now();
const timings = [];
const jobs = {};
function job(name, fn) {
  const p = (async () => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings.push({ name, doneAt: performance.now() - t00, own: performance.now() - t0 });
    }
  })();
  p.catch(() => {});
  jobs[name] = p;
  return p;
}

/** Runs a command (in a slot, with a timeout); resolves with exit code, output and time, never rejects. */
function run(cmd, args, { cwd, env = {}, timeout = 60_000 } = {}) {
  return slot(
    () =>
      new Promise((resolve) => {
        const childEnv = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...env };
        delete childEnv.NODE_TEST_CONTEXT;
        delete childEnv.FORCE_COLOR;
        const t0 = performance.now();
        execFile(cmd, args, { cwd, env: childEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
          resolve({ command: `${cmd} ${args.join(" ")}`, cwd, code: error ? (typeof error.code === "number" ? error.code : -1) : 0, error: error && typeof error.code !== "number" ? error.message : undefined, stdout, stderr, ms: Math.round(performance.now() - t0) });
        });
      }),
  );
}

function assertRan(r, label = r.command) {
  assert.equal(r.code, 0, `${label} failed (exit ${r.code}${r.error ? `, ${r.error}` : ""}) in ${r.cwd}:\n${r.stdout}\n${r.stderr}`.slice(0, 12_000));
}

/** The last line of a cell's stdout, which is its scenario result as JSON. */
function resultOf(r, label) {
  assertRan(r, label);
  const line = r.stdout.trim().split("\n").at(-1);
  try {
    return JSON.parse(line);
  } catch {
    assert.fail(`${label}: no JSON result on stdout:\n${r.stdout}\n${r.stderr}`);
  }
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

// ------------------------------------------------------------------------------------------------------------

let root; // temp dir: tarball, app, deploy folders
let app;
let fake;
const closers = [];
const config = () => ({ fakeUrl: fake.url, credentials: CREDENTIALS, special: SPECIAL });
const env = (extra = {}) => ({ RUNTIME_CONFIG: JSON.stringify({ ...config(), ...extra }) });

/** A fresh folder under root holding only `files` (copied from their paths): where a bundle is deployed. */
function deployFolder(name, files) {
  const dir = join(root, "deploy", name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) cpSync(f, join(dir, f.split(sep).at(-1)), { recursive: true });
  return dir;
}

before(async () => {
  if (skip) return;
  if (missingWhy.length > 0) throw new Error(`the runtimes suite cannot run: ${missingWhy.join("; ")}`);
  t00 = performance.now();
  assertBuilt();
  root = mkdtempSync(join(tmpdir(), "confluence-users-runtimes-"));
  fake = await startFakeConfluence({ port: 0 });

  const installed = job("install", async () => {
    const packed = await run("npm", ["pack", PKG_DIR, "--pack-destination", root, "--ignore-scripts", "--json", "--cache", join(root, "npm-cache")], { cwd: root });
    assertRan(packed);
    const tarball = join(root, JSON.parse(packed.stdout)[0].filename);
    app = join(root, "app");
    cpSync(join(HERE, "app"), app, { recursive: true });
    // The Forge SDKs at the versions js-tests/runtimes pins, from npm's cache when that install filled it.
    const pins = JSON.parse(readFileSync(join(HERE, "package.json"), "utf8")).devDependencies;
    const r = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", tarball, `@forge/api@${pins["@forge/api"]}`, `@forge/bridge@${pins["@forge/bridge"]}`], { cwd: app, timeout: 180_000 });
    assertRan(r);
    assert.ok(existsSync(join(app, "node_modules", PKG_NAME, "package.json")), "the tarball is installed");
    return app;
  });
  const withApp = (name, fn) => job(name, async () => fn(await installed));

  // Node, Deno and Bun, unbundled, from the app folder.
  for (const [version, bin] of Object.entries(NODES)) {
    withApp(`node ${version} import`, (dir) => run(bin, ["src/node-import.mjs"], { cwd: dir, env: env() }));
    withApp(`node ${version} require`, (dir) => run(bin, ["src/node-require.cjs"], { cwd: dir, env: env() }));
  }
  const denoArgs = ["run", "--allow-net=127.0.0.1", "--allow-env=RUNTIME_CONFIG", "--allow-read"];
  withApp("deno import", (dir) => run(DENO, [...denoArgs, "src/node-import.mjs"], { cwd: dir, env: env() }));
  withApp("deno npm:", (dir) => run(DENO, [...denoArgs, "src/deno-npm.mjs"], { cwd: dir, env: env() }));
  withApp("bun import", (dir) => run(BUN, ["src/node-import.mjs"], { cwd: dir, env: env() }));
  withApp("bun require", (dir) => run(BUN, ["src/node-require.cjs"], { cwd: dir, env: env() }));

  // Bundled Node functions: built in the app, deployed alone, run with the oldest supported Node.
  const nodeBundle = (name, build, outputs, main) =>
    withApp(name, async (dir) => {
      const b = await build(dir);
      assertRan(b, `${name}: build`);
      const deployed = deployFolder(name.replace(/\W+/g, "-"), outputs.map((o) => join(dir, o)));
      return { build: b, deployed, run: await run(NODES[18], [main], { cwd: deployed, env: env() }) };
    });
  nodeBundle("esbuild node cjs", (dir) => run(join(TOOLS, "esbuild"), ["src/node-require.cjs", "--bundle", "--platform=node", "--format=cjs", "--outfile=dist-esbuild-node/main.cjs", "--log-level=warning"], { cwd: dir }), ["dist-esbuild-node/main.cjs"], "main.cjs");
  nodeBundle("esbuild node esm", (dir) => run(join(TOOLS, "esbuild"), ["src/bundle-esm.mjs", "--bundle", "--platform=node", "--format=esm", "--outfile=dist-esbuild-node/main.mjs", "--log-level=warning"], { cwd: dir }), ["dist-esbuild-node/main.mjs"], "main.mjs");
  withApp("webpack node18", async (dir) => {
    const b = await run(join(TOOLS, "webpack"), ["--config", "webpack.node.cjs"], { cwd: dir });
    assertRan(b, "webpack target node18: build");
    const deployed = deployFolder("webpack-node18", filesUnder(join(dir, "dist-webpack-node")));
    return { build: b, deployed, run: await run(NODES[18], ["main.cjs"], { cwd: deployed, env: env() }) };
  });

  // Forge: @forge/bundler (run from js-tests/runtimes, where it is installed) bundles the app's function.
  withApp("forge bundle", async (dir) => {
    const out = join(root, "deploy", "forge");
    const b = await run(process.execPath, [join(DRIVERS, "forge-bundle.cjs"), dir, join(dir, "src", "forge-function.js"), out], { cwd: HERE, timeout: 120_000 });
    assertRan(b, "@forge/bundler");
    return { build: b, config: JSON.parse(b.stdout.trim().split("\n").at(-1)), deployed: out };
  });
  for (const as of ["app", "user"]) {
    job(`forge run ${as}`, async () => {
      const { deployed } = await jobs["forge bundle"];
      return run(NODES[18], [join(DRIVERS, "forge-runtime.cjs"), join(deployed, "index.cjs")], { cwd: deployed, env: env({ as }) });
    });
  }

  // Cloudflare Workers: wrangler's own bundle (offline dry run), then workerd.
  withApp("wrangler", async (dir) => {
    const out = join(root, "deploy", "worker");
    const home = join(root, "home");
    mkdirSync(home, { recursive: true });
    const b = await run(NODES[22], [WRANGLER, "deploy", "--dry-run", "--outdir", out], { cwd: dir, env: { HOME: home, XDG_CONFIG_HOME: home, WRANGLER_SEND_METRICS: "false", CI: "true" }, timeout: 120_000 });
    assertRan(b, "wrangler deploy --dry-run");
    const port = await closedPort();
    return { build: b, deployed: out, run: await run(process.execPath, [join(DRIVERS, "workerd-run.mjs"), WORKERD, out, "worker.js", COMPATIBILITY_DATE, String(port)], { cwd: out, env: env() }) };
  });

  // The same worker bundled the way wrangler's esbuild step does it, with esbuild itself: the Workers
  // conditions, ESM, and each .wasm kept as a file of its own that the worker imports (--loader copy).
  withApp("esbuild worker", async (dir) => {
    const out = join(root, "deploy", "esbuild-worker");
    const b = await run(join(TOOLS, "esbuild"), ["src/worker.js", "--bundle", "--format=esm", "--platform=neutral", "--conditions=workerd,worker,browser", "--main-fields=module,main", "--loader:.wasm=copy", `--outdir=${out}`, "--log-level=warning"], { cwd: dir });
    assertRan(b, "esbuild worker bundle");
    const port = await closedPort();
    return { build: b, deployed: out, run: await run(process.execPath, [join(DRIVERS, "workerd-run.mjs"), WORKERD, out, "worker.js", COMPATIBILITY_DATE, String(port)], { cwd: out, env: env() }) };
  });

  // Vercel edge: one script (IIFE; edge-runtime runs scripts), conditions as Next.js's edge build.
  withApp("edge", async (dir) => {
    const esbuild = (format, outfile) => run(join(TOOLS, "esbuild"), ["src/edge.js", "--bundle", "--platform=browser", "--conditions=edge-light,worker", `--format=${format}`, `--outfile=${outfile}`, "--log-level=warning"], { cwd: dir });
    const [b, cjs] = await Promise.all([esbuild("iife", "dist-edge/edge.js"), esbuild("cjs", "dist-edge-cjs/edge.cjs")]);
    assertRan(b, "esbuild edge-light iife");
    const deployed = deployFolder("edge", [join(dir, "dist-edge", "edge.js")]);
    return { build: b, cjs, deployed, run: await run(process.execPath, [join(DRIVERS, "edge-run.cjs"), join(deployed, "edge.js")], { cwd: HERE, env: env() }) };
  });

  // Browser pages: built in the app; each served from its own folder (the web page from the app itself).
  const esbuildPage = (name, entry, html, extra = []) =>
    withApp(`build ${name}`, async (dir) => {
      const outdir = join(dir, `dist-${name}`);
      const b = await run(join(TOOLS, "esbuild"), [entry, "--bundle", "--format=esm", "--platform=browser", `--outfile=${join(outdir, "main.js")}`, "--log-level=warning"], { cwd: dir });
      assertRan(b, `esbuild ${name}`);
      copyFileSync(join(dir, html), join(outdir, "index.html"));
      for (const [from, to] of extra) copyFileSync(join(dir, from), join(outdir, to));
      return { build: b, dist: outdir };
    });
  withApp("build vite", async (dir) => {
    const b = await run(join(TOOLS, "vite"), ["build"], { cwd: dir });
    assertRan(b, "vite build");
    return { build: b, dist: join(dir, "dist-vite") };
  });
  withApp("build webpack", async (dir) => {
    const b = await run(join(TOOLS, "webpack"), ["--config", "webpack.web.cjs"], { cwd: dir });
    assertRan(b, "webpack web build");
    // webpack's output is a classic script (its top-level await becomes an async module inside it).
    writeFileSync(join(dir, "dist-webpack", "index.html"), readFileSync(join(dir, "default.html"), "utf8").replace('type="module" src', "defer src"));
    return { build: b, dist: join(dir, "dist-webpack") };
  });
  // esbuild does not emit the .wasm of the default entry (evanw/esbuild#795): its users copy it by hand.
  esbuildPage("esbuild", "src/page-default.js", "default.html", [[join("node_modules", PKG_NAME, "web", "confluence_users_bg.wasm"), "confluence_users_bg.wasm"]]);
  esbuildPage("embedded", "src/page-embedded.js", "embedded.html");
  esbuildPage("bridge", "src/page-bridge.js", "bridge.html", [["host.js", "host.js"]]);
  job("build web", async () => ({ dist: await installed, page: "/web.html" }));

  const PAGES = ["vite", "webpack", "esbuild", "embedded", "web", "bridge"];
  const CHROMIUM_PAGES = ["embedded", "web", "bridge"];
  const browsers = {
    firefox: job("launch firefox", async () => {
      const puppeteer = (await import(pathToFileURL(createRequire(join(HERE, "package.json")).resolve("puppeteer-core")).href)).default;
      const browser = await puppeteer.launch({ browser: "firefox", executablePath: FIREFOX, headless: true, timeout: 60_000 });
      closers.push(() => browser.close());
      return { kind: "puppeteer", browser };
    }),
    chromium: job("launch chromium", async () => {
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"] });
      closers.push(() => browser.close());
      return { kind: "playwright", browser };
    }),
  };
  // Pages load one after another per browser: a browser tab is cheap, the cores are not.
  for (const [name, pages] of [["firefox", PAGES], ["chromium", CHROMIUM_PAGES]]) {
    let previous = Promise.resolve();
    for (const page of pages) {
      const mine = previous.then(async () => {
        const built = await jobs[`build ${page}`];
        const server = await startStatic(built.dist);
        closers.push(() => server.close());
        return { built, server, ...(await loadPage(await browsers[name], `${server.url}${built.page ?? "/"}`)) };
      });
      previous = mine.catch(() => {});
      job(`${name} ${page}`, () => mine);
    }
  }
});

after(async () => {
  await Promise.allSettled(Object.values(jobs));
  for (const close of closers) await close().catch(() => {});
  await fake?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  if (timings.length === 0) return;
  console.log(`runtimes timings (ms; "done at" from the start of setup, total ${Math.round(performance.now() - t00)}):`);
  for (const t of timings.sort((a, b) => a.doneAt - b.doneAt)) console.log(`  ${t.name.padEnd(22)} done at ${String(Math.round(t.doneAt)).padStart(6)}   own ${String(Math.round(t.own)).padStart(6)}`);
});

// ------------------------------------------------------------------------------------------------------------
// Static server for the pages: serves `dir`, plus /config.json; records every request.

const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".cjs": "text/javascript; charset=utf-8", ".json": "application/json", ".wasm": "application/wasm", ".map": "application/json" };

async function startStatic(dir) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const reply = (status, type, body) => {
      requests.push({ path, status, type });
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    if (path === "/config.json") return reply(200, MIME[".json"], JSON.stringify(config()));
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) return reply(404, "text/plain", "not found");
    return reply(200, MIME[extname(file)] ?? "application/octet-stream", readFileSync(file));
  });
  const url = await listen(server);
  return {
    url,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Opens `url` in a new tab of `browser` (puppeteer's Firefox or playwright's Chromium), waits for window.__results. */
async function loadPage({ kind, browser }, url) {
  const tab = await browser.newPage();
  const consoleMessages = [];
  const pageErrors = [];
  tab.on("console", (m) => consoleMessages.push({ type: m.type(), text: m.text() }));
  tab.on("pageerror", (e) => pageErrors.push(String(e?.message ?? e)));
  try {
    const response = await tab.goto(url, { timeout: 30_000 });
    const waited = kind === "puppeteer" ? tab.waitForFunction(() => window.__results !== undefined, { timeout: 30_000 }) : tab.waitForFunction(() => window.__results !== undefined, null, { timeout: 30_000 });
    const timedOut = await waited.then(() => false, () => true);
    const [results, bridgeCalls] = await tab.evaluate(() => [window.__results, window.__bridgeCalls]);
    return { status: response.status(), results, bridgeCalls, timedOut, consoleMessages, pageErrors };
  } finally {
    await tab.close();
  }
}

// ------------------------------------------------------------------------------------------------------------
// What every cell must have got from the fake.

const EXPORTS = ["ClientCache", "ConfluenceClient", "GroupMembershipPages", "MigratedUserPages", "isConfluenceError"];

function assertScenario(r, label, exports = EXPORTS) {
  const dir = fake.directory;
  assert.deepEqual(r.exports, exports, `${label}: exports`);
  assert.deepEqual(r.me, { accountId: SPECIAL.currentUser, displayName: "Mia Krystof" }, `${label}: getCurrentUser`);
  assert.deepEqual(r.user, { accountId: SPECIAL.oddAccountId, displayName: "Odd Encoding Bot", accountType: "app" }, `${label}: getUser (an id that must be percent-encoded)`);
  assert.deepEqual(r.bulk, [SPECIAL.currentUser, SPECIAL.oddAccountId, SPECIAL.hiddenProfile], `${label}: getBulkUserLookup (the unknown id omitted)`);
  assert.deepEqual(r.groups, dir.user(SPECIAL.currentUser).groups, `${label}: getGroupMembershipsForUser`);
  assert.equal(r.allGroups, SPECIAL.manyGroupsCount, `${label}: paginateGroupMembershipsForUser over every page`);
  assert.deepEqual(
    r.migration,
    [
      { username: "admin", accountId: SPECIAL.currentUser },
      { username: SPECIAL.oddUsername, accountId: SPECIAL.oddAccountId },
      { username: "nosuchuser", accountId: null },
    ],
    `${label}: getBulkUserMigration`,
  );
  assert.deepEqual(
    r.notFound,
    { isConfluenceError: true, isError: true, name: "ConfluenceError", kind: "http", status: 404, message: `getUser: 404 Not Found: No user found with accountId: ${SPECIAL.unknownAccountId}` },
    `${label}: the failing call`,
  );
}

/** A deploy folder holds the bundle and nothing the package would need to look up: no node_modules, no .wasm. */
function assertSelfContained(deployed, label) {
  const files = filesUnder(deployed);
  assert.deepEqual(files.filter((f) => f.includes(`${sep}node_modules${sep}`) || f.endsWith(".wasm")), [], `${label}: deploy folder ${deployed} holds ${files.join(", ")}`);
  assert.ok(files.some((f) => readFileSync(f, "utf8").includes(EMBEDDED_MARK)), `${label}: the bundle holds the embedded wasm`);
}

const installedFile = (rel) => join(app, "node_modules", PKG_NAME, rel);

// ------------------------------------------------------------------------------------------------------------

describe("the entries", { skip }, () => {
  test("every entry of '.' and './embedded' declares exactly the same types, and the conditions lead to the files the cells ran", async () => {
    await jobs.install;
    const pkg = JSON.parse(readFileSync(installedFile("package.json"), "utf8"));
    const types = new Set();
    const walk = (v, key) => (typeof v === "string" ? key === "types" && types.add(v) : v && Object.entries(v).forEach(([k, w]) => walk(w, k)));
    walk(pkg.exports["."]);
    walk(pkg.exports["./embedded"]);
    assert.ok(types.size >= 3, `types files: ${[...types]}`);
    const texts = new Set([...types].map((t) => readFileSync(installedFile(t), "utf8")));
    assert.equal(texts.size, 1, `the declarations differ between ${[...types].join(", ")}`);
    assert.deepEqual(Object.keys(pkg.exports["."]), ["workerd", "edge-light", "node", "types", "default"], "condition order (the first match wins)");
    assert.equal(pkg.exports["."].workerd.default, "./workerd/index.js");
    assert.equal(pkg.exports["."]["edge-light"].default, "./edge/index.js");
    assert.equal(pkg.exports["./embedded"].default, "./embedded/index.js");
  });
});

describe("Node, unbundled (the package from node_modules)", { skip }, () => {
  for (const version of Object.keys(NODES)) {
    test(`Node ${version}: import "confluence-users" (exports node.import) and require from the same process share one instance`, async () => {
      const r = resultOf(await jobs[`node ${version} import`], `node ${version} import`);
      assert.match(r.runtime, new RegExp(`^node v${version}\\.`));
      assertScenario(r, `node ${version} import`);
      assert.equal(r.resolved, pathToFileURL(installedFile("node/index.mjs")).href);
      assert.equal(r.sameInstance, true, "import and require give the same ConfluenceClient");
    });
    test(`Node ${version}: require("confluence-users") (exports node.require)`, async () => {
      const r = resultOf(await jobs[`node ${version} require`], `node ${version} require`);
      assert.match(r.runtime, new RegExp(`^node v${version}\\.`));
      assertScenario(r, `node ${version} require`);
    });
  }
});

describe("Deno 2 and Bun 1 (the real runtimes, from their npm packages)", { skip }, () => {
  test("Deno: import by name from node_modules", async () => {
    const r = resultOf(await jobs["deno import"], "deno import");
    assert.match(r.runtime, /^deno 2\./);
    assertScenario(r, "deno import");
    assert.equal(r.sameInstance, true, "Deno: import and createRequire give the same instance");
  });
  test("Deno: an npm: specifier", async () => {
    const r = resultOf(await jobs["deno npm:"], "deno npm:");
    assert.match(r.runtime, /^deno 2\..*npm: specifier/);
    assertScenario(r, "deno npm:");
  });
  for (const how of ["import", "require"]) {
    test(`Bun: ${how}`, async () => {
      const r = resultOf(await jobs[`bun ${how}`], `bun ${how}`);
      assert.match(r.runtime, /^bun 1\./);
      assertScenario(r, `bun ${how}`);
      assert.equal(r.sameInstance, true);
    });
  }
});

describe("bundled Node functions, run on Node 18 from a deploy folder with no node_modules", { skip }, () => {
  for (const name of ["esbuild node cjs", "esbuild node esm", "webpack node18"]) {
    test(`${name}: the bundle alone works (the wasm is embedded, nothing is read from disk)`, async () => {
      const { build, deployed, run: r } = await jobs[name];
      assert.deepEqual(`${build.stdout}${build.stderr}`.split("\n").filter((l) => /warn/i.test(l)), [], `${name}: warnings`);
      assertSelfContained(deployed, name);
      const out = resultOf(r, name);
      assert.match(out.runtime, /^node v18\./);
      assertScenario(out, name);
    });
  }

  test("Forge: @forge/bundler's own webpack config bundles a function using forgeApiFetch; it runs from its deploy folder", async () => {
    const { config: forgeConfig, deployed } = await jobs["forge bundle"];
    // The configuration came from @forge/bundler's NodeBundler, not from this file.
    assert.deepEqual({ target: forgeConfig.target, filename: forgeConfig.filename, node: forgeConfig.node }, { target: "node18", filename: "[name].cjs", node: { __dirname: true } });
    assertSelfContained(deployed, "forge");
    for (const as of ["app", "user"]) {
      const r = resultOf(await jobs[`forge run ${as}`], `forge ${as}`);
      assert.equal(r.runtime, `forge function (${as})`);
      assertScenario(r, `forge (${as})`);
      // The real @forge/api made every request through the runtime's __forge_fetch__, as asApp()/asUser().
      assert.ok(r.forgeFetchCalls.length >= 8, `forge ${as}: calls ${JSON.stringify(r.forgeFetchCalls)}`);
      for (const call of r.forgeFetchCalls) {
        assert.deepEqual({ type: call.type, provider: call.provider, remote: call.remote }, { type: "fpp", provider: as, remote: "confluence" });
        assert.match(call.path, /^\/wiki\/rest\/api\/user/);
      }
    }
  });
});

describe("edge runtimes", { skip }, () => {
  test("Cloudflare Workers: wrangler's own bundle (deploy --dry-run), run in workerd; the .wasm is a compiled-module import", async () => {
    const { build, deployed, run: r } = await jobs.wrangler;
    assert.doesNotMatch(`${build.stdout}${build.stderr}`, /\[WARNING\]|✘/, "wrangler warnings");
    const worker = readFileSync(join(deployed, "worker.js"), "utf8");
    assert.match(worker, /^import \w+ from "\.\/\w+-confluence_users_bg\.wasm";$/m, "the worker imports the package's .wasm as a module");
    assert.ok(!worker.includes(EMBEDDED_MARK), "the embedded copy is not in the worker");
    const wasm = readdirSync(deployed).filter((f) => f.endsWith(".wasm"));
    assert.equal(wasm.length, 1);
    assert.ok(readFileSync(join(deployed, wasm[0])).equals(readFileSync(installedFile("web/confluence_users_bg.wasm"))), "wrangler uploads the package's web .wasm");
    console.log(`wrangler deploy --dry-run: ${build.ms} ms; workerd run: ${r.ms} ms`);
    const out = resultOf(r, "workerd");
    assert.match(out.runtime, /^workerd \(Cloudflare-Workers\)/);
    assertScenario(out, "workerd");
  });

  test("Cloudflare Workers: a wrangler-style esbuild bundle (workerd, worker, browser conditions; .wasm as its own module), run in workerd", async () => {
    const { build, deployed, run: r } = await jobs["esbuild worker"];
    assert.deepEqual(`${build.stdout}${build.stderr}`.split("\n").filter((l) => /warn/i.test(l)), []);
    const worker = readFileSync(join(deployed, "worker.js"), "utf8");
    assert.match(worker, /^import \w+ from "\.\/confluence_users_bg-\w+\.wasm";$/m, "the worker imports the .wasm as a module");
    assert.ok(!worker.includes(EMBEDDED_MARK), "the embedded copy is not in the worker");
    const out = resultOf(r, "workerd (esbuild bundle)");
    assert.match(out.runtime, /^workerd \(Cloudflare-Workers\)/);
    assertScenario(out, "workerd (esbuild bundle)");
  });

  test("Vercel edge (edge-light): one esbuild script run in edge-runtime; the CommonJS bundle builds too (no top-level await)", async () => {
    const { build, cjs, deployed, run: r } = await jobs.edge;
    assert.deepEqual(`${build.stdout}${build.stderr}`.split("\n").filter((l) => /warn/i.test(l)), []);
    assertRan(cjs, "esbuild edge-light --format=cjs");
    assertSelfContained(deployed, "edge");
    const out = resultOf(r, "edge-runtime");
    assert.match(out.runtime, /^edge-runtime \(EdgeRuntime=edge-runtime\)/);
    assertScenario(out, "edge-runtime");
  });
});

function assertPage(page, label, exports) {
  const diag = `\nconsole: ${JSON.stringify(page.consoleMessages)}\npage errors: ${JSON.stringify(page.pageErrors)}`;
  assert.equal(page.status, 200);
  assert.ok(page.results !== undefined, `${label}: the page never published results (timed out: ${page.timedOut})${diag}`);
  assert.equal(page.results.fatal, undefined, `${label}: the page failed: ${page.results.fatal}${diag}`);
  assert.deepEqual(page.pageErrors, [], `${label}: page errors`);
  assertScenario(page.results, label, exports);
}

const wasmRequests = (page) => page.server.requests.filter((q) => q.path.endsWith(".wasm"));
const bundleFiles = (dist) => filesUnder(dist).filter((f) => f.endsWith(".js"));

for (const [browser, engine] of [["firefox", /Firefox\/\d+/], ["chromium", /Chrome\/\d+/]]) {
  describe(`${browser} (${browser === "firefox" ? "Debian firefox-esr over WebDriver BiDi, puppeteer-core" : "Debian chromium, playwright-core"})`, { skip }, () => {
    const pages = browser === "firefox" ? ["vite", "webpack", "esbuild"] : [];
    for (const bundler of pages) {
      test(`${bundler} build of the default entry: fetches the package's .wasm once; no embedded copy in the bundle`, async () => {
        const page = await jobs[`${browser} ${bundler}`];
        assertPage(page, `${browser} ${bundler}`);
        assert.match(page.results.runtime, engine);
        assert.deepEqual(wasmRequests(page).map((q) => [q.status, q.type]), [[200, "application/wasm"]]);
        for (const f of bundleFiles(page.built.dist)) assert.ok(!readFileSync(f, "utf8").includes(EMBEDDED_MARK), `${f} holds no embedded wasm`);
      });
    }

    test("esbuild build of confluence-users/embedded: no copy step, no .wasm file or request", async () => {
      const page = await jobs[`${browser} embedded`];
      assertPage(page, `${browser} embedded`);
      assert.match(page.results.runtime, engine);
      assert.deepEqual(wasmRequests(page), []);
      assert.deepEqual(filesUnder(page.built.dist).filter((f) => f.endsWith(".wasm")), []);
    });

    test("./web unbundled (import by path, init() called by the page)", async () => {
      const page = await jobs[`${browser} web`];
      // ./web is the bare web glue: it also exports initSync (and init as default, which the scenario leaves out).
      assertPage(page, `${browser} web`, [...EXPORTS, "initSync"].sort());
      assert.match(page.results.runtime, engine);
      assert.deepEqual(wasmRequests(page).map((q) => q.path), [`/node_modules/${PKG_NAME}/web/confluence_users_bg.wasm`]);
    });

    test("Forge Custom UI: the real @forge/bridge requestConfluence through forgeBridgeFetch, ending in the host's __bridge.callBridge", async () => {
      const page = await jobs[`${browser} bridge`];
      assertPage(page, `${browser} @forge/bridge`);
      assert.ok(page.bridgeCalls.length >= 8, `bridge calls: ${JSON.stringify(page.bridgeCalls)}`);
      for (const call of page.bridgeCalls) {
        assert.deepEqual({ name: call.name, product: call.product, method: call.method }, { name: "fetchProduct", product: "confluence", method: "GET" });
        // @forge/bridge's own parseRequest added this (the client sends only Accept): its code ran.
        assert.equal(call.headers["x-atlassian-token"], "no-check");
        assert.equal(call.headers.authorization, undefined, "the adapter passes no Authorization header");
        assert.match(call.restPath, /^\/wiki\/rest\/api\/user/);
      }
    });
  });
}
