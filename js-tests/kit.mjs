// The one setup of the behaviour suites (retry, timeouts, abort, bulk, paging, hooks, auth, transports,
// errors, concurrency, lifecycle, params, secrets): a fresh fake Confluence per test, the one client
// construction, and the outcome checks every case makes. They run against the built package
// (pkg/, `node pkg-template/build.mjs --no-opt`).
//
// Two ways to get a fresh fake: `ftest(name, fn)` runs `fn` with `fake` reading through to that test's own
// fake (so suites marked `concurrency: true` can run their tests side by side), and `withFake(opts, fn)`
// (from helpers.mjs) hands the fake to `fn`. Timings of the `expectFailure`/`expectSuccess` cases are
// printed at the end of each file (FAULTS_TIMINGS_JSON=path also writes them as JSON).

import { AsyncLocalStorage } from "node:async_hooks";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

import { ConfluenceClient, isConfluenceError } from "../pkg/node/index.mjs";
import { CREDENTIALS, SPECIAL, startFakeConfluence } from "./helpers.mjs";

const AUTH = { type: "bearer", token: CREDENTIALS.oauthToken };
/** Small delays so backoff is visible but cheap: waits of at most 20, 40, 80 ms. */
const FAST = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 200 };
/** Scheduling slack added to upper time bounds (the machine may be busy building). */
const SLACK = 400;
/** Cheaper still, where the waits themselves are not looked at: a few ms. */
const QUICK = { maxRetries: 3, baseDelayMs: 2, maxDelayMs: 10 };

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

const TIMINGS = [];

/** A client of the running test's fake (see `ftest`), with FAST retries. */
function client(options = {}) {
  return clientOf(fake, { retry: FAST, ...options });
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
  const { error } = await expectFailure("the next call during a long client-wide pause", () => c.getUser({ accountId: someUser(7).accountId }), { kind: "http", status, attempts: 0 });
  assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= retryAfterMs, `retryAfterMs ${error.retryAfterMs}, expected 1..${retryAfterMs}`);
  assert.equal(fake.requests.length, before, "the held call sent nothing");
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

/** The one client construction of these suites: bearer auth, QUICK retries, a 5 s timeout, then `options`. */
function clientOf(fake, options = {}) {
  return new ConfluenceClient({ baseUrl: fake.url, auth: AUTH, retry: QUICK, timeout: 5000, ...options });
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

export {
  AUTH,
  FAST,
  SLACK,
  QUICK,
  fake,
  ftest,
  TIMINGS,
  record,
  client,
  someUser,
  realBody,
  expectFailure,
  expectSuccess,
  nextCallWorks,
  nextCallHeld,
  gaps,
  between,
  waitFor,
  clientOf,
  allIds,
  shuffled,
  unknownIds,
  firstSeen,
  askedIdLists,
  assertEachAskedOnce,
  trackInFlight,
  passthrough,
  error500,
  error503,
  cannedFetch,
  collect,
};
