// New features of the package: bulk lookups of any size, pagination iterators, observability hooks,
// OAuth bearer tokens (string or function), relative mode, and minimal fetch responses (ResponseLike).
// Runs against the built package (pkg/, `node pkg-template/build.mjs --no-opt`) and the fake Confluence,
// each test on a fresh fake (closed afterwards).
//
//   node --test js-tests/features.test.mjs
//
// Tests that only look at what the client hands to `fetch` use a custom fetch returning canned
// `new Response(...)` / plain objects: nothing is sent anywhere.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { ConfluenceClient, isConfluenceError } from "../pkg/node/index.mjs";
import { CREDENTIALS, SPECIAL, startFakeConfluence } from "./fake-server/server.mjs";
import { assertNoSecrets, expectConfluenceError } from "./helpers.mjs";

const AUTH = { type: "bearer", token: CREDENTIALS.oauthToken };
/** Cheap retries: waits of a few ms. */
const FAST = { maxRetries: 3, baseDelayMs: 2, maxDelayMs: 10 };

// Every unhandled rejection of the whole run (hooks returning rejected promises must not cause any).
const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(reason));

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Runs `fn(fake)` with a fresh fake Confluence, closed afterwards (hung connections included). */
async function withFake(opts, fn) {
  const fake = await startFakeConfluence({ port: 0, ...opts });
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

function client(fake, options = {}) {
  return new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, retry: FAST, timeout: 5000, ...options });
}

/** All account ids of the fake's directory, in directory order. */
function allIds(fake) {
  return fake.directory.users.map((u) => u.accountId);
}

/** A deterministic shuffle (so failures reproduce). */
function shuffled(list, seed = 7) {
  const out = list.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** `n` ids the fake never knows (not hex, so they cannot collide with a real one). */
function unknownIds(n, prefix = "zz-unknown-") {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);
}

/** The first occurrence of each element, in order. */
function firstSeen(list) {
  return [...new Set(list)];
}

/** The accountId lists of the recorded bulk requests (decoded, split on commas). */
function askedIdLists(fake, path = "/wiki/rest/api/user/bulk") {
  return fake.requests.filter((r) => r.path === path).map((r) => r.query.accountId[0].split(","));
}

/** Asserts every distinct id was asked exactly once over all requests, and nothing else was asked. */
function assertEachAskedOnce(lists, ids) {
  const counts = new Map();
  for (const list of lists) for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(repeated, [], "ids asked more than once");
  assert.deepEqual(new Set(counts.keys()), new Set(ids), "the ids asked are exactly the distinct input ids");
}

/** Counts the requests the fake is answering at the same time; returns a reader of the maximum. */
function trackInFlight(fake) {
  let now = 0;
  let max = 0;
  fake.server.on("request", (req, res) => {
    if (req.method === "OPTIONS") return;
    now++;
    max = Math.max(max, now);
    res.once("close", () => now--);
  });
  return {
    get max() {
      return max;
    },
    get now() {
      return now;
    },
  };
}

/**
 * An `enqueue` function that answers by forwarding the request to `backend` (another fake with the same
 * deterministic directory): lets a canned failure be queued behind real answers.
 */
function passthrough(backend, delayMs = 0) {
  return async (req, res) => {
    if (delayMs) await sleep(delayMs);
    const r = await fetch(backend.url + req.url, { headers: { authorization: req.headers.authorization ?? "" } });
    const text = await r.text();
    res.statusCode = r.status;
    res.setHeader("Content-Type", r.headers.get("content-type") ?? "application/json");
    res.end(text);
  };
}

const error500 = { status: 500, body: { statusCode: 500, message: "Internal server error: boom" } };
const error503 = { status: 503, body: { statusCode: 503, message: "Service unavailable" } };

/** A custom fetch that records calls and answers with `respond(url, init)` (default: a minimal User). */
function cannedFetch(respond) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init });
    if (respond) return respond(url, init);
    return new Response(JSON.stringify({ type: "known", accountId: SPECIAL.currentUser, displayName: "Mia" }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  };
  fn.calls = calls;
  return fn;
}

/** Collects an async iterable into an array. */
async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// 1. Bulk lookups beyond 200 ids

describe("bulk lookups of any size", () => {
  test("450 distinct ids (shuffled, 150 unknown) → 3 requests of ≤ 200, one result in input order", () =>
    withFake({}, async (fake) => {
      const known = allIds(fake);
      const input = shuffled([...known, ...unknownIds(150)]);
      assert.equal(input.length, 450);
      const r = await client(fake).getBulkUserLookup({ accountIds: input });
      const lists = askedIdLists(fake);
      assert.equal(fake.requests.length, 3);
      assert.deepEqual(lists.map((l) => l.length).sort((a, b) => b - a), [200, 200, 50]);
      assertEachAskedOnce(lists, input);
      const knownSet = new Set(known);
      const expected = input.filter((id) => knownSet.has(id));
      assert.deepEqual(r.results.map((u) => u.accountId), expected, "results in input order, unknown omitted");
      assert.equal(r.size, r.results.length);
      assert.equal(r.size, 300);
      assert.equal(r.start, 0);
      assert.ok(r._links && typeof r._links === "object");
      for (const u of r.results) assert.equal(u.type, "known");
    }));

  test("duplicates are asked once; results in first-occurrence order; size = results.length", () =>
    withFake({}, async (fake) => {
      const known = allIds(fake);
      const base = shuffled([...known, ...unknownIds(120, "zz-dup-")], 11); // 420 distinct
      // every id repeated, some three times, in a different order
      const input = [...base, ...shuffled(base, 3), ...base.slice(0, 50)];
      const r = await client(fake).getBulkUserLookup({ accountIds: input });
      const distinct = firstSeen(input);
      assert.equal(distinct.length, 420);
      const lists = askedIdLists(fake);
      assert.equal(lists.length, 3, "ceil(420 / 200) requests");
      for (const l of lists) assert.ok(l.length <= 200);
      assertEachAskedOnce(lists, distinct);
      const knownSet = new Set(known);
      assert.deepEqual(
        r.results.map((u) => u.accountId),
        distinct.filter((id) => knownSet.has(id)),
      );
      assert.equal(r.size, r.results.length);
      assert.equal(r.start, 0);
      assert.equal(new Set(r.results.map((u) => u.accountId)).size, r.results.length, "no user twice");
    }));

  test("duplicates within ≤ 200 ids are also asked once", () =>
    withFake({}, async (fake) => {
      const ids = allIds(fake).slice(0, 5);
      const input = [ids[2], ids[0], ids[2], ids[1], ids[0], ids[2]];
      const r = await client(fake).getBulkUserLookup({ accountIds: input });
      assert.deepEqual(askedIdLists(fake), [[ids[2], ids[0], ids[1]]]);
      assert.deepEqual(r.results.map((u) => u.accountId), [ids[2], ids[0], ids[1]]);
    }));

  test("merged order is the input order even when the chunks complete out of order", () =>
    withFake({}, async (fake) => {
      await withFake({}, async (backend) => {
        const known = allIds(fake);
        const input = shuffled([...known, ...unknownIds(150)], 5);
        // whichever chunk arrives first is answered last
        fake.enqueue(passthrough(backend, 120), passthrough(backend, 60), passthrough(backend, 0));
        const r = await client(fake).getBulkUserLookup({ accountIds: input });
        const knownSet = new Set(known);
        assert.deepEqual(
          r.results.map((u) => u.accountId),
          input.filter((id) => knownSet.has(id)),
        );
        assert.equal(r.size, 300);
      });
    }));

  test("expand is sent on every chunk and applied to every user", () =>
    withFake({}, async (fake) => {
      const input = [...allIds(fake), ...unknownIds(100)];
      const r = await client(fake).getBulkUserLookup({ accountIds: input, expand: ["operations"] });
      assert.equal(fake.requests.length, 2);
      for (const req of fake.requests) assert.deepEqual(req.query.expand, ["operations"]);
      assert.equal(r.results.length, 300);
      for (const u of r.results) assert.ok(Array.isArray(u.operations), `operations of ${u.accountId}`);
    }));

  test("10,000 ids → 50 requests of 200, each id asked once", () =>
    withFake({}, async (fake) => {
      const known = allIds(fake);
      const input = shuffled([...known, ...unknownIds(10_000 - known.length)], 13);
      assert.equal(input.length, 10_000);
      const r = await client(fake).getBulkUserLookup({ accountIds: input });
      const lists = askedIdLists(fake);
      assert.equal(lists.length, 50);
      for (const l of lists) assert.equal(l.length, 200);
      assertEachAskedOnce(lists, input);
      const knownSet = new Set(known);
      assert.deepEqual(r.results.map((u) => u.accountId), input.filter((id) => knownSet.has(id)));
      assert.equal(r.size, 300);
    }));

  test("1,200 users of a bigger directory, all found, in input order", () =>
    withFake({ userCount: 1200 }, async (fake) => {
      const known = allIds(fake);
      assert.equal(known.length, 1200);
      const input = shuffled(known, 17);
      const r = await client(fake).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 6);
      assert.deepEqual(r.results.map((u) => u.accountId), input);
      assert.equal(r.size, 1200);
      assert.equal(r.start, 0);
    }));

  test("60-character ids are split by URL length: every URL < 8,000 characters, every id asked once", () =>
    withFake({}, async (fake) => {
      const known = allIds(fake).slice(0, 40);
      const long = Array.from({ length: 400 }, (_, i) => `long${String(i).padStart(4, "0")}`.padEnd(60, "x"));
      const input = shuffled([...long, ...known], 19);
      const urls = [];
      const c = client(fake, { hooks: { onRequest: (info) => urls.push(info.url) } });
      const r = await c.getBulkUserLookup({ accountIds: input });
      const lists = askedIdLists(fake);
      // 440 ids of up to 60 chars: ~26,000 characters of ids, so at least 4 requests even though 3 would hold them by count
      assert.ok(lists.length >= 4, `${lists.length} requests`);
      for (const l of lists) assert.ok(l.length <= 200);
      assertEachAskedOnce(lists, input);
      for (const req of fake.requests) {
        const full = fake.url + req.url;
        assert.ok(full.length < 8000, `URL of ${full.length} characters`);
      }
      assert.equal(urls.length, lists.length);
      for (const u of urls) assert.ok(u.length < 8000, `onRequest url of ${u.length} characters`);
      const knownSet = new Set(known);
      assert.deepEqual(r.results.map((u) => u.accountId), input.filter((id) => knownSet.has(id)));
    }));

  test("boundary: a chunk whose URL would be exactly 8,000 characters is split (URLs stay under 8,000)", async () => {
    // Nothing is sent: a canned fetch answers every chunk with an empty page.
    const fetch = cannedFetch(
      () => new Response(JSON.stringify({ results: [], start: 0, limit: 200, size: 0, _links: {} }), { status: 200, headers: { "content-type": "application/json" } }),
    );
    const c = new ConfluenceClient({ baseUrl: "https://example.atlassian.net", auth: AUTH, fetch });
    await c.getBulkUserLookup({ accountIds: ["x"] });
    const fixed = fetch.calls[0].url.length - 1; // the URL without its one id
    fetch.calls.length = 0;
    // ids of 60 characters (plus one shorter first id) whose comma-joined list is exactly 8000 - fixed
    const budget = 8000 - fixed;
    const n = Math.floor((budget - 1) / 61);
    const first = "a".repeat(budget - 61 * n);
    const ids = [first, ...Array.from({ length: n }, (_, i) => String(i).padStart(60, "0")), "b".repeat(10)];
    assert.equal(first.length + n * 61, budget);
    await c.getBulkUserLookup({ accountIds: ids });
    const lengths = fetch.calls.map((call) => call.url.length);
    for (const len of lengths) assert.ok(len < 8000, `a request URL of ${len} characters (lengths: ${lengths.join(", ")}); URLs must stay under 8,000`);
  });

  test("a single chunk (≤ 200 ids) returns the server's response unchanged", () =>
    withFake({}, async (fake) => {
      const ids = allIds(fake).slice(0, 10);
      const c = client(fake);
      const real = await c.getBulkUserLookup({ accountIds: ids });
      // the server's answer, reordered (reverse), with an extra property and its own limit
      const canned = { ...real, results: real.results.slice().reverse(), limit: 10, extraField: "kept" };
      fake.enqueue({ status: 200, body: canned });
      const r = await c.getBulkUserLookup({ accountIds: ids });
      assert.deepEqual(r, canned);

      const emails = await c.getPrivacyUnsafeUserEmailBulk({ accountIds: ids });
      const cannedEmails = emails.slice().reverse();
      fake.enqueue({ status: 200, body: cannedEmails });
      assert.deepEqual(await c.getPrivacyUnsafeUserEmailBulk({ accountIds: ids }), cannedEmails);
    }));

  test("getPrivacyUnsafeUserEmailBulk: 450 ids with duplicates → 3 requests, merged records in input order", () =>
    withFake({}, async (fake) => {
      const known = allIds(fake);
      const base = shuffled([...known, ...unknownIds(150)], 23);
      const input = [...base, ...base.slice(0, 30)];
      const r = await client(fake).getPrivacyUnsafeUserEmailBulk({ accountIds: input });
      const lists = askedIdLists(fake, "/wiki/rest/api/user/email/bulk");
      assert.equal(lists.length, 3);
      for (const l of lists) assert.ok(l.length <= 200);
      assertEachAskedOnce(lists, firstSeen(input));
      assert.ok(Array.isArray(r));
      const byId = fake.directory.byAccountId;
      const expected = firstSeen(input)
        .filter((id) => byId.has(id))
        .map((id) => ({ accountId: id, email: byId.get(id).unsafeEmail }));
      assert.deepEqual(r, expected);
    }));

  test("getPrivacyUnsafeUserEmailBulk: long ids split by URL length (< 8,000), each asked once", () =>
    withFake({}, async (fake) => {
      const long = Array.from({ length: 300 }, (_, i) => `e${i}`.padEnd(60, "q"));
      const input = [SPECIAL.currentUser, ...long, SPECIAL.hiddenProfile];
      const r = await client(fake).getPrivacyUnsafeUserEmailBulk({ accountIds: input });
      const lists = askedIdLists(fake, "/wiki/rest/api/user/email/bulk");
      assert.ok(lists.length >= 3, `${lists.length} requests`);
      assertEachAskedOnce(lists, input);
      for (const req of fake.requests) assert.ok((fake.url + req.url).length < 8000);
      assert.deepEqual(r.map((x) => x.accountId), [SPECIAL.currentUser, SPECIAL.hiddenProfile]);
    }));

  test("at most `concurrency` requests in flight: default 4", () =>
    withFake({ latencyMs: 100 }, async (fake) => {
      const flight = trackInFlight(fake);
      const input = [...allIds(fake), ...unknownIds(1700)]; // 2000 ids → 10 requests
      const r = await client(fake).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 10);
      assert.equal(flight.max, 4, "maximum in flight");
      assert.equal(r.size, 300);
    }));

  test("concurrency 1 sends one request at a time; concurrency 32 up to 32", () =>
    withFake({ latencyMs: 50 }, async (fake) => {
      const flight = trackInFlight(fake);
      const input = [...allIds(fake), ...unknownIds(700)]; // 1000 ids → 5 requests
      await client(fake, { concurrency: 1 }).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 5);
      assert.equal(flight.max, 1);
      // requests strictly one after another: each starts after the previous one's latency
      const times = fake.requests.map((r) => r.time);
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 40, `gap ${times[i] - times[i - 1]} ms`);
    }).then(() =>
      withFake({ latencyMs: 250 }, async (fake) => {
        const flight = trackInFlight(fake);
        const input = [...allIds(fake), ...unknownIds(10_000 - 300)]; // 50 requests
        const r = await client(fake, { concurrency: 32 }).getPrivacyUnsafeUserEmailBulk({ accountIds: input });
        assert.equal(fake.requests.length, 50);
        // never more than 32; well above the default 4 (opening 32 connections at once can lag on a busy
        // machine, so exactly 32 is not required)
        assert.ok(flight.max <= 32, `maximum in flight ${flight.max}`);
        assert.ok(flight.max > 16, `maximum in flight ${flight.max}`);
        assert.equal(r.length, 300);
      }),
    ));

  test("concurrency 2 with 3 chunks: 2 in flight", () =>
    withFake({ latencyMs: 50 }, async (fake) => {
      const flight = trackInFlight(fake);
      await client(fake, { concurrency: 2 }).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] });
      assert.equal(fake.requests.length, 3);
      assert.equal(flight.max, 2);
    }));

  test("concurrency option outside 1..32 (or not an integer) is refused by the constructor", async () => {
    for (const concurrency of [0, 33, -1, 1.5, "4", 1000]) {
      await expectConfluenceError(() => new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, concurrency }), {
        kind: "invalidArgument",
        operation: "ConfluenceClient",
      });
    }
    for (const concurrency of [1, 4, 32]) new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, concurrency });
  });

  test("a chunk failing (no retry) rejects with the error and says 'N of M ids' were looked up", () =>
    withFake({}, async (fake) => {
      await withFake({}, async (backend) => {
        const input = [...allIds(fake), ...unknownIds(150)]; // 450 distinct: chunks of 200, 200, 50
        fake.enqueue(passthrough(backend), passthrough(backend), error500);
        const c = client(fake, { concurrency: 1, retry: false });
        const e = await expectConfluenceError(c.getBulkUserLookup({ accountIds: input }), {
          kind: "http",
          status: 500,
          operation: "getBulkUserLookup",
        });
        assert.match(e.message, /\b400 of 450 ids\b/, e.message);
        assert.equal(isConfluenceError(e), true);
      });
    }));

  test("a chunk failing after its retries: 'N of M ids' counts distinct ids, error keeps kind/status/attempts", () =>
    withFake({}, async (fake) => {
      await withFake({}, async (backend) => {
        const base = [...allIds(fake), ...unknownIds(150)];
        const input = [...base, ...base.slice(0, 100)]; // duplicates do not count twice
        fake.enqueue(passthrough(backend), error503, error503, error503);
        const c = client(fake, { concurrency: 1, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
        const e = await expectConfluenceError(c.getPrivacyUnsafeUserEmailBulk({ accountIds: input }), {
          kind: "http",
          status: 503,
          attempts: 3,
          operation: "getPrivacyUnsafeUserEmailBulk",
        });
        assert.match(e.message, /\b200 of 450 ids\b/, e.message);
      });
    }));

  test("the first chunk failing: '0 of M ids'", () =>
    withFake({}, async (fake) => {
      fake.enqueue(error500);
      const c = client(fake, { concurrency: 1, retry: false });
      const e = await expectConfluenceError(c.getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(100)] }), {
        kind: "http",
        status: 500,
      });
      assert.match(e.message, /\b0 of 400 ids\b/, e.message);
    }));

  test("a chunk that fails once and then succeeds on retry gives the complete result", () =>
    withFake({}, async (fake) => {
      const input = shuffled([...allIds(fake), ...unknownIds(150)], 29);
      fake.enqueue(error503);
      const r = await client(fake, { concurrency: 1 }).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 4, "3 chunks + 1 retry");
      const knownSet = new Set(allIds(fake));
      assert.deepEqual(r.results.map((u) => u.accountId), input.filter((id) => knownSet.has(id)));
    }));

  test("the signal aborts a bulk lookup in flight (kind aborted, promptly)", () =>
    withFake({ latencyMs: 2000 }, async (fake) => {
      const ac = new AbortController();
      const call = client(fake).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(700)] }, { signal: ac.signal });
      // abort once the first wave (default concurrency: 4 of the 5 chunks) has reached the fake
      for (let i = 0; i < 200 && fake.requests.length < 4; i++) await sleep(5);
      assert.equal(fake.requests.length, 4, "4 of the 5 chunks in flight");
      const t0 = Date.now();
      ac.abort();
      await expectConfluenceError(call, { kind: "aborted", operation: "getBulkUserLookup" });
      assert.ok(Date.now() - t0 < 1000, `aborted after ${Date.now() - t0} ms`);
      await sleep(20);
      assert.equal(fake.requests.length, 4, "no chunk sent after the abort");
    }));

  test("invalid id lists are refused before anything is sent", () =>
    withFake({}, async (fake) => {
      const c = client(fake);
      const many = [...allIds(fake), ...unknownIds(150)];
      for (const accountIds of [[], [...many, ""], [...many, "a,b"], [...many, "x".repeat(9000)]]) {
        await expectConfluenceError(c.getBulkUserLookup({ accountIds }), { kind: "invalidArgument", status: 0, operation: "getBulkUserLookup" });
        await expectConfluenceError(c.getPrivacyUnsafeUserEmailBulk({ accountIds }), { kind: "invalidArgument", status: 0 });
      }
      assert.equal(fake.requests.length, 0);
    }));
});

// ---------------------------------------------------------------------------------------------------------
// 2. Pagination

describe("pagination iterators", () => {
  test("paginateGroupMembershipsForUser: 250 groups, limit 100 → 3 requests (starts 0, 100, 200), all in order", () =>
    withFake({}, async (fake) => {
      const pages = client(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
      assert.equal(typeof pages[Symbol.asyncIterator], "function");
      const groups = await collect(pages);
      assert.equal(groups.length, SPECIAL.manyGroupsCount);
      assert.deepEqual(
        groups.map((g) => g.name),
        fake.directory.groupsOf(SPECIAL.manyGroups).map((g) => g.name),
      );
      for (const g of groups) assert.equal(g.type, "group");
      assert.equal(fake.requests.length, 3);
      assert.deepEqual(fake.requests.map((r) => r.query.start?.[0] ?? "0"), ["0", "100", "200"]);
      for (const r of fake.requests) {
        assert.deepEqual(r.query.accountId, [SPECIAL.manyGroups]);
        assert.deepEqual(r.query.limit, ["100"]);
      }
    }));

  test("paginateGroupMembershipsForUser: default limit → 2 requests (200 + 50); one page when no next link", () =>
    withFake({}, async (fake) => {
      const c = client(fake);
      const groups = await collect(c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups }));
      assert.equal(groups.length, 250);
      assert.equal(fake.requests.length, 2);
      fake.reset();
      const mine = await collect(c.paginateGroupMembershipsForUser({ accountId: SPECIAL.currentUser }));
      assert.deepEqual(mine.map((g) => g.name), fake.directory.groupsOf(SPECIAL.currentUser).map((g) => g.name));
      assert.equal(fake.requests.length, 1);
      fake.reset();
      assert.deepEqual(await collect(c.paginateGroupMembershipsForUser({ accountId: SPECIAL.externalCollaborator })), []);
      assert.equal(fake.requests.length, 1);
    }));

  test("paginateGroupMembershipsForUser: a start offset is honoured", () =>
    withFake({}, async (fake) => {
      const groups = await collect(client(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: 150, limit: 40 }));
      assert.deepEqual(
        groups.map((g) => g.name),
        fake.directory.groupsOf(SPECIAL.manyGroups).slice(150).map((g) => g.name),
      );
      assert.deepEqual(fake.requests.map((r) => r.query.start[0]), ["150", "190", "230"]);
    }));

  test("break after the first item sends no further request", () =>
    withFake({}, async (fake) => {
      const pages = client(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
      let seen = 0;
      for await (const g of pages) {
        assert.equal(typeof g.name, "string");
        seen++;
        if (seen === 1) break;
      }
      await sleep(30);
      assert.equal(seen, 1);
      assert.equal(fake.requests.length, 1);
      // the iterator is finished: next() sends nothing
      assert.deepEqual(await pages.next(), { value: undefined, done: true });
      assert.equal(fake.requests.length, 1);

      fake.reset();
      let n = 0;
      for await (const u of client(fake).paginateBulkUserMigration({ usernames: ["admin", "mmanygroups", "qprivate"], limit: 1 })) {
        assert.equal(u.username, "admin");
        if (++n === 1) break;
      }
      await sleep(30);
      assert.equal(fake.requests.length, 1);
    }));

  test("break at a page boundary (after all 100 of page 1) sends no second request", () =>
    withFake({}, async (fake) => {
      let n = 0;
      for await (const g of client(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 })) {
        void g;
        if (++n === 100) break;
      }
      await sleep(30);
      assert.equal(fake.requests.length, 1);
    }));

  test("paginateBulkUserMigration: 250 usernames, limit 100 → chunks of 200 + 50, 3 requests, every result in request order", () =>
    withFake({}, async (fake) => {
      const users = fake.directory.users.filter((u) => u.accountId !== SPECIAL.oddAccountId).slice(0, 249);
      const usernames = [...users.map((u) => u.username), "no-such-user"];
      const results = await collect(client(fake).paginateBulkUserMigration({ usernames, limit: 100 }));
      assert.equal(results.length, 250);
      assert.deepEqual(
        results.map((r) => [r.username, r.accountId]),
        [...users.map((u) => [u.username, u.accountId]), ["no-such-user", null]],
      );
      assert.equal(fake.requests.length, 3);
      // A chunk holds at most 200 values (one page at Confluence's default size); its pages follow.
      assert.deepEqual(fake.requests.map((r) => r.query.start?.[0] ?? "0"), ["0", "100", "0"]);
      assert.deepEqual(fake.requests.map((r) => r.query.username.length), [200, 200, 50]);
    }));

  test("paginateBulkUserMigration: keys (including the odd username's user) in one page", () =>
    withFake({}, async (fake) => {
      const keys = fake.directory.users.slice(0, 5).map((u) => u.userKey);
      const results = await collect(client(fake).paginateBulkUserMigration({ keys }));
      assert.deepEqual(results.map((r) => r.key), keys);
      assert.deepEqual(results.map((r) => r.accountId), fake.directory.users.slice(0, 5).map((u) => u.accountId));
      assert.equal(fake.requests.length, 1);
    }));

  test("invalid params throw a ConfluenceError synchronously (invalidArgument), nothing sent", () =>
    withFake({}, async (fake) => {
      const c = client(fake);
      const bad = [
        () => c.paginateGroupMembershipsForUser({ accountId: "" }),
        () => c.paginateGroupMembershipsForUser({}),
        () => c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: -1 }),
        () => c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: 1.5 }),
        () => c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, bogus: 1 }),
        () => c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups }, { signal: "nope" }),
        () => c.paginateBulkUserMigration({}),
        () => c.paginateBulkUserMigration({ keys: ["a"], usernames: ["b"] }),
        () => c.paginateBulkUserMigration({ usernames: [] }),
        () => c.paginateBulkUserMigration({ usernames: ["a"], limit: -5 }),
      ];
      for (const [i, fn] of bad.entries()) {
        let thrown;
        let returned;
        try {
          returned = fn();
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown, `case ${i}: expected a synchronous throw, got ${typeof returned}`);
        assert.equal(thrown.name, "ConfluenceError", `case ${i}`);
        assert.equal(thrown.kind, "invalidArgument", `case ${i}: ${thrown.message}`);
        assert.equal(isConfluenceError(thrown), true);
      }
      await sleep(20);
      assert.equal(fake.requests.length, 0);
    }));

  test("signal aborted before iterating: first next() rejects with kind aborted, nothing sent", () =>
    withFake({}, async (fake) => {
      const ac = new AbortController();
      const pages = client(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups }, { signal: ac.signal });
      ac.abort();
      await expectConfluenceError(pages.next(), { kind: "aborted" });
      assert.equal(fake.requests.length, 0);
    }));

  test("signal aborts a page request in flight (kind aborted, promptly)", () =>
    withFake({ latencyMs: 2000 }, async (fake) => {
      const ac = new AbortController();
      const pages = client(fake).paginateBulkUserMigration({ usernames: ["admin"] }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      const t0 = Date.now();
      await expectConfluenceError(collect(pages), { kind: "aborted" });
      assert.ok(Date.now() - t0 < 1500, `aborted after ${Date.now() - t0} ms`);
    }));

  test("signal aborted between pages: iteration ends with kind aborted, no further page requested", () =>
    withFake({}, async (fake) => {
      const ac = new AbortController();
      const pages = client(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 }, { signal: ac.signal });
      let n = 0;
      const e = await expectConfluenceError(
        (async () => {
          for await (const g of pages) {
            void g;
            if (++n === 1) ac.abort();
          }
        })(),
        { kind: "aborted" },
      );
      assert.ok(n <= 100, `${n} items`);
      assert.equal(fake.requests.length, 1);
      assert.equal(e.status, 0);
    }));

  test("a server error mid-way rejects next() with the http error, after the items before it", () =>
    withFake({}, async (fake) => {
      await withFake({}, async (backend) => {
        fake.enqueue(passthrough(backend), { status: 500, body: { statusCode: 500, message: "page two exploded" } });
        const pages = client(fake, { retry: false }).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
        const got = [];
        const e = await expectConfluenceError(
          (async () => {
            for await (const g of pages) got.push(g.name);
          })(),
          { kind: "http", status: 500, operation: "getGroupMembershipsForUser" },
        );
        assert.equal(got.length, 100);
        assert.match(e.message, /page two exploded/);
        assert.equal(fake.requests.length, 2);
        assert.equal(fake.requests[1].query.start[0], "100");
      });
    }));

  test("a server error mid-way in the migration iterator (with retries exhausted) rejects next()", () =>
    withFake({}, async (fake) => {
      await withFake({}, async (backend) => {
        fake.enqueue(passthrough(backend), error503, error503);
        const usernames = fake.directory.users.slice(0, 3).map((u) => u.username);
        const pages = client(fake, { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } }).paginateBulkUserMigration({ usernames, limit: 2 });
        assert.equal((await pages.next()).done, false);
        assert.equal((await pages.next()).done, false);
        await expectConfluenceError(pages.next(), { kind: "http", status: 503, attempts: 2, operation: "getBulkUserMigration" });
      });
    }));
});

// ---------------------------------------------------------------------------------------------------------
// 3. Hooks

function recordingHooks(log = []) {
  return {
    log,
    hooks: {
      onRequest: (info) => log.push(["request", info]),
      onResponse: (info) => log.push(["response", info]),
      onRetry: (info) => log.push(["retry", info]),
    },
  };
}

describe("hooks", () => {
  test("onRequest and onResponse of a plain call: exact fields, no credentials", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      const c = client(fake, { hooks, auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken } });
      await c.getUser({ accountId: SPECIAL.oddAccountId });
      assert.deepEqual(log.map(([k]) => k), ["request", "response"]);
      const [[, req], [, res]] = log;
      assert.deepEqual(Object.keys(req).sort(), ["attempt", "method", "operation", "url"]);
      assert.equal(req.operation, "getUser");
      assert.equal(req.method, "GET");
      assert.equal(req.attempt, 1);
      assert.equal(req.url, fake.url + fake.requests[0].url);
      assert.ok(req.url.startsWith(`${fake.url}/wiki/rest/api/user?accountId=`), req.url);
      assert.equal(new URL(req.url).searchParams.get("accountId"), SPECIAL.oddAccountId);
      assert.deepEqual(Object.keys(res).sort(), ["attempt", "elapsedMs", "method", "operation", "rateLimit", "status", "url"]);
      assert.equal(res.operation, "getUser");
      assert.equal(res.url, req.url);
      assert.equal(res.status, 200);
      assert.equal(res.attempt, 1);
      assert.equal(typeof res.elapsedMs, "number");
      assert.ok(res.elapsedMs >= 0 && res.elapsedMs < 5000);
      assert.deepEqual(res.rateLimit, {});
      const text = JSON.stringify(log);
      for (const secret of [CREDENTIALS.apiToken, CREDENTIALS.email, Buffer.from(`${CREDENTIALS.email}:${CREDENTIALS.apiToken}`).toString("base64")]) {
        assert.ok(!text.includes(secret), "a credential in the hook infos");
      }
    }));

  test("elapsedMs covers the server latency", () =>
    withFake({ latencyMs: 80 }, async (fake) => {
      const { log, hooks } = recordingHooks();
      await client(fake, { hooks }).getCurrentUser();
      const res = log.find(([k]) => k === "response")[1];
      assert.ok(res.elapsedMs >= 70, `elapsedMs ${res.elapsedMs}`);
    }));

  test("onResponse.rateLimit holds exactly the rate-limit headers present, by their canonical names", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      const c = client(fake, { hooks });
      const body = await c.getCurrentUser();
      log.length = 0;
      fake.enqueue({
        status: 200,
        headers: {
          "retry-after": "0",
          "x-ratelimit-limit": "1000",
          "x-ratelimit-remaining": "998",
          "x-ratelimit-reset": "2030-01-01T00:00:00Z",
          "x-ratelimit-nearlimit": "true",
          "ratelimit-reason": "confluence-quota-based",
          "x-unrelated": "nope",
        },
        body,
      });
      await c.getCurrentUser();
      const res = log.find(([k]) => k === "response")[1];
      assert.deepEqual(res.rateLimit, {
        "Retry-After": "0",
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "998",
        "X-RateLimit-Reset": "2030-01-01T00:00:00Z",
        "X-RateLimit-NearLimit": "true",
        "RateLimit-Reason": "confluence-quota-based",
      });
      // only some present
      log.length = 0;
      fake.enqueue({ status: 200, headers: { "X-RateLimit-Remaining": "5", "X-RateLimit-NearLimit": "false" }, body });
      await c.getCurrentUser();
      assert.deepEqual(log.find(([k]) => k === "response")[1].rateLimit, { "X-RateLimit-Remaining": "5", "X-RateLimit-NearLimit": "false" });
    }));

  test("order of hook calls across a retried request (429, 503, 200)", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      const c = client(fake, { hooks, retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 } });
      fake.enqueue(
        { status: 429, headers: { "Retry-After": "0", "X-RateLimit-Remaining": "0", "RateLimit-Reason": "too-many" }, body: { statusCode: 429, message: "Rate limit exceeded" } },
        error503,
      );
      const me = await c.getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.deepEqual(log.map(([k, i]) => `${k}#${i.attempt}`), [
        "request#1",
        "response#1",
        "retry#1",
        "request#2",
        "response#2",
        "retry#2",
        "request#3",
        "response#3",
      ]);
      const url = `${fake.url}/wiki/rest/api/user/current`;
      for (const [, info] of log) {
        assert.equal(info.operation, "getCurrentUser");
        assert.equal(info.method, "GET");
        assert.equal(info.url, url);
      }
      const responses = log.filter(([k]) => k === "response").map(([, i]) => i);
      assert.deepEqual(responses.map((r) => r.status), [429, 503, 200]);
      assert.deepEqual(responses[0].rateLimit, { "Retry-After": "0", "X-RateLimit-Remaining": "0", "RateLimit-Reason": "too-many" });
      const retries = log.filter(([k]) => k === "retry").map(([, i]) => i);
      assert.deepEqual(Object.keys(retries[0]).sort(), ["attempt", "delayMs", "method", "operation", "reason", "status", "url"]);
      assert.deepEqual(retries.map((r) => [r.attempt, r.status, r.reason]), [
        [1, 429, "status"],
        [2, 503, "status"],
      ]);
      for (const r of retries) assert.ok(typeof r.delayMs === "number" && r.delayMs >= 0 && r.delayMs <= 20, `delayMs ${r.delayMs}`);
      assert.equal(fake.requests.length, 3);
    }));

  test("onRetry for a network failure: status 0, reason network, and no onResponse for that attempt", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      fake.enqueue((req, res) => res.socket.destroy());
      await client(fake, { hooks }).getCurrentUser();
      assert.deepEqual(log.map(([k, i]) => `${k}#${i.attempt}`), ["request#1", "retry#1", "request#2", "response#2"]);
      const retry = log[1][1];
      assert.equal(retry.status, 0);
      assert.equal(retry.reason, "network");
      assert.equal(retry.operation, "getCurrentUser");
    }));

  test("onRetry for a timeout: status 0, reason timeout", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      fake.enqueue(() => {}); // never answers
      await client(fake, { hooks, timeout: 150 }).getCurrentUser();
      assert.deepEqual(log.map(([k, i]) => `${k}#${i.attempt}`), ["request#1", "retry#1", "request#2", "response#2"]);
      assert.equal(log[1][1].status, 0);
      assert.equal(log[1][1].reason, "timeout");
    }));

  test("hooks see each chunk of a bulk lookup", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      await client(fake, { hooks }).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] });
      const reqs = log.filter(([k]) => k === "request").map(([, i]) => i);
      assert.equal(reqs.length, 3);
      for (const r of reqs) {
        assert.equal(r.operation, "getBulkUserLookup");
        assert.equal(r.attempt, 1);
      }
      assert.deepEqual(new Set(reqs.map((r) => r.url)), new Set(fake.requests.map((r) => fake.url + r.url)));
      assert.equal(log.filter(([k]) => k === "response").length, 3);
    }));

  test("hooks that throw or return rejected promises do not break the call, and cause no unhandledRejection", () =>
    withFake({}, async (fake) => {
      const before = unhandled.length;
      let calls = 0;
      const throwing = {
        onRequest() {
          calls++;
          throw new Error("onRequest exploded");
        },
        onResponse() {
          calls++;
          throw new TypeError("onResponse exploded");
        },
        onRetry() {
          calls++;
          throw "a string";
        },
      };
      fake.enqueue(error503);
      const me = await client(fake, { hooks: throwing }).getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.equal(calls, 5);

      let asyncCalls = 0;
      const rejecting = {
        onRequest: async () => {
          asyncCalls++;
          throw new Error("async onRequest");
        },
        onResponse: () => {
          asyncCalls++;
          return Promise.reject(new Error("rejected onResponse"));
        },
        onRetry: () => {
          asyncCalls++;
          return Promise.reject(undefined);
        },
      };
      fake.enqueue(error503);
      const again = await client(fake, { hooks: rejecting }).getCurrentUser();
      assert.equal(again.accountId, SPECIAL.currentUser);
      assert.equal(asyncCalls, 5);
      // a failing call with failing hooks still rejects with its own error
      await expectConfluenceError(client(fake, { hooks: rejecting }).getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http", status: 404 });
      await sleep(50);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled.slice(before), [], "unhandled rejections");
    }));

  test("hooks must be functions (and hooks an object): the constructor refuses anything else", async () => {
    const base = { baseUrl: "https://x.atlassian.net", auth: AUTH };
    for (const hooks of [{ onRequest: "nope" }, { onResponse: 42 }, { onRetry: {} }, { onRequest: null }, 5, "hooks"]) {
      const e = await expectConfluenceError(() => new ConfluenceClient({ ...base, hooks }), { kind: "invalidArgument", operation: "ConfluenceClient" });
      assert.ok(/hooks/.test(e.message), e.message);
    }
    new ConfluenceClient({ ...base, hooks: {} });
    new ConfluenceClient({ ...base, hooks: { onRequest() {} } });
    new ConfluenceClient({ ...base, hooks: { onRequest: undefined, onRetry: async () => {} } });
  });
});

// ---------------------------------------------------------------------------------------------------------
// 4. OAuth bearer tokens

describe("OAuth bearer tokens", () => {
  test("a token string is accepted by the fake", () =>
    withFake({}, async (fake) => {
      const me = await client(fake).getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.equal(fake.requests[0].auth, "bearer");
      assert.equal(fake.requests[0].headers.authorization, `Bearer ${CREDENTIALS.oauthToken}`);
    }));

  test("a token function (sync or async) is accepted", () =>
    withFake({}, async (fake) => {
      for (const token of [() => CREDENTIALS.oauthToken, async () => CREDENTIALS.oauthToken, () => Promise.resolve(CREDENTIALS.oauthToken)]) {
        const me = await client(fake, { auth: { type: "bearer", token } }).getCurrentUser();
        assert.equal(me.accountId, SPECIAL.currentUser);
      }
      assert.deepEqual(fake.requests.map((r) => r.auth), ["bearer", "bearer", "bearer"]);
    }));

  test("the token function is called for every request of a bulk lookup (one per chunk)", () =>
    withFake({}, async (fake) => {
      let calls = 0;
      const token = async () => {
        calls++;
        return CREDENTIALS.oauthToken;
      };
      const r = await client(fake, { auth: { type: "bearer", token } }).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] });
      assert.equal(r.size, 300);
      assert.equal(fake.requests.length, 3);
      assert.equal(calls, 3);
    }));

  test("the token function is called for every request, including each retry of a request", () =>
    withFake({}, async (fake) => {
      let calls = 0;
      const token = () => {
        calls++;
        return CREDENTIALS.oauthToken;
      };
      fake.enqueue(error503, { status: 429, headers: { "Retry-After": "0" }, body: { statusCode: 429, message: "slow down" } });
      const me = await client(fake, { auth: { type: "bearer", token } }).getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.equal(fake.requests.length, 3, "two failed attempts + the successful one");
      assert.equal(calls, fake.requests.length, `token function calls (${calls}) vs requests sent (${fake.requests.length})`);
    }));

  test("a refreshed token is used on the retry", () =>
    withFake({}, async (fake) => {
      const tokens = ["first-token-AAAA", CREDENTIALS.oauthToken];
      let i = 0;
      const token = () => tokens[Math.min(i++, tokens.length - 1)];
      fake.enqueue(error503); // the canned 503 needs no auth; the retry must carry the fresh token
      let outcome;
      try {
        outcome = (await client(fake, { auth: { type: "bearer", token } }).getCurrentUser()).accountId;
      } catch (e) {
        outcome = `rejected: ${e.message}`;
      }
      assert.deepEqual(
        fake.requests.map((r) => r.headers.authorization),
        ["Bearer first-token-AAAA", `Bearer ${CREDENTIALS.oauthToken}`],
        "Authorization of each attempt (the retry must call the token function again)",
      );
      assert.equal(outcome, SPECIAL.currentUser);
    }));

  test("a token function that throws, rejects, or gives a bad value: invalidArgument, nothing sent, no token in the error", () =>
    withFake({}, async (fake) => {
      const secret = CREDENTIALS.oauthToken;
      const cases = [
        ["throws", () => {
          throw new Error("token store offline");
        }],
        ["rejects", () => Promise.reject(new Error("refresh failed"))],
        ["async throws", async () => {
          throw new Error("refresh failed");
        }],
        ["number", () => 12345678],
        ["undefined", () => undefined],
        ["object", () => ({ token: secret })],
        ["promise of a number", async () => 42],
        ["empty", () => ""],
        ["CR/LF", () => `${secret}\r\nX-Injected: yes`],
        ["LF", () => `${secret}\nX-Injected: yes`],
        ["async CR/LF", async () => `${secret}\r\nX-Injected: yes`],
        ["space", () => `${secret} more`],
      ];
      for (const [label, token] of cases) {
        const c = client(fake, { auth: { type: "bearer", token } });
        for (const call of [
          () => c.getCurrentUser(),
          () => c.getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] }),
        ]) {
          const e = await expectConfluenceError(call(), { kind: "invalidArgument", status: 0 });
          assertNoSecrets(e, [secret, "X-Injected"], label);
        }
        const pages = c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups });
        const e = await expectConfluenceError(pages.next(), { kind: "invalidArgument" });
        assertNoSecrets(e, [secret], label);
      }
      await sleep(20);
      assert.equal(fake.requests.length, 0, "nothing was sent");
    }));

  test("a static token string with CR/LF or empty is refused by the constructor, without echoing it", async () => {
    const tok = "static-S3CRET-token";
    for (const token of [`${tok}\r\nX-Injected: yes`, `${tok}\n`, ""]) {
      const e = await expectConfluenceError(() => new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token } }), {
        kind: "invalidArgument",
        operation: "ConfluenceClient",
      });
      if (token) assertNoSecrets(e, [tok], "static token");
    }
    for (const token of [42, null, {}]) {
      await expectConfluenceError(() => new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token } }), { kind: "invalidArgument" });
    }
  });

  test("a CR/LF token returned by the function never appears in the error (shorter, recognisable token)", async () => {
    const fetch = cannedFetch();
    const tok = "s3cr3t-T0KEN-value";
    const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: () => `${tok}\r\n` }, fetch });
    const e = await expectConfluenceError(c.getCurrentUser(), { kind: "invalidArgument" });
    assertNoSecrets(e, [tok], "CR/LF token");
    assert.equal(fetch.calls.length, 0);
  });

  test("OAuth gateway baseUrl: requests go to https://api.atlassian.com/ex/confluence/<cloudId>/wiki/rest/api/...", async () => {
    const cloudId = "11223344-a1b2-43c4-d5e6-f7a8b9c0d1e2";
    const fetch = cannedFetch();
    const c = new ConfluenceClient({ baseUrl: `https://api.atlassian.com/ex/confluence/${cloudId}`, auth: { type: "bearer", token: "gateway-token-123" }, fetch });
    const me = await c.getCurrentUser();
    assert.equal(me.accountId, SPECIAL.currentUser);
    assert.equal(fetch.calls.length, 1);
    assert.equal(fetch.calls[0].url, `https://api.atlassian.com/ex/confluence/${cloudId}/wiki/rest/api/user/current`);
    assert.equal(fetch.calls[0].init.method, "GET");
    assert.equal(fetch.calls[0].init.headers.Authorization ?? fetch.calls[0].init.headers.authorization, "Bearer gateway-token-123");
    // trailing slash normalised
    const fetch2 = cannedFetch();
    await new ConfluenceClient({ baseUrl: `https://api.atlassian.com/ex/confluence/${cloudId}/`, auth: { type: "bearer", token: () => "fn-token-1" }, fetch: fetch2 }).getUser({ accountId: SPECIAL.currentUser });
    assert.equal(fetch2.calls[0].url, `https://api.atlassian.com/ex/confluence/${cloudId}/wiki/rest/api/user?accountId=${SPECIAL.currentUser}`);
    assert.equal(fetch2.calls[0].init.headers.Authorization ?? fetch2.calls[0].init.headers.authorization, "Bearer fn-token-1");
  });
});

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
    const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: AUTH, fetch, retry: FAST });
    assert.deepEqual(await c.getCurrentUser(), user);
    assert.equal(fetch.calls.length, 2);
  });
});
