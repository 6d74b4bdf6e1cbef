// Retries (issue 3, policy in the core's call driver): which answers are retried (429, 502, 503, 504,
// network failures) and which not, Retry-After in seconds and as a date, the maxDelayMs cap, attempts
// counting, and that an option left out reaches the call as the core's default. Each test on a fresh fake.
//
//   node --test js-tests/retry.test.mjs
//
// The policy's arithmetic (which statuses, how many attempts, backoff, jitter, Retry-After, the cap) is
// proved on a virtual clock by tests/driver.rs; the cases here prove the wiring: real sockets, the fake's
// real answers, real timers where the wait itself is the point. Every case asserts the outcome, kind,
// status, attempts, how many requests the fake saw, and that the same client serves the next call.
// Setup and checks: ./kit.mjs; fault handlers for the fake: ./fake-server/faults.mjs.

import { after, before, describe, test, mock } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import { CREDENTIALS, SPECIAL, withFake } from "./helpers.mjs";
import * as F from "./fake-server/faults.mjs";
import { AUTH, FAST, SLACK, fake, ftest, client, someUser, realBody, expectFailure, expectSuccess, nextCallWorks, nextCallHeld, gaps, between, clientOf } from "./kit.mjs";

describe("429 and Retry-After", () => {
  ftest('Retry-After: "1" (seconds) is the floor of the wait: the retry comes >= 1000 ms later', async () => {
    const c = client({ retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 2000 } });
    const u = someUser();
    fake.enqueue(F.retryAfter429("1"));
    const { value, ms } = await expectSuccess("429 Retry-After: 1 (maxDelayMs 2000) then 200", () => c.getUser({ accountId: u.accountId }));
    assert.equal(value.accountId, u.accountId);
    assert.equal(fake.requests.length, 2);
    const [gap] = gaps();
    assert.ok(gap >= 995, `the retry came ${gap} ms after the 429, expected >= 1000`);
    between("total", ms, 995, 1000 + 20 + SLACK);
    await nextCallWorks(c);
  });

  ftest("Retry-After as an HTTP date ~1 s ahead: the retry comes no earlier than that date", async () => {
    const c = client({ retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 3000 } });
    const u = someUser();
    const date = F.httpDateAhead(600);
    fake.enqueue(F.retryAfter429(date.value));
    const { value, ms } = await expectSuccess("429 Retry-After: <HTTP date ~1 s ahead> then 200", () => c.getUser({ accountId: u.accountId }));
    assert.equal(value.accountId, u.accountId);
    assert.equal(fake.requests.length, 2);
    const retryAt = fake.requests[1].time;
    assert.ok(retryAt >= date.at - 5, `retry at ${retryAt}, Retry-After date ${date.at} (${date.at - retryAt} ms too early)`);
    assert.ok(retryAt <= date.at + 1000 + SLACK, `retry at ${retryAt} is long after the date ${date.at}`);
    assert.ok(ms >= 550, `took ${ms} ms`);
    await nextCallWorks(c);
  });

  ftest("Retry-After as an HTTP date in the past: retried without waiting for it", async () => {
    const c = client();
    fake.enqueue(...Array.from({ length: 4 }, () => F.retryAfter429(new Date(Date.now() - 60_000).toUTCString())));
    await expectFailure("429 x4, Retry-After: <date in the past>", () => c.getCurrentUser(), { kind: "http", status: 429, attempts: 4 });
    assert.equal(fake.requests.length, 4);
    await nextCallWorks(c);
  });

  ftest('Retry-After: "9223372036854775807" fails at once with retryAfterMs (no sleep, no overflow)', async () => {
    const c = client();
    fake.enqueue(F.retryAfter429("9223372036854775807"));
    const { error } = await expectFailure("429 Retry-After: 9223372036854775807", () => c.getCurrentUser(), { kind: "http", status: 429, attempts: 1 });
    assert.equal(typeof error.retryAfterMs, "number", `retryAfterMs: ${error.retryAfterMs}`);
    assert.ok(error.retryAfterMs > 1e12, `retryAfterMs should be huge, is ${error.retryAfterMs}`);
    assert.equal(fake.requests.length, 1);
    assert.equal(error.requestId, fake.requests[0].traceId);
    // The whole client is paused (issue 11): a fresh client is not.
    await nextCallHeld(c, 429, error.retryAfterMs);
    await nextCallWorks(client());
  });

  ftest("Retry-After beyond maxDelayMs (1 s vs 200 ms): no sleep, fail at once with retryAfterMs 1000", async () => {
    const c = client();
    fake.enqueue(F.retryAfter429("1"));
    const { error } = await expectFailure("429 Retry-After: 1 (maxDelayMs 200)", () => c.getCurrentUser(), {
      kind: "http",
      status: 429,
      attempts: 1,
      retryAfterMs: 1000,
    });
    assert.equal(error.requestId, fake.requests[0].traceId);
    assert.equal(fake.requests.length, 1);
    // The client stays paused for the rest of that second (issue 11), then serves calls again.
    await nextCallHeld(c, 429, 1000);
    await sleep(1000);
    await nextCallWorks(c);
  });

  ftest("503 with Retry-After beyond maxDelayMs fails at once too (retryAfterMs 5000)", async () => {
    const c = client();
    fake.enqueue(F.unavailable503({ retryAfter: 5 }));
    await expectFailure("503 Retry-After: 5 (maxDelayMs 200)", () => c.getCurrentUser(), { kind: "http", status: 503, attempts: 1, retryAfterMs: 5000 });
    assert.equal(fake.requests.length, 1);
    await nextCallHeld(c, 503, 5000);
    await nextCallWorks(client());
  });

  ftest("429 without Retry-After: backoff retries, then http 429 with attempts maxRetries+1", async () => {
    const c = client();
    fake.enqueue(...Array.from({ length: 4 }, () => F.retryAfter429(undefined)));
    const { error } = await expectFailure("429 x4, no Retry-After", () => c.getCurrentUser(), { kind: "http", status: 429, attempts: 4 });
    assert.equal(error.retryAfterMs ?? undefined, undefined, "the server did not ask for a delay");
    assert.equal(fake.requests.length, 4);
    assert.equal(error.requestId, fake.requests[3].traceId, "requestId is the final response's atl-traceid");
    await nextCallWorks(c);
  });

  ftest('429 with Retry-After: "0" on every attempt: retried, final retryAfterMs 0', async () => {
    const c = client();
    fake.enqueue(...Array.from({ length: 4 }, () => F.retryAfter429("0")));
    const { error } = await expectFailure("429 x4, Retry-After: 0", () => c.getCurrentUser(), { kind: "http", status: 429, attempts: 4, retryAfterMs: 0 });
    assert.equal(error.requestId, fake.requests[3].traceId);
    assert.equal(fake.requests.length, 4);
    await nextCallWorks(c);
  });
});

describe("option defaults reach the call (a virtual clock: node:test's mock timers)", () => {
  // The default values are the core's (src/options.rs, tested natively there). These prove that an option
  // left out reaches the call as that default, through what the client does: the waits its onRetry hook
  // reports, and when its timers fire. Only setTimeout is mocked; the custom fetches answer without a
  // socket, and setImmediate (not mocked) lets the call's promises run between two ticks.
  const base = "https://x.atlassian.net";
  const flush = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  const me = () => json(200, { type: "known", accountId: SPECIAL.currentUser, displayName: "Mia" });
  /** Starts `promise`; `state()` is undefined while it is pending, then the value or the error. */
  const watch = (promise) => {
    let state;
    promise.then((v) => (state = { value: v }), (e) => (state = { error: e }));
    return () => state;
  };

  test("the default timeout is 30000 ms per attempt; timeout: false arms none", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    // A fetch that never answers (it rejects once its signal aborts, as fetch does).
    const hanging = (url, init) => new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal.reason)));
    const c = new ConfluenceClient({ baseUrl: base, auth: AUTH, retry: false, fetch: hanging });
    const state = watch(c.getCurrentUser());
    await flush();
    t.mock.timers.tick(29_999);
    await flush();
    assert.equal(state(), undefined, "the attempt ended before 30000 ms");
    t.mock.timers.tick(1);
    await flush();
    assert.equal(state()?.error?.kind, "timeout", `at 30000 ms: ${state()?.error?.message}`);
    assert.equal(state().error.attempts, 1);

    const ac = new AbortController();
    const c2 = new ConfluenceClient({ baseUrl: base, auth: AUTH, retry: false, timeout: false, fetch: hanging });
    const state2 = watch(c2.getCurrentUser(undefined, { signal: ac.signal }));
    await flush();
    t.mock.timers.tick(24 * 3600 * 1000);
    await flush();
    assert.equal(state2(), undefined, "timeout: false ended the attempt");
    ac.abort();
    await flush();
    assert.equal(state2()?.error?.kind, "aborted");
  });

  test("the default retry policy: 3 retries, waits within 500, 1000, 2000 ms (onRetry's delayMs)", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const delays = [];
    let calls = 0;
    const fetch = async () => (calls++, json(503, { statusCode: 503, message: "canned" }));
    const c = new ConfluenceClient({ baseUrl: base, auth: AUTH, fetch, hooks: { onRetry: (info) => delays.push(info.delayMs) } });
    const state = watch(c.getCurrentUser());
    // Each wait is at most 2000 ms: one tick of 2000 per retry, far from the 30 s attempt timer.
    for (let i = 0; i < 6 && state() === undefined; i++) {
      await flush();
      t.mock.timers.tick(2000);
    }
    await flush();
    assert.equal(state()?.error?.kind, "http", `${state()?.error?.message}`);
    assert.equal(state().error.status, 503);
    assert.equal(state().error.attempts, 4);
    assert.equal(calls, 4);
    assert.equal(delays.length, 3, `waits ${delays}`);
    delays.forEach((ms, i) => assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= 500 * 2 ** i, `wait ${i + 1} = ${ms} ms, expected 0..${500 * 2 ** i}`));
  });

  test("the default maxDelayMs is 30000: Retry-After 30 is waited for, 31 fails at once", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const delays = [];
    let calls = 0;
    let retryAfter = "30";
    const fetch = async () => (++calls === 1 || retryAfter === "31" ? json(429, { statusCode: 429, message: "slow down" }, { "retry-after": retryAfter }) : me());
    const c = new ConfluenceClient({ baseUrl: base, auth: AUTH, fetch, hooks: { onRetry: (info) => delays.push(info.delayMs) } });
    const state = watch(c.getCurrentUser());
    await flush();
    assert.deepEqual(delays, [30000], "onRetry's delayMs for Retry-After: 30");
    t.mock.timers.tick(29_999);
    await flush();
    assert.equal(state(), undefined, "the retry came before the 30 s of Retry-After");
    assert.equal(calls, 1);
    t.mock.timers.tick(1);
    await flush();
    assert.equal(state()?.value?.accountId, SPECIAL.currentUser, `${state()?.error?.message}`);
    assert.equal(calls, 2);

    retryAfter = "31";
    const state2 = watch(c.getCurrentUser());
    await flush();
    assert.equal(state2()?.error?.kind, "http", "Retry-After 31 did not fail at once");
    assert.equal(state2().error.status, 429);
    assert.equal(state2().error.attempts, 1);
    assert.equal(state2().error.retryAfterMs, 31000);
    assert.deepEqual(delays, [30000], "no wait for a Retry-After beyond maxDelayMs");
  });

  test("the waits are jittered with the runtime's randomness (onRetry's delayMs, 40 first waits of 0..20 ms)", async () => {
    await withFake({}, async (f) => {
      // The jitter's arithmetic is proved natively (tests/driver.rs); this proves the skin feeds it
      // Math.random rather than a constant.
      const delays = [];
      const c = clientOf(f, { retry: { maxRetries: 1, baseDelayMs: 20, maxDelayMs: 20 }, hooks: { onRetry: (info) => delays.push(info.delayMs) } });
      for (let i = 0; i < 40; i++) {
        f.enqueue(F.unavailable503());
        await c.getCurrentUser();
      }
      assert.equal(delays.length, 40);
      assert.ok(delays.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 20), `${delays}`);
      assert.ok(new Set(delays).size > 5, `waits ${delays.join(", ")} are not random`);
    });
  });
});

describe("5xx", () => {
  ftest("a 503 storm of maxRetries (3) then 200: resolves, the fake saw 4 requests", async () => {
    const c = client();
    const u = someUser();
    fake.enqueue(...F.storm503(3));
    const { value } = await expectSuccess("503 x3 then 200", () => c.getUser({ accountId: u.accountId }));
    assert.equal(value.accountId, u.accountId);
    assert.equal(fake.requests.length, 4);
    await nextCallWorks(c);
  });

  ftest("a 503 storm longer than maxRetries: rejects with attempts maxRetries+1", async () => {
    const c = client();
    fake.enqueue(...F.storm503(4));
    const { error } = await expectFailure("503 x4 (maxRetries 3)", () => c.getCurrentUser(), { kind: "http", status: 503, attempts: 4 });
    assert.equal(fake.requests.length, 4);
    for (const r of fake.requests) {
      assert.equal(r.url, fake.requests[0].url, "every retry re-sends the same request");
      assert.equal(r.headers.authorization, `Bearer ${CREDENTIALS.oauthToken}`);
    }
    assert.equal(error.requestId, fake.requests[3].traceId);
    assert.equal(error.body?.statusCode, 503, "the final response's body");
    await nextCallWorks(c);
  });

  ftest("maxRetries 5: a storm of 5 503s still resolves (6 requests)", async () => {
    const c = client({ retry: { maxRetries: 5, baseDelayMs: 5, maxDelayMs: 50 } });
    fake.enqueue(...F.storm503(5));
    await expectSuccess("503 x5 then 200 (maxRetries 5)", () => c.getCurrentUser());
    assert.equal(fake.requests.length, 6);
    await nextCallWorks(c);
  });

  ftest("502 and 504 are retried", async () => {
    const c = client();
    fake.enqueue(F.status(502), F.status(504));
    await expectSuccess("502, 504 then 200", () => c.getCurrentUser());
    assert.equal(fake.requests.length, 3);
    fake.reset();
    fake.enqueue(...Array.from({ length: 4 }, () => F.status(502)));
    await expectFailure("502 x4", () => c.getCurrentUser(), { kind: "http", status: 502, attempts: 4 });
    assert.equal(fake.requests.length, 4);
    fake.reset();
    fake.enqueue(...Array.from({ length: 4 }, () => F.status(504)));
    await expectFailure("504 x4", () => c.getCurrentUser(), { kind: "http", status: 504, attempts: 4 });
    assert.equal(fake.requests.length, 4);
    await nextCallWorks(c);
  });

  ftest("retry: false sends one request on 503; maxRetries 0 likewise", async () => {
    for (const retry of [false, { maxRetries: 0 }]) {
      fake.reset();
      const c = client({ retry });
      fake.enqueue(F.unavailable503());
      await expectFailure(`503, retry ${JSON.stringify(retry)}`, () => c.getCurrentUser(), { kind: "http", status: 503, attempts: 1 });
      assert.equal(fake.requests.length, 1);
      await nextCallWorks(c);
    }
  });
});

describe("not retried", () => {
  for (const code of [400, 403, 405, 408, 409, 422, 500, 501]) {
    ftest(`${code} is not retried (attempts 1)`, async () => {
      const c = client();
      fake.enqueue(F.status(code, { message: `canned ${code}` }));
      const { error } = await expectFailure(`${code}`, () => c.getCurrentUser(), { kind: "http", status: code, attempts: 1 });
      assert.equal(fake.requests.length, 1);
      assert.equal(error.requestId, fake.requests[0].traceId);
      await nextCallWorks(c);
    });
  }

  ftest("401 (the fake refuses wrong credentials) is not retried", async () => {
    const c = client({ auth: { type: "bearer", token: "wrong-token" } });
    const { error } = await expectFailure("401 (real)", () => c.getCurrentUser(), { kind: "http", status: 401, attempts: 1 });
    assert.equal(fake.requests.length, 1);
    assert.equal(error.requestId, fake.requests[0].traceId);
    assert.equal(error.retryAfterMs ?? undefined, undefined);
  });

  ftest("404 (the fake's unknown user) is not retried", async () => {
    const c = client();
    const { error } = await expectFailure("404 (real)", () => c.getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http", status: 404, attempts: 1 });
    assert.equal(fake.requests.length, 1);
    assert.equal(error.requestId, fake.requests[0].traceId);
    await nextCallWorks(c);
  });
});

describe("network failures", () => {
  ftest("connection reset before any byte: retried as network", async () => {
    const c = client();
    fake.enqueue(F.reset());
    await expectSuccess("reset x1 then 200", () => c.getCurrentUser());
    assert.equal(fake.requests.length, 2);
    fake.reset();
    fake.enqueue(...Array.from({ length: 4 }, () => F.reset()));
    const { error } = await expectFailure("reset x4", () => c.getCurrentUser(), { kind: "network", status: 0, attempts: 4 });
    assert.equal(fake.requests.length, 4);
    assert.equal(error.requestId ?? undefined, undefined, "no response, no requestId");
    await nextCallWorks(c);
  });

  ftest("connection refused: retried as network, attempts maxRetries+1", async () => {
    const port = await F.closedPort();
    const c = new ConfluenceClient({ baseUrl: `http://127.0.0.1:${port}`, auth: AUTH, retry: FAST, timeout: 2000 });
    await expectFailure("connection refused", () => c.getCurrentUser(), { kind: "network", status: 0, attempts: 4 });
  });

  ftest("a custom fetch that throws: retried, attempts = calls", async () => {
    let calls = 0;
    const c = client({
      fetch: () => {
        calls++;
        throw new TypeError("boom");
      },
    });
    await expectFailure("custom fetch throws", () => c.getCurrentUser(), { kind: "network", status: 0, attempts: 4 });
    assert.equal(calls, 4);
  });

  ftest("reset in the middle of the body (Content-Length announced): network, retried", async () => {
    const c = client();
    const body = await realBody(`/user/current`);
    fake.enqueue(F.resetMidBody(body));
    await expectSuccess("reset mid-body x1 then 200", () => c.getCurrentUser());
    assert.equal(fake.requests.length, 2);
    fake.reset();
    fake.enqueue(...Array.from({ length: 4 }, () => F.resetMidBody(body)));
    await expectFailure("reset mid-body x4 (Content-Length)", () => c.getCurrentUser(), { kind: "network", status: 0, attempts: 4 });
    assert.equal(fake.requests.length, 4);
    await nextCallWorks(c);
  });

  ftest("reset in the middle of a chunked body: network", async () => {
    const c = client({ retry: false });
    fake.enqueue(F.resetMidBody(await realBody(`/user/current`), { chunked: true }));
    await expectFailure("reset mid-body (chunked), retry false", () => c.getCurrentUser(), { kind: "network", status: 0, attempts: 1 });
    assert.equal(fake.requests.length, 1);
    await nextCallWorks(c);
  });

  ftest("a cut body delimited by the connection close looks complete to the transport: decode, not retried", async () => {
    const c = client();
    const body = await realBody(`/user/current`);
    fake.enqueue(F.closeDelimited(200, body.slice(0, Math.floor(body.length / 2))));
    const { error } = await expectFailure("half body, then connection close (no Content-Length)", () => c.getCurrentUser(), { kind: "decode", status: 200, attempts: 1 });
    assert.equal(fake.requests.length, 1);
    assert.equal(error.requestId, fake.requests[0].traceId);
    await nextCallWorks(c);
  });
});
