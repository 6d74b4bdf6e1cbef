// Packaging matrix: pkg/ is packed ONCE with `npm pack`; the tarball is linted (publint, strict) and checked
// for type resolution in every mode (@arethetypeswrong/cli), then installed offline into throwaway consumer
// projects (templates in ./consumers/) that use it the way users do:
//
//   node-cjs     require("confluence-users") + require("confluence-users/adapters"), real calls to the fake
//   node-esm     import of both, real calls
//   typescript   tsc --strict, skipLibCheck false, moduleResolution nodenext (an ESM .ts and a CommonJS .cts)
//                and bundler, importing "confluence-users", "confluence-users/web", "confluence-users/adapters"
//   browser      one page script built by Vite, webpack (production, web) and esbuild (bundle, esm, browser),
//                each build served from its own static server and run in headless Chromium against the fake
//                (cross-origin), under the CSP the README asks for
//   csp          no bundler: a page importing the installed index.js by path, served with
//                `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'`; no violation allowed (and a
//                control page without 'wasm-unsafe-eval' must fail, so the CSP is known to be enforced)
//
// The tools (publint, attw, tsc, vite, webpack, esbuild, playwright-core) come from js-tests/node_modules; the
// consumers have only confluence-users installed, so what gets bundled is their node_modules/confluence-users.
// Everything slow starts at once in `before` (builds, tsc, attw, installs run in parallel); each test awaits
// its own job.
//
//   cd /work/main && node pkg-template/build.mjs --no-opt && node --test js-tests/matrix/
//
// Without Chromium the browser cells are skipped, except in CI (CI=true), where that is a failure.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { CREDENTIALS, JS_TESTS, PKG_DIR, PKG_NAME, SPECIAL, assertBuilt, listen, startFakeConfluence } from "../helpers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const CONSUMERS = join(HERE, "consumers");
const BIN = join(JS_TESTS, "node_modules", ".bin");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const IN_CI = process.env.CI === "true";
const chromiumMissing = !existsSync(CHROMIUM);
const browserSkip = chromiumMissing && !IN_CI ? `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): browser cells skipped` : false;
if (browserSkip) console.log(browserSkip);

// attw problems the package deliberately accepts, each scoped to one entry point:
// { rule: "<name as in attw --ignore-rules>", entrypoint: "./subpath", why: "..." }. Empty: every problem
// fails. Adding one is a maintainer's decision, recorded here with its reason.
const ATTW_ACCEPTED = [{ rule: "cjs-resolves-to-esm", entrypoint: "./web", why: "browser-only ESM build; CommonJS uses exports['.'].node.require" }];

const ATTW_RULE = {
  NoResolution: "no-resolution",
  UntypedResolution: "untyped-resolution",
  FalseCJS: "false-cjs",
  FalseESM: "false-esm",
  CJSResolvesToESM: "cjs-resolves-to-esm",
  FallbackCondition: "fallback-condition",
  CJSOnlyExportsDefault: "cjs-only-exports-default",
  NamedExports: "named-exports",
  FalseExportDefault: "false-export-default",
  MissingExportEquals: "missing-export-equals",
  UnexpectedModuleSyntax: "unexpected-module-syntax",
  InternalResolutionError: "internal-resolution-error",
};
const ATTW_MODES = ["node10", "node16-cjs", "node16-esm", "bundler"];

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
};

// ------------------------------------------------------------------------------------------------------------
// Jobs: every slow step is a promise started in `before`; tests await theirs. Timings are printed at the end.

let t00 = performance.now(); // reset when setup starts
const timings = [];
const jobs = {};

/** Starts `fn` now as the job `name`; tests await the returned promise. A job's own `ms` is its command's time. */
function job(name, fn) {
  const p = (async () => {
    let result;
    try {
      result = await fn();
      return result;
    } finally {
      timings.push({ name, doneAt: performance.now() - t00, own: typeof result?.ms === "number" ? result.ms : undefined });
    }
  })();
  p.catch(() => {}); // reported by the test that awaits it
  jobs[name] = p;
  return p;
}

/** Runs a command; resolves (never rejects) with its exit code, output and duration. */
function run(cmd, args, { cwd, env = {}, timeout = 90_000 } = {}) {
  const childEnv = { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...env };
  delete childEnv.FORCE_COLOR;
  delete childEnv.NODE_TEST_CONTEXT; // set by `node --test` for its own children
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: childEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout }, (error, stdout, stderr) => {
      resolve({
        command: `${relative(JS_TESTS, cmd).startsWith("..") ? cmd : relative(JS_TESTS, cmd)} ${args.join(" ")}`,
        cwd,
        code: error ? (typeof error.code === "number" ? error.code : -1) : 0,
        error: error && typeof error.code !== "number" ? error.message : undefined,
        stdout,
        stderr,
        ms: Math.round(performance.now() - t0),
      });
    });
  });
}

/** Asserts a command exited 0, showing its output otherwise. */
function assertRan(r, label = r.command) {
  assert.equal(r.code, 0, `${label} failed (exit ${r.code}${r.error ? `, ${r.error}` : ""}) in ${r.cwd}:\n${r.stdout}\n${r.stderr}`.slice(0, 12_000));
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Static server for the browser cells: serves `root`, with `csp(path)` as the Content-Security-Policy header
// (HTML documents), /config.json from `config()`, and records every request.

async function startStatic(root, { csp, config }) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const reply = (status, type, body) => {
      requests.push({ path, status, type, sha256: status === 200 ? sha256(body) : undefined, bytes: body.length });
      const headers = { "Content-Type": type, "Cache-Control": "no-store" };
      const policy = type.startsWith("text/html") ? csp(path) : null;
      if (policy) headers["Content-Security-Policy"] = policy;
      res.writeHead(status, headers);
      res.end(body);
    };
    if (path === "/config.json") return reply(200, MIME[".json"], Buffer.from(JSON.stringify(config())));
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return reply(404, "text/plain", Buffer.from("not found"));
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

// ------------------------------------------------------------------------------------------------------------

let root; // temp dir: tarball, npm cache, consumer projects
let tarball;
let fake;
let context; // Chromium (persistent context)
let userDataDir;
const statics = [];
const consumers = {}; // name → dir

const matrixConfig = () => ({ fakeUrl: fake.url, credentials: CREDENTIALS, special: SPECIAL });
const installedFile = (consumer, rel) => join(consumers[consumer], "node_modules", PKG_NAME, rel);
const BUNDLERS = ["vite", "webpack", "esbuild"];

before(async () => {
  t00 = performance.now();
  assertBuilt();
  root = mkdtempSync(join(tmpdir(), "confluence-users-matrix-"));
  const cache = join(root, "npm-cache");
  fake = await startFakeConfluence({ port: 0 });

  const packed = await job("npm pack", async () => {
    const r = await run("npm", ["pack", PKG_DIR, "--pack-destination", root, "--ignore-scripts", "--json", "--cache", cache], { cwd: root });
    assertRan(r);
    return { file: join(root, JSON.parse(r.stdout)[0].filename), files: JSON.parse(r.stdout)[0].files.map((f) => f.path) };
  });
  tarball = packed.file;

  job("publint", () => lintWithPublint(tarball));
  job("attw", () => run(join(BIN, "attw"), [tarball, "--format", "json"], { cwd: root, timeout: 120_000 }));

  // Consumer projects: a copy of the template, then the tarball installed offline (a local tarball needs no
  // registry), all at once.
  const install = (name, extra = []) =>
    job(`install ${name}`, async () => {
      const dir = join(root, name);
      cpSync(join(CONSUMERS, name), dir, { recursive: true });
      for (const [from, to] of extra) copyFileSync(join(CONSUMERS, from), join(dir, to));
      consumers[name] = dir;
      const r = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", "--cache", cache, tarball], { cwd: dir });
      assertRan(r);
      assert.ok(existsSync(join(dir, "node_modules", PKG_NAME, "package.json")), `npm install did not install ${PKG_NAME} into ${dir}`);
      return dir;
    });
  const installs = {
    "node-cjs": install("node-cjs"),
    "node-esm": install("node-esm"),
    typescript: install("typescript"),
    browser: install("browser", [["shared/scenario.js", "src/scenario.js"]]),
    csp: install("csp", [["shared/scenario.js", "scenario.js"]]),
  };

  const nodeEnv = () => ({ MATRIX_CONFIG: JSON.stringify(matrixConfig()) });
  for (const name of ["node-cjs", "node-esm"]) {
    job(`run ${name}`, async () => run(process.execPath, ["main.js"], { cwd: await installs[name], env: nodeEnv(), timeout: 30_000 }));
  }
  for (const mode of ["nodenext", "bundler"]) {
    job(`tsc ${mode}`, async () => run(join(BIN, "tsc"), ["-p", `tsconfig.${mode}.json`], { cwd: await installs.typescript }));
  }

  // The three builds of the same page script, from the same consumer project, into separate folders.
  const browserDir = installs.browser;
  job("build vite", async () => run(join(BIN, "vite"), ["build"], { cwd: await browserDir }));
  job("build webpack", async () => run(join(BIN, "webpack"), ["--config", "webpack.config.cjs"], { cwd: await browserDir }));
  job("build esbuild", async () => {
    const dir = await browserDir;
    const r = await run(join(BIN, "esbuild"), ["src/main.js", "--bundle", "--format=esm", "--platform=browser", "--outdir=dist-esbuild", "--log-level=warning"], { cwd: dir });
    // What an esbuild user must add: esbuild leaves `new URL("confluence_users_bg.wasm", import.meta.url)` as
    // it is (it does not emit assets referenced that way, evanw/esbuild#795), so the URL resolves next to
    // the bundle, and the .wasm has to be copied there.
    const emittedByEsbuild = r.code === 0 && filesUnder(join(dir, "dist-esbuild")).some((f) => f.endsWith(".wasm"));
    if (r.code === 0 && !emittedByEsbuild) {
      copyFileSync(join(dir, "node_modules", PKG_NAME, "web", "confluence_users_bg.wasm"), join(dir, "dist-esbuild", "confluence_users_bg.wasm"));
    }
    return { ...r, emittedByEsbuild };
  });

  if (!browserSkip) {
    job("launch chromium", async () => {
      if (chromiumMissing) throw new Error(`Chromium is required in CI but was not found at ${CHROMIUM}`);
      const { chromium } = await import("playwright-core");
      userDataDir = mkdtempSync(join(tmpdir(), "confluence-users-matrix-chromium-"));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
      });
      return context;
    });
    for (const bundler of BUNDLERS) {
      job(`page ${bundler}`, async () => {
        const build = await jobs[`build ${bundler}`];
        assertRan(build, `${bundler} build`);
        await jobs["launch chromium"];
        const dist = join(await browserDir, `dist-${bundler}`);
        if (bundler !== "vite") copyFileSync(join(await browserDir, `${bundler}.html`), join(dist, "index.html"));
        const server = await startStatic(dist, { csp: () => pagePolicy({ wasmEval: true }), config: matrixConfig });
        statics.push(server);
        return { server, dist, ...(await loadPage(`${server.url}/`)) };
      });
    }
    // The CSP page, and the same page from a second server whose CSP lacks 'wasm-unsafe-eval' (the control).
    job("page csp", async () => {
      const dir = await installs.csp;
      await jobs["launch chromium"];
      const server = await startStatic(dir, { csp: () => pagePolicy({ wasmEval: true }), config: matrixConfig });
      const controlServer = await startStatic(dir, { csp: () => pagePolicy({ wasmEval: false }), config: matrixConfig });
      statics.push(server, controlServer);
      const [page, control] = await Promise.all([loadPage(`${server.url}/`), loadPage(`${controlServer.url}/`)]);
      return { server, page, control, ms: page.ms };
    });
  }
});

after(async () => {
  await Promise.allSettled(Object.values(jobs));
  await context?.close();
  for (const s of statics) await s.close();
  await fake?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (root) rmSync(root, { recursive: true, force: true });
  const total = performance.now() - t00;
  console.log(`timings (ms; "done at" counts from the start of setup, total ${Math.round(total)}):`);
  for (const t of timings.sort((a, b) => a.doneAt - b.doneAt)) {
    console.log(`  ${t.name.padEnd(18)} done at ${String(Math.round(t.doneAt)).padStart(6)}${t.own === undefined ? "" : `   own ${String(t.own).padStart(6)}`}`);
  }
});

/**
 * The page CSP: the README's `script-src 'self' 'wasm-unsafe-eval'` (same-origin scripts only, no inline
 * script, no eval, wasm compilation allowed; without it for the control page), `connect-src` for the wasm
 * fetch and the fake's origin, and nothing else allowed.
 */
function pagePolicy({ wasmEval }) {
  // img-src data: is for the pages' `<link rel="icon" href="data:,">` (no favicon request).
  return `default-src 'none'; script-src 'self'${wasmEval ? " 'wasm-unsafe-eval'" : ""}; connect-src 'self' ${fake.url}; img-src data:`;
}

/**
 * Opens `url` in a new tab, waits for window.__results (set by consumers/shared/scenario.js), and returns it
 * with the document's response headers, CSP violations seen by the page, console messages and page errors.
 */
async function loadPage(url) {
  const tab = await context.newPage();
  const consoleMessages = [];
  const pageErrors = [];
  tab.on("console", (m) => consoleMessages.push({ type: m.type(), text: m.text(), url: m.location()?.url }));
  tab.on("pageerror", (e) => pageErrors.push(String(e)));
  // Init scripts run before the page's own scripts and are not subject to its CSP.
  await tab.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push({ directive: e.effectiveDirective || e.violatedDirective, blockedURI: e.blockedURI, sourceFile: e.sourceFile, sample: e.sample });
    });
  });
  try {
    const t0 = performance.now();
    const response = await tab.goto(url);
    // The default entry awaits the wasm at module evaluation: if that fails, the page script never runs and
    // __results stays unset; the module's error surfaces as a page error, which ends the wait early.
    const published = tab.waitForFunction(() => window.__results !== undefined, null, { timeout: 20_000 }).then(() => "published", () => "timeout");
    const crashed = new Promise((r) => tab.once("pageerror", () => r("pageerror")));
    const outcome = await Promise.race([published, crashed]);
    if (outcome === "pageerror") await Promise.race([published, new Promise((r) => setTimeout(r, 500))]);
    const timedOut = outcome === "timeout";
    const results = await tab.evaluate(() => window.__results);
    const violations = await tab.evaluate(() => window.__cspViolations);
    return { url, status: response.status(), headers: response.headers(), results, timedOut, violations, consoleMessages, pageErrors, ms: Math.round(performance.now() - t0) };
  } finally {
    await tab.close();
  }
}

// ------------------------------------------------------------------------------------------------------------

async function lintWithPublint(tarballPath) {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const bytes = readFileSync(tarballPath);
  const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true, level: "suggestion" });
  return messages.map((m) => ({ type: m.type, code: m.code, path: m.path?.join("."), text: formatMessage(m, pkg) ?? m.code }));
}

/** attw's JSON as a table: one row per entry point, one column per resolution mode. */
function attwTable(analysis, problems) {
  const cell = (entry, mode) => {
    const here = problems.filter((p) => p.entrypoint === entry && p.resolutionKind === mode).map((p) => `${ATTW_RULE[p.kind] ?? p.kind}`);
    if (here.length > 0) return `FAIL ${here.join(", ")}`;
    const r = analysis.entrypoints[entry].resolutions[mode];
    const file = r?.resolution?.fileName?.replace(`/node_modules/${PKG_NAME}/`, "");
    return file ? `ok ${file}` : "ok";
  };
  const rows = [["entry point", ...ATTW_MODES], ...Object.keys(analysis.entrypoints).map((e) => [`"${PKG_NAME}${e === "." ? "" : e.slice(1)}"`, ...ATTW_MODES.map((m) => cell(e, m))])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join(" | ")).join("\n");
}

describe("the packed tarball", () => {
  test("npm pack: the tarball holds every file package.json's exports, main, types and bin name", async () => {
    const { files } = await jobs["npm pack"];
    await jobs["install node-cjs"]; // the tarball's package.json, as installed
    const pkg = JSON.parse(readFileSync(installedFile("node-cjs", "package.json"), "utf8"));
    const targets = new Set([pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})]);
    const walk = (v) => (typeof v === "string" ? targets.add(v) : v && Object.values(v).forEach(walk));
    walk(pkg.exports);
    const missing = [...targets].map((t) => t.replace(/^\.\//, "")).filter((t) => !files.includes(t));
    assert.deepEqual(missing, [], `files named by package.json but not in the tarball (files: ${files.join(", ")})`);
    for (const wasm of ["web/confluence_users_bg.wasm", "embedded/wasm.cjs"]) assert.ok(files.includes(wasm), `${wasm} is packed`);
  });

  test("publint (strict): no error and no warning", async () => {
    const messages = await jobs.publint;
    console.log(messages.length === 0 ? "publint: no messages" : messages.map((m) => `publint ${m.type} ${m.code} (${m.path}): ${m.text}`).join("\n"));
    const failing = messages.filter((m) => m.type === "error" || m.type === "warning");
    assert.deepEqual(failing.map((m) => `${m.type} ${m.code} at ${m.path}: ${m.text}`), [], "publint found problems");
  });

  test("@arethetypeswrong/cli: no problem in any resolution mode (node10, node16 CJS and ESM, bundler)", async () => {
    const r = await jobs.attw;
    let report;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      assert.fail(`attw did not print JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    const all = Object.values(report.problems ?? {}).flat();
    console.log(`attw ${relative(root, tarball)} (exit ${r.code}):\n${attwTable(report.analysis, all).replace(/^/gm, "  ")}`);
    const accepted = (p) => ATTW_ACCEPTED.some((a) => a.rule === ATTW_RULE[p.kind] && a.entrypoint === p.entrypoint);
    for (const p of all.filter(accepted)) console.log(`attw: accepted ${ATTW_RULE[p.kind]} for ${p.entrypoint} under ${p.resolutionKind}`);
    const problems = all.filter((p) => !accepted(p));
    assert.deepEqual(
      problems.map((p) => `${ATTW_RULE[p.kind] ?? p.kind} (${p.kind}): "${PKG_NAME}${p.entrypoint === "." ? "" : p.entrypoint.slice(1)}" under ${p.resolutionKind}`),
      [],
      "attw problems (see https://github.com/arethetypeswrong/arethetypeswrong.github.io/tree/main/docs/problems)",
    );
    assert.deepEqual(ATTW_MODES.filter((m) => !Object.values(report.analysis.entrypoints)[0].resolutions[m]), [], "every resolution mode was checked");
    if (all.length === 0) assert.equal(r.code, 0, r.stderr);
  });
});

// ------------------------------------------------------------------------------------------------------------

/** The names the installed adapters.d.ts declares (functions, consts, classes), to compare with runtime. */
function declaredAdapters(consumer) {
  const text = readFileSync(installedFile(consumer, "adapters.d.ts"), "utf8");
  return [...new Set([...text.matchAll(/^export (?:declare )?(?:async )?(?:function|const|let|class) (\w+)/gm)].map((m) => m[1]))].sort();
}

function assertNodeCalls(out, auth) {
  assert.ok(out.exports.includes("ConfluenceClient") && out.exports.includes("isConfluenceError"), `exports: ${out.exports}`);
  assert.deepEqual(out.me, { accountId: SPECIAL.currentUser, displayName: "Mia Krystof" }, `getCurrentUser (${auth})`);
  assert.deepEqual(out.odd, { accountId: SPECIAL.oddAccountId, displayName: "Odd Encoding Bot", accountType: "app" }, "getUser(oddAccountId)");
  assert.deepEqual(out.notFound, {
    isConfluenceError: true,
    isError: true,
    name: "ConfluenceError",
    kind: "http",
    status: 404,
    message: `getUser: 404 Not Found: No user found with accountId: ${SPECIAL.unknownAccountId}`,
  });
  const adapterNames = Object.keys(out.adapters).sort();
  for (const [name, type] of Object.entries(out.adapters)) assert.equal(type, "function", `adapters.${name}`);
  return adapterNames;
}

describe("Node", () => {
  test("CommonJS: require('confluence-users') and require('confluence-users/adapters'), real calls", async () => {
    const r = await jobs["run node-cjs"];
    assertRan(r, "node main.js (node-cjs)");
    const out = JSON.parse(r.stdout);
    const base = join(consumers["node-cjs"], "node_modules", PKG_NAME) + sep;
    assert.equal(out.resolved.main, `${base}node${sep}confluence_users.cjs`, "exports['.'].node.require");
    assert.equal(out.resolved.adapters, `${base}adapters.cjs`, "exports['./adapters'].require");
    assert.deepEqual(assertNodeCalls(out, "basic"), declaredAdapters("node-cjs"), "the CommonJS adapters export what adapters.d.ts declares");
  });

  test("ES modules: import 'confluence-users' and 'confluence-users/adapters', real calls", async () => {
    const r = await jobs["run node-esm"];
    assertRan(r, "node main.js (node-esm)");
    const out = JSON.parse(r.stdout);
    const base = pathToFileURL(join(consumers["node-esm"], "node_modules", PKG_NAME)).href;
    assert.equal(out.resolved.main, `${base}/node/index.mjs`, "exports['.'].node.import");
    assert.equal(out.resolved.adapters, `${base}/adapters.js`, "exports['./adapters'].import");
    assert.deepEqual(assertNodeCalls(out, "bearer"), declaredAdapters("node-esm"), "the ESM adapters export what adapters.d.ts declares");
  });
});

// ------------------------------------------------------------------------------------------------------------

describe("TypeScript (tsc --strict, skipLibCheck false)", () => {
  const declarationsOf = (r) => r.stdout.split("\n").filter((l) => l.includes(`/node_modules/${PKG_NAME}/`)).map((l) => l.split(`/node_modules/${PKG_NAME}/`)[1].trim()).sort();
  const errorsOf = (r) => `${r.stdout}${r.stderr}`.split("\n").filter((l) => / error TS\d+/.test(l)).join("\n");

  test("moduleResolution nodenext (module nodenext): index.ts (ESM) and require.cts (CommonJS)", async () => {
    const r = await jobs["tsc nodenext"];
    assert.equal(errorsOf(r), "", "tsc reported errors");
    assertRan(r, "tsc -p tsconfig.nodenext.json");
    assert.deepEqual(declarationsOf(r), ["adapters.d.cts", "adapters.d.ts", "node/confluence_users.d.cts", "node/index.d.mts", "web/confluence_users.d.ts"], "declarations resolved through the node import/require conditions");
  });

  test("moduleResolution bundler (module esnext): index.ts", async () => {
    const r = await jobs["tsc bundler"];
    assert.equal(errorsOf(r), "", "tsc reported errors");
    assertRan(r, "tsc -p tsconfig.bundler.json");
    assert.deepEqual(declarationsOf(r), ["adapters.d.ts", "index.d.ts", "web/confluence_users.d.ts"], "declarations resolved through the types/import conditions");
  });
});

// ------------------------------------------------------------------------------------------------------------

describe("bundler builds of the page script", () => {
  for (const bundler of BUNDLERS) {
    test(`${bundler}: builds, and the output holds the package's web .wasm`, async () => {
      const r = await jobs[`build ${bundler}`];
      assertRan(r, `${bundler} build`);
      const warnings = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /warn/i.test(l));
      assert.deepEqual(warnings, [], `${bundler} printed warnings:\n${r.stdout}\n${r.stderr}`);
      const dist = join(consumers.browser, `dist-${bundler}`);
      const wasm = filesUnder(dist).filter((f) => f.endsWith(".wasm"));
      assert.equal(wasm.length, 1, `one .wasm in ${dist}: ${wasm.join(", ")}`);
      assert.equal(sha256(readFileSync(wasm[0])), sha256(readFileSync(installedFile("browser", "web/confluence_users_bg.wasm"))), "the emitted .wasm is the installed package's web build");
      if (bundler === "esbuild") {
        // esbuild does not emit it (the job copied it, as esbuild users must): check the bundle looks for it
        // exactly there, next to itself.
        assert.match(readFileSync(join(dist, "main.js"), "utf8"), /new URL\("confluence_users_bg\.wasm", import\.meta\.url\)/);
        if (!r.emittedByEsbuild) console.log("esbuild: the .wasm is not emitted by esbuild (evanw/esbuild#795); it was copied next to the bundle");
      }
    });
  }
});

// ------------------------------------------------------------------------------------------------------------

function assertPageScenario(page, label) {
  // Chromium logs every 4xx response of fetch() as a console error: the scenario's deliberate 404 is the
  // only one allowed.
  const notFoundUrl = `${fake.url}/wiki/rest/api/user?accountId=${SPECIAL.unknownAccountId}`;
  const expected404 = (m) => m.url === notFoundUrl && /status of 404/.test(m.text);
  const errors = page.consoleMessages.filter((m) => m.type === "error" && !expected404(m));
  const diag = `\nconsole: ${JSON.stringify(page.consoleMessages)}\npage errors: ${JSON.stringify(page.pageErrors)}\nCSP violations: ${JSON.stringify(page.violations)}`;
  assert.equal(page.status, 200);
  assert.ok(page.results !== undefined, `${label}: the page never published results (timed out: ${page.timedOut})${diag}`);
  assert.equal(page.results.fatal, undefined, `${label}: the page failed: ${page.results.fatal}${diag}`);
  assert.deepEqual(page.pageErrors, [], `${label}: page errors`);
  assert.deepEqual(errors, [], `${label}: console errors`);
  assert.deepEqual(page.violations, [], `${label}: CSP violations`);
  const r = page.results;
  assert.ok(r.exports.includes("ConfluenceClient") && r.exports.includes("isConfluenceError"), `exports: ${r.exports}`);
  assert.deepEqual(r.me, { accountId: SPECIAL.currentUser, displayName: "Mia Krystof" }, "getCurrentUser");
  assert.deepEqual(r.odd, { accountId: SPECIAL.oddAccountId, displayName: "Odd Encoding Bot", accountType: "app" }, "getUser(oddAccountId)");
  assert.deepEqual(r.notFound, {
    isConfluenceError: true,
    isError: true,
    name: "ConfluenceError",
    kind: "http",
    status: 404,
    message: `getUser: 404 Not Found: No user found with accountId: ${SPECIAL.unknownAccountId}`,
  });
}

/** The page fetched exactly one .wasm, the package's, as application/wasm, and nothing it asked for was missing. */
function assertServedWasm(requests, wasmSha, label) {
  const wasm = requests.filter((q) => q.path.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `${label}: one .wasm request, got ${JSON.stringify(requests)}`);
  assert.equal(wasm[0].status, 200, `${label}: ${wasm[0].path}`);
  assert.equal(wasm[0].type, "application/wasm");
  assert.equal(wasm[0].sha256, wasmSha, `${label}: the served .wasm is the package's web build`);
  assert.deepEqual(requests.filter((q) => q.status !== 200), [], `${label}: requests that failed`);
}

describe("headless Chromium", { skip: browserSkip }, () => {
  const wasmSha = () => sha256(readFileSync(installedFile("browser", "web/confluence_users_bg.wasm")));

  for (const bundler of BUNDLERS) {
    test(`${bundler} build: getCurrentUser, getUser(odd id) and a 404 ConfluenceError, cross-origin, under the CSP`, async () => {
      const page = await jobs[`page ${bundler}`];
      assert.equal(page.headers["content-security-policy"], pagePolicy({ wasmEval: true }));
      assertPageScenario(page, bundler);
      assertServedWasm(page.server.requests, wasmSha(), bundler);
      const scripts = page.server.requests.filter((q) => q.type.startsWith("text/javascript")).map((q) => q.path);
      assert.ok(scripts.length > 0 && scripts.every((p) => !p.includes("node_modules")), `${bundler}: only bundled scripts were loaded: ${scripts}`);
    });
  }

  test("no bundler: index.js imported by path under `script-src 'self' 'wasm-unsafe-eval'`: works, no CSP violation", async () => {
    const { page, server } = await jobs["page csp"];
    assert.equal(page.headers["content-security-policy"], pagePolicy({ wasmEval: true }));
    assertPageScenario(page, "csp page");
    const paths = server.requests.map((q) => q.path);
    for (const p of ["/index.html", "/main.js", "/scenario.js", `/node_modules/${PKG_NAME}/index.js`, `/node_modules/${PKG_NAME}/web/confluence_users.js`]) {
      assert.ok(paths.includes(p), `${p} was served: ${paths}`);
    }
    assertServedWasm(server.requests, sha256(readFileSync(installedFile("csp", "web/confluence_users_bg.wasm"))), "csp page");
    assert.deepEqual(server.requests.filter((q) => q.path.endsWith(".wasm")).map((q) => q.path), [`/node_modules/${PKG_NAME}/web/confluence_users_bg.wasm`]);
  });

  test("control: the same page without 'wasm-unsafe-eval' fails with a CSP violation (the policy is enforced)", async () => {
    const { control } = await jobs["page csp"];
    assert.equal(control.headers["content-security-policy"], pagePolicy({ wasmEval: false }));
    assert.ok(control.results === undefined || control.results.fatal !== undefined, `the page should have failed, got ${JSON.stringify(control.results)}`);
    assert.ok(
      control.violations.some((v) => v.directive === "script-src" && v.blockedURI === "wasm-eval"),
      `a script-src violation for wasm-eval, got ${JSON.stringify(control.violations)}; console ${JSON.stringify(control.consoleMessages)}`,
    );
  });
});
