// Per-attempt timeouts (issue 3), on real sockets and real timers: a hang, a slow drip of the body or of
// the status line, the connection of a timed-out attempt given up, the timeout value really bounding an
// attempt. The default (30000 ms) reaching the call is in retry.test.mjs ("option defaults ..."); the
// driver's timeout arithmetic is tests/driver.rs.
//
//   node --test js-tests/timeouts.test.mjs

import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import * as F from "./fake-server/faults.mjs";
import { AUTH, SLACK, fake, ftest, client, realBody, expectFailure, expectSuccess, nextCallWorks, between } from "./kit.mjs";

describe("timeouts", () => {
  ftest("a hang with timeout 200: every attempt times out, final kind timeout, bounded time", async () => {
    const c = client({ timeout: 200, retry: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 200 } });
    fake.enqueue(F.hang(), F.hang(), F.hang());
    const { error, ms } = await expectFailure("hang x3, timeout 200, maxRetries 2", () => c.getCurrentUser(), { kind: "timeout", status: 0, attempts: 3 });
    assert.equal(fake.requests.length, 3);
    assert.equal(error.requestId ?? undefined, undefined);
    // 3 attempts of 200 ms + waits of at most 20 and 40 ms.
    between("elapsed", ms, 3 * 200 - 10, 3 * 200 + 60 + SLACK);
    await nextCallWorks(c);
  });

  ftest("one hang then a good answer: the timed-out attempt is retried and the call resolves", async () => {
    const c = client({ timeout: 200 });
    fake.enqueue(F.hang());
    const { ms } = await expectSuccess("hang x1 (timeout 200) then 200", () => c.getCurrentUser());
    assert.equal(fake.requests.length, 2);
    between("elapsed", ms, 195, 200 + 20 + SLACK);
    await nextCallWorks(c);
  });

  ftest("the timeout option really bounds an attempt: 150 ms and 450 ms give different times", async () => {
    const c1 = client({ timeout: 150, retry: false });
    fake.enqueue(F.hang());
    const { ms: short } = await expectFailure("hang, timeout 150, retry false", () => c1.getCurrentUser(), { kind: "timeout", status: 0, attempts: 1 });
    between("timeout 150", short, 145, 150 + SLACK);
    fake.reset();
    const c2 = client({ timeout: 450, retry: false });
    fake.enqueue(F.hang());
    const { ms: long } = await expectFailure("hang, timeout 450, retry false", () => c2.getCurrentUser(), { kind: "timeout", status: 0, attempts: 1 });
    between("timeout 450", long, 445, 450 + SLACK);
    assert.ok(long - short >= 250, `timeout 450 took ${long} ms, timeout 150 took ${short} ms`);
  });

  ftest("without a timeout option (default 30000) and with timeout: false, a hang is still pending after 500 ms", async () => {
    for (const extra of [{}, { timeout: false }]) {
      fake.reset();
      const options = { baseUrl: fake.url, auth: AUTH, retry: false, ...extra };
      const c = new ConfluenceClient(options);
      const h = F.hang();
      fake.enqueue(h);
      const ac = new AbortController();
      let settled = false;
      const p = c.getCurrentUser(undefined, { signal: ac.signal }).finally(() => (settled = true));
      await sleep(500);
      assert.equal(settled, false, `${JSON.stringify(extra)}: the call settled before 500 ms, without the caller asking`);
      ac.abort();
      await expectFailure(`hang, ${JSON.stringify(extra) === "{}" ? "default timeout" : "timeout false"}, aborted at 500 ms`, () => p, { kind: "aborted" });
      assert.equal(fake.requests.length, 1);
    }
  });

  ftest("a timed-out attempt's connection is given up, not left hanging", async () => {
    const c = client({ timeout: 200, retry: false });
    const h = F.hang();
    fake.enqueue(h);
    await expectFailure("hang, timeout 200: connection closed", () => c.getCurrentUser(), { kind: "timeout", attempts: 1 });
    const closedAt = await Promise.race([h.hits[0].closed, sleep(1000).then(() => undefined)]);
    assert.ok(closedAt !== undefined, "the server still holds the timed-out connection open 1 s later: the attempt was not cancelled");
  });

  ftest("a slow drip (1 byte every 50 ms) longer than the timeout: timeout, retried", async () => {
    const body = await realBody(`/user/current`);
    const c1 = client({ timeout: 300, retry: false });
    fake.enqueue(F.drip(body, 50));
    const { ms } = await expectFailure("drip 1 B/50 ms, timeout 300, retry false", () => c1.getCurrentUser(), { kind: "timeout", status: 0, attempts: 1 });
    between("elapsed", ms, 295, 300 + SLACK);
    assert.equal(fake.requests.length, 1);
    await nextCallWorks(c1);
    fake.reset();
    const c2 = client({ timeout: 300, retry: { maxRetries: 1, baseDelayMs: 20, maxDelayMs: 200 } });
    fake.enqueue(F.drip(body, 50), F.drip(body, 50));
    const { ms: ms2 } = await expectFailure("drip x2, timeout 300, maxRetries 1", () => c2.getCurrentUser(), { kind: "timeout", status: 0, attempts: 2 });
    between("elapsed", ms2, 2 * 300 - 10, 2 * 300 + 20 + SLACK);
    assert.equal(fake.requests.length, 2);
    await nextCallWorks(c2);
  });

  ftest("a status line dripped byte by byte (headers never complete in time): timeout", async () => {
    const c = client({ timeout: 300, retry: false });
    fake.enqueue(F.dripRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 50));
    const { ms } = await expectFailure("status line drip 1 B/50 ms, timeout 300", () => c.getCurrentUser(), { kind: "timeout", status: 0, attempts: 1 });
    between("elapsed", ms, 295, 300 + SLACK);
    await nextCallWorks(c);
  });
});
