// The host adapters of `confluence-users/adapters` (pkg/adapters.js through `import`, pkg/adapters.cjs through
// `require`): forgeBridgeFetch, forgeApiFetch and connectFetch, each driving `new ConfluenceClient({ fetch })`
// against the fake Confluence over real HTTP.
//
// The SDKs are not dependencies, so each is played by a stand-in with the real API's signature and behaviour
// (see pkg-template/ADAPTERS.md for the facts each one rests on):
// - @forge/bridge `requestConfluence(restPath, fetchOptions?)`: the host adds the user's credentials (here the
//   fake's basic credentials) and the bridge rebuilds a `Response` from the body, headers and status the
//   host sent back. It drops a `signal` (and logs an error): the stand-in records whether one came.
// - @forge/api `api.asApp()` / `api.asUser()`, whose `requestConfluence(route, init?)` accepts only a route
//   object made by `route` or `assumeTrustedRoute`, and `init.signal`.
// - Connect `AP.request(options)`: the URL is relative to the product's context path (/wiki), the host answers
//   with a reduced xhr (status, statusText, responseText, getResponseHeader for a few headers); the promise
//   resolves `{ body, xhr }` for 2xx and rejects `{ err, xhr }` otherwise, and the success/error callbacks are
//   called as well.
//
// Build the package first: flock /tmp/pkg.lock node pkg-template/build.mjs --no-opt

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { BASIC_HEADER, PKG_DIR, SPECIAL, assertBuilt, closedPort, expectConfluenceError, startFakeConfluence } from "./helpers.mjs";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import * as kit from "./kit.mjs";

assertBuilt();
if (!/^export function connectFetch\(/m.test(readFileSync(join(PKG_DIR, "adapters.js"), "utf8"))) {
  throw new Error("pkg/adapters.js has no adapters: rebuild with flock /tmp/pkg.lock node pkg-template/build.mjs --no-opt");
}

const require = createRequire(import.meta.url);
const LOADERS = {
  import: {
    adapters: await import(pathToFileURL(join(PKG_DIR, "adapters.js")).href),
    client: await import(pathToFileURL(join(PKG_DIR, "node", "index.mjs")).href),
  },
  require: {
    adapters: require(join(PKG_DIR, "adapters.cjs")),
    client: require(join(PKG_DIR, "node", "confluence_users.cjs")),
  },
};

const API = "/wiki/rest/api/";
/** Quick retries, so the 429 and network cases stay fast. */
const FAST_RETRY = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 20 };
const WRONG_AUTH = { type: "basic", email: "someone@example.com", apiToken: "must-never-reach-the-host" };

let fake;
let deadBase;

before(async () => {
  fake = await startFakeConfluence({ port: 0 });
  deadBase = `http://127.0.0.1:${await closedPort()}`;
});
after(async () => {
  await fake?.close();
});
beforeEach(() => fake.reset());

const authorizationOf = (headers) =>
  Object.keys(headers ?? {}).filter((name) => name.toLowerCase() === "authorization");

// ---- Stand-ins -------------------------------------------------------------------------------------------

/** @forge/bridge's `requestConfluence(restPath, fetchOptions?) => Promise<Response>`, as the current user. */
function fakeBridge(base) {
  const calls = [];
  async function requestConfluence(restPath, fetchOptions) {
    assert.equal(typeof restPath, "string", "restPath is a string");
    assert.ok(restPath.startsWith(API), `restPath ${restPath} starts with ${API}`);
    calls.push({ restPath, fetchOptions, hadSignal: fetchOptions !== undefined && "signal" in fetchOptions });
    const headers = new Headers(fetchOptions?.headers);
    headers.set("Authorization", BASIC_HEADER); // the host runs the request with the user's session
    headers.set("X-Atlassian-Token", "no-check");
    const res = await fetch(base + restPath, { method: fetchOptions?.method ?? "GET", headers });
    const body = await res.text();
    // What the bridge does with the host's answer: a new Response from body, headers, status, statusText.
    return new Response(body || null, { status: res.status, statusText: res.statusText, headers: Object.fromEntries(res.headers) });
  }
  return { requestConfluence, calls };
}

/** @forge/api's route objects: only `route` and `assumeTrustedRoute` make them. */
class FakeRoute {
  #value;
  constructor(value) {
    this.#value = value;
  }
  get value() {
    return this.#value;
  }
}

/** @forge/api: `api.asApp()` / `api.asUser()` with `requestConfluence(route, init?)`, `assumeTrustedRoute`, `route`. */
function fakeForgeApi(base) {
  const calls = [];
  const issued = [];
  const assumeTrustedRoute = (path) => {
    const r = new FakeRoute(path);
    issued.push(r);
    return r;
  };
  // The loop of @forge/api's `route`, without its escaping modes: called with a plain string, it keeps "/".
  const route = (template, ...parameters) => {
    let result = "";
    for (let i = 0; i < template.length; i++) {
      result += template[i];
      if (i >= parameters.length) break;
      result += encodeURIComponent(parameters[i]);
    }
    return new FakeRoute(result);
  };
  const requester = (as) => ({
    async requestConfluence(url, init) {
      if (!(url instanceof FakeRoute)) throw new Error("You must create your route using the 'route' export from '@forge/api'.");
      assert.equal(url, issued.at(-1), "the adapter passes exactly what assumeTrustedRoute returned");
      assert.ok(url.value.startsWith(API), `route ${url.value} starts with ${API}`);
      calls.push({ as, route: url, init });
      const headers = { ...init?.headers, Authorization: BASIC_HEADER }; // the app's or the user's token
      return fetch(base + url.value, { method: init?.method ?? "GET", headers, signal: init?.signal });
    },
    async requestJira() {
      throw new Error("not used here");
    },
  });
  const api = {
    asApp: () => requester("app"),
    asUser: () => requester("user"),
    async requestConfluence() {
      throw new Error("unauthenticated requestConfluence: not used here");
    },
  };
  return { api, assumeTrustedRoute, route, calls, issued };
}

/** Connect's `AP.request(options)`. `promise: false` plays a host whose AP.request only calls the callbacks. */
function fakeAP(base, { promise = true, exposedHeaders = ["content-type"] } = {}) {
  const calls = [];
  const SUPPORTED = ["accept", "if-match", "if-none-match"];
  const bridgedXhr = (status, statusText, responseText, headers) => ({
    status,
    statusText,
    responseText,
    getResponseHeader(name) {
      const key = String(name).toLowerCase();
      return exposedHeaders.includes(key) ? headers?.get(key) ?? null : null;
    },
  });
  const AP = {
    request(options) {
      assert.equal(typeof options, "object", "AP.request gets an options object");
      assert.ok(options.url.startsWith("/rest/api/"), `AP.request url ${options.url} is relative to the /wiki context path`);
      calls.push({ options });
      const headers = { Authorization: BASIC_HEADER }; // the host's session
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        if (SUPPORTED.includes(name.toLowerCase())) headers[name] = value;
      }
      const settled = (async () => {
        let res;
        try {
          res = await fetch(`${base}/wiki${options.url}`, { method: options.type ?? "GET", headers });
        } catch {
          throw { err: "", xhr: bridgedXhr(0, "error", "", null) }; // jQuery's failed XHR: status 0
        }
        const text = await res.text();
        const xhr = bridgedXhr(res.status, res.statusText, text, res.headers);
        if (res.status >= 200 && res.status < 300) return { body: text, xhr };
        throw { err: res.statusText, xhr };
      })();
      settled.then(
        (v) => options.success?.(v.body, "success", v.xhr),
        (e) => options.error?.(e.xhr, "error", e.err),
      );
      return promise ? settled : undefined;
    },
  };
  return { AP, calls };
}

// ---- The adapters under test, each with its stand-in ---------------------------------------------------

/** Each setup: make(lib, base) → { fetch, calls, sentHeaders(): the header objects the host SDK received }. */
const SETUPS = {
  forgeBridgeFetch: (lib, base) => {
    const bridge = fakeBridge(base);
    return {
      fetch: lib.adapters.forgeBridgeFetch(bridge.requestConfluence),
      calls: bridge.calls,
      sentHeaders: () => bridge.calls.map((c) => c.fetchOptions?.headers),
    };
  },
  forgeApiFetch: (lib, base) => {
    const forge = fakeForgeApi(base);
    return {
      fetch: lib.adapters.forgeApiFetch(forge.api.asApp(), forge.assumeTrustedRoute),
      forge,
      calls: forge.calls,
      sentHeaders: () => forge.calls.map((c) => c.init?.headers),
    };
  },
  connectFetch: (lib, base) => {
    const connect = fakeAP(base);
    return {
      fetch: lib.adapters.connectFetch(connect.AP),
      calls: connect.calls,
      sentHeaders: () => connect.calls.map((c) => c.options.headers),
    };
  },
};

const newClient = (lib, fetchFn, options = {}) => new lib.client.ConfluenceClient({ fetch: fetchFn, retry: FAST_RETRY, ...options });

/** Every operation class once: single, odd id, anonymous, one page, bulk, both email calls, migration, paging. */
async function everyOperation(client) {
  const me = await client.getCurrentUser({ expand: ["personalSpace"] });
  assert.equal(me.accountId, SPECIAL.currentUser);
  assert.ok(me.personalSpace?.key, "expand reached the server");

  const odd = await client.getUser({ accountId: SPECIAL.oddAccountId });
  assert.equal(odd.accountId, SPECIAL.oddAccountId, "the odd id arrived intact");

  const anon = await client.getAnonymousUser();
  assert.equal(anon.type, "anonymous");

  const page = await client.getGroupMembershipsForUser({ accountId: SPECIAL.currentUser });
  assert.equal(page.results.length, fake.directory.user(SPECIAL.currentUser).groups.length);

  const bulk = await client.getBulkUserLookup({ accountIds: [SPECIAL.currentUser, SPECIAL.oddAccountId, SPECIAL.unknownAccountId] });
  assert.deepEqual(bulk.results.map((u) => u.accountId), [SPECIAL.currentUser, SPECIAL.oddAccountId]);

  const email = await client.getPrivacyUnsafeUserEmail({ accountId: SPECIAL.hiddenProfile });
  assert.deepEqual(email, { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail });
  const emails = await client.getPrivacyUnsafeUserEmailBulk({ accountIds: [SPECIAL.hiddenProfile, SPECIAL.currentUser] });
  assert.deepEqual(emails.map((r) => r.accountId).sort(), [SPECIAL.hiddenProfile, SPECIAL.currentUser].sort());

  const migration = await client.getBulkUserMigration({ usernames: ["admin", SPECIAL.oddUsername, "nosuchuser"] });
  assert.deepEqual(migration.results.map((r) => r.accountId), [SPECIAL.currentUser, SPECIAL.oddAccountId, null]);

  const names = [];
  for await (const group of client.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups })) names.push(group.name);
  assert.equal(names.length, SPECIAL.manyGroupsCount, "both pages of 200 + 50 groups");
}

/** The fake saw the stand-in's credentials and the client's Accept on every request; the adapter sent no Authorization. */
function assertHostAuthenticated(setup) {
  assert.ok(fake.requests.length > 0, "requests reached the fake");
  for (const r of fake.requests) {
    assert.equal(r.auth, "basic", `${r.path}: authenticated by the host stand-in`);
    assert.equal(r.headers.authorization, BASIC_HEADER, `${r.path}: with the host's credentials only`);
    assert.equal(r.headers.accept, "application/json", `${r.path}: the client's Accept was passed on`);
  }
  const sent = setup.sentHeaders();
  assert.equal(sent.length, fake.requests.length, "one host SDK call per request");
  for (const headers of sent) {
    assert.deepEqual(authorizationOf(headers), [], "the adapter passed no Authorization header to the host");
    assert.equal(headers.Accept ?? headers.accept, "application/json");
  }
}

// ---- Tests ---------------------------------------------------------------------------------------------

for (const [loader, lib] of Object.entries(LOADERS)) {
  describe(`adapters via ${loader}`, () => {
    test("exports exactly the three adapter functions", () => {
      assert.deepEqual(Object.keys(lib.adapters).sort(), ["connectFetch", "forgeApiFetch", "forgeBridgeFetch"]);
      for (const fn of Object.values(lib.adapters)) assert.equal(typeof fn, "function");
      if (loader === "require") {
        const selfRequire = createRequire(join(PKG_DIR, "package.json"));
        assert.equal(selfRequire.resolve("confluence-users/adapters"), join(PKG_DIR, "adapters.cjs"), "the exports map's require condition");
      }
    });

    for (const [name, make] of Object.entries(SETUPS)) {
      describe(name, () => {
        test("every operation class works end to end, authenticated by the host", async () => {
          const setup = make(lib, fake.url);
          await everyOperation(newClient(lib, setup.fetch));
          assertHostAuthenticated(setup);
        });

        test("a client given auth by mistake still sends no Authorization to the host", async () => {
          const setup = make(lib, fake.url);
          const me = await newClient(lib, setup.fetch, { auth: WRONG_AUTH }).getCurrentUser();
          assert.equal(me.accountId, SPECIAL.currentUser);
          assertHostAuthenticated(setup);
        });

        test("a 404 becomes an http error with status 404 and the Atlassian body", async () => {
          const setup = make(lib, fake.url);
          const e = await expectConfluenceError(newClient(lib, setup.fetch).getUser({ accountId: SPECIAL.unknownAccountId }), {
            kind: "http",
            status: 404,
            operation: "getUser",
            attempts: 1,
            messageIncludes: `No user found with accountId: ${SPECIAL.unknownAccountId}`,
          });
          assert.equal(e.body?.statusCode, 404);
          assert.equal(fake.requests.length, 1, "a 404 is not retried");
        });

        test("a 429 with Retry-After: 0 is retried like fetch's, then resolves", async () => {
          const setup = make(lib, fake.url);
          fake.enqueue({ status: 429, headers: { "Retry-After": "0" }, body: { statusCode: 429, message: "Rate limit exceeded" } });
          const retries = [];
          const responses = [];
          const client = newClient(lib, setup.fetch, { hooks: { onRetry: (i) => retries.push(i), onResponse: (i) => responses.push(i) } });
          const me = await client.getCurrentUser();
          assert.equal(me.accountId, SPECIAL.currentUser);
          assert.equal(fake.requests.length, 2);
          assert.deepEqual(retries.map((r) => [r.status, r.reason]), [[429, "status"]]);
          assert.deepEqual(responses.map((r) => r.status), [429, 200]);
          if (name !== "connectFetch") {
            // Forge's responses pass through with their headers; Connect's bridged xhr shows only a few.
            assert.equal(responses[0].rateLimit["Retry-After"], "0", "Retry-After reached the client");
          }
        });

        test("a network failure becomes a network error", async () => {
          const setup = make(lib, deadBase);
          const e = await expectConfluenceError(newClient(lib, setup.fetch, { retry: false }).getCurrentUser(), {
            kind: "network",
            status: 0,
            attempts: 1,
          });
          if (name === "connectFetch") assert.match(e.message, /AP\.request failed without an HTTP response \(status 0/);
        });

        test("a client made with baseUrl is refused with a clear network error, nothing sent", async () => {
          const setup = make(lib, fake.url);
          await expectConfluenceError(newClient(lib, setup.fetch, { baseUrl: fake.url, retry: false }).getCurrentUser(), {
            kind: "network",
            messageIncludes: [name, "without baseUrl"],
          });
          assert.equal(setup.calls.length, 0);
          assert.equal(fake.requests.length, 0);
        });

        test("bad arguments throw a TypeError", () => {
          const fn = lib.adapters[name];
          for (const bad of [undefined, null, "requestConfluence", 42, {}, []]) {
            assert.throws(() => fn(bad, (p) => p), TypeError, `${name}(${String(bad)})`);
          }
        });
      });
    }

    describe("forgeBridgeFetch details", () => {
      test("sends no signal to the bridge; the client's timeout still ends a hung request", async () => {
        const bridge = fakeBridge(fake.url);
        fake.enqueue(() => {}); // never answers
        const client = newClient(lib, lib.adapters.forgeBridgeFetch(bridge.requestConfluence), { retry: false, timeout: 150 });
        await expectConfluenceError(client.getCurrentUser(), { kind: "timeout" });
        assert.deepEqual(bridge.calls.map((c) => c.hadSignal), [false], "@forge/bridge drops a signal and logs an error: none is passed");
        assert.deepEqual(Object.keys(bridge.calls[0].fetchOptions).sort(), ["headers", "method"]);
      });

      test("a Response without headers is tolerated", async () => {
        const headless = async (path) => {
          const res = await fetch(fake.url + path, { headers: { Authorization: BASIC_HEADER, Accept: "application/json" } });
          return { status: res.status, statusText: res.statusText, text: () => res.text() };
        };
        const me = await newClient(lib, lib.adapters.forgeBridgeFetch(headless)).getCurrentUser();
        assert.equal(me.accountId, SPECIAL.currentUser);
      });

      test("the TypeError names the function to pass", () => {
        assert.throws(() => lib.adapters.forgeBridgeFetch({ requestConfluence() {} }), {
          name: "TypeError",
          message: /forgeBridgeFetch\(requestConfluence\): requestConfluence must be the function of @forge\/bridge .*got an object/,
        });
      });
    });

    describe("forgeApiFetch details", () => {
      test("forwards the per-attempt signal: aborting the call aborts the request", async () => {
        const forge = fakeForgeApi(fake.url);
        fake.enqueue(() => {}); // never answers
        const client = newClient(lib, lib.adapters.forgeApiFetch(forge.api.asApp(), forge.assumeTrustedRoute), { retry: false });
        const controller = new AbortController();
        const call = client.getCurrentUser({}, { signal: controller.signal });
        setTimeout(() => controller.abort(), 50);
        await expectConfluenceError(call, { kind: "aborted" });
        assert.equal(forge.calls.length, 1);
        const { signal } = forge.calls[0].init;
        assert.ok(signal instanceof AbortSignal, "init.signal is passed to requestConfluence");
        assert.equal(signal.aborted, true, "and it was aborted");
      });

      test("works as the user too, and wraps each exact path with assumeTrustedRoute", async () => {
        const forge = fakeForgeApi(fake.url);
        const client = newClient(lib, lib.adapters.forgeApiFetch(forge.api.asUser(), forge.assumeTrustedRoute));
        await client.getUser({ accountId: SPECIAL.oddAccountId });
        assert.deepEqual(forge.calls.map((c) => c.as), ["user"]);
        assert.equal(forge.calls[0].route.value, fake.requests[0].url, "the route holds the client's encoded path");
      });

      test("refuses the api object, an uncalled asApp, and route instead of assumeTrustedRoute", () => {
        const forge = fakeForgeApi(fake.url);
        const { forgeApiFetch } = lib.adapters;
        assert.throws(() => forgeApiFetch(forge.api, forge.assumeTrustedRoute), { name: "TypeError", message: /not the api object itself/ });
        assert.throws(() => forgeApiFetch(forge.api.asApp, forge.assumeTrustedRoute), { name: "TypeError", message: /call it: api\.asApp\(\)/ });
        assert.throws(() => forgeApiFetch(forge.api.asApp(), forge.route), { name: "TypeError", message: /gave a route for "\/": pass assumeTrustedRoute/ });
        for (const bad of [undefined, null, "assumeTrustedRoute", {}]) {
          assert.throws(() => forgeApiFetch(forge.api.asApp(), bad), { name: "TypeError", message: /assumeTrustedRoute must be the function of @forge\/api/ });
        }
      });
    });

    describe("connectFetch details", () => {
      test("a host whose AP.request only calls the callbacks works the same", async () => {
        const connect = fakeAP(fake.url, { promise: false });
        const client = newClient(lib, lib.adapters.connectFetch(connect.AP));
        assert.equal((await client.getUser({ accountId: SPECIAL.oddAccountId })).accountId, SPECIAL.oddAccountId);
        await expectConfluenceError(client.getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http", status: 404 });
        await expectConfluenceError(newClient(lib, lib.adapters.connectFetch(fakeAP(deadBase, { promise: false }).AP), { retry: false }).getCurrentUser(), {
          kind: "network",
          messageIncludes: "without an HTTP response",
        });
      });

      test("the ResponseLike: status, text and headers from { body, xhr }; HTTP errors resolve", async () => {
        const connect = fakeAP(fake.url, { exposedHeaders: ["content-type", "atl-traceid"] });
        const transport = lib.adapters.connectFetch(connect.AP);
        const init = { method: "GET", headers: { Accept: "application/json", Authorization: "Basic bm8=" }, signal: new AbortController().signal };
        const ok = await transport(`${API}user/current`, init);
        assert.equal(ok.status, 200);
        assert.match(ok.headers.get("Content-Type"), /^application\/json/);
        assert.match(ok.headers.get("atl-traceid"), /^[0-9a-f]{16}$/);
        assert.equal(ok.headers.get("Retry-After"), null);
        assert.equal(JSON.parse(await ok.text()).accountId, SPECIAL.currentUser);
        const missing = await transport(`${API}user?accountId=${SPECIAL.unknownAccountId}`, init);
        assert.equal(missing.status, 404, "a rejected AP.request with an xhr resolves as a response");
        assert.equal(JSON.parse(await missing.text()).statusCode, 404);
        assert.deepEqual(connect.calls.map((c) => c.options.url), ["/rest/api/user/current", `/rest/api/user?accountId=${SPECIAL.unknownAccountId}`]);
        for (const { options } of connect.calls) {
          assert.deepEqual(options.headers, { Accept: "application/json" }, "Accept passed on, Authorization dropped");
          assert.equal(options.type, "GET");
          assert.ok(!("signal" in options), "AP.request cannot be aborted: no signal");
        }
      });

      test("a rejection without an xhr is a network error; Retry-After shows when the host exposes it", async () => {
        const throwing = { request: () => Promise.reject(new Error("bridge not ready")) };
        await expectConfluenceError(newClient(lib, lib.adapters.connectFetch(throwing), { retry: false }).getCurrentUser(), {
          kind: "network",
          messageIncludes: "bridge not ready",
        });
        const connect = fakeAP(fake.url, { exposedHeaders: ["content-type", "retry-after"] });
        fake.enqueue({ status: 503, headers: { "Retry-After": "0" }, body: { statusCode: 503, message: "Service unavailable" } });
        const responses = [];
        const me = await newClient(lib, lib.adapters.connectFetch(connect.AP), { hooks: { onResponse: (i) => responses.push(i) } }).getCurrentUser();
        assert.equal(me.accountId, SPECIAL.currentUser);
        assert.deepEqual(responses.map((r) => [r.status, r.rateLimit["Retry-After"]]), [[503, "0"], [200, undefined]]);
      });

      test("a hung AP.request ends with the client's timeout", async () => {
        const hung = { request: () => new Promise(() => {}) };
        await expectConfluenceError(newClient(lib, lib.adapters.connectFetch(hung), { retry: false, timeout: 100 }).getCurrentUser(), { kind: "timeout" });
      });

      test("the TypeError names the AP object", () => {
        assert.throws(() => lib.adapters.connectFetch({ request: "x" }), { name: "TypeError", message: /connectFetch\(AP\): AP must be Connect's global AP object .*without a request function/ });
        assert.throws(() => lib.adapters.connectFetch(), { name: "TypeError", message: /got undefined/ });
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// The transport contract of a custom fetch, against the built package (pkg/): relative mode (no baseUrl)
// and minimal responses (ResponseLike).
{
  const { AUTH, QUICK, cannedFetch, collect } = kit;

  // ---------------------------------------------------------------------------------------------------------
  // 5. Relative mode

  describe("relative mode (no baseUrl)", () => {
    test("the custom fetch receives /wiki/rest/api/user?accountId=...", async () => {
      const fetch = cannedFetch();
      const c = new ConfluenceClient({ fetch });
      await c.getUser({ accountId: SPECIAL.currentUser });
      assert.equal(fetch.calls[0].url, `/wiki/rest/api/user?accountId=${SPECIAL.currentUser}`);
      assert.equal(fetch.calls[0].init.method, "GET");
      assert.equal(Object.keys(fetch.calls[0].init.headers).some((h) => h.toLowerCase() === "authorization"), false, "no auth header without auth");
      await c.getCurrentUser();
      assert.equal(fetch.calls[1].url, "/wiki/rest/api/user/current");
      await c.getUser({ accountId: SPECIAL.oddAccountId });
      const u = fetch.calls[2].url;
      assert.ok(u.startsWith("/wiki/rest/api/user?accountId="), u);
      const q = new URLSearchParams(u.split("?")[1]);
      assert.equal(q.get("accountId"), SPECIAL.oddAccountId);
      assert.ok(!/[ #&+]/.test(u.split("accountId=")[1]), `odd id percent-encoded: ${u}`);
    });

    test("relative mode with a bearer token function and a bulk lookup of 450 ids", async () => {
      const seen = [];
      const fetch = cannedFetch((url, init) => {
        seen.push(init.headers.Authorization ?? init.headers.authorization);
        const ids = new URLSearchParams(url.split("?")[1]).get("accountId").split(",");
        const results = ids.filter((id) => id.startsWith("k")).map((id) => ({ accountId: id, email: `${id}@x.org` }));
        return new Response(JSON.stringify(results), { status: 200, headers: { "content-type": "application/json" } });
      });
      let n = 0;
      const c = new ConfluenceClient({ fetch, auth: { type: "bearer", token: () => `tok-${++n}` } });
      const ids = Array.from({ length: 450 }, (_, i) => (i % 3 === 0 ? `k${i}` : `u${i}`));
      const r = await c.getPrivacyUnsafeUserEmailBulk({ accountIds: ids });
      assert.equal(fetch.calls.length, 3);
      for (const call of fetch.calls) assert.ok(call.url.startsWith("/wiki/rest/api/user/email/bulk?accountId="), call.url);
      assert.deepEqual(r.map((x) => x.accountId), ids.filter((id) => id.startsWith("k")));
      assert.deepEqual(new Set(seen), new Set(["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]));
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // 6. ResponseLike

  describe("minimal fetch responses (ResponseLike)", () => {
    const user = {
      type: "known",
      accountId: SPECIAL.currentUser,
      accountType: "atlassian",
      publicName: "Zoë Łukasiewicz",
      displayName: "Zoë Łukasiewicz 日本語 😀 Ωmega",
      timeZone: "Europe/Warsaw",
    };

    test("only {status, text}: works (no headers, no content-type → parsed as JSON)", async () => {
      const fetch = cannedFetch(() => ({ status: 200, text: async () => JSON.stringify(user) }));
      const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch });
      assert.deepEqual(await c.getUser({ accountId: SPECIAL.currentUser }), user);
    });

    test("only {status, arrayBuffer}: works, UTF-8 decoded (non-ASCII names intact)", async () => {
      const fetch = cannedFetch(() => ({
        status: 200,
        arrayBuffer: async () => new TextEncoder().encode(JSON.stringify(user)).buffer,
      }));
      const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch });
      const got = await c.getUser({ accountId: SPECIAL.currentUser });
      assert.deepEqual(got, user);
      assert.equal(got.displayName, "Zoë Łukasiewicz 日本語 😀 Ωmega");
    });

    test("arrayBuffer of a bulk (array) response and of a paged response", async () => {
      const records = [{ accountId: "a1", email: "ä@例え.jp" }];
      const page = { results: [{ type: "group", name: "Ärger & Ölstand" }], start: 0, limit: 200, size: 1, _links: {} };
      const fetch = cannedFetch((url) => {
        const body = url.includes("/email/bulk") ? records : page;
        return { status: 200, arrayBuffer: async () => new TextEncoder().encode(JSON.stringify(body)).buffer };
      });
      const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch });
      assert.deepEqual(await c.getPrivacyUnsafeUserEmailBulk({ accountIds: ["a1", "a2"] }), records);
      assert.deepEqual(await collect(c.paginateGroupMembershipsForUser({ accountId: "a1" })), page.results);
    });

    test("headers with no content-type (get returns null) → body parsed as JSON; rate-limit headers still read", async () => {
      const infos = [];
      const fetch = cannedFetch(() => ({
        status: 200,
        headers: { get: (name) => (name.toLowerCase() === "x-ratelimit-remaining" ? "7" : null) },
        text: async () => JSON.stringify(user),
      }));
      const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch, hooks: { onResponse: (i) => infos.push(i) } });
      assert.deepEqual(await c.getUser({ accountId: SPECIAL.currentUser }), user);
      assert.deepEqual(infos[0].rateLimit, { "X-RateLimit-Remaining": "7" });
      assert.equal(infos[0].status, 200);
    });

    test("an error status with only {status, text}: http error with the parsed body", async () => {
      const body = { statusCode: 404, message: "No user found with accountId: nobody" };
      const fetch = cannedFetch(() => ({ status: 404, text: async () => JSON.stringify(body) }));
      const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch });
      const e = await expectConfluenceError(c.getUser({ accountId: "nobody" }), { kind: "http", status: 404 });
      assert.deepEqual(e.body, body);
    });

    test("only {status, arrayBuffer} with a 503 is retried, then succeeds", async () => {
      let n = 0;
      const fetch = cannedFetch(() => {
        n++;
        const status = n === 1 ? 503 : 200;
        const body = n === 1 ? { statusCode: 503, message: "busy" } : user;
        return { status, arrayBuffer: async () => new TextEncoder().encode(JSON.stringify(body)).buffer };
      });
      const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch, retry: QUICK });
      assert.deepEqual(await c.getCurrentUser(), user);
      assert.equal(fetch.calls.length, 2);
    });
  });
}
