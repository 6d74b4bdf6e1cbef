// Paging iterators (issue 2): pages followed by their next links, break stopping the requests, invalid
// params refused, the signal before, during and between pages, a failure mid-way; and the call options
// on every iterator (a retried page, an abort while a page hangs). The paging state is the core's
// (tests/driver.rs); these prove the iterators on real pages of the fake.
//
//   node --test js-tests/paging.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { isConfluenceError } from "../pkg/node/index.mjs";
import { SPECIAL, expectConfluenceError, withFake } from "./helpers.mjs";
import * as F from "./fake-server/faults.mjs";
import { fake, ftest, record, client, realBody, expectFailure, nextCallWorks, between, waitFor, clientOf, passthrough, error503, collect } from "./kit.mjs";

// ---------------------------------------------------------------------------------------------------------
// 2. Pagination

describe("pagination iterators", () => {
  test("paginateGroupMembershipsForUser: 250 groups, limit 100 → 3 requests (starts 0, 100, 200), all in order", () =>
    withFake({}, async (fake) => {
      const pages = clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
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

  test("next() called again before the last one settled: every item once, in order, each page asked for once", () =>
    withFake({}, async (fake) => {
      const pages = clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
      // The first call fetches page 1; the next 150 are made at once: 99 are answered from page 1's
      // items, the 100th fetches page 2, and the 50 after it wait for that page rather than end.
      const first = await pages.next();
      const rest = await Promise.all(Array.from({ length: 150 }, () => pages.next()));
      const names = [first, ...rest].map((r) => (assert.equal(r.done, false), r.value.name));
      const expected = fake.directory.groupsOf(SPECIAL.manyGroups).map((g) => g.name);
      assert.deepEqual(names, expected.slice(0, 151));
      assert.deepEqual(fake.requests.map((r) => r.query.start?.[0] ?? "0"), ["0", "100"]);
      for (let r = await pages.next(); !r.done; r = await pages.next()) names.push(r.value.name);
      assert.deepEqual(names, expected);
      assert.equal(fake.requests.length, 3);
      // After the end, next() keeps saying done, and asks for nothing.
      assert.deepEqual(await Promise.all([pages.next(), pages.next()]), [{ value: undefined, done: true }, { value: undefined, done: true }]);
      assert.equal(fake.requests.length, 3);
    }));

  test("paginateGroupMembershipsForUser: default limit → 2 requests (200 + 50); one page when no next link", () =>
    withFake({}, async (fake) => {
      const c = clientOf(fake);
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
      const groups = await collect(clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: 150, limit: 40 }));
      assert.deepEqual(
        groups.map((g) => g.name),
        fake.directory.groupsOf(SPECIAL.manyGroups).slice(150).map((g) => g.name),
      );
      assert.deepEqual(fake.requests.map((r) => r.query.start[0]), ["150", "190", "230"]);
    }));

  test("break after the first item sends no further request", () =>
    withFake({}, async (fake) => {
      const pages = clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
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
      for await (const u of clientOf(fake).paginateBulkUserMigration({ usernames: ["admin", "mmanygroups", "qprivate"], limit: 1 })) {
        assert.equal(u.username, "admin");
        if (++n === 1) break;
      }
      await sleep(30);
      assert.equal(fake.requests.length, 1);
    }));

  test("break at a page boundary (after all 100 of page 1) sends no second request", () =>
    withFake({}, async (fake) => {
      let n = 0;
      for await (const g of clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 })) {
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
      const results = await collect(clientOf(fake).paginateBulkUserMigration({ usernames, limit: 100 }));
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
      const results = await collect(clientOf(fake).paginateBulkUserMigration({ keys }));
      assert.deepEqual(results.map((r) => r.key), keys);
      assert.deepEqual(results.map((r) => r.accountId), fake.directory.users.slice(0, 5).map((u) => u.accountId));
      assert.equal(fake.requests.length, 1);
    }));

  test("invalid params throw a ConfluenceError synchronously (invalidArgument), nothing sent", () =>
    withFake({}, async (fake) => {
      const c = clientOf(fake);
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
      const pages = clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups }, { signal: ac.signal });
      ac.abort();
      await expectConfluenceError(pages.next(), { kind: "aborted" });
      assert.equal(fake.requests.length, 0);
    }));

  test("signal aborts a page request in flight (kind aborted, promptly)", () =>
    withFake({ latencyMs: 2000 }, async (fake) => {
      const ac = new AbortController();
      const pages = clientOf(fake).paginateBulkUserMigration({ usernames: ["admin"] }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      const t0 = Date.now();
      await expectConfluenceError(collect(pages), { kind: "aborted" });
      assert.ok(Date.now() - t0 < 1500, `aborted after ${Date.now() - t0} ms`);
    }));

  test("signal aborted between pages: iteration ends with kind aborted, no further page requested", () =>
    withFake({}, async (fake) => {
      const ac = new AbortController();
      const pages = clientOf(fake).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 }, { signal: ac.signal });
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
        const pages = clientOf(fake, { retry: false }).paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, limit: 100 });
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
        const pages = clientOf(fake, { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } }).paginateBulkUserMigration({ usernames, limit: 2 });
        assert.equal((await pages.next()).done, false);
        assert.equal((await pages.next()).done, false);
        await expectConfluenceError(pages.next(), { kind: "http", status: 503, attempts: 2, operation: "getBulkUserMigration" });
      });
    }));
});

describe("paging iterators (every method takes the call options)", () => {
  const id = SPECIAL.manyGroups; // 250 groups: pages of 200 + 50

  ftest("paginateGroupMembershipsForUser: a 503 on the second page is retried; all 250 groups arrive", async () => {
    const c = client();
    const page1 = await realBody(`/user/memberof?accountId=${id}`);
    fake.enqueue(F.raw(200, page1), F.unavailable503());
    const t0 = performance.now();
    const names = [];
    for await (const g of c.paginateGroupMembershipsForUser({ accountId: id })) names.push(g.name);
    record("paginate memberof, 503 on page 2", "resolves", undefined, performance.now() - t0);
    assert.equal(names.length, SPECIAL.manyGroupsCount);
    assert.equal(fake.requests.length, 3);
    await nextCallWorks(c);
  });

  ftest("paginateGroupMembershipsForUser: aborting while the second page hangs rejects with aborted", async () => {
    const c = client({ timeout: 5000 });
    const page1 = await realBody(`/user/memberof?accountId=${id}`);
    const h = F.hang();
    fake.enqueue(F.raw(200, page1), h);
    const ac = new AbortController();
    let count = 0;
    const run = (async () => {
      for await (const g of c.paginateGroupMembershipsForUser({ accountId: id }, { signal: ac.signal })) {
        void g;
        count++;
      }
    })();
    await waitFor(() => fake.requests.length === 2);
    await sleep(50);
    const { ms } = await expectFailure(
      "paginate memberof, abort while page 2 hangs",
      () => {
        ac.abort();
        return run;
      },
      { kind: "aborted", status: 0 },
    );
    assert.equal(count, 200, "the first page was delivered");
    assert.ok(ms <= 50, `rejected ${Math.round(ms)} ms after abort()`);
    const closedAt = await Promise.race([h.hits[0].closed, sleep(1000).then(() => undefined)]);
    assert.ok(closedAt !== undefined, "the hanging page request was not cancelled");
    await nextCallWorks(c);
  });

  ftest("paginateBulkUserMigration with an already-aborted signal sends nothing", async () => {
    const c = client();
    const run = async () => {
      for await (const u of c.paginateBulkUserMigration({ usernames: ["admin"] }, { signal: AbortSignal.abort() })) void u;
    };
    await expectFailure("paginate migration, already-aborted signal", run, { kind: "aborted", attempts: 0 });
    assert.equal(fake.requests.length, 0);
    await nextCallWorks(c);
  });
});
