// Many calls on one client at once (issue 3): 100 concurrent calls, some retried, some failing each its own
// way, each settling with its own outcome. The bulk fan-out's `concurrency` option: bulk.test.mjs.
//
//   node --test js-tests/concurrency.test.mjs

import { describe } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { CREDENTIALS } from "./helpers.mjs";
import { errorBody } from "./fake-server/server.mjs";
import * as F from "./fake-server/faults.mjs";
import { SLACK, fake, ftest, TIMINGS, client, expectSuccess, nextCallWorks, between } from "./kit.mjs";

describe("concurrency", () => {
  ftest("one client serves 100 concurrent getUser calls, each a different user", async () => {
    const c = client();
    const users = fake.directory.users.slice(0, 100);
    const { value } = await expectSuccess("100 concurrent getUser", () => Promise.all(users.map((u) => c.getUser({ accountId: u.accountId }))));
    value.forEach((got, i) => {
      assert.equal(got.accountId, users[i].accountId);
      assert.equal(got.displayName, users[i].displayName);
    });
    assert.equal(fake.requests.length, 100);
    assert.deepEqual(new Set(fake.requests.map((r) => r.query.accountId[0])), new Set(users.map((u) => u.accountId)));
  });

  ftest("100 concurrent calls, 30 of them first answered by a 503: all resolve, 130 requests", async () => {
    const c = client();
    const users = fake.directory.users.slice(100, 200);
    // Which request a queued item answers depends on arrival order (and retries arrive while first attempts
    // are still coming in), so the handler picks by account id: the first request for each of 30 users gets
    // a 503, everything else the user's real body.
    const bodies = new Map();
    await Promise.all(
      users.map(async (u) => {
        const r = await fetch(`${fake.url}/wiki/rest/api/user?accountId=${encodeURIComponent(u.accountId)}`, { headers: { Authorization: `Bearer ${CREDENTIALS.oauthToken}` } });
        bodies.set(u.accountId, await r.text());
      }),
    );
    fake.reset();
    const failing = new Set(users.filter((_, i) => i % 10 < 3).map((u) => u.accountId));
    assert.equal(failing.size, 30);
    const handler = (req, res) => {
      const id = new URL(req.url, "http://x").searchParams.get("accountId");
      if (failing.delete(id)) F.raw(503, JSON.stringify(errorBody(503, "Service Unavailable")))(req, res);
      else F.raw(200, bodies.get(id) ?? "")(req, res);
    };
    fake.enqueue(...Array.from({ length: 130 }, () => handler));
    const { value } = await expectSuccess("100 concurrent getUser, 30 first answered by a 503", () => Promise.all(users.map((u) => c.getUser({ accountId: u.accountId }))));
    value.forEach((got, i) => assert.equal(got.accountId, users[i].accountId));
    assert.equal(fake.requests.length, 130);
    await nextCallWorks(c);
  });

  ftest("100 concurrent calls with mixed faults settle each with its own outcome", async () => {
    // A generous timeout: on a busy 2-CPU machine opening 100 connections alone can take more than 300 ms,
    // and the timeout covers the whole attempt, connecting included.
    // One slot per call: the client-wide cap (maxConcurrentRequests, default 8) would queue them.
    const c = client({ timeout: 1500, retry: false, maxConcurrentRequests: 100 });
    const users = fake.directory.users.slice(0, 100);
    // The first 10 requests to arrive get a 404, the next 10 hang, the next 10 a reset; the rest succeed.
    fake.enqueue(...Array.from({ length: 10 }, () => F.status(404)), ...Array.from({ length: 10 }, () => F.hang()), ...Array.from({ length: 10 }, () => F.reset()));
    const t0 = performance.now();
    const settled = await Promise.allSettled(users.map((u) => c.getUser({ accountId: u.accountId })));
    const ms = performance.now() - t0;
    const count = (pred) => settled.filter(pred).length;
    const ok = count((s) => s.status === "fulfilled");
    const kinds = {};
    for (const s of settled) if (s.status === "rejected") kinds[s.reason.kind] = (kinds[s.reason.kind] ?? 0) + 1;
    TIMINGS.push({ case: "100 concurrent, 10 x 404 / 10 x hang / 10 x reset", outcome: `${ok} resolve`, kind: JSON.stringify(kinds), status: "", attempts: "", requests: fake.requests.length, ms: Math.round(ms) });
    assert.equal(ok, 70);
    assert.deepEqual(kinds, { http: 10, timeout: 10, network: 10 });
    settled.forEach((s, i) => s.status === "fulfilled" && assert.equal(s.value.accountId, users[i].accountId));
    between("elapsed", ms, 1495, 1500 + SLACK + 500);
    await nextCallWorks(c);
  });
});
