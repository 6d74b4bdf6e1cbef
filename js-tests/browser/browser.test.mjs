// Browser e2e: Debian's Chromium (driven by playwright-core) loads pkg/ from a static server on 127.0.0.1 and
// calls the fake Confluence server on ANOTHER port, so every call is cross-origin (CORS preflights included).
// Both browser entries: /pkg/index.js (initialises itself) and /pkg/web/confluence_users.js (explicit init()).
// The pages run under a CSP with 'wasm-unsafe-eval', as the package's README asks of its users.
//
//   node --test js-tests/browser/
//
// Network errors in the browser: a server that sends no CORS headers (as Confluence Cloud itself does).
//
// Without Chromium the suite is skipped, except in CI (CI=true), where that is a failure.

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { CREDENTIALS, PKG_DIR, SPECIAL, assertBuilt, listen, startFakeConfluence } from "../helpers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = join(HERE, "page");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const IN_CI = process.env.CI === "true";
const chromiumMissing = !existsSync(CHROMIUM);
const skip = chromiumMissing && !IN_CI ? `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): browser e2e skipped` : false;
if (skip) console.log(`# ${skip}`);

const MIME = { ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html; charset=utf-8", ".ts": "text/plain" };

let fake;
let noCorsServer; // answers like Confluence itself: no CORS headers, so a browser must refuse the response
let noCorsUrl;
const noCorsRequests = [];
let staticServer;
let staticUrl;
const served = []; // { path, status, type }
let context;
let userDataDir;

function page(entryScript) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>confluence-users e2e</title>
<script type="module" src="${entryScript}"></script>
</head><body>e2e</body></html>`;
}

/** Serves /pkg/* from pkg/, /page/* from browser/page/, two HTML pages and /config.json. */
function startStatic() {
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const reply = (status, type, body, headers = {}) => {
      served.push({ path, status, type });
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", ...headers });
      res.end(body);
    };
    const csp = `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${fake.url} ${noCorsUrl}`;
    if (path === "/auto.html") return reply(200, MIME[".html"], page("/page/auto.js"), { "Content-Security-Policy": csp });
    if (path === "/web.html") return reply(200, MIME[".html"], page("/page/web.js"), { "Content-Security-Policy": csp });
    if (path === "/config.json") {
      return reply(200, MIME[".json"], JSON.stringify({ fakeUrl: fake.url, noCorsUrl, credentials: CREDENTIALS, special: SPECIAL }));
    }
    const roots = [["/pkg/", PKG_DIR], ["/page/", PAGE_DIR]];
    for (const [prefix, root] of roots) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(root, path.slice(prefix.length)));
      if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) break;
      return reply(200, MIME[extname(file)] ?? "application/octet-stream", readFileSync(file));
    }
    return reply(404, "text/plain", "not found");
  });
  return server;
}

describe("browser e2e (Chromium)", { skip, timeout: 120_000 }, () => {
  before(async () => {
    if (chromiumMissing) throw new Error(`Chromium is required in CI but was not found at ${CHROMIUM}`);
    assertBuilt();
    noCorsServer = http.createServer((req, res) => {
      noCorsRequests.push({ method: req.method, url: req.url });
      res.writeHead(req.method === "OPTIONS" ? 404 : 200, { "Content-Type": "application/json" });
      res.end(req.method === "OPTIONS" ? "" : JSON.stringify({ type: "known", accountId: SPECIAL.currentUser }));
    });
    noCorsUrl = await listen(noCorsServer);
    staticServer = startStatic();
    staticUrl = await listen(staticServer);
    const { chromium } = await import("playwright-core");
    userDataDir = mkdtempSync(join(tmpdir(), "confluence-users-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
  });

  after(async () => {
    await context?.close();
    await fake?.close();
    for (const server of [staticServer, noCorsServer]) {
      server?.closeAllConnections();
      await new Promise((r) => (server ? server.close(r) : r()));
    }
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  // A fresh fake (a new origin) per page: Chromium caches preflights per URL, and each page must show its own.
  beforeEach(async () => {
    await fake?.close();
    fake = await startFakeConfluence({ port: 0 });
    served.length = 0;
    noCorsRequests.length = 0;
  });

  /** Loads `path`, waits for the scenario, returns its results plus the console and page errors. */
  async function runPage(path) {
    assert.notEqual(new URL(staticUrl).port, new URL(fake.url).port, "page and API are on different origins");
    const tab = await context.newPage();
    const consoleMessages = [];
    const pageErrors = [];
    tab.on("console", (m) => consoleMessages.push({ type: m.type(), text: m.text() }));
    tab.on("pageerror", (e) => pageErrors.push(String(e)));
    try {
      await tab.goto(`${staticUrl}${path}`);
      const t0 = Date.now();
      await tab.waitForFunction(() => window.results !== undefined || window.fatal !== undefined, null, { timeout: 30_000 });
      const fatal = await tab.evaluate(() => window.fatal);
      assert.equal(fatal, undefined, `the page failed: ${fatal}\nconsole: ${JSON.stringify(consoleMessages)}`);
      const results = await tab.evaluate(() => window.results);
      if (process.env.E2E_TIMING) console.log(`# ${path}: ${Date.now() - t0} ms`, Object.entries(results).map(([k, v]) => `${k}=${v?.ms}`).join(" "));
      return { results, consoleMessages, pageErrors };
    } finally {
      await tab.close();
    }
  }

  function assertScenario({ results, consoleMessages, pageErrors }) {
    assert.deepEqual(pageErrors, []);
    const ok = (name) => {
      const r = results[name];
      assert.ok(r, `step ${name} ran`);
      assert.equal(r.ok, true, `${name} failed: ${JSON.stringify(r.error)}`);
      return r.value;
    };
    const failed = (name) => {
      const r = results[name];
      assert.ok(r, `step ${name} ran`);
      assert.equal(r.ok, false, `${name} should have failed, got ${JSON.stringify(r.value)}`);
      return r.error;
    };

    const me = ok("getCurrentUser");
    assert.equal(me.accountId, SPECIAL.currentUser);
    assert.equal(me.displayName, "Mia Krystof");
    assert.equal(me.email, "admin@example.com");
    assert.deepEqual(me.operations, ["administer", "create_space", "use"]);
    assert.equal(me.spaceKey, `~${SPECIAL.currentUser}`);
    assert.equal(ok("getCurrentUserBearer"), SPECIAL.currentUser);
    assert.deepEqual(ok("getUserOdd"), { accountId: SPECIAL.oddAccountId, displayName: "Odd Encoding Bot", accountType: "app" });

    const bulk = ok("getBulkUserLookup");
    assert.deepEqual(bulk.ids, [SPECIAL.currentUser, SPECIAL.hiddenProfile, SPECIAL.oddAccountId]);
    assert.deepEqual(bulk.names, ["Mia Krystof", "quinn", "Odd Encoding Bot"]);

    const groups = ok("getGroupMembershipsForUser");
    assert.equal(groups.first, 200);
    assert.equal(groups.second, 50);
    assert.equal(groups.next, `/rest/api/user/memberof?accountId=${SPECIAL.manyGroups}&start=200&limit=200`);
    assert.equal(groups.secondNext, null);
    assert.deepEqual(groups.names, fake.directory.groupsOf(SPECIAL.manyGroups).map((g) => g.name));

    assert.equal(ok("getAnonymousUser"), "Anonymous");
    assert.deepEqual(ok("getPrivacyUnsafeUserEmailBulk"), [{ accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail }]);
    assert.deepEqual(ok("getBulkUserMigration").map((r) => r.accountId), [SPECIAL.oddAccountId, SPECIAL.currentUser]);

    const notFound = failed("notFound");
    assert.equal(notFound.isConfluenceError, true);
    assert.equal(notFound.isError, true);
    assert.equal(notFound.name, "ConfluenceError");
    assert.equal(notFound.kind, "http");
    assert.equal(notFound.status, 404);
    assert.equal(notFound.operation, "getUser");
    assert.equal(notFound.method, "GET");
    assert.equal(notFound.url, `${fake.url}/wiki/rest/api/user?accountId=${SPECIAL.unknownAccountId}`);
    assert.equal(notFound.message, `getUser: 404 Not Found: No user found with accountId: ${SPECIAL.unknownAccountId}`);
    assert.equal(notFound.body.statusCode, 404, "the JSON error body is readable cross-origin");
    assert.equal(notFound.attempts, 1, "a 404 is not retried");

    for (const name of ["invalidArgument", "invalidExpand", "constructorError"]) {
      const e = failed(name);
      assert.equal(e.isConfluenceError, true, name);
      assert.equal(e.kind, "invalidArgument", name);
      assert.equal(e.status, 0, name);
      assert.equal(e.method, "", name);
      assert.equal(e.url, "", name);
    }
    assert.equal(failed("constructorError").operation, "ConfluenceClient");
    assert.match(failed("invalidArgument").message, /^getUser: invalid argument: .*accountId/);

    const network = failed("network");
    assert.equal(network.isConfluenceError, true);
    assert.equal(network.kind, "network", "a response the browser refuses (no CORS headers) is a network error");
    assert.equal(network.status, 0);
    assert.equal(network.method, "GET");
    assert.equal(network.operation, "getCurrentUser");
    assert.equal(network.attempts, 1);
    assert.equal(network.url, `${noCorsUrl}/wiki/rest/api/user/current`);
    // The Authorization header needs a preflight, which the server answers without CORS headers.
    assert.deepEqual(noCorsRequests.map((r) => `${r.method} ${r.url}`), ["OPTIONS /wiki/rest/api/user/current"]);

    assert.equal(ok("afterErrors"), "quinn", "the wasm instance still serves calls after every error");
    assert.equal(ok("concurrent"), true);
    assert.deepEqual(ok("isConfluenceErrorPlain"), [false, false, false]);

    // Cross-origin: preflights answered, the page's origin on every call, credentials as configured.
    const gets = fake.requests.filter((r) => r.method === "GET");
    const preflights = fake.requests.filter((r) => r.method === "OPTIONS");
    assert.ok(preflights.length > 0, "Authorization makes Chromium send CORS preflights");
    for (const p of preflights) {
      assert.equal(p.headers.origin, staticUrl);
      assert.match(p.headers["access-control-request-headers"], /authorization/i);
    }
    for (const g of gets) assert.equal(g.headers.origin, staticUrl);
    const current = gets.find((g) => g.path === "/wiki/rest/api/user/current" && g.headers.authorization?.startsWith("Basic "));
    assert.equal(current.rawQuery, "expand=operations,personalSpace");
    assert.equal(current.auth, "basic");
    assert.equal(current.headers.accept, "application/json");
    assert.ok(gets.some((g) => g.path === "/wiki/rest/api/user/current" && g.auth === "bearer"));
    const anon = gets.find((g) => g.path === "/wiki/rest/api/user/anonymous");
    assert.equal(anon.headers.authorization, undefined);
    const odd = gets.find((g) => g.path === "/wiki/rest/api/user" && g.query.accountId?.[0] === SPECIAL.oddAccountId);
    assert.equal(odd.rawQuery, `accountId=${encodeURIComponent(SPECIAL.oddAccountId)}`);
    const bulkReq = gets.find((g) => g.path === "/wiki/rest/api/user/bulk");
    assert.equal(bulkReq.query.accountId.length, 1, "bulk ids travel as ONE comma-separated parameter");
    assert.ok(!gets.some((g) => g.rawQuery === "accountId="), "the refused empty accountId was never sent");
    assert.ok(!gets.some((g) => g.query.expand?.[0]?.includes("isExternalCollaborator")), "the refused bulk expand was never sent");

    // Served correctly: the wasm streamed with application/wasm, no fallback warning.
    const wasm = served.filter((s) => s.path.endsWith(".wasm"));
    assert.equal(wasm.length, 1, `the wasm is fetched once: ${JSON.stringify(served)}`);
    assert.equal(wasm[0].type, "application/wasm");
    const warnings = consoleMessages.filter((m) => m.type === "warning" || /instantiateStreaming|Content Security Policy|Refused to/.test(m.text));
    assert.deepEqual(warnings, []);
  }

  test("/pkg/index.js (auto-init entry) in a module script", async () => {
    const outcome = await runPage("/auto.html");
    assertScenario(outcome);
    assert.ok(served.some((s) => s.path === "/pkg/index.js" && s.type.startsWith("text/javascript")));
    assert.ok(served.some((s) => s.path === "/pkg/web/confluence_users_bg.wasm"));
  });

  test("/pkg/web/confluence_users.js (./web entry) with an explicit await init()", async () => {
    const outcome = await runPage("/web.html");
    assertScenario(outcome);
    assert.ok(!served.some((s) => s.path === "/pkg/index.js"), "the ./web page does not load the auto-init entry");
    assert.ok(served.some((s) => s.path === "/pkg/web/confluence_users.js" && s.type.startsWith("text/javascript")));
  });
});
