// AbortSignal (issue 3), on real sockets: aborting during a hang, a body drip or a backoff sleep, an
// already-aborted signal, one call aborted next to another. Aborting a bulk lookup and paging iterators
// are in bulk.test.mjs and paging.test.mjs.
//
//   node --test js-tests/abort.test.mjs

import { after, describe } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { SPECIAL } from "./helpers.mjs";
import * as F from "./fake-server/faults.mjs";
import { fake, ftest, client, someUser, realBody, expectFailure, nextCallWorks, waitFor } from "./kit.mjs";

describe("AbortSignal", () => {
  ftest("abort during a hang: rejects within ~50 ms, kind aborted, the request is stopped", async () => {
    const c = client({ timeout: 5000 });
    const h = F.hang();
    fake.enqueue(h);
    const ac = new AbortController();
    const p = c.getCurrentUser(undefined, { signal: ac.signal });
    await waitFor(() => fake.requests.length === 1);
    await sleep(100);
    let abortedAt;
    const { ms } = await expectFailure(
      "abort during a hang (at ~100 ms)",
      () => {
        abortedAt = performance.now();
        ac.abort();
        return p;
      },
      { kind: "aborted", status: 0, attempts: 1 },
    );
    assert.ok(ms <= 50, `rejected ${Math.round(ms)} ms after abort()`);
    const closedAt = await Promise.race([h.hits[0].closed, sleep(1000).then(() => undefined)]);
    assert.ok(closedAt !== undefined, "the server still holds the aborted connection open 1 s later");
    assert.ok(closedAt - abortedAt <= 200, `the connection closed ${closedAt - abortedAt} ms after abort()`);
    assert.equal(fake.requests.length, 1);
    await nextCallWorks(c);
  });

  ftest("abort while the body drips in: rejects at once, kind aborted", async () => {
    const c = client({ timeout: 5000 });
    fake.enqueue(F.drip(await realBody(`/user/current`), 50));
    const ac = new AbortController();
    const p = c.getCurrentUser(undefined, { signal: ac.signal });
    await waitFor(() => fake.requests.length === 1);
    await sleep(150);
    const { ms } = await expectFailure(
      "abort during a body drip",
      () => {
        ac.abort();
        return p;
      },
      { kind: "aborted", status: 0, attempts: 1 },
    );
    assert.ok(ms <= 50, `rejected ${Math.round(ms)} ms after abort()`);
    await nextCallWorks(c);
  });

  ftest("abort during a backoff sleep (503, Retry-After 1): rejects at once, attempts 1, no retry is sent later", async () => {
    const c = client({ retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 5000 } });
    fake.enqueue(F.unavailable503({ retryAfter: 1 }));
    const ac = new AbortController();
    const p = c.getCurrentUser(undefined, { signal: ac.signal });
    await waitFor(() => fake.requests.length === 1);
    const firstAt = performance.now();
    await sleep(150);
    const { error, ms } = await expectFailure(
      "abort during a backoff sleep (after a 503)",
      () => {
        ac.abort();
        return p;
      },
      { kind: "aborted", attempts: 1 },
    );
    assert.ok(ms <= 50, `rejected ${Math.round(ms)} ms after abort()`);
    // The retry would have come 1000 ms after the 503: wait past that and check nothing was sent.
    await sleep(Math.max(0, firstAt + 1250 - performance.now()));
    assert.equal(fake.requests.length, 1, "a retry was sent after the abort");
    await nextCallWorks(c);
  });

  ftest("an already-aborted signal sends nothing (attempts 0)", async () => {
    const c = client();
    for (const signal of [AbortSignal.abort(), AbortSignal.abort(new Error("stop")), (() => { const ac = new AbortController(); ac.abort("a string reason"); return ac.signal; })()]) {
      const { ms } = await expectFailure("already-aborted signal", () => c.getCurrentUser(undefined, { signal }), { kind: "aborted", status: 0, attempts: 0 });
      assert.ok(ms <= 50, `took ${ms} ms`);
    }
    await sleep(100);
    assert.equal(fake.requests.length, 0);
    await nextCallWorks(c);
  });

  ftest("aborting one call leaves a concurrent call on the same client alone", async () => {
    const c = client({ timeout: 5000 });
    fake.enqueue(F.hang());
    const ac = new AbortController();
    const a = c.getCurrentUser(undefined, { signal: ac.signal });
    await waitFor(() => fake.requests.length === 1);
    const u = someUser(3);
    const b = c.getUser({ accountId: u.accountId });
    ac.abort();
    await expectFailure("aborted call next to a running one", () => a, { kind: "aborted" });
    assert.equal((await b).accountId, u.accountId);
  });

  ftest("aborting after the call resolved changes nothing", async () => {
    const c = client();
    const ac = new AbortController();
    const me = await c.getCurrentUser(undefined, { signal: ac.signal });
    ac.abort();
    assert.equal(me.accountId, SPECIAL.currentUser);
    await sleep(20);
    await nextCallWorks(c);
  });
});
