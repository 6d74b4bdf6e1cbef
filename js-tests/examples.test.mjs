// The examples under examples/, run so that they cannot rot:
// - usernames-to-accountids.mjs: the Node script, end to end against the fake Confluence;
// - forge-custom-ui: the frontend logic (static/panel.js) with a @forge/bridge requestConfluence
//   stand-in, the resolver (src/resolver.js) with api.asApp()/assumeTrustedRoute stand-ins, and the
//   resolver's host entry (src/index.js) with stand-in @forge/* packages;
// - connect-frontend: groups.js with AP.request stand-ins (promise and callback styles);
// - vite-browser: `vite build`, then the built page in headless Chromium, served by `vite preview`,
//   once calling the fake directly (CORS) and once through the preview server's /wiki proxy; and the
//   page through the dev server (`vite`), with the package linked from outside the folder;
// - the Forge and Connect pages themselves (index.html + main.js), built by their own build commands
//   and loaded in Chromium with the host SDKs replaced by stand-ins.
//
// The stand-ins forward to the fake and behave like the hosts where it matters: relative paths
// (/wiki/rest/api/... for Forge, relative to the /wiki context path for Connect), the host adds
// the credentials (the user's for the bridge and AP.request, the app's for asApp()), @forge/api
// takes route objects only. The real SDKs are not installed.
//
// The examples import "confluence-users" by name, as a user's project does: they are copied into a
// temporary project whose node_modules/confluence-users holds the files pkg/ would publish.
//
//   node --test js-tests/examples.test.mjs     (after node pkg-template/build.mjs --no-opt)
//
// Without Chromium the browser parts are skipped, except in CI (CI=true), where that is a failure.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";

import { assertNoCredential } from "./secret-forms.mjs";
import {
  BASIC_HEADER,
  BEARER_HEADER,
  CREDENTIALS,
  JS_TESTS,
  PKG_DIR,
  PKG_NAME,
  REPO,
  SPECIAL,
  assertBuilt,
  closedPort,
  listen,
  recorded,
  startFakeConfluence,
} from "./helpers.mjs";

const EXAMPLES = join(REPO, "examples");
const VITE_DIR = join(JS_TESTS, "node_modules", "vite");
const VITE_BIN = join(VITE_DIR, "bin", "vite.js");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const IN_CI = process.env.CI === "true";
const chromiumMissing = !existsSync(CHROMIUM);
const skipBrowser = chromiumMissing && !IN_CI ? `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): skipped` : false;
if (skipBrowser) console.log(`# ${skipBrowser}`);
const API = "/wiki/rest/api";

let work; // the temporary project
let fake;

/** A project in a temp dir: examples/ copied, node_modules/confluence-users = pkg/'s published files, vite linked. */
function makeProject() {
  assertBuilt();
  assert.ok(existsSync(VITE_BIN), `vite is not installed in js-tests/node_modules (run: cd js-tests && npm ci)`);
  const root = mkdtempSync(join(tmpdir(), "confluence-users-examples-"));
  const installed = join(root, "node_modules", PKG_NAME);
  mkdirSync(installed, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(PKG_DIR, "package.json"), "utf8"));
  for (const entry of ["package.json", ...manifest.files]) {
    const from = join(PKG_DIR, entry);
    if (existsSync(from)) cpSync(from, join(installed, entry), { recursive: true });
  }
  symlinkSync(VITE_DIR, join(root, "node_modules", "vite"), "dir");
  cpSync(EXAMPLES, join(root, "examples"), {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|dist)$/.test(src),
  });
  // The Vite example as `npm install` leaves it in this repo: its file: dependency is a symlink to a
  // folder outside it (which its dev server must be allowed to serve).
  const viteModules = join(root, "examples", "vite-browser", "node_modules");
  mkdirSync(viteModules);
  symlinkSync(installed, join(viteModules, PKG_NAME), "dir");
  symlinkSync(VITE_DIR, join(viteModules, "vite"), "dir");
  // The test's own ESM scope for the copied sources (the Forge example's package.json is Forge's).
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "examples-under-test", private: true, type: "module" }));
  writeFileSync(join(root, "examples", "forge-custom-ui", "package.json"), JSON.stringify({ private: true, type: "module" }));
  return root;
}

/** Imports a module of the copied examples. */
const load = (rel) => import(pathToFileURL(join(work, "examples", rel)).href);

/** Runs `node args…` in `cwd`; resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
function runNode(args, { cwd, env }) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}


before(async () => {
  work = makeProject();
  fake = await startFakeConfluence({ port: 0 });
});

after(async () => {
  await fake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------
// Host stand-ins

/** @forge/bridge's requestConfluence: the current site, as the current user (basic credentials here). */
function bridgeStandIn({ deny } = {}) {
  const calls = [];
  async function requestConfluence(restPath, fetchOptions = {}) {
    calls.push({ restPath, fetchOptions });
    assert.equal(typeof restPath, "string");
    assert.ok(restPath.startsWith(`${API}/`), `the bridge takes site-relative paths, got ${restPath}`);
    const headers = fetchOptions.headers ?? {};
    assert.ok(!Object.keys(headers).some((h) => h.toLowerCase() === "authorization"), "the bridge authenticates, not the caller");
    if (deny) return new Response(JSON.stringify({ statusCode: deny, message: "Denied by the stand-in" }), { status: deny, headers: { "Content-Type": "application/json" } });
    return fetch(fake.url + restPath, { method: fetchOptions.method ?? "GET", headers: { ...headers, Authorization: BASIC_HEADER } });
  }
  return { requestConfluence, calls };
}

/** @forge/api's Route, assumeTrustedRoute and api (asApp() as the app: bearer credentials here). */
function forgeApiStandIn() {
  class Route {
    #value;
    constructor(value) {
      this.#value = value;
    }
    get value() {
      return this.#value;
    }
  }
  const calls = [];
  let asAppCalls = 0;
  const requester = (as, authorization) => ({
    async requestConfluence(route, init = {}) {
      // Like @forge/api: a plain string is refused, only route`...` or assumeTrustedRoute(...) objects.
      if (!(route instanceof Route)) throw new Error("requestConfluence: the path must be a Route (route`...` or assumeTrustedRoute())");
      calls.push({ as, path: route.value, init });
      assert.ok(route.value.startsWith(`${API}/`), `site-relative path expected, got ${route.value}`);
      const headers = init.headers ?? {};
      assert.ok(!Object.keys(headers).some((h) => h.toLowerCase() === "authorization"), "Forge authenticates, not the caller");
      return fetch(fake.url + route.value, { method: init.method ?? "GET", headers: { ...headers, Authorization: authorization }, signal: init.signal });
    },
  });
  const api = {
    asApp() {
      asAppCalls += 1;
      return requester("app", BEARER_HEADER);
    },
    asUser() {
      return requester("user", BASIC_HEADER);
    },
    requestConfluence() {
      throw new Error("unauthenticated: use api.asApp() or api.asUser()");
    },
  };
  return { api, assumeTrustedRoute: (path) => new Route(path), Route, calls, asAppCalls: () => asAppCalls };
}

/** @forge/resolver's Resolver, far enough for defineResolvers and invoke. */
class ResolverStandIn {
  definitions = {};
  define(name, fn) {
    assert.equal(this.definitions[name], undefined, `${name} defined twice`);
    this.definitions[name] = fn;
  }
  getDefinitions() {
    const defs = this.definitions;
    // The handler the Forge runtime calls: { call: { functionKey, payload }, context }.
    return async ({ call, context }) => defs[call.functionKey]({ payload: call.payload, context });
  }
}

/**
 * Connect's AP: AP.request({ url, type, headers, success, error }), url relative to the /wiki
 * context path, as the current user. `style`: "promise" (all.js today: calls the callbacks AND
 * returns a promise of { body, xhr }, rejected with { err, xhr }) or "callbacks" (older hosts).
 */
function connectStandIn({ style = "promise", deny } = {}) {
  const calls = [];
  const AP = {
    resized: 0,
    resize() {
      AP.resized += 1;
    },
    request(options) {
      calls.push(options);
      const settle = (async () => {
        assert.equal(typeof options.url, "string");
        assert.ok(options.url.startsWith("/rest/api/"), `AP.request takes paths below the context path, got ${options.url}`);
        const headers = options.headers ?? {};
        assert.ok(!Object.keys(headers).some((h) => h.toLowerCase() === "authorization"), "AP.request authenticates, not the caller");
        let status;
        let statusText;
        let responseText;
        let responseHeaders = new Headers();
        if (deny && deny.test(options.url)) {
          status = 403;
          statusText = "Forbidden";
          responseText = JSON.stringify({ statusCode: 403, message: "The app is not allowed to call this" });
        } else {
          const res = await fetch(`${fake.url}/wiki${options.url}`, { method: options.type ?? "GET", headers: { ...headers, Authorization: BASIC_HEADER } });
          status = res.status;
          statusText = res.statusText;
          responseText = await res.text();
          responseHeaders = res.headers;
        }
        const xhr = { status, statusText, responseText, getResponseHeader: (n) => responseHeaders.get(n), getAllResponseHeaders: () => "" };
        return { ok: status >= 200 && status < 300, xhr, body: responseText, statusText };
      })();
      const called = settle.then((r) => (r.ok ? options.success?.(r.body, r.statusText, r.xhr) : options.error?.(r.xhr, r.statusText, r.statusText)));
      if (style === "callbacks") return undefined;
      return called.then(() => settle).then((r) => (r.ok ? { body: r.body, xhr: r.xhr } : Promise.reject({ err: r.statusText, xhr: r.xhr })));
    },
  };
  return { AP, calls };
}

// ------------------------------------------------------------------------------------------------

describe("examples/usernames-to-accountids.mjs against the fake", () => {
  const script = () => join(work, "examples", "usernames-to-accountids.mjs");
  const basicEnv = () => ({ ...process.env, CONFLUENCE_BASE_URL: fake.url, CONFLUENCE_EMAIL: CREDENTIALS.email, CONFLUENCE_API_TOKEN: CREDENTIALS.apiToken, CONFLUENCE_OAUTH_TOKEN: "" });

  // Usernames from the directory (the odd one needs percent-encoding: + space & = é), an unknown one
  // holding a comma, duplicates and padding that collapse, in a CSV with a BOM, CRLF, a quoted
  // multi-line field, doubled quotes and the username column in the middle.
  let known;
  const unknown = "no such, user";
  const csvInput = () =>
    "\ufeffid,Username,comment\r\n" +
    known.map((u, i) => `${i},${i === 1 ? `"${u.username}"` : u.username},"line one\r\nline ""two"", with comma"`).join("\r\n") +
    `\r\n99,"${unknown}",gone\r\n100,  ${known[0].username}  ,duplicate\r\n\r\n101,,no username\r\n`;
  const expectedCsv = () =>
    ["username,key,accountId", ...known.map((u) => `${u.username},${u.userKey},${u.accountId}`), `"${unknown}",,`].join("\n") + "\n";

  before(() => {
    known = fake.directory.users.slice(0, 7);
    assert.ok(known.some((u) => u.username === SPECIAL.oddUsername), "the odd username is among them");
    writeFileSync(join(work, "users.csv"), csvInput());
  });

  test("resolves every username and writes username,key,accountId (one batch, one request)", async () => {
    const { result, requests } = await recorded(fake, () => runNode([script(), "users.csv"], { cwd: work, env: basicEnv() }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, expectedCsv());
    assert.equal(result.stderr.trim(), `resolved ${known.length} of ${known.length + 1} usernames; not found: ${unknown}`);
    assert.equal(requests.length, 1);
    assert.equal(requests[0].path, `${API}/user/bulk/migration`);
    assert.equal(requests[0].auth, "basic");
    assert.deepEqual(requests[0].query.username, [...known.map((u) => u.username), unknown], "repeated username=, in input order");
    assert.ok(requests[0].rawQuery.includes(`username=${encodeURIComponent(SPECIAL.oddUsername)}`), requests[0].rawQuery);
  });

  test("--batch-size and --page-size: several lookups, each followed over its pages; same output", async () => {
    const { result, requests } = await recorded(fake, () => runNode([script(), "--batch-size", "3", "--page-size", "2", "users.csv"], { cwd: work, env: basicEnv() }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, expectedCsv());
    const all = [...known.map((u) => u.username), unknown];
    const batches = [];
    for (let i = 0; i < all.length; i += 3) batches.push(all.slice(i, i + 3));
    const want = batches.flatMap((b) => (b.length > 2 ? [[b, undefined], [b, "2"]] : [[b, undefined]]));
    assert.deepEqual(
      requests.map((r) => [r.query.username, r.query.start?.[0]]),
      want,
      "batches of 3 usernames, pages of 2",
    );
    assert.ok(requests.every((r) => r.query.limit[0] === "2"));
  });

  test("OAuth: CONFLUENCE_OAUTH_TOKEN sends a bearer token", async () => {
    const env = { ...process.env, CONFLUENCE_BASE_URL: fake.url, CONFLUENCE_OAUTH_TOKEN: CREDENTIALS.oauthToken, CONFLUENCE_EMAIL: "", CONFLUENCE_API_TOKEN: "" };
    const { result, requests } = await recorded(fake, () => runNode([script(), "users.csv"], { cwd: work, env }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, expectedCsv());
    assert.deepEqual(requests.map((r) => r.auth), ["bearer"]);
  });

  test("the shipped usernames.sample.csv", async () => {
    const { result } = await recorded(fake, () => runNode([script(), join("examples", "usernames.sample.csv")], { cwd: work, env: basicEnv() }));
    assert.equal(result.code, 0, result.stderr);
    const rows = result.stdout.trimEnd().split("\n").map((line) => line.split(","));
    assert.deepEqual(rows[0], ["username", "key", "accountId"]);
    const byName = new Map(rows.slice(1).map(([u, k, a]) => [u, { k, a }]));
    assert.equal(byName.get("admin").a, SPECIAL.currentUser);
    assert.equal(byName.get(SPECIAL.oddUsername).a, SPECIAL.oddAccountId);
    assert.deepEqual(byName.get("no.such.user"), { k: "", a: "" });
    assert.equal(rows.length, 6);
  });

  test("without credentials, or without a username column: exit 2 and usage, nothing sent", async () => {
    const noCreds = { ...process.env, CONFLUENCE_BASE_URL: fake.url, CONFLUENCE_EMAIL: "", CONFLUENCE_API_TOKEN: "", CONFLUENCE_OAUTH_TOKEN: "" };
    writeFileSync(join(work, "nocolumn.csv"), "name,email\nmia,admin@example.com\n");
    const { result: [a, b, c], requests } = await recorded(fake, () =>
      Promise.all([
        runNode([script(), "users.csv"], { cwd: work, env: noCreds }),
        runNode([script(), "nocolumn.csv"], { cwd: work, env: basicEnv() }),
        runNode([script()], { cwd: work, env: basicEnv() }),
      ]),
    );
    for (const [r, why] of [[a, /missing credentials/], [b, /no "username" column/], [c, /no CSV file given/]]) {
      assert.equal(r.code, 2);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /^usage: /m);
      assert.equal(r.stdout, "");
    }
    assert.deepEqual(requests, []);
  });

  test("a failed lookup: exit 1 with the ConfluenceError's message, no credential in it", async () => {
    const env = { ...basicEnv(), CONFLUENCE_API_TOKEN: "wrong-token" };
    const { result } = await recorded(fake, () => runNode([script(), "users.csv"], { cwd: work, env }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^lookup failed: getBulkUserMigration: 401 /);
    assertNoCredential(result.stderr, { secrets: ["wrong-token"] }, "stderr");
    assert.equal(result.stdout, "");
  });

  test("parseCsv and csvField (RFC 4180)", async () => {
    const { parseCsv, csvField } = await load("usernames-to-accountids.mjs");
    assert.deepEqual(parseCsv('a,b\r\n"x, ""y""\nz",\n"",last'), [["a", "b"], ['x, "y"\nz', ""], ["", "last"]]);
    assert.deepEqual(parseCsv("\ufeffu\nv"), [["u"], ["v"]]);
    assert.throws(() => parseCsv('u\n"open'), /not closed/);
    assert.deepEqual(["plain", "a,b", 'q"q', "line\nbreak", " pad", null].map(csvField), ["plain", '"a,b"', '"q""q"', '"line\nbreak"', '" pad"', ""]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("examples/forge-custom-ui with Forge stand-ins", () => {
  let panel;
  let resolverModule;

  before(async () => {
    panel = await load("forge-custom-ui/static/panel.js");
    resolverModule = await load("forge-custom-ui/src/resolver.js");
  });

  /** The resolver with stand-ins, and an invoke() that reaches it as @forge/bridge's invoke would. */
  function backend() {
    const forge = forgeApiStandIn();
    const resolver = resolverModule.defineResolvers(new ResolverStandIn(), { api: forge.api, assumeTrustedRoute: forge.assumeTrustedRoute });
    const handler = resolver.getDefinitions();
    const invoke = async (functionKey, payload) => structuredClone(await handler({ call: { functionKey, payload }, context: { accountId: SPECIAL.currentUser } }));
    return { forge, resolver, invoke };
  }

  test("frontend (static/panel.js): the viewer and all their groups through requestConfluence, the email through the resolver", async () => {
    const bridge = bridgeStandIn();
    const { forge, invoke } = backend();
    const { result: model, requests } = await recorded(fake, () => panel.loadPanel({ requestConfluence: bridge.requestConfluence, invoke, groupPageSize: 4 }));
    const groups = fake.directory.groupsOf(SPECIAL.currentUser).map((g) => g.name);
    assert.equal(groups.length, 6);
    assert.deepEqual(model, {
      accountId: SPECIAL.currentUser,
      displayName: "Mia Krystof",
      email: "admin@example.com",
      emailError: null,
      personalSpace: `~${SPECIAL.currentUser}`,
      groups,
    });
    const enc = encodeURIComponent;
    assert.deepEqual(
      bridge.calls.map((c) => c.restPath),
      [`${API}/user/current?expand=personalSpace`, `${API}/user/memberof?accountId=${SPECIAL.currentUser}&limit=4`, `${API}/user/memberof?accountId=${SPECIAL.currentUser}&start=4&limit=4`],
      "relative paths, groups in pages of 4",
    );
    for (const c of bridge.calls) {
      assert.equal(c.fetchOptions.method, "GET");
      assert.equal(c.fetchOptions.signal, undefined, "@forge/bridge takes no AbortSignal");
    }
    assert.deepEqual(forge.calls.map((c) => [c.as, c.path]), [["app", `${API}/user/email?accountId=${enc(SPECIAL.currentUser)}`]]);
    assert.deepEqual(requests.map((r) => `${r.auth} ${r.path}`), [
      `basic ${API}/user/current`,
      `basic ${API}/user/memberof`,
      `basic ${API}/user/memberof`,
      `bearer ${API}/user/email`,
    ], "the user's credentials through the bridge, the app's through asApp()");
  });

  test("frontend: a refused call is shown in the page, not thrown", async () => {
    const root = { textContent: "Loading…", dataset: { state: "loading" } };
    await panel.run({ requestConfluence: bridgeStandIn({ deny: 403 }).requestConfluence, invoke: backend().invoke, root });
    assert.equal(root.dataset.state, "error");
    assert.match(root.textContent, /^Confluence said no: getCurrentUser: 403 /);
  });

  test("resolver (src/resolver.js): getEmail and getEmails as the app, through assumeTrustedRoute", async () => {
    const { forge, invoke, resolver } = backend();
    assert.deepEqual(Object.keys(resolver.definitions).sort(), ["getEmail", "getEmails"]);

    const { result: one } = await recorded(fake, () => invoke("getEmail", { accountId: SPECIAL.oddAccountId }));
    assert.deepEqual(one, { accountId: SPECIAL.oddAccountId, email: "odd-encoding-bot@connect.atlassian.com" });

    const ids = [SPECIAL.hiddenProfile, SPECIAL.oddAccountId, SPECIAL.unknownAccountId, SPECIAL.appUser];
    const { result: many, requests } = await recorded(fake, () => invoke("getEmails", { accountIds: ids }));
    assert.deepEqual(many, {
      emails: {
        [SPECIAL.hiddenProfile]: SPECIAL.hiddenProfileEmail,
        [SPECIAL.oddAccountId]: "odd-encoding-bot@connect.atlassian.com",
        [SPECIAL.appUser]: "jira-cloud@connect.atlassian.com",
      },
    }, "the unknown id is left out");
    assert.equal(requests.length, 1);
    assert.equal(requests[0].path, `${API}/user/email/bulk`);
    assert.equal(requests[0].auth, "bearer");
    assert.deepEqual(requests[0].query.accountId, [ids.join(",")], "one comma-separated accountId, decoded intact");

    assert.deepEqual(forge.calls.map((c) => c.as), ["app", "app"]);
    assert.equal(forge.asAppCalls(), 2, "api.asApp() once per invocation");
    assert.ok(forge.calls.every((c) => c.path === c.path.trim() && !c.path.includes(" ")), "paths arrive percent-encoded");
  });

  test("resolver: bad payloads are refused without a request; Confluence errors come back as { error }", async () => {
    const { invoke } = backend();
    const { result: refused, requests } = await recorded(fake, async () => [
      await invoke("getEmails", { accountIds: "not-a-list" }),
      await invoke("getEmails", { accountIds: [SPECIAL.currentUser, ""] }),
      await invoke("getEmails", { accountIds: Array.from({ length: resolverModule.MAX_IDS + 1 }, (_, i) => `id${i}`) }),
      await invoke("getEmails", { accountIds: [] }),
      await invoke("getEmail", {}),
    ]);
    assert.deepEqual(refused, [
      { error: "accountIds must be an array of non-empty strings" },
      { error: "accountIds must be an array of non-empty strings" },
      { error: `at most ${resolverModule.MAX_IDS} account ids per call` },
      { emails: {} },
      { error: "accountId must be a non-empty string" },
    ]);
    assert.deepEqual(requests, []);

    const missing = await invoke("getEmail", { accountId: SPECIAL.unknownAccountId });
    assert.equal(missing.accountId, SPECIAL.unknownAccountId);
    assert.match(missing.error, /^404: getPrivacyUnsafeUserEmail: 404 Not Found: No user found/);
    assertNoCredential(missing.error, { secrets: [CREDENTIALS.oauthToken] }, "the resolver's error");
  });

  test("resolver host entry (src/index.js) with stand-in @forge/resolver and @forge/api packages", async () => {
    const forge = forgeApiStandIn();
    const modules = join(work, "examples", "forge-custom-ui", "node_modules", "@forge");
    const pkg = (name, source) => {
      mkdirSync(join(modules, name), { recursive: true });
      writeFileSync(join(modules, name, "package.json"), JSON.stringify({ name: `@forge/${name}`, type: "module", exports: "./index.js" }));
      writeFileSync(join(modules, name, "index.js"), source);
    };
    globalThis.__forgeStandIns = { forge, Resolver: ResolverStandIn };
    pkg("resolver", "export default globalThis.__forgeStandIns.Resolver;\n");
    pkg("api", "const { forge } = globalThis.__forgeStandIns;\nexport default forge.api;\nexport const assumeTrustedRoute = forge.assumeTrustedRoute;\n");
    try {
      const { handler } = await load("forge-custom-ui/src/index.js");
      assert.equal(typeof handler, "function");
      const answer = await handler({ call: { functionKey: "getEmails", payload: { accountIds: [SPECIAL.hiddenProfile] } }, context: {} });
      assert.deepEqual(answer, { emails: { [SPECIAL.hiddenProfile]: SPECIAL.hiddenProfileEmail } });
      assert.deepEqual(forge.calls.map((c) => c.as), ["app"]);
    } finally {
      delete globalThis.__forgeStandIns;
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe("examples/connect-frontend with AP.request stand-ins", () => {
  let groupsModule;
  before(async () => {
    groupsModule = await load("connect-frontend/groups.js");
  });

  for (const style of ["promise", "callbacks"]) {
    test(`all the current user's groups, page after page (AP.request ${style === "promise" ? "returning a promise and calling back" : "calling back only"})`, async () => {
      const { AP, calls } = connectStandIn({ style });
      const { result: model, requests } = await recorded(fake, () => groupsModule.loadGroups({ AP, pageSize: 4 }));
      assert.deepEqual(model, {
        accountId: SPECIAL.currentUser,
        displayName: "Mia Krystof",
        email: "admin@example.com",
        groups: fake.directory.groupsOf(SPECIAL.currentUser).map((g) => ({ name: g.name, id: g.id })),
      });
      assert.deepEqual(
        calls.map((c) => `${c.type} ${c.url}`),
        [
          "GET /rest/api/user/current",
          `GET /rest/api/user/memberof?accountId=${SPECIAL.currentUser}&limit=4`,
          `GET /rest/api/user/memberof?accountId=${SPECIAL.currentUser}&start=4&limit=4`,
          `GET /rest/api/user/email?accountId=${SPECIAL.currentUser}`,
        ],
        "paths relative to Confluence's /wiki context path",
      );
      assert.ok(requests.every((r) => r.auth === "basic"));
    });
  }

  test("without ACCESS_EMAIL_ADDRESSES (403 on /user/email) the groups still show, without an email", async () => {
    const { AP } = connectStandIn({ deny: /^\/rest\/api\/user\/email/ });
    const model = await groupsModule.loadGroups({ AP });
    assert.equal(model.email, null);
    assert.equal(model.groups.length, 6, "one page of the server's default size");
  });

  test("a refused call is shown in the page, and the iframe resized", async () => {
    const { AP } = connectStandIn({ deny: /./ });
    const root = { textContent: "Loading…", dataset: { state: "loading" } };
    await groupsModule.run({ AP, root });
    assert.equal(root.dataset.state, "error");
    assert.match(root.textContent, /^Confluence said no: getCurrentUser: 403 /);
    assert.equal(AP.resized, 1);
  });
});

// ------------------------------------------------------------------------------------------------
// Browser: Vite builds, Chromium

const MIME = { ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8", ".css": "text/css" };

/** `vite build` in `dir` (its own vite.config.js), extra CLI args after. */
async function viteBuild(dir, args = []) {
  const r = await runNode([VITE_BIN, "build", "--logLevel", "warn", ...args], { cwd: dir, env: { ...process.env, NODE_ENV: "production" } });
  assert.equal(r.code, 0, `vite build in ${dir} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Starts `vite ARGS…` (dev server or preview) in `dir` on a free 127.0.0.1 port, with the fake and its
 * credentials in CONFLUENCE_* (the example's /wiki proxy); resolves { url, stop() } once it listens.
 */
async function startVite(dir, args) {
  const port = await closedPort();
  const child = spawn(process.execPath, [VITE_BIN, ...args, "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: dir,
    // NO_COLOR: under CI=true Vite colours its banner, which puts escape codes inside the URL.
    env: { ...process.env, NO_COLOR: "1", CONFLUENCE_BASE_URL: fake.url, CONFLUENCE_EMAIL: CREDENTIALS.email, CONFLUENCE_API_TOKEN: CREDENTIALS.apiToken, CONFLUENCE_OAUTH_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // A server left running would keep this test process, and so the whole run, alive.
      child.kill("SIGKILL");
      reject(new Error(`vite ${args.join(" ")} did not start:\n${output}`));
    }, 20_000);
    const onData = (chunk) => {
      output += chunk;
      // Escape codes are stripped too, in case a Vite version ignores NO_COLOR.
      if (output.replace(/\x1b\[[0-9;]*m/g, "").includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then((code) => reject(new Error(`vite ${args.join(" ")} exited (${code}):\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

/** A static server for a built dist/, with the routes of `extra` first. */
async function serveStatic(dir, extra = {}, headers = {}) {
  const server = http.createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (extra[path]) return extra[path](req, res);
    const file = normalize(join(dir, path === "/" ? "index.html" : path));
    if (!file.startsWith(dir + sep) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": MIME[extname(file)] ?? "application/octet-stream", ...headers });
    res.end(readFileSync(file));
  });
  const url = await listen(server);
  return { url, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

describe("browser examples (vite build + Chromium)", { skip: skipBrowser, timeout: 120_000 }, () => {
  let context;
  let userDataDir;
  const opened = [];

  before(async () => {
    if (chromiumMissing) throw new Error(`Chromium is required in CI but was not found at ${CHROMIUM}`);
    const { chromium } = await import("playwright-core");
    userDataDir = mkdtempSync(join(tmpdir(), "confluence-users-examples-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
  });

  after(async () => {
    await context?.close();
    for (const close of opened) await close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Opens `url`, waits for `selector` to have data-state done/error, returns the page's outcome. */
  async function openPage(url, selector, read) {
    const tab = await context.newPage();
    const consoleMessages = [];
    const pageErrors = [];
    const requested = [];
    const failedResponses = [];
    tab.on("console", (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
    tab.on("pageerror", (e) => pageErrors.push(String(e)));
    tab.on("request", (r) => requested.push(r.url()));
    tab.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) failedResponses.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    try {
      const response = await tab.goto(url);
      await tab.waitForSelector(`${selector}[data-state="done"], ${selector}[data-state="error"]`, { timeout: 30_000 });
      const state = await tab.getAttribute(selector, "data-state");
      const text = await tab.textContent(selector);
      assert.equal(state, "done", `the page failed: ${text}\nconsole: ${consoleMessages.join("\n")}\nerrors: ${pageErrors.join("\n")}`);
      return { data: await tab.evaluate(read), consoleMessages, pageErrors, requested, failedResponses, headers: response.headers() };
    } finally {
      await tab.close();
    }
  }

  const readTable = () =>
    [...document.querySelectorAll("#users tbody tr")].map((tr) => ({ found: tr.dataset.found, cells: [...tr.cells].map((td) => td.textContent) }));

  describe("examples/vite-browser", () => {
    let previewUrl;
    let preview;
    const ids = [SPECIAL.hiddenProfile, SPECIAL.oddAccountId, SPECIAL.unknownAccountId, SPECIAL.appUser, SPECIAL.externalCollaborator];
    const expectedRows = () => [
      { found: "true", cells: [SPECIAL.currentUser, "Mia Krystof (you)", "admin@example.com", "atlassian", "Europe/Berlin"] },
      ...ids.map((id) => {
        const u = fake.directory.byAccountId.get(id);
        if (!u) return { found: "false", cells: [id, "not found", "", "", ""] };
        return { found: "true", cells: [id, u.displayName, u.email || "hidden", u.accountType, u.timeZone || "—"] };
      }),
    ];

    before(async () => {
      const dir = join(work, "examples", "vite-browser");
      await viteBuild(dir);
      const built = readFileSync(join(dir, "dist", "index.html"), "utf8");
      assert.match(built, /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
      // `vite preview` with the example's config: its CSP header and its /wiki proxy to the fake.
      preview = await startVite(dir, ["preview"]);
      previewUrl = preview.url;
    });

    after(() => preview?.stop());

    test("direct mode: ?baseUrl=<fake>&email&apiToken&ids renders the table (cross-origin, CORS)", async () => {
      const query = new URLSearchParams({ baseUrl: fake.url, email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken, ids: ids.join(",") });
      const { result: outcome, requests } = await recorded(fake, () => openPage(`${previewUrl}/?${query}`, "#status", readTable));
      assert.deepEqual(outcome.data, expectedRows());
      assert.deepEqual(outcome.pageErrors, []);
      assert.deepEqual(outcome.failedResponses, []);
      // (Chromium asks for /favicon.ico, which the preview server answers with a 404 console error.)
      assert.deepEqual(outcome.consoleMessages.filter((m) => /Refused|Content Security Policy|wasm|warning/i.test(m)), []);
      assert.match(outcome.headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'/, "served under the example's CSP");
      const gets = requests.filter((r) => r.method === "GET");
      assert.deepEqual(gets.map((r) => r.path), [`${API}/user/current`, `${API}/user/bulk`]);
      assert.ok(gets.every((r) => r.auth === "basic" && r.headers.origin === previewUrl), "called from the page's origin with basic auth");
      assert.ok(outcome.requested.some((u) => /\/assets\/confluence_users_bg-[\w-]+\.wasm$/.test(u)), "the wasm is a built asset");
    });

    test("proxy mode: ?ids only, same-origin /wiki calls, the preview server's proxy adds the credentials", async () => {
      const { result: outcome, requests } = await recorded(fake, () => openPage(`${previewUrl}/?${new URLSearchParams({ ids: ids.join(",") })}`, "#status", readTable));
      assert.deepEqual(outcome.data, expectedRows());
      assert.deepEqual(outcome.pageErrors, []);
      assert.deepEqual(outcome.failedResponses, []);
      const apiCalls = outcome.requested.filter((u) => u.includes("/wiki/"));
      assert.equal(apiCalls.length, 2);
      assert.ok(apiCalls.every((u) => u.startsWith(`${previewUrl}/wiki/rest/api/user`)), `same-origin: ${apiCalls}`);
      const gets = requests.filter((r) => r.method === "GET");
      assert.deepEqual(gets.map((r) => `${r.auth} ${r.path}`), [`basic ${API}/user/current`, `basic ${API}/user/bulk`]);
    });

    test("dev server (`vite`): the same page through its /wiki proxy, the package linked from outside the folder", async () => {
      const dev = await startVite(join(work, "examples", "vite-browser"), []);
      try {
        const { result: outcome, requests } = await recorded(fake, () => openPage(`${dev.url}/?${new URLSearchParams({ ids: ids.join(",") })}`, "#status", readTable));
        assert.deepEqual(outcome.data, expectedRows());
        assert.deepEqual(outcome.pageErrors, []);
        assert.deepEqual(outcome.failedResponses, [], dev.output());
        assert.ok(outcome.requested.some((u) => u.endsWith("/web/confluence_users_bg.wasm")), "the .wasm served from the linked package");
        assert.deepEqual(requests.filter((r) => r.method === "GET").map((r) => r.auth), ["basic", "basic"]);
      } finally {
        await dev.stop();
      }
    });
  });

  test("examples/forge-custom-ui: `vite build static` (its build script), the page in Chromium with a stand-in @forge/bridge package", async () => {
    const dir = join(work, "examples", "forge-custom-ui");
    // The stand-in @forge/bridge package for the browser: requestConfluence to the fake (CORS, as the
    // user), invoke to this test's server, which runs the real resolver with the asApp() stand-in.
    const bridge = join(dir, "node_modules", "@forge", "bridge");
    mkdirSync(bridge, { recursive: true });
    writeFileSync(join(bridge, "package.json"), JSON.stringify({ name: "@forge/bridge", type: "module", exports: "./index.js" }));
    writeFileSync(
      join(bridge, "index.js"),
      `export async function requestConfluence(path, init = {}) {
  if (init.signal !== undefined) throw new Error("@forge/bridge takes no signal");
  return fetch(${JSON.stringify(fake.url)} + path, { method: init.method, headers: { ...init.headers, Authorization: ${JSON.stringify(BASIC_HEADER)} } });
}
export async function invoke(functionKey, payload) {
  const res = await fetch("/__invoke", { method: "POST", body: JSON.stringify({ functionKey, payload }) });
  return res.json();
}
`,
    );
    // The example's own build command (package.json "build"): vite build static.
    await viteBuild(dir, ["static"]);
    const forge = forgeApiStandIn();
    const handler = (await load("forge-custom-ui/src/resolver.js")).defineResolvers(new ResolverStandIn(), forge).getDefinitions();
    const server = await serveStatic(join(dir, "static", "dist"), {
      "/__invoke": async (req, res) => {
        let body = "";
        for await (const chunk of req) body += chunk;
        const { functionKey, payload } = JSON.parse(body);
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(await handler({ call: { functionKey, payload }, context: {} })));
      },
    }, // The manifest's choice: 'unsafe-eval', not 'wasm-unsafe-eval', must be enough to compile the wasm.
    { "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; connect-src 'self' " + fake.url });
    opened.push(server.close);
    const built = readFileSync(join(dir, "static", "dist", "index.html"), "utf8");
    assert.match(built, /src="\.\/assets\//, "relative asset URLs (base: './'), as Forge serves resources under a path");
    const outcome = await openPage(`${server.url}/index.html`, "#root", () => ({
      fields: Object.fromEntries([...document.querySelectorAll("[data-field]")].map((dd) => [dd.dataset.field, dd.textContent])),
      groups: [...document.querySelectorAll("#groups li")].map((li) => li.textContent),
    }));
    assert.deepEqual(outcome.data, {
      fields: { displayName: "Mia Krystof", accountId: SPECIAL.currentUser, email: "admin@example.com", personalSpace: `~${SPECIAL.currentUser}` },
      groups: fake.directory.groupsOf(SPECIAL.currentUser).map((g) => g.name),
    });
    assert.deepEqual(outcome.pageErrors, []);
    assert.deepEqual(outcome.failedResponses, []);
    assert.deepEqual(forge.calls.map((c) => `${c.as} ${c.path.split("?")[0]}`), [`app ${API}/user/email`]);
  });

  test("examples/connect-frontend: `vite build`, the page in Chromium with all.js replaced by an AP stand-in", async () => {
    const dir = join(work, "examples", "connect-frontend");
    await viteBuild(dir);
    const built = readFileSync(join(dir, "dist", "index.html"), "utf8");
    assert.ok(built.includes('<script src="https://connect-cdn.atl-paas.net/all.js"'), "all.js stays a classic script from Atlassian's CDN");
    const server = await serveStatic(join(dir, "dist"));
    opened.push(server.close);
    // The AP of the browser: AP.request({ url, type, headers, success, error }) relative to /wiki, as
    // the user, returning a promise of { body, xhr }.
    const apStandIn = `window.AP = {
  resize() { window.__resized = true; },
  request(o) {
    if (!o.url.startsWith("/rest/api/")) return Promise.reject({ err: "bad url " + o.url, xhr: { status: 0 } });
    return fetch(${JSON.stringify(fake.url)} + "/wiki" + o.url, { method: o.type, headers: { ...o.headers, Authorization: ${JSON.stringify(BASIC_HEADER)} } })
      .then(async (res) => {
        const text = await res.text();
        const xhr = { status: res.status, statusText: res.statusText, responseText: text, getResponseHeader: (n) => res.headers.get(n) };
        if (res.ok) { o.success && o.success(text, "success", xhr); return { body: text, xhr }; }
        o.error && o.error(xhr, "error", res.statusText);
        throw { err: res.statusText, xhr };
      });
  },
};`;
    await context.route("https://connect-cdn.atl-paas.net/all.js", (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: apStandIn }));
    try {
      const outcome = await openPage(`${server.url}/index.html`, "#root", () => ({
        heading: document.querySelector("#root h2").textContent,
        groups: [...document.querySelectorAll("#group-list li")].map((li) => li.textContent),
        resized: window.__resized === true,
      }));
      const groups = fake.directory.groupsOf(SPECIAL.currentUser).map((g) => g.name);
      assert.deepEqual(outcome.data, { heading: `Mia Krystof <admin@example.com>: ${groups.length} groups`, groups, resized: true });
      assert.deepEqual(outcome.pageErrors, []);
      assert.deepEqual(outcome.failedResponses, []);
    } finally {
      await context.unroute("https://connect-cdn.atl-paas.net/all.js");
    }
  });
});
