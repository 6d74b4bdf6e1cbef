// Migration lookups of any size, against the fake Confluence: getBulkUserMigration and
// paginateBulkUserMigration split thousands of legacy usernames or keys (long, non-ASCII, with
// characters that need encoding) into requests whose URLs stay under 8,000 characters, follow
// each chunk's pages, merge in input order, ask each distinct value once and name the values
// that have no account id. Also: bare 414/431 answers read as sentences; the CLI's migrate
// command takes 5,000 usernames on stdin.
//
// Build the package first: node pkg-template/build.mjs --no-opt

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";

import { legacyUsername } from "./fake-server/directory.mjs";
import { CREDENTIALS, expectConfluenceError, PKG_DIR, withFake as withAnyFake } from "./helpers.mjs";
import { clientOf } from "./kit.mjs";

const N = 5000;
const MAX_URL = 8000;
const CLI = join(PKG_DIR, "bin", "cli.mjs");
const API = "/wiki/rest/api";

/** The shared fake (helpers.mjs' withFake) with N legacy users unless `options` says otherwise. */
const withFake = (options, fn) => withAnyFake({ legacyCount: N, ...options }, fn);

/** The shared client (kit.mjs' clientOf), with basic auth as the CLI uses. */
const client = (fake, extra = {}) =>
  clientOf(fake, { auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken }, ...extra });

/** 5,000 legacy usernames plus unknown ones (one long, one non-ASCII) and repeats. */
function usernameInput(fake) {
  const known = fake.directory.legacy.map((l) => l.username);
  const unknown = ["no.such.user", `gone.${"ö".repeat(200)}`, "ghost 幽霊"];
  // The unknown ones sit among the known ones; repeats of both come later.
  const input = [...known.slice(0, 1234), unknown[0], ...known.slice(1234, 3000), unknown[1], ...known.slice(3000), unknown[2]];
  input.push(known[0], known[4321], unknown[0], known[2]);
  const distinct = [...new Set(input)];
  return { input, distinct, unknown };
}

function expectedFor(fake, value, field = "username") {
  const map = field === "username" ? fake.directory.byUsername : fake.directory.byKey;
  const m = map.get(value);
  if (!m) return field === "username" ? { username: value, key: null, accountId: null } : { username: null, key: value, accountId: null };
  return { username: m.username, key: m.userKey, accountId: m.accountId };
}

function migrationRequests(fake) {
  return fake.requests.filter((r) => r.path === `${API}/user/bulk/migration`);
}

/** Every request under the URL budget, none refused, and each distinct value asked for in exactly one chunk. */
function assertSplit(fake, distinct, field = "username") {
  const requests = migrationRequests(fake);
  assert.ok(requests.length > 1);
  for (const r of requests) {
    assert.equal(r.rejected, undefined, "no request was refused for its length");
    const length = fake.url.length + r.url.length;
    assert.ok(length < MAX_URL, `a request URL of ${length} characters`);
  }
  // The first page of each chunk (no start) carries the chunk's values; chunks run concurrently,
  // so they arrive in any order (the results' order is checked by each test).
  const asked = requests.filter((r) => r.query.start === undefined).flatMap((r) => r.query[field]);
  assert.equal(asked.length, distinct.length, "each distinct value asked for once");
  assert.deepEqual(new Set(asked), new Set(distinct));
  return requests;
}

describe("getBulkUserMigration: any number of values", () => {
  test("5,000 usernames (long, non-ASCII, repeated, some unknown): split under 8,000 characters, merged in input order, unknowns named", () =>
    withFake({ latencyMs: 5 }, async (fake) => {
      const { input, distinct, unknown } = usernameInput(fake);
      let inFlight = 0;
      let most = 0;
      const hooks = {
        onRequest: () => (most = Math.max(most, ++inFlight)),
        onResponse: () => inFlight--,
      };
      const t0 = Date.now();
      const result = await client(fake, { concurrency: 3, hooks }).getBulkUserMigration({ usernames: input });
      const ms = Date.now() - t0;
      assert.equal(result.results.length, distinct.length);
      assert.deepEqual(result.results, distinct.map((u) => expectedFor(fake, u)));
      assert.deepEqual(result.notFound, unknown);
      assert.equal(result.size, distinct.length);
      assert.equal(result.start, 0);
      assert.equal(result.limit, distinct.length);
      assert.equal(result._links.next, undefined, "the result is complete: no next link");
      assert.equal(typeof result._links.base, "string");
      const requests = assertSplit(fake, distinct);
      assert.ok(requests.length >= Math.ceil(distinct.length / 200), `${requests.length} requests`);
      assert.equal(most, 3, "concurrency requests at once");
      console.log(`# 5,000 usernames: ${requests.length} requests, ${ms} ms`);
    }));

  test("5,000 keys: the same, by key", () =>
    withFake({}, async (fake) => {
      const keys = [...fake.directory.legacy.map((l) => l.userKey), "nosuchkey"];
      const result = await client(fake).getBulkUserMigration({ keys });
      assert.deepEqual(result.results, keys.map((k) => expectedFor(fake, k, "key")));
      assert.deepEqual(result.notFound, ["nosuchkey"]);
      assertSplit(fake, keys, "key");
    }));

  test("pages of each chunk are followed when Confluence's pages are smaller than a chunk", () =>
    withFake({ migrationPageCap: 50 }, async (fake) => {
      const { input, distinct, unknown } = usernameInput(fake);
      const result = await client(fake).getBulkUserMigration({ usernames: input });
      assert.deepEqual(result.results, distinct.map((u) => expectedFor(fake, u)));
      assert.deepEqual(result.notFound, unknown);
      const requests = assertSplit(fake, distinct);
      const later = requests.filter((r) => r.query.start !== undefined);
      assert.ok(later.length > requests.length / 2, `${later.length} of ${requests.length} requests are later pages`);
      for (const r of later) assert.equal(Number(r.query.start[0]) % 50, 0);
    }));

  test("start and limit pick a window of the distinct values; only those are asked for", () =>
    withFake({}, async (fake) => {
      const { input, distinct } = usernameInput(fake);
      const result = await client(fake).getBulkUserMigration({ usernames: input, start: 4000, limit: 300 });
      assert.deepEqual(result.results, distinct.slice(4000, 4300).map((u) => expectedFor(fake, u)));
      assert.equal(result.start, 4000);
      assert.equal(result.limit, 300);
      assertSplit(fake, distinct.slice(4000, 4300));
      fake.reset();
      const none = await client(fake).getBulkUserMigration({ usernames: ["a", "b"], start: 2 });
      assert.deepEqual([none.results, none.notFound, none.size], [[], [], 0]);
      assert.equal(fake.requests.length, 0, "an empty window sends nothing");
    }));

  test("a failing chunk rejects the call, saying how far it got", () =>
    withFake({}, async (fake) => {
      const { input, distinct } = usernameInput(fake);
      fake.enqueue({ status: 500, body: { statusCode: 500, message: "chunk exploded" } });
      const e = await expectConfluenceError(client(fake, { retry: false, concurrency: 1 }).getBulkUserMigration({ usernames: input }), {
        kind: "http",
        status: 500,
        operation: "getBulkUserMigration",
      });
      assert.match(e.message, new RegExp(`chunk exploded \\(0 of ${distinct.length} usernames were looked up before this failure\\)`));
      assert.equal(migrationRequests(fake).length, 1, "no chunk starts after the failure");
    }));

  test("a value too long for any URL is refused before sending, by its index", () =>
    withFake({}, async (fake) => {
      const e = await expectConfluenceError(
        client(fake).getBulkUserMigration({ usernames: ["admin", "ü".repeat(2000)] }),
        { kind: "invalidArgument", attempts: 0 },
      );
      assert.match(e.message, /usernames\[1\] is too long to fit in a request URL of 8000 characters/);
      assert.equal(fake.requests.length, 0);
    }));
});

describe("paginateBulkUserMigration: any number of values", () => {
  test("5,000 usernames: every distinct value once, in input order, one request at a time", () =>
    withFake({ latencyMs: 2 }, async (fake) => {
      const { input, distinct } = usernameInput(fake);
      let inFlight = 0;
      let most = 0;
      const hooks = { onRequest: () => (most = Math.max(most, ++inFlight)), onResponse: () => inFlight-- };
      const got = [];
      for await (const u of client(fake, { hooks }).paginateBulkUserMigration({ usernames: input })) got.push(u);
      assert.deepEqual(got, distinct.map((u) => expectedFor(fake, u)));
      assertSplit(fake, distinct);
      assert.equal(most, 1);
    }));

  test("limit is each request's page size; start skips distinct values; break stops the requests", () =>
    withFake({}, async (fake) => {
      const { input, distinct } = usernameInput(fake);
      const got = [];
      for await (const u of client(fake).paginateBulkUserMigration({ usernames: input, start: 10, limit: 120 })) {
        got.push(u.username);
        if (got.length === 500) break;
      }
      assert.deepEqual(got, distinct.slice(10, 510));
      const requests = migrationRequests(fake);
      for (const r of requests) assert.equal(r.query.limit[0], "120");
      // What each page served: 120, or the rest of its chunk. The iterator fetched no page ahead.
      const served = requests.map((r) => Math.min(120, r.query.username.length - Number(r.query.start?.[0] ?? 0)));
      const before = served.slice(0, -1).reduce((a, b) => a + b, 0);
      assert.ok(before < 500 && before + served.at(-1) >= 500, `pages served ${served.join(", ")}`);
      assert.ok(served.some((n) => n < 120), "a chunk ended inside a page and the next chunk followed");
    }));
});

describe("bare 414 and 431 answers read as sentences", () => {
  test("414 URI Too Long and 431 Request Header Fields Too Large, from the status code alone", () =>
    withFake({ legacyCount: 0 }, async (fake) => {
      const c = client(fake, { retry: false });
      const e414 = await expectConfluenceError(c.getUser({ accountId: "x".repeat(9000) }), { kind: "http", status: 414 });
      assert.equal(e414.message, "getUser: 414 URI Too Long");
      const e431 = await expectConfluenceError(c.getUser({ accountId: "x".repeat(17000) }), { kind: "http", status: 431 });
      assert.equal(e431.message, "getUser: 431 Request Header Fields Too Large");
    }));
});

describe("the CLI", () => {
  test("confluence-users migrate --usernames with 5,000 names on stdin succeeds", () =>
    withFake({}, async (fake) => {
      const { input, distinct } = usernameInput(fake);
      // The CLI trims lines; these values have no surrounding spaces.
      const r = await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, "migrate", "--usernames"], {
          env: {
            PATH: process.env.PATH,
            CONFLUENCE_BASE_URL: fake.url,
            CONFLUENCE_EMAIL: CREDENTIALS.email,
            CONFLUENCE_API_TOKEN: CREDENTIALS.apiToken,
          },
          stdio: ["pipe", "pipe", "pipe"],
          timeout: 60_000,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input.join("\n") + "\n");
      });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), distinct.map((u) => expectedFor(fake, u)));
      assert.match(r.stderr, /3 of \d+ usernames have no account id/);
      assertSplit(fake, distinct);
    }));
});

test("legacyUsername gives long, non-ASCII and encoded-character names", () => {
  const names = Array.from({ length: 10 }, (_, i) => legacyUsername(i));
  assert.ok(names.some((n) => n.length > 150));
  assert.ok(names.some((n) => /[^\x00-\x7f]/.test(n)));
  assert.ok(names.some((n) => /[ +&=%]/.test(n)));
});
