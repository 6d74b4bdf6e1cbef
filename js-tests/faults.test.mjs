// Fault tolerance (issue 3): retries with backoff and Retry-After, per-attempt timeouts, AbortSignal, hostile
// and broken responses, concurrency. Runs against the built package (pkg/, `node pkg-template/build.mjs
// --no-opt`) and the fake Confluence server, each test on a fresh fake.
//
//   node --test js-tests/faults.test.mjs
//
// Every case asserts the outcome, kind, status, attempts, how many requests the fake saw, and that the same
// client serves the next call. The retry policy's arithmetic (which statuses, how many attempts, backoff,
// jitter, Retry-After in seconds and as a date, the cap) is the core's call driver, proved on a virtual clock
// by tests/driver.rs; time bounds here are kept only where a real timer, socket or AbortSignal is the point. Timings are printed at the end (FAULTS_TIMINGS_JSON=path
// also writes them as JSON). The last block ("secrets: ...") drives every error kind with a recognisable
// credential and searches every surface of the thrown value for it.
// Fault handlers for the fake: ./fake-server/faults.mjs.

import { AsyncLocalStorage } from "node:async_hooks";
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { getEventListeners } from "node:events";
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

import { ConfluenceClient, isConfluenceError } from "../pkg/node/index.mjs";
import { CREDENTIALS, SPECIAL, errorBody, startFakeConfluence } from "./fake-server/server.mjs";
import * as F from "./fake-server/faults.mjs";

const AUTH = { type: "bearer", token: CREDENTIALS.oauthToken };
/** Small delays so backoff is visible but cheap: waits of at most 20, 40, 80 ms. */
const FAST = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 200 };
/** Scheduling slack added to upper time bounds (the machine may be busy building). */
const SLACK = 400;

// Every test gets a fresh fake of its own (so suites marked `concurrency: true` can run their tests side by
// side): `fake` reads through to the fake of the test that is running.
const currentFake = new AsyncLocalStorage();
const fake = new Proxy(
  {},
  {
    get(_, key) {
      const f = currentFake.getStore();
      if (!f) throw new Error(`fake.${String(key)} used outside a test`);
      const v = Reflect.get(f, key, f);
      return typeof v === "function" ? v.bind(f) : v;
    },
  },
);

/** `test`, run with a fresh fake Confluence (closed afterwards, hung connections included). */
function ftest(name, fn) {
  test(name, async (t) => {
    const f = await startFakeConfluence({ port: 0 });
    try {
      await currentFake.run(f, () => fn(t));
    } finally {
      await f.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const TIMINGS = [];

function client(options = {}) {
  return new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, retry: FAST, timeout: 5000, ...options });
}

/** An ordinary user of the fake (not one of the special ones). */
function someUser(i = 0) {
  const specials = new Set(Object.values(SPECIAL));
  return fake.directory.users.filter((u) => !specials.has(u.accountId))[i];
}

/** The fake's real response body for a path (fetched with valid credentials, then forgotten). */
async function realBody(pathAndQuery) {
  const r = await fetch(`${fake.url}/wiki/rest/api${pathAndQuery}`, { headers: { Authorization: `Bearer ${CREDENTIALS.oauthToken}` } });
  assert.equal(r.status, 200, `fetching ${pathAndQuery} for a template body`);
  const text = await r.text();
  fake.reset();
  return text;
}

function record(label, outcome, error, ms) {
  TIMINGS.push({
    case: label,
    outcome,
    kind: error?.kind ?? "",
    status: error?.status ?? "",
    attempts: error?.attempts ?? "",
    requests: fake.requests.length,
    ms: Math.round(ms),
  });
}

/** Runs `run()`, expects a ConfluenceError with the fields of `want`; returns `{ error, ms }`. */
async function expectFailure(label, run, want = {}) {
  const t0 = performance.now();
  let error;
  let value;
  let threw = false;
  try {
    value = await run();
  } catch (e) {
    threw = true;
    error = e;
  }
  const ms = performance.now() - t0;
  record(label, threw ? "rejects" : "resolves", error, ms);
  assert.ok(threw, `${label}: expected a ConfluenceError ${inspect(want)}, but the call resolved to ${inspect(value, { depth: 1 }).slice(0, 300)}`);
  assert.ok(error instanceof Error, `${label}: expected an Error, got ${inspect(error)}`);
  assert.equal(error.name, "ConfluenceError", `${label}: name (${error.message})`);
  assert.equal(isConfluenceError(error), true, `${label}: isConfluenceError`);
  for (const [key, expected] of Object.entries(want)) {
    assert.equal(error[key], expected, `${label}: error.${key} (message: ${error.message}; kind ${error.kind}, status ${error.status}, attempts ${error.attempts})`);
  }
  return { error, ms };
}

/** Runs `run()`, expects it to resolve; returns `{ value, ms }`. */
async function expectSuccess(label, run) {
  const t0 = performance.now();
  let value;
  try {
    value = await run();
  } catch (e) {
    const ms = performance.now() - t0;
    record(label, "rejects", e, ms);
    assert.fail(`${label}: expected to resolve, but it rejected: ${e?.message} (kind ${e?.kind}, status ${e?.status}, attempts ${e?.attempts})`);
  }
  const ms = performance.now() - t0;
  record(label, "resolves", undefined, ms);
  return { value, ms };
}

/** The next call on the same client works (and nothing is left in the fault queue). */
async function nextCallWorks(c, label = "") {
  assert.equal(fake.queued, 0, `${label}: every queued fault was consumed`);
  const before = fake.requests.length;
  const u = someUser(7);
  const got = await c.getUser({ accountId: u.accountId });
  assert.equal(got.accountId, u.accountId, `${label}: the next call returns the right user`);
  assert.equal(got.displayName, u.displayName);
  assert.equal(fake.requests.length, before + 1, `${label}: the next call sent one request`);
}

/**
 * The next call on the same client, made while a pause longer than retry.maxDelayMs (issue 11) is on: it
 * fails at once with the pause's status and retryAfterMs, and sends nothing.
 */
async function nextCallHeld(c, status, retryAfterMs) {
  const before = fake.requests.length;
  const { error, ms } = await expectFailure("the next call during a long client-wide pause", () => c.getUser({ accountId: someUser(7).accountId }), { kind: "http", status, attempts: 0 });
  assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= retryAfterMs, `retryAfterMs ${error.retryAfterMs}, expected 1..${retryAfterMs}`);
  assert.equal(fake.requests.length, before, "the held call sent nothing");
  between("elapsed", ms, 0, SLACK);
}

/** Gaps in ms between consecutive requests the fake saw. */
function gaps() {
  const t = fake.requests.map((r) => r.time);
  return t.slice(1).map((x, i) => x - t[i]);
}

function between(label, ms, lo, hi) {
  assert.ok(ms >= lo && ms <= hi, `${label}: took ${Math.round(ms)} ms, expected ${lo}..${hi} ms`);
}

async function waitFor(predicate, ms = 2000) {
  const end = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > end) throw new Error("waitFor: condition not met in time");
    await sleep(2);
  }
}

after(() => {
  if (TIMINGS.length === 0) return;
  const rows = TIMINGS.map((r) => `| ${r.case} | ${r.outcome} | ${r.kind} | ${r.status} | ${r.attempts} | ${r.requests} | ${r.ms} |`);
  console.log(["", "| case | outcome | kind | status | attempts | fake requests | ms |", "|---|---|---|---|---|---|---|", ...rows].join("\n"));
  if (process.env.FAULTS_TIMINGS_JSON) writeFileSync(process.env.FAULTS_TIMINGS_JSON, JSON.stringify(TIMINGS, null, 2));
});

// ---------------------------------------------------------------------------------------------------------

describe("options", () => {
  ftest("retry and timeout are accepted by the constructor; bad values are invalidArgument", async () => {
    for (const retry of [false, {}, { maxRetries: 0 }, FAST]) {
      new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, retry });
    }
    for (const timeout of [false, 1, 300, 30000]) {
      new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, timeout });
    }
    for (const bad of [{ retry: { maxRetries: -1 } }, { retry: { maxRetries: "3" } }, { retry: true }, { timeout: -5 }, { timeout: "300" }, { retry: { retries: 3 } }]) {
      await expectFailure(`constructor ${JSON.stringify(bad)}`, () => new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, ...bad }), {
        kind: "invalidArgument",
        status: 0,
      });
    }
    assert.equal(fake.requests.length, 0);
  });

  ftest("bad call options are invalidArgument and send nothing (attempts 0)", async () => {
    const c = client();
    const u = someUser();
    for (const bad of [{ signal: "no" }, { signal: {} }, { unknown: true }, 5]) {
      await expectFailure(`call options ${inspect(bad)}`, () => c.getUser({ accountId: u.accountId }, bad), { kind: "invalidArgument", status: 0, attempts: 0 });
    }
    assert.equal(fake.requests.length, 0);
    await nextCallWorks(c);
  });
});

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

describe("defaults and backoff, read off the client's own timers (no real waiting)", () => {
  // The client arms its timers with the global setTimeout; a wrapper records the delays it asks for (only
  // calls coming from the package, recognised by the stack) and, for backoff sleeps, fires them at once.
  // The attempt timer (the `timeout` value) is left alone, so attempts behave normally.
  function observeClientTimers(attemptTimeoutMs) {
    const original = globalThis.setTimeout;
    const attemptTimers = [];
    const sleeps = [];
    globalThis.setTimeout = function (fn, ms, ...rest) {
      if (/confluence_users/.test(new Error().stack ?? "")) {
        if (ms === attemptTimeoutMs) attemptTimers.push(ms);
        else {
          sleeps.push(ms);
          ms = 0;
        }
      }
      return original.call(this, fn, ms, ...rest);
    };
    return { attemptTimers, sleeps, restore: () => (globalThis.setTimeout = original) };
  }

  ftest("the default timeout is 30000 ms per attempt; timeout: false arms no attempt timer", async () => {
    for (const [options, expected] of [[{}, [30000]], [{ timeout: 1234 }, [1234]], [{ timeout: false }, []]]) {
      const t = observeClientTimers(expected[0]);
      try {
        const c = new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, ...options });
        await c.getCurrentUser();
      } finally {
        t.restore();
      }
      assert.deepEqual(t.attemptTimers, expected, `attempt timers for ${JSON.stringify(options)}`);
      assert.deepEqual(t.sleeps, [], `no other timer for ${JSON.stringify(options)}`);
    }
  });

  ftest("the default retry policy: 3 retries, waits within 500, 1000, 2000 ms", async () => {
    const t = observeClientTimers(5000);
    try {
      const c = new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, timeout: 5000 });
      fake.enqueue(...F.storm503(4));
      await expectFailure("default retry policy, 503 x4 (sleeps fast-forwarded)", () => c.getCurrentUser(), { kind: "http", status: 503, attempts: 4 });
    } finally {
      t.restore();
    }
    assert.equal(fake.requests.length, 4);
    assert.equal(t.sleeps.length, 3, `sleeps ${t.sleeps}`);
    t.sleeps.forEach((ms, i) => assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= 500 * 2 ** i, `wait ${i + 1} = ${ms} ms, expected 0..${500 * 2 ** i}`));
  });

  ftest("the default maxDelayMs is 30000: Retry-After 30 is waited for, 31 fails at once", async () => {
    const t = observeClientTimers(5000);
    try {
      const c = new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, timeout: 5000 });
      fake.enqueue(F.retryAfter429("30"));
      await expectSuccess("429 Retry-After: 30, default policy (sleep fast-forwarded)", () => c.getCurrentUser());
      assert.deepEqual(t.sleeps, [30000]);
      fake.reset();
      fake.enqueue(F.retryAfter429("31"));
      await expectFailure("429 Retry-After: 31, default policy", () => c.getCurrentUser(), { kind: "http", status: 429, attempts: 1, retryAfterMs: 31000 });
      assert.deepEqual(t.sleeps, [30000], "no sleep for a Retry-After beyond maxDelayMs");
    } finally {
      t.restore();
    }
  });

  ftest("the waits are jittered with the runtime's randomness (onRetry's delayMs, 40 first waits of 0..20 ms)", async () => {
    // The jitter's arithmetic is proved natively (tests/driver.rs); this proves the skin feeds it
    // Math.random rather than a constant.
    const delays = [];
    const c = client({ retry: { maxRetries: 1, baseDelayMs: 20, maxDelayMs: 20 }, hooks: { onRetry: (info) => delays.push(info.delayMs) } });
    for (let i = 0; i < 40; i++) {
      fake.enqueue(F.unavailable503());
      await c.getCurrentUser();
    }
    assert.equal(delays.length, 40);
    assert.ok(delays.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 20), `${delays}`);
    assert.ok(new Set(delays).size > 5, `waits ${delays.join(", ")} are not random`);
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

describe("hostile and broken 2xx bodies: decode, never a panic or a hang, the client keeps working", { concurrency: true }, () => {
  /** [label, () => ({ handler, call(c) }), want] */
  const user = () => someUser(1);
  const cases = [
    ["malformed JSON", () => F.raw(200, '{"type":"known","accountId":}')],
    ["truncated JSON (Content-Length of the cut body)", async () => {
      const body = await realBody(`/user?accountId=${encodeURIComponent(user().accountId)}`);
      return F.raw(200, body.slice(0, Math.floor(body.length / 2)));
    }],
    ["an HTML page with status 200 (text/html)", () => F.raw(200, "<!DOCTYPE html><html><head><title>Log in</title></head><body>Atlassian</body></html>", { "Content-Type": "text/html;charset=UTF-8" })],
    ["an HTML page labelled application/json", () => F.raw(200, "<html><body>Service maintenance</body></html>")],
    ["an empty body (JSON content type)", () => F.raw(200, "")],
    ["valid JSON as text/plain", async () => F.raw(200, await realBody(`/user?accountId=${encodeURIComponent(user().accountId)}`), { "Content-Type": "text/plain" })],
    ["a top-level null", () => F.raw(200, "null")],
    ["a top-level number", () => F.raw(200, "42")],
    ['{"a":{"a":…}} 10000 levels deep', () => F.raw(200, F.deepObject(10000))],
    ["[[[…]]] 100000 levels deep", () => F.raw(200, F.deepArray(100000))],
    ['{"a":[[[… 100000 unclosed', () => F.raw(200, '{"a":' + "[".repeat(100000))],
    ["profilePicture.width beyond 64 bits", async () => {
      const body = await realBody(`/user?accountId=${encodeURIComponent(user().accountId)}`);
      return F.raw(200, body.replace(/"width":48/, '"width":184467440737095516160'));
    }],
    ["profilePicture.width 2^63", async () => {
      const body = await realBody(`/user?accountId=${encodeURIComponent(user().accountId)}`);
      return F.raw(200, body.replace(/"width":48/, '"width":9223372036854775808'));
    }],
    ["invalid UTF-8 bytes with a JSON content type", () => F.raw(200, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]))],
    ["a 5 MB malformed body", () => F.raw(200, '{"type":"known","accountId":"' + "x".repeat(5 * 1024 * 1024))],
  ];
  for (const [label, make] of cases) {
    ftest(label, async () => {
      const c = client();
      const handler = await make();
      fake.reset();
      fake.enqueue(handler);
      const { error, ms } = await expectFailure(`body: ${label}`, () => c.getUser({ accountId: user().accountId }), { kind: "decode", status: 200, attempts: 1 });
      assert.equal(fake.requests.length, 1);
      assert.equal(error.requestId, fake.requests[0].traceId, "requestId is the response's atl-traceid");
      assert.equal(error.retryAfterMs ?? undefined, undefined);
      between("elapsed", ms, 0, 5000);
      await nextCallWorks(c, label);
    });
  }

  ftest("memberof page: start beyond 64 bits, size a float, limit a string", async () => {
    const c = client();
    const id = SPECIAL.currentUser;
    const body = await realBody(`/user/memberof?accountId=${id}`);
    for (const [label, text] of [
      ["start 123456789012345678901234567890", body.replace(/"start":0/, '"start":123456789012345678901234567890')],
      ["size 1.5", body.replace(/"size":\d+/, '"size":1.5')],
      ["limit \"200\"", body.replace(/"limit":200/, '"limit":"200"')],
    ]) {
      fake.reset();
      fake.enqueue(F.raw(200, text));
      await expectFailure(`memberof ${label}`, () => c.getGroupMembershipsForUser({ accountId: id }), { kind: "decode", status: 200, attempts: 1 });
      assert.equal(fake.requests.length, 1);
    }
    await nextCallWorks(c);
  });

  ftest("personalSpace.id beyond 64 bits", async () => {
    const c = client();
    const body = await realBody(`/user/current?expand=personalSpace`);
    const text = body.replace(/"personalSpace":\{"id":\d+/, '"personalSpace":{"id":36893488147419103232');
    assert.notEqual(text, body, "template has a personalSpace id");
    fake.enqueue(F.raw(200, text));
    await expectFailure("personalSpace.id 2^65", () => c.getCurrentUser({ expand: ["personalSpace"] }), { kind: "decode", status: 200, attempts: 1 });
    await nextCallWorks(c);
  });

  ftest("an array endpoint (email/bulk) given a 5000-deep array and an object", async () => {
    const c = client();
    const ids = [someUser(1).accountId];
    fake.enqueue(F.raw(200, F.deepArray(5000)), F.raw(200, '{"accountId":"x","email":"y"}'));
    await expectFailure("email/bulk: 5000-deep array", () => c.getPrivacyUnsafeUserEmailBulk({ accountIds: ids }), { kind: "decode", status: 200, attempts: 1 });
    await expectFailure("email/bulk: an object", () => c.getPrivacyUnsafeUserEmailBulk({ accountIds: ids }), { kind: "decode", status: 200, attempts: 1 });
    await nextCallWorks(c);
  });

  /** A valid getBulkUserLookup body of at least 5 MB, built from the fake's real bulk answer. */
  async function bigBulkBody(ids) {
    const template = JSON.parse(await realBody(`/user/bulk?accountId=${ids.map(encodeURIComponent).join(",")}`));
    const results = [];
    let size = 0;
    for (let i = 0; size < 5 * 1024 * 1024; i++) {
      const item = template.results[i % template.results.length];
      results.push(item);
      size += JSON.stringify(item).length + 1;
    }
    const text = JSON.stringify({ ...template, results, size: results.length });
    assert.ok(text.length >= 5 * 1024 * 1024, `body is ${text.length} bytes`);
    return { text, results };
  }

  ftest("a valid 5 MB bulk body resolves; the same body cut by one byte rejects with decode", async () => {
    const c = client();
    const ids = fake.directory.users.slice(0, 200).map((u) => u.accountId);
    const { text, results } = await bigBulkBody(ids);
    fake.enqueue(F.raw(200, text));
    const { value, ms } = await expectSuccess(`valid bulk body of ${(text.length / 1048576).toFixed(1)} MB`, () => c.getBulkUserLookup({ accountIds: ids }));
    assert.equal(value.results.length, results.length);
    assert.equal(value.results.at(-1).accountId, results.at(-1).accountId);
    assert.equal(fake.requests.length, 1);
    between("elapsed", ms, 0, 5000);
    fake.reset();
    fake.enqueue(F.raw(200, text.slice(0, -1)));
    await expectFailure("5 MB bulk body minus its last byte", () => c.getBulkUserLookup({ accountIds: ids }), { kind: "decode", status: 200, attempts: 1 });
    assert.equal(fake.requests.length, 1);
    await nextCallWorks(c);
  });

  ftest("deep nesting inside an otherwise valid user: a decode error or the right user, never a crash", async () => {
    const c = client();
    const body = await realBody(`/user/current?expand=personalSpace`);
    for (const [label, text] of [
      ["unknown top-level field 5000 deep", body.replace(/^\{/, `{"zz":${F.deepArray(5000)},`)],
      ["extra field of personalSpace 5000 deep", body.replace(/"personalSpace":\{/, `"personalSpace":{"zz":${F.deepObject(5000)},`)],
    ]) {
      fake.reset();
      fake.enqueue(F.raw(200, text));
      const t0 = performance.now();
      let got;
      let err;
      try {
        got = await c.getCurrentUser({ expand: ["personalSpace"] });
      } catch (e) {
        err = e;
      }
      record(`deep nesting: ${label}`, err ? "rejects" : "resolves", err, performance.now() - t0);
      if (err) {
        assert.equal(err.name, "ConfluenceError", err.message);
        assert.equal(err.kind, "decode", err.message);
      } else {
        assert.equal(got.accountId, SPECIAL.currentUser);
      }
    }
    await nextCallWorks(c);
  });
});

describe("hostile error bodies keep their status", () => {
  for (const [label, status, handler] of [
    ["400 with an HTML page", 400, () => F.raw(400, "<html><title>Bad</title></html>", { "Content-Type": "text/html" })],
    ["404 with an empty body", 404, () => F.raw(404, "")],
    ["500 with a body 10000 levels deep", 500, () => F.raw(500, F.deepObject(10000))],
    ["403 with malformed JSON", 403, () => F.raw(403, '{"statusCode":403,"message":')],
    ["401 with a 5 MB body", 401, () => F.raw(401, JSON.stringify({ ...errorBody(401, "no"), junk: "x".repeat(5 * 1024 * 1024) }))],
  ]) {
    ftest(label, async () => {
      const c = client();
      fake.enqueue(handler());
      await expectFailure(label, () => c.getCurrentUser(), { kind: "http", status, attempts: 1 });
      assert.equal(fake.requests.length, 1);
      await nextCallWorks(c);
    });
  }
});

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

describe("resources: nothing outlives a call", () => {
  ftest("a signal shared by many calls (successes, retries, timeouts) keeps no abort listener afterwards", async () => {
    const c = client({ timeout: 400 });
    const ac = new AbortController();
    for (let i = 0; i < 10; i++) await c.getUser({ accountId: someUser(i).accountId }, { signal: ac.signal });
    // 503, 503, a hang (timed out), then the real answer: three backoff sleeps and four attempts.
    fake.enqueue(...F.storm503(2), F.hang());
    await c.getCurrentUser(undefined, { signal: ac.signal });
    fake.enqueue(F.status(404));
    await c.getCurrentUser(undefined, { signal: ac.signal }).catch(() => {});
    assert.equal(fake.requests.length, 10 + 4 + 1);
    assert.equal(getEventListeners(ac.signal, "abort").length, 0, "abort listeners left on the caller's signal");
  });

  ftest("a Node process exits promptly after its calls: no 30 s attempt timer or backoff timer keeps it alive", async () => {
    // The child: a call answered by a 503 with Retry-After: 20 (the backoff sleep is aborted after 300 ms),
    // then a successful call (default 30 s timeout armed for the attempt), then it returns from its module.
    const pkg = new URL("../pkg/node/index.mjs", import.meta.url).href;
    const script = `
      import { ConfluenceClient } from ${JSON.stringify(pkg)};
      const [url, token] = process.argv.slice(1);
      const c = new ConfluenceClient({ baseUrl: url, auth: { type: "bearer", token }, retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 30000 } });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const first = await c.getCurrentUser(undefined, { signal: ac.signal }).then(() => "resolved", (e) => e.kind);
      // A second client: the first stays paused for the 20 s of Retry-After (issue 11).
      const c2 = new ConfluenceClient({ baseUrl: url, auth: { type: "bearer", token } });
      const second = await c2.getCurrentUser().then((u) => u.accountId, (e) => e.kind);
      process.stdout.write(JSON.stringify({ first, second, at: Date.now() }) + "\\n");
    `;
    fake.enqueue(F.unavailable503({ retryAfter: 20 }));
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, fake.url, CREDENTIALS.oauthToken], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await new Promise((r) => child.on("exit", (c) => r(c)));
    const exitedAt = Date.now();
    clearTimeout(killer);
    assert.ok(out.trim(), `the child printed nothing (exit ${code}): ${err}`);
    const report = JSON.parse(out.trim());
    TIMINGS.push({ case: "child process: exit after its last call", outcome: `exit ${code}`, kind: report.first, status: "", attempts: "", requests: fake.requests.length, ms: exitedAt - report.at });
    assert.equal(report.first, "aborted");
    assert.equal(report.second, SPECIAL.currentUser);
    assert.equal(code, 0, err);
    assert.ok(exitedAt - report.at < 2000, `the child lingered ${exitedAt - report.at} ms after its last call (a timer keeps the event loop alive)`);
  });
});

// =========================================================================================================
// Secrets: every error path driven with a recognisable credential; no surface of the thrown value may hold
// it. (Kept in this file because js-tests/secrets.test.mjs already belongs to another suite; this block is
// self-contained and can move to its own file as is.)

const TOKEN = "tok-SECRET-4f9c2e";
const EMAIL = "admin@example.com";
const B64 = Buffer.from(`${EMAIL}:${TOKEN}`, "utf8").toString("base64");
const AUTHS = {
  basic: { auth: { type: "basic", email: EMAIL, apiToken: TOKEN }, header: `Basic ${B64}`, secrets: [TOKEN, `Basic ${B64}`, B64] },
  bearer: { auth: { type: "bearer", token: TOKEN }, header: `Bearer ${TOKEN}`, secrets: [TOKEN, `Bearer ${TOKEN}`] },
};

function safeJson(v) {
  try {
    return String(JSON.stringify(v));
  } catch (err) {
    return `<JSON.stringify threw: ${err.message}>`;
  }
}

/** Every string reachable from `v`: values and keys, own and non-enumerable, symbols too, cycles cut. */
function allStrings(v, out = [], seen = new Set()) {
  if (typeof v === "string") out.push(v);
  else if (v === null || (typeof v !== "object" && typeof v !== "function")) out.push(String(v));
  else if (!seen.has(v)) {
    seen.add(v);
    for (const k of Reflect.ownKeys(v)) {
      out.push(String(k));
      let x;
      try {
        x = v[k];
      } catch {
        continue;
      }
      allStrings(x, out, seen);
    }
  }
  return out;
}

/** message, String(e), stack, JSON.stringify(e), util.inspect(e), every own property (deeply), e.cause. */
function surfaces(e, prefix = "e") {
  const out = {
    [`${prefix}.message`]: String(e?.message),
    [`String(${prefix})`]: String(e),
    [`${prefix}.stack`]: String(e?.stack),
    [`JSON.stringify(${prefix})`]: safeJson(e),
    [`inspect(${prefix})`]: inspect(e, { depth: null, showHidden: true }),
  };
  if (e !== null && typeof e === "object") {
    for (const key of Reflect.ownKeys(e)) {
      let v;
      try {
        v = e[key];
      } catch {
        continue;
      }
      out[`${prefix}.${String(key)}`] = [...allStrings(v), safeJson(v), inspect(v, { depth: null, showHidden: true })].join("\n");
    }
    if (e.cause !== undefined) Object.assign(out, surfaces(e.cause, `${prefix}.cause`));
  }
  return out;
}

function assertNoSecret(e, secrets, label) {
  const leaks = [];
  for (const [where, text] of Object.entries(surfaces(e))) {
    for (const s of secrets) if (text.includes(s)) leaks.push(`${JSON.stringify(s)} in ${where}: ${text.slice(Math.max(0, text.indexOf(s) - 120), text.indexOf(s) + s.length + 40)}`);
  }
  assert.equal(leaks.length, 0, `${label}: credential leaks:\n  ${leaks.join("\n  ")}`);
}

/** A handler answering `status` with `make(authorizationHeader)` as the body, in `contentType`. */
const echo = (status, contentType, make, headers = {}) => (req, res) => {
  const h = req.headers.authorization ?? "";
  const body = make(h);
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, typeof v === "function" ? v(h) : v);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
};
const echoJson = (status, headers) =>
  echo(
    status,
    "application/json;charset=UTF-8",
    (h) =>
      JSON.stringify({
        statusCode: status,
        message: `Rejected Authorization: ${h} (token ${TOKEN})`,
        data: { authorized: false, valid: false, errors: [{ message: { translation: `header ${h}`, args: [h, TOKEN, { deeper: [h] }] } }], successful: false },
        echo: { headers: { authorization: h }, token: TOKEN },
      }),
    headers,
  );
const echoText = (status, headers) => echo(status, "text/plain;charset=UTF-8", (h) => `upstream refused Authorization: ${h} token=${TOKEN}`, headers);
const echoHtml = (status) => echo(status, "text/html", (h) => `<html><head><title>Denied ${h}</title></head><body>${TOKEN}</body></html>`);

describe("secrets: no error surface holds the credential", { concurrency: true }, () => {
  for (const [authName, A] of Object.entries(AUTHS)) {
    const mk = (extra = {}) => new ConfluenceClient({ baseUrl: fake.url, auth: A.auth, retry: FAST, timeout: 2000, ...extra });
    const someId = () => someUser(2).accountId;
    /** [label, kind, run(): Promise (the failing call), sentCredential?: whether the fake must have seen it] */
    const cases = [
      // invalidArgument
      ["invalidArgument: empty accountId", "invalidArgument", () => mk().getUser({ accountId: "" })],
      ["invalidArgument: the token as an expand value", "invalidArgument", () => mk().getUser({ accountId: someId(), expand: [TOKEN] })],
      ["invalidArgument: the header as an expand value", "invalidArgument", () => mk().getUser({ accountId: someId(), expand: [A.header] })],
      ["invalidArgument: the token as a migration key next to a username", "invalidArgument", () => mk().getBulkUserMigration({ keys: [TOKEN], usernames: [A.header] })],
      ["invalidArgument: call options { signal: token }", "invalidArgument", () => mk().getUser({ accountId: someId() }, { signal: TOKEN })],
      ["invalidArgument: call options with the token as a key", "invalidArgument", () => mk().getUser({ accountId: someId() }, { [TOKEN]: A.header })],
      // http
      ["http: 401 from the fake (it does not know this credential)", "http", () => mk().getCurrentUser(), true],
      ["http: 400 whose JSON body echoes the Authorization header and the token", "http", () => (fake.enqueue(echoJson(400)), mk().getCurrentUser()), true],
      ["http: 400 text/plain echo", "http", () => (fake.enqueue(echoText(400)), mk().getCurrentUser()), true],
      ["http: 403 HTML echo", "http", () => (fake.enqueue(echoHtml(403)), mk().getCurrentUser()), true],
      ["http: 404 whose atl-traceid echoes the header (requestId)", "http", () => (fake.enqueue(echoJson(404, { "atl-traceid": (h) => h })), mk().getCurrentUser()), true],
      ["http: 400 whose JSON echo escapes characters Gson- and PHP-style ('=' as \\u003d, '/' as \\/)", "http", () => (
        fake.enqueue(echo(400, "application/json", (h) => JSON.stringify({ message: `auth ${h}`, token: TOKEN, again: h }).replace(/=/g, "\\u003d").replace(/\//g, "\\/"))),
        mk().getCurrentUser()
      ), true],
      // network
      ["network: a custom fetch throws an Error naming the token and the header (message, cause, stack)", "network", () =>
        mk({
          fetch: (url, init) => {
            const h = init.headers.Authorization ?? init.headers.authorization;
            const cause = new Error(`proxy said: ${h} / ${TOKEN}`);
            const err = new Error(`cannot send ${h} (token=${TOKEN}) to ${url}`, { cause });
            err.stack = `Error: ${h}\n    at ${TOKEN} (file:///x.js:1:1)`;
            err.config = { headers: init.headers };
            throw err;
          },
        }).getCurrentUser()],
      ["network: a custom fetch rejects with a string naming the header", "network", () => mk({ fetch: (url, init) => Promise.reject(`refused ${init.headers.Authorization}`) }).getCurrentUser()],
      ["network: a response whose text() rejects naming the header", "network", () =>
        mk({ fetch: async (url, init) => ({ status: 200, headers: new Headers({ "content-type": "application/json" }), text: () => Promise.reject(new Error(`stream for ${init.headers.Authorization} broke; ${TOKEN}`)) }) }).getCurrentUser()],
      ["network: connection refused", "network", async () => mk({ baseUrl: `http://127.0.0.1:${await F.closedPort()}` }).getCurrentUser()],
      ["network: reset in the middle of a body echoing the header", "network", () => (
        fake.enqueue(...Array.from({ length: 4 }, () => (req, res) => F.resetMidBody(`{"message":"${req.headers.authorization} ${TOKEN} ${"x".repeat(200)}"}`)(req, res))),
        mk().getCurrentUser()
      ), true],
      // decode
      ["decode: a malformed 200 body holding the token and the header", "decode", () => (fake.enqueue(echo(200, "application/json", (h) => `{"type":"known","accountId":"${h}","displayName":"${TOKEN}`)), mk().getCurrentUser()), true],
      ["decode: a 200 body with the header in a field of the wrong type", "decode", () => (
        fake.enqueue(echo(200, "application/json", (h) => JSON.stringify({ type: "known", accountId: SPECIAL.currentUser, profilePicture: h, displayName: TOKEN }))),
        mk().getCurrentUser()
      ), true],
      ["decode: a 200 HTML page holding the header", "decode", () => (fake.enqueue(echoHtml(200)), mk().getCurrentUser()), true],
      // timeout
      ["timeout: a hang", "timeout", () => (fake.enqueue(F.hang()), mk({ timeout: 1000, retry: false }).getCurrentUser()), true],
      ["timeout: a body echoing the header dripped too slowly", "timeout", () => (
        fake.enqueue((req, res) => F.drip(`{"message":"${req.headers.authorization} ${TOKEN}"}`, 50)(req, res)),
        // The drip takes ~6 s; 1.5 s leaves a loaded machine time to connect before it fires.
        mk({ timeout: 1500, retry: false }).getCurrentUser()
      ), true],
      // aborted
      ["aborted: abort during a hang with a reason naming the token and the header", "aborted", async () => {
        fake.enqueue(F.hang());
        const ac = new AbortController();
        const p = mk().getCurrentUser(undefined, { signal: ac.signal });
        await waitFor(() => fake.requests.length === 1);
        ac.abort(new Error(`user cancelled ${A.header} ${TOKEN}`, { cause: A.header }));
        return p;
      }, true],
      ["aborted: an already-aborted signal whose reason names the token", "aborted", () => mk().getCurrentUser(undefined, { signal: AbortSignal.abort(`${TOKEN} ${A.header}`) })],
      ["aborted: abort during the backoff after a 503 echoing the header", "aborted", async () => {
        fake.enqueue(echoJson(503, { "Retry-After": "1" }));
        const ac = new AbortController();
        const p = mk({ retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 5000 } }).getCurrentUser(undefined, { signal: ac.signal });
        await waitFor(() => fake.requests.length === 1);
        await sleep(50);
        ac.abort(new Error(TOKEN));
        return p;
      }, true],
      // retries exhausted
      ["retries exhausted: 429s whose JSON bodies echo the token (Retry-After 0)", "http", () => (
        fake.enqueue(...Array.from({ length: 4 }, () => echoJson(429, { "Retry-After": "0", "atl-traceid": (h) => `trace ${h}` }))),
        mk().getCurrentUser()
      ), true],
      ["retries exhausted: 503s with text/plain echoes", "http", () => (fake.enqueue(...Array.from({ length: 4 }, () => echoText(503))), mk().getCurrentUser()), true],
      ["retries exhausted: 502 HTML echoes", "http", () => (fake.enqueue(...Array.from({ length: 4 }, () => echoHtml(502))), mk().getCurrentUser()), true],
      ["retries exhausted: a 429 echo whose Retry-After exceeds maxDelayMs", "http", () => (fake.enqueue(echoJson(429, { "Retry-After": "3600" })), mk().getCurrentUser()), true],
    ];
    for (const [label, kind, run, sent] of cases) {
      ftest(`${authName}: ${label}`, async () => {
        const { error } = await expectFailure(`secrets ${authName}: ${label}`, run, { kind });
        if (sent) assert.equal(fake.requests[0]?.headers.authorization, A.header, "the fake saw the credential (so the echo held it)");
        assertNoSecret(error, A.secrets, label);
      });
    }

    describe(`${authName}: constructor errors`, { concurrency: true }, () => {
      const base = "https://x.atlassian.net";
      const ctorCases = [
        ["the token as userinfo in baseUrl, next to auth", { baseUrl: `https://user:${TOKEN}@x.atlassian.net`, auth: A.auth }],
        ["the token in the baseUrl's query", { baseUrl: `${base}/wiki?token=${TOKEN}`, auth: A.auth }],
        ["the token in a baseUrl with a space", { baseUrl: `https://x.atlassian.net/ ${TOKEN}`, auth: A.auth }],
        ["the header value passed as auth (auth: 'Basic …' / 'Bearer …')", { baseUrl: base, auth: A.header }],
        ["the token given to retry.maxRetries by mistake, valid auth next to it", { baseUrl: base, auth: A.auth, retry: { maxRetries: TOKEN } }],
        ["the token given to timeout by mistake, valid auth next to it", { baseUrl: base, auth: A.auth, timeout: TOKEN }],
        ["the token given as fetch by mistake, valid auth next to it", { baseUrl: base, auth: A.auth, fetch: TOKEN }],
      ];
      for (const [label, options] of ctorCases) {
        ftest(label, async () => {
          const { error } = await expectFailure(`secrets ${authName}: constructor, ${label}`, () => new ConfluenceClient(options), { kind: "invalidArgument" });
          assertNoSecret(error, A.secrets, label);
        });
      }
    });
  }

  describe("constructor errors (any auth)", { concurrency: true }, () => {
    const base = "https://x.atlassian.net";
    const all = [...new Set([...AUTHS.basic.secrets, ...AUTHS.bearer.secrets])];
    const ctorCases = [
      ["a bearer token containing CR/LF", { baseUrl: base, auth: { type: "bearer", token: `${TOKEN}\r\nX-Injected: 1` } }],
      ["a bearer token with a space (the header value given as the token)", { baseUrl: base, auth: { type: "bearer", token: `Bearer ${TOKEN}` } }],
      ["the token as userinfo in baseUrl, no auth", { baseUrl: `https://${encodeURIComponent(EMAIL)}:${TOKEN}@x.atlassian.net` }],
      ["an email containing ':' and the token", { baseUrl: base, auth: { type: "basic", email: `${EMAIL}:${TOKEN}`, apiToken: TOKEN } }],
      ["the token passed as auth itself (auth: token)", { baseUrl: base, auth: TOKEN }],
      ["'email:token' passed as auth", { baseUrl: base, auth: `${EMAIL}:${TOKEN}` }],
    ];
    for (const [label, options] of ctorCases) {
      ftest(label, async () => {
        const { error } = await expectFailure(`secrets: constructor, ${label}`, () => new ConfluenceClient(options), { kind: "invalidArgument" });
        assertNoSecret(error, all, label);
      });
    }
  });

  ftest("a real-looking token with '=' and '/' echoed by a JSON encoder that escapes them (Gson: \\u003d, PHP: \\/)", async () => {
    // Atlassian API tokens contain '=' (see CREDENTIALS.apiToken); Gson escapes '=' as \u003d by default.
    const token = "ATATT3x-tok-SECRET=4f9c/2e";
    const header = `Bearer ${token}`;
    const c = new ConfluenceClient({ baseUrl: fake.url, auth: { type: "bearer", token }, retry: false });
    fake.enqueue(echo(400, "application/json", (h) => JSON.stringify({ statusCode: 400, message: "rejected", echo: h }).replace(/=/g, "\\u003d").replace(/\//g, "\\/")));
    const { error } = await expectFailure("secrets: escaped JSON echo of a token with '=' and '/'", () => c.getCurrentUser(), { kind: "http", status: 400 });
    assert.equal(fake.requests[0].headers.authorization, header);
    assertNoSecret(error, [token, header], "escaped JSON echo");
  });
});
