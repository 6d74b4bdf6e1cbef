// Bulk lookups of any size (issue 2): ids split by count (200) and by URL length (8,000), duplicates asked
// once, results merged in input order, `concurrency` requests in flight, a failing chunk ("N of M ids"),
// the signal. The fan-out's arithmetic is the core's (tests/driver.rs); these prove it on the fake's real
// answers. Bulk migration (usernames and keys): migration.test.mjs.
//
//   node --test js-tests/bulk.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient, isConfluenceError } from "../pkg/node/index.mjs";
import { SPECIAL, expectConfluenceError, withFake } from "./helpers.mjs";
import { AUTH, fake, clientOf, allIds, shuffled, unknownIds, firstSeen, askedIdLists, assertEachAskedOnce, trackInFlight, passthrough, error500, error503, cannedFetch } from "./kit.mjs";

// ---------------------------------------------------------------------------------------------------------
// 1. Bulk lookups beyond 200 ids

describe("bulk lookups of any size", () => {
  test("450 distinct ids (shuffled, 150 unknown) → 3 requests of ≤ 200, one result in input order", () =>
    withFake({}, async (fake) => {
      const known = allIds(fake);
      const input = shuffled([...known, ...unknownIds(150)]);
      assert.equal(input.length, 450);
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
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
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
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
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
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
        const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
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
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input, expand: ["operations"] });
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
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
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
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
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
      const c = clientOf(fake, { hooks: { onRequest: (info) => urls.push(info.url) } });
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
      const c = clientOf(fake);
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
      const r = await clientOf(fake).getPrivacyUnsafeUserEmailBulk({ accountIds: input });
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
      const r = await clientOf(fake).getPrivacyUnsafeUserEmailBulk({ accountIds: input });
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
      const r = await clientOf(fake).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 10);
      assert.equal(flight.max, 4, "maximum in flight");
      assert.equal(r.size, 300);
    }));

  test("concurrency 1 sends one request at a time; concurrency 32 up to 32", () =>
    withFake({ latencyMs: 50 }, async (fake) => {
      const flight = trackInFlight(fake);
      const input = [...allIds(fake), ...unknownIds(700)]; // 1000 ids → 5 requests
      await clientOf(fake, { concurrency: 1 }).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 5);
      assert.equal(flight.max, 1);
      // requests strictly one after another: each starts after the previous one's latency
      const times = fake.requests.map((r) => r.time);
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 40, `gap ${times[i] - times[i - 1]} ms`);
    }).then(() =>
      withFake({ latencyMs: 250 }, async (fake) => {
        const flight = trackInFlight(fake);
        const input = [...allIds(fake), ...unknownIds(10_000 - 300)]; // 50 requests
        const r = await clientOf(fake, { concurrency: 32 }).getPrivacyUnsafeUserEmailBulk({ accountIds: input });
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
      await clientOf(fake, { concurrency: 2 }).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] });
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
        const c = clientOf(fake, { concurrency: 1, retry: false });
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
        const c = clientOf(fake, { concurrency: 1, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } });
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
      const c = clientOf(fake, { concurrency: 1, retry: false });
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
      const r = await clientOf(fake, { concurrency: 1 }).getBulkUserLookup({ accountIds: input });
      assert.equal(fake.requests.length, 4, "3 chunks + 1 retry");
      const knownSet = new Set(allIds(fake));
      assert.deepEqual(r.results.map((u) => u.accountId), input.filter((id) => knownSet.has(id)));
    }));

  test("the signal aborts a bulk lookup in flight (kind aborted, promptly)", () =>
    withFake({ latencyMs: 2000 }, async (fake) => {
      const ac = new AbortController();
      const call = clientOf(fake).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(700)] }, { signal: ac.signal });
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
      const c = clientOf(fake);
      const many = [...allIds(fake), ...unknownIds(150)];
      for (const accountIds of [[], [...many, ""], [...many, "a,b"], [...many, "x".repeat(9000)]]) {
        await expectConfluenceError(c.getBulkUserLookup({ accountIds }), { kind: "invalidArgument", status: 0, operation: "getBulkUserLookup" });
        await expectConfluenceError(c.getPrivacyUnsafeUserEmailBulk({ accountIds }), { kind: "invalidArgument", status: 0 });
      }
      assert.equal(fake.requests.length, 0);
    }));
});
