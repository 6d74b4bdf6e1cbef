// Every error kind of the installed package (`invalidArgument`, `http`, `network`, `decode`), through both
// `import` and `require`. After each failure the same client (and so the same wasm instance) must still serve
// the next call: a panic in the wasm would poison every later call.
//
// Clients retry 429/502/503/504 and network failures by default (retry.test.mjs covers that); the tests of
// those cases here use `retry: false` to see the error of a single attempt. Non-retryable failures use the
// default client and assert that exactly one request went out.

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import { errorBody } from "./fake-server/server.mjs";
import {
  BASIC_HEADER,
  CREDENTIALS,
  SPECIAL,
  closedPort,
  expectConfluenceError,
  installPackage,
  loadBothWays,
  startFakeConfluence,
} from "./helpers.mjs";

let inst;
let loaded;
let fake;
let deadPort;

before(async () => {
  inst = installPackage("errors-test");
  loaded = await loadBothWays(inst.consumer);
  fake = await startFakeConfluence({ port: 0 });
  deadPort = await closedPort();
});

after(async () => {
  await fake?.close();
  inst?.cleanup();
});

beforeEach(() => fake?.reset());

const API = "/wiki/rest/api";
const many = (n, f) => Array.from({ length: n }, (_, i) => f(i));

/** A 200 JSON body the fake really serves for `path` (authenticated), as an object. */
async function realBody(path) {
  const res = await fetch(`${fake.url}${API}${path}`, { headers: { Authorization: BASIC_HEADER } });
  assert.equal(res.status, 200);
  return res.json();
}

/** The follow-up call every error test makes: the same client still works. */
async function assertStillServes(client) {
  const me = await client.getCurrentUser();
  assert.equal(me.accountId, SPECIAL.currentUser, "the client still serves calls after the failure");
}

// Each case: [method, params, options?, fragments the message must contain]. `undefined` options = omitted.
const INVALID = [
  // getUser
  ["getUser", { accountId: "" }, undefined, ["accountId", "empty"]],
  ["getUser", {}, undefined, ["accountId"]],
  ["getUser", null, undefined, ["accountId"]],
  ["getUser", { acountId: SPECIAL.currentUser }, undefined, ["acountId"]],
  ["getUser", { accountId: SPECIAL.currentUser, expnad: ["operations"] }, undefined, ["expnad"]],
  ["getUser", { accountId: 5 }, undefined, ["accountId"]],
  ["getUser", { accountId: null }, undefined, ["accountId"]],
  ["getUser", { accountId: ["a"] }, undefined, ["accountId"]],
  ["getUser", "5b10ac8d82e05b22cc7d4ef5", undefined, ["params", "object"]],
  ["getUser", 42, undefined, ["params", "object"]],
  ["getUser", [SPECIAL.currentUser], undefined, ["params", "object"]],
  ["getUser", { accountId: SPECIAL.currentUser, expand: ["personalspace"] }, undefined, ["expand", "personalspace"]],
  ["getUser", { accountId: SPECIAL.currentUser, expand: ["groups"] }, undefined, ["expand", "groups"]],
  ["getUser", { accountId: SPECIAL.currentUser, expand: ["operations,personalSpace"] }, undefined, ["expand"]],
  ["getUser", { accountId: SPECIAL.currentUser, expand: "operations" }, undefined, ["expand"]],
  ["getUser", { accountId: SPECIAL.currentUser }, { timeout: 1000 }, ["options", "timeout"]],
  ["getUser", { accountId: SPECIAL.currentUser }, { signal: null }, ["options", "signal"]],
  ["getUser", { accountId: SPECIAL.currentUser }, "fast", ["options", "object"]],
  // getAnonymousUser
  ["getAnonymousUser", { expand: ["personalSpace"] }, undefined, ["expand", "personalSpace"]],
  ["getAnonymousUser", { expand: ["isExternalCollaborator"] }, undefined, ["expand", "isExternalCollaborator"]],
  ["getAnonymousUser", { accountId: SPECIAL.currentUser }, undefined, ["accountId"]],
  ["getAnonymousUser", {}, { retries: 2 }, ["options", "retries"]],
  ["getAnonymousUser", "operations", undefined, ["params", "object"]],
  // getCurrentUser
  ["getCurrentUser", { expand: ["details"] }, undefined, ["expand", "details"]],
  ["getCurrentUser", { expands: ["operations"] }, undefined, ["expands"]],
  ["getCurrentUser", undefined, { cache: true }, ["options", "cache"]],
  // getGroupMembershipsForUser
  ["getGroupMembershipsForUser", { accountId: "" }, undefined, ["accountId", "empty"]],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, start: -1 }, undefined, ["start"]],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, limit: -1 }, undefined, ["limit"]],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, limit: 1.5 }, undefined, ["limit"]],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, start: "0" }, undefined, ["start"]],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, limit: 2 ** 31 }, undefined, ["limit"]],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, offset: 5 }, undefined, ["offset"]],
  // getBulkUserLookup
  ["getBulkUserLookup", { accountIds: [] }, undefined, ["accountIds", "empty"]],
  ["getBulkUserLookup", { accountIds: "x" }, undefined, ["accountIds"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser, ""] }, undefined, ["accountIds[1]", "empty"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser, `${SPECIAL.hiddenProfile},${SPECIAL.appUser}`] }, undefined, ["accountIds[1]", "comma"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser, 7] }, undefined, ["accountIds[1]"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser], limit: 0 }, undefined, ["limit", "200"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser], limit: 201 }, undefined, ["limit", "200"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser], limit: 2.5 }, undefined, ["limit"]],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser], expand: ["isExternalCollaborator"] }, undefined, ["expand", "isExternalCollaborator"]],
  ["getBulkUserLookup", { accountId: SPECIAL.currentUser }, undefined, ["accountId"]],
  // getPrivacyUnsafeUserEmail
  ["getPrivacyUnsafeUserEmail", { accountId: "" }, undefined, ["accountId", "empty"]],
  ["getPrivacyUnsafeUserEmail", {}, undefined, ["accountId"]],
  ["getPrivacyUnsafeUserEmail", { accountIds: [SPECIAL.currentUser] }, undefined, ["accountIds"]],
  // getPrivacyUnsafeUserEmailBulk
  ["getPrivacyUnsafeUserEmailBulk", { accountIds: [] }, undefined, ["accountIds", "empty"]],
  ["getPrivacyUnsafeUserEmailBulk", { accountIds: ["", SPECIAL.currentUser] }, undefined, ["accountIds[0]", "empty"]],
  ["getPrivacyUnsafeUserEmailBulk", { accountIds: ["a,b"] }, undefined, ["accountIds[0]", "comma"]],
  ["getPrivacyUnsafeUserEmailBulk", { accountIds: SPECIAL.currentUser }, undefined, ["accountIds"]],
  // getBulkUserMigration
  ["getBulkUserMigration", {}, undefined, ["keys", "usernames"]],
  ["getBulkUserMigration", { keys: ["k"], usernames: ["u"] }, undefined, ["keys", "usernames"]],
  ["getBulkUserMigration", { keys: [] }, undefined, ["keys", "empty"]],
  ["getBulkUserMigration", { usernames: [] }, undefined, ["usernames", "empty"]],
  ["getBulkUserMigration", { usernames: ["admin", ""] }, undefined, ["usernames[1]", "empty"]],
  ["getBulkUserMigration", { keys: ["", "k"] }, undefined, ["keys[0]", "empty"]],
  ["getBulkUserMigration", { keys: "k" }, undefined, ["keys"]],
  ["getBulkUserMigration", { usernames: ["admin"], start: -1 }, undefined, ["start"]],
  ["getBulkUserMigration", { usernames: ["admin"], limit: -5 }, undefined, ["limit"]],
  ["getBulkUserMigration", { username: ["admin"] }, undefined, ["username"]],
];

// Numbers JSON cannot carry. A user who passes one (limit from a failed parseInt) must be told, not get a
// request without the parameter.
const NON_FINITE = [
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, limit: NaN }, "limit"],
  ["getGroupMembershipsForUser", { accountId: SPECIAL.manyGroups, start: Infinity }, "start"],
  ["getBulkUserLookup", { accountIds: [SPECIAL.currentUser], limit: NaN }, "limit"],
  ["getBulkUserMigration", { usernames: ["admin"], limit: -Infinity }, "limit"],
];

const show = (v) => {
  try {
    return JSON.stringify(v, (_, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x))?.slice(0, 80) ?? String(v);
  } catch {
    return String(v);
  }
};

for (const system of ["esm", "cjs"]) {
  const lib = () => (system === "esm" ? loaded.esm : loaded.cjs);
  const basic = (extra = {}) => new (lib().ConfluenceClient)({ baseUrl: fake.url, auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken }, ...extra });
  const noRetry = () => basic({ retry: false });

  describe(`${system}: invalidArgument (refused before sending)`, () => {
    let client;
    before(() => {
      client = basic();
    });

    for (const [method, params, options, fragments] of INVALID) {
      test(`${method}(${show(params)}${options === undefined ? "" : `, ${show(options)}`}) → ${fragments.join(" / ")}`, async () => {
        const sent = fake.requests.length;
        const promise = options === undefined ? client[method](params) : client[method](params, options);
        assert.ok(promise instanceof Promise, "bad params reject, they do not throw synchronously");
        const e = await expectConfluenceError(promise, {
          kind: "invalidArgument",
          status: 0,
          operation: method,
          method: "",
          url: "",
          body: undefined,
          attempts: 0,
          message: new RegExp(`^${method}: invalid argument: `),
          messageIncludes: fragments,
        });
        assert.equal(lib().isConfluenceError(e), true);
        assert.equal(fake.requests.length, sent, "nothing was sent");
        await assertStillServes(client);
      });
    }

    for (const [method, params, field] of NON_FINITE) {
      test(`${method}(${show(params)}): a non-finite ${field} is refused, not dropped`, async () => {
        const sent = fake.requests.length;
        const outcome = await client[method](params).then(
          (value) => ({ value, request: fake.requests[sent]?.url }),
          (error) => ({ error }),
        );
        assert.ok(outcome.error, `expected invalidArgument for ${field}; the call was sent as ${outcome.request} and resolved`);
        assert.equal(outcome.error.kind, "invalidArgument");
        assert.ok(outcome.error.message.includes(field), outcome.error.message);
        assert.equal(fake.requests.length, sent, "nothing was sent");
      });
    }

    test("a params object JSON cannot represent (BigInt) is refused", async () => {
      const sent = fake.requests.length;
      await expectConfluenceError(client.getUser({ accountId: 5n }), { kind: "invalidArgument", operation: "getUser" });
      assert.equal(fake.requests.length, sent);
      await assertStillServes(client);
    });

    test("boundaries that are valid are sent: start 0, limit 0 (memberof), limit 1 and 200 (bulk)", async () => {
      const sent = fake.requests.length;
      await client.getGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: 0, limit: 0 });
      assert.equal((await client.getBulkUserLookup({ accountIds: [SPECIAL.currentUser, SPECIAL.hiddenProfile], limit: 1 })).results.length, 1);
      assert.equal((await client.getBulkUserLookup({ accountIds: [SPECIAL.currentUser], limit: 200 })).results.length, 1);
      assert.equal(fake.requests.length, sent + 3);
    });
  });

  describe(`${system}: constructor errors are thrown synchronously`, () => {
    const BAD_BASE_URLS = [
      ["http://example.atlassian.net", "https"],
      ["http://127.0.0.1.example.com", "https"],
      ["http://localhost.example.com", "https"],
      ["https://admin:secret@example.atlassian.net", "credentials"],
      ["https://admin@example.atlassian.net", "credentials"],
      ["https://example.atlassian.net/?os_authType=basic", "query"],
      ["https://example.atlassian.net/wiki#top", "fragment"],
      ["ftp://example.atlassian.net", "https"],
      ["", "empty"],
      ["example.atlassian.net", "https"],
      ["/wiki", "https"],
      ["https://", "host"],
      ["https://exa mple.atlassian.net", "spaces"],
      ["https://example.atlassian.net:99999", "host"],
    ];
    for (const [baseUrl, fragment] of BAD_BASE_URLS) {
      test(`baseUrl ${JSON.stringify(baseUrl)} → ${fragment}`, async () => {
        const { ConfluenceClient } = lib();
        let thrown;
        try {
          new ConfluenceClient({ baseUrl, auth: { type: "bearer", token: "t0ken" } });
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown, "the constructor throws (synchronously)");
        await expectConfluenceError(() => {
          throw thrown;
        }, { kind: "invalidArgument", status: 0, operation: "ConfluenceClient", method: "", url: "", attempts: 0, messageIncludes: ["baseUrl", fragment] });
        assert.equal(lib().isConfluenceError(thrown), true);
      });
    }

    test("loopback http base URLs are accepted (127.x, localhost, [::1]) and https anywhere", () => {
      const { ConfluenceClient } = lib();
      for (const baseUrl of ["http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:3000/wiki", "http://[::1]:9000", "https://example.atlassian.net", "https://api.atlassian.com/ex/confluence/abc-123"]) {
        assert.ok(new ConfluenceClient({ baseUrl }), baseUrl);
      }
    });

    const BAD_OPTIONS = [
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "basic", email: "me@example.com", apiToken: "" } }, ["apiToken", "empty"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "basic", email: "", apiToken: "t" } }, ["email", "empty"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "basic", email: "a:b@example.com", apiToken: "t" } }, ["email"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: "" } }, ["token", "empty"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: "abc\r\nX-Injected: 1" } }, ["token"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: "abc\ndef" } }, ["token"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: "abc def" } }, ["token"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "oauth", token: "t" } }, ["auth", "oauth"]],
      [{ baseUrl: "https://x.atlassian.net", auth: { type: "basic", email: "me@example.com", apitoken: "t" } }, ["apitoken"]],
      [{ baseUrl: "https://x.atlassian.net", fetch: "fetch" }, ["fetch", "function"]],
      [{ baseUrl: "https://x.atlassian.net", fetch: {} }, ["fetch", "function"]],
      [{ baseUrl: "https://x.atlassian.net", fetch: null }, ["fetch", "function"]],
      [{ baseURL: "https://x.atlassian.net" }, ["baseURL"]],
      [{ baseUrl: 42 }, ["baseUrl"]],
      ["https://x.atlassian.net", ["options", "object"]],
    ];
    for (const [options, fragments] of BAD_OPTIONS) {
      test(`options ${show(options)} → ${fragments.join(" / ")}`, async () => {
        const { ConfluenceClient } = lib();
        let thrown;
        try {
          new ConfluenceClient(options);
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown, "the constructor throws (synchronously)");
        await expectConfluenceError(() => {
          throw thrown;
        }, { kind: "invalidArgument", status: 0, operation: "ConfluenceClient", method: "", url: "", messageIncludes: fragments, message: /^ConfluenceClient: invalid argument: / });
      });
    }

    test("a bearer token with CR/LF is refused without echoing the token", () => {
      const { ConfluenceClient } = lib();
      try {
        new ConfluenceClient({ baseUrl: fake.url, auth: { type: "bearer", token: "tok-9f8e7d\r\nX-Evil: yes" } });
        assert.fail("expected a throw");
      } catch (e) {
        assert.equal(e.kind, "invalidArgument");
        assert.ok(!e.message.includes("tok-9f8e7d") && !e.message.includes("X-Evil"), e.message);
      }
    });
  });

  describe(`${system}: http errors (non-2xx)`, () => {
    let client;
    before(() => {
      client = basic();
    });

    /** Runs `fn`, asserting it sent exactly one request; returns the error and that request. */
    async function oneRequest(fn) {
      const sent = fake.requests.length;
      const e = await fn();
      assert.equal(fake.requests.length, sent + 1, "exactly one request (not retried)");
      const rec = fake.requests.at(-1);
      assert.equal(e.attempts, 1);
      assert.equal(e.requestId, rec.traceId, "requestId is the response's atl-traceid");
      return { e, rec };
    }

    test("401 for a wrong API token, with the parsed Atlassian body", async () => {
      const wrong = new (lib().ConfluenceClient)({ baseUrl: fake.url, auth: { type: "basic", email: CREDENTIALS.email, apiToken: "not-the-token" } });
      const msg = "Client must be authenticated to access this resource.";
      const { e } = await oneRequest(() => expectConfluenceError(wrong.getCurrentUser(), {
        kind: "http",
        status: 401,
        operation: "getCurrentUser",
        method: "GET",
        url: `${fake.url}${API}/user/current`,
        message: `getCurrentUser: 401 Unauthorized: ${msg}`,
      }));
      assert.deepEqual(e.body, errorBody(401, msg, { authorized: false, valid: true }));
      assert.equal(fake.requests.at(-1).auth, "invalid");
      await assertStillServes(client);
    });

    test("404 for an unknown user: message, url and body", async () => {
      const id = SPECIAL.unknownAccountId;
      const { e } = await oneRequest(() => expectConfluenceError(client.getUser({ accountId: id, expand: ["operations"] }), {
        kind: "http",
        status: 404,
        operation: "getUser",
        method: "GET",
        url: `${fake.url}${API}/user?accountId=${id}&expand=operations`,
        message: `getUser: 404 Not Found: No user found with accountId: ${id}`,
      }));
      assert.deepEqual(e.body, errorBody(404, `No user found with accountId: ${id}`));
      await expectConfluenceError(client.getPrivacyUnsafeUserEmail({ accountId: id }), { kind: "http", status: 404, operation: "getPrivacyUnsafeUserEmail" });
      await expectConfluenceError(client.getGroupMembershipsForUser({ accountId: id }), { kind: "http", status: 404, operation: "getGroupMembershipsForUser" });
      await assertStillServes(client);
    });

    test("400 with an Atlassian error body (enqueued)", async () => {
      const msg = "limit must be between 1 and 200";
      // Confluence prefixes `message` with the Java exception class; the translation is the plain text.
      const body = { ...errorBody(400, msg), message: `com.atlassian.confluence.api.service.exceptions.BadRequestException: ${msg}` };
      fake.enqueue({ status: 400, body });
      const { e } = await oneRequest(() => expectConfluenceError(client.getBulkUserLookup({ accountIds: [SPECIAL.currentUser] }), {
        kind: "http",
        status: 400,
        operation: "getBulkUserLookup",
        method: "GET",
        url: `${fake.url}${API}/user/bulk?accountId=${SPECIAL.currentUser}`,
      }));
      assert.equal(e.message, `getBulkUserLookup: 400 Bad Request: ${msg}`);
      assert.deepEqual(e.body, body);
      await assertStillServes(client);
    });

    test("403 (enqueued), OAuth-style {code, message} body", async () => {
      const body = { code: 403, message: "Unauthorized; scope does not match" };
      fake.enqueue({ status: 403, body });
      const { e } = await oneRequest(() => expectConfluenceError(client.getPrivacyUnsafeUserEmailBulk({ accountIds: [SPECIAL.currentUser] }), {
        kind: "http",
        status: 403,
        operation: "getPrivacyUnsafeUserEmailBulk",
        message: "getPrivacyUnsafeUserEmailBulk: 403 Forbidden: Unauthorized; scope does not match",
      }));
      assert.deepEqual(e.body, body);
      await assertStillServes(client);
    });

    test("the body as Confluence sent it: an own __proto__ key kept, a credential in a key or a value redacted, one nested past 128 levels left out", async () => {
      const json = { "Content-Type": "application/json" };
      const plain = '{"statusCode":400,"__proto__":{"polluted":true},"message":"bad","data":{"errors":[{"message":{"key":"k","args":[1,null,"a\\u00e9"]}}]}}';
      fake.enqueue({ status: 400, headers: json, body: plain });
      const { e: parsed } = await oneRequest(() => expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 400 }));
      assert.ok(Object.hasOwn(parsed.body, "__proto__") && parsed.body.polluted === undefined, "__proto__ is an own key, not the prototype");
      assert.equal(JSON.stringify(parsed.body), JSON.stringify(JSON.parse(plain)));

      const token = CREDENTIALS.apiToken;
      fake.enqueue({ status: 400, headers: json, body: JSON.stringify({ statusCode: 400, message: "bad", data: { [token]: [`saw ${token}`] } }) });
      const { e: echoed } = await oneRequest(() => expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 400 }));
      const text = JSON.stringify(echoed.body);
      assert.ok(!text.includes(token) && text.includes("[REDACTED]"), text);
      assert.equal(echoed.body.message, "bad");

      fake.enqueue({ status: 400, headers: json, body: `{"message":"deep","data":${"[".repeat(200)}${"]".repeat(200)}}` });
      const { e: deep } = await oneRequest(() => expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 400 }));
      assert.equal(deep.body, undefined);
      await assertStillServes(client);
    });

    test("500 with a text/plain body: the text is the message, body is undefined", async () => {
      fake.enqueue({ status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" }, body: "Internal error:\n   the database is\tdown\n" });
      const { e } = await oneRequest(() => expectConfluenceError(client.getUser({ accountId: SPECIAL.currentUser }), {
        kind: "http",
        status: 500,
        operation: "getUser",
        method: "GET",
        message: "getUser: 500 Internal Server Error: Internal error: the database is down",
        body: undefined,
      }));
      assert.ok(!("body" in e) || e.body === undefined);
      await assertStillServes(client);
    });

    test("502 with an HTML page (retry: false): the message names the page title", async () => {
      const html = "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Atlassian Cloud Notifications - Page Unavailable</title><style>body{}</style></head><body><h1>Page Unavailable</h1>" + "<p>lorem ipsum</p>".repeat(200) + "</body></html>";
      fake.enqueue({ status: 502, headers: { "Content-Type": "text/html; charset=UTF-8" }, body: html });
      const { e } = await oneRequest(() => expectConfluenceError(noRetry().getCurrentUser(), {
        kind: "http",
        status: 502,
        operation: "getCurrentUser",
        message: "getCurrentUser: 502 Bad Gateway: HTML page: Atlassian Cloud Notifications - Page Unavailable",
        body: undefined,
      }));
      assert.ok(e.message.length < 200, "no HTML dump in the message");
      await assertStillServes(client);
    });

    test("429 with Retry-After (retry: false), and an unusual status without a reason phrase", async () => {
      fake.enqueue({ status: 429, headers: { "Retry-After": "2" }, body: { statusCode: 429, message: "Rate limit exceeded" } });
      const { e: limited } = await oneRequest(() =>
        expectConfluenceError(noRetry().getCurrentUser(), { kind: "http", status: 429, message: "getCurrentUser: 429 Too Many Requests: Rate limit exceeded" }),
      );
      assert.equal(limited.retryAfterMs, 2000);
      fake.enqueue({ status: 418, body: "" });
      const { e } = await oneRequest(() => expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 418, body: undefined }));
      assert.match(e.message, /^getCurrentUser: 418/);
      await assertStillServes(client);
    });
  });

  describe(`${system}: network errors (no HTTP answer)`, () => {
    test("a baseUrl pointing at a closed 127.0.0.1 port", async () => {
      const dead = new (lib().ConfluenceClient)({ baseUrl: `http://127.0.0.1:${deadPort}`, auth: { type: "bearer", token: CREDENTIALS.oauthToken }, retry: false });
      const e = await expectConfluenceError(dead.getUser({ accountId: SPECIAL.currentUser }), {
        kind: "network",
        status: 0,
        operation: "getUser",
        method: "GET",
        url: `http://127.0.0.1:${deadPort}${API}/user?accountId=${SPECIAL.currentUser}`,
        body: undefined,
        attempts: 1,
        message: /^getUser: network error: /,
      });
      assert.ok(e.message.length > "getUser: network error: ".length);
      await assertStillServes(basic());
    });

    test("the server drops the connection mid-request", async () => {
      const client = noRetry();
      fake.enqueue((req, res) => res.socket.destroy());
      await expectConfluenceError(client.getCurrentUser(), { kind: "network", status: 0, operation: "getCurrentUser", method: "GET", attempts: 1 });
      await assertStillServes(client);
    });

    /** A client (retry: false) whose fetch misbehaves once (`bad`), then behaves: the same client must recover. */
    function flakyClient(bad) {
      let calls = 0;
      return new (lib().ConfluenceClient)({
        baseUrl: fake.url,
        auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken },
        retry: false,
        fetch: (url, init) => (calls++ === 0 ? bad(url, init) : globalThis.fetch(url, init)),
      });
    }

    test("a custom fetch that throws synchronously", async () => {
      const client = flakyClient(() => {
        throw new TypeError("host bridge unavailable");
      });
      await expectConfluenceError(client.getCurrentUser(), {
        kind: "network",
        status: 0,
        operation: "getCurrentUser",
        method: "GET",
        url: `${fake.url}${API}/user/current`,
        messageIncludes: ["network error", "host bridge unavailable"],
      });
      await assertStillServes(client);
    });

    test("a custom fetch that rejects (with a cause)", async () => {
      const client = flakyClient(async () => {
        throw new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 10.0.0.1:443") });
      });
      await expectConfluenceError(client.getCurrentUser(), { kind: "network", messageIncludes: ["fetch failed", "ECONNREFUSED"] });
      await assertStillServes(client);
    });

    test("a custom fetch that rejects with a non-Error value", async () => {
      const client = flakyClient(() => Promise.reject("offline"));
      await expectConfluenceError(client.getCurrentUser(), { kind: "network", status: 0 });
      await assertStillServes(client);
    });

    const NON_RESPONSES = [
      ["42", 42],
      ["null", null],
      ["undefined", undefined],
      ["a string", "200 OK"],
      ["{} without status", {}],
      ["status out of range", { status: 42, text: async () => "{}" }],
      ["status as a string", { status: "200", text: async () => "{}" }],
      ["no text()", { status: 200 }],
      ["text() giving a number", { status: 200, text: async () => 5 }],
      ["text() that rejects", { status: 200, text: () => Promise.reject(new Error("stream aborted")) }],
    ];
    for (const [label, value] of NON_RESPONSES) {
      test(`a custom fetch that resolves to a non-response: ${label}`, async () => {
        const client = flakyClient(async () => value);
        await expectConfluenceError(client.getCurrentUser(), { kind: "network", status: 0, operation: "getCurrentUser", method: "GET", body: undefined });
        await assertStillServes(client);
      });
    }
  });

  describe(`${system}: decode errors (2xx with a body of the wrong shape)`, () => {
    let client;
    before(() => {
      client = basic();
    });

    test("malformed JSON", async () => {
      fake.enqueue({ status: 200, body: '{"type": known}' });
      await expectConfluenceError(client.getCurrentUser(), {
        kind: "decode",
        status: 200,
        operation: "getCurrentUser",
        method: "GET",
        url: `${fake.url}${API}/user/current`,
        body: undefined,
        message: /^getCurrentUser: invalid response body at /,
      });
      await assertStillServes(client);
    });

    test("truncated JSON", async () => {
      const text = JSON.stringify(await realBody(`/user?accountId=${SPECIAL.currentUser}`));
      fake.enqueue({ status: 200, body: text.slice(0, Math.floor(text.length / 2)) });
      await expectConfluenceError(client.getUser({ accountId: SPECIAL.currentUser }), { kind: "decode", status: 200, operation: "getUser", message: /^getUser: invalid response body at / });
      await assertStillServes(client);
    });

    test("an HTML login page with status 200", async () => {
      fake.enqueue({ status: 200, headers: { "Content-Type": "text/html;charset=UTF-8" }, body: "<html><head><title>Log in with Atlassian account</title></head><body>…</body></html>" });
      await expectConfluenceError(client.getCurrentUser(), { kind: "decode", status: 200, messageIncludes: ["text/html"], body: undefined });
      await assertStillServes(client);
    });

    test("an empty 200 body", async () => {
      fake.enqueue({ status: 200, body: "" });
      await expectConfluenceError(client.getAnonymousUser(), { kind: "decode", status: 200, operation: "getAnonymousUser", messageIncludes: ["empty"] });
      await assertStillServes(client);
    });

    test("top-level null", async () => {
      fake.enqueue({ status: 200, body: "null" });
      await expectConfluenceError(client.getUser({ accountId: SPECIAL.currentUser }), { kind: "decode", status: 200, message: /^getUser: invalid response body at \.: / });
      await assertStillServes(client);
    });

    test("an array where an object is expected, and an object where an array is expected", async () => {
      fake.enqueue({ status: 200, body: [] });
      await expectConfluenceError(client.getCurrentUser(), { kind: "decode", status: 200 });
      fake.enqueue({ status: 200, body: { results: [] } });
      await expectConfluenceError(client.getPrivacyUnsafeUserEmailBulk({ accountIds: [SPECIAL.currentUser] }), { kind: "decode", status: 200, operation: "getPrivacyUnsafeUserEmailBulk" });
      await assertStillServes(client);
    });

    test("a wrong type deep in the body names its path: results[1].accountId", async () => {
      const ids = [SPECIAL.currentUser, SPECIAL.hiddenProfile, SPECIAL.appUser];
      const body = await realBody(`/user/bulk?accountId=${ids.join(",")}`);
      assert.equal(body.results.length, 3);
      body.results[1].accountId = 12345;
      fake.enqueue({ status: 200, body });
      const e = await expectConfluenceError(client.getBulkUserLookup({ accountIds: ids }), { kind: "decode", status: 200, operation: "getBulkUserLookup", body: undefined });
      assert.match(e.message, /^getBulkUserLookup: invalid response body at results\[1\]\.accountId: /);
      await assertStillServes(client);
    });

    test("a missing required field names its path", async () => {
      const body = await realBody(`/user/memberof?accountId=${SPECIAL.currentUser}`);
      delete body.results[2].name;
      fake.enqueue({ status: 200, body });
      const e = await expectConfluenceError(client.getGroupMembershipsForUser({ accountId: SPECIAL.currentUser }), { kind: "decode", status: 200 });
      assert.ok(e.message.includes("results[2]"), e.message);
      assert.ok(e.message.includes("name"), e.message);
      await assertStillServes(client);
    });

    test("a huge integer where an int32 is expected (limit: 99999999999)", async () => {
      const body = await realBody(`/user/memberof?accountId=${SPECIAL.currentUser}`);
      const text = JSON.stringify(body).replace('"limit":200', '"limit":99999999999');
      assert.ok(text.includes("99999999999"));
      fake.enqueue({ status: 200, body: text });
      const e = await expectConfluenceError(client.getGroupMembershipsForUser({ accountId: SPECIAL.currentUser }), { kind: "decode", status: 200 });
      assert.match(e.message, /at limit: /);
      assert.ok(e.message.includes("99999999999"), e.message);
      await assertStillServes(client);
    });

    test("a space id beyond Number.MAX_SAFE_INTEGER is refused rather than silently rounded", async () => {
      const body = await realBody(`/user/current?expand=personalSpace`);
      const text = JSON.stringify(body).replace(`"id":${body.personalSpace.id}`, '"id":9007199254740993');
      assert.ok(text.includes("9007199254740993"));
      fake.enqueue({ status: 200, body: text });
      const e = await expectConfluenceError(client.getCurrentUser({ expand: ["personalSpace"] }), { kind: "decode", status: 200 });
      assert.ok(e.message.includes("personalSpace.id"), e.message);
      await assertStillServes(client);
    });
  });
}
