// A client made without `options.fetch` sends each attempt through the global fetch as one JS promise
// chain (src/wasm/fetch.js), not the step-by-step path of a user's fetch. The global fetch may have been
// replaced (a test's mock, a polyfill, an interceptor), so whatever it gives must end the same way as from
// a user's fetch: the same error kinds and messages, a typed error rather than a raw throw, no slot leaked.
// Each client here is made while `globalThis.fetch` is swapped for a stand-in (the client takes the
// global fetch when it is made), which is put back at once.
//
//   node --test js-tests/boundary/global-fetch.test.mjs

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { BASIC, SPECIAL, VALID, loadPackage } from "./harness.mjs";
import { Boom } from "./hostile.mjs";

const { mod, probe } = loadPackage();
const { ConfluenceClient, isConfluenceError } = mod;

const user = { type: "known", accountId: SPECIAL.currentUser, accountType: "atlassian", displayName: "Zoë 日本語 😀" };
const json = JSON.stringify(user);

// Never contacted: the stand-ins answer every request themselves.
const BASE_URL = "http://127.0.0.1:9";

/** A client whose global fetch is `fetch`, with `options` (no retries unless given). */
function clientWith(fetch, options = {}) {
  const saved = globalThis.fetch;
  globalThis.fetch = fetch;
  try {
    return new ConfluenceClient({ baseUrl: BASE_URL, auth: BASIC, retry: false, ...options });
  } finally {
    globalThis.fetch = saved;
  }
}

/** What `client.getUser` ends with: the user, or the ConfluenceError (anything else fails the test). */
async function outcome(client) {
  try {
    return await client.getUser(VALID.getUser());
  } catch (e) {
    assert.ok(isConfluenceError(e), `not a ConfluenceError: ${e?.stack ?? e}`);
    return e;
  }
}

const respond = (response) => async () => response;
const headersOf = (entries) => ({ get: (name) => entries[name.toLowerCase()] ?? null });
const boom = (where) => () => {
  throw new Boom(where);
};

describe("a replaced global fetch", () => {
  const networkCases = [
    // [what the global fetch does, fetch, the message's text, the cause's Boom, if any]
    ["throws", boom("fetch"), /boom from fetch/, "fetch"],
    ["rejects", async () => Promise.reject(new Boom("rejection")), /boom from rejection/, "rejection"],
    ["resolves to a number", respond(42), /fetch resolved to something that is not a response/],
    ["resolves to null", respond(null), /fetch resolved to something that is not a response/],
    ["gives a status that is no HTTP status", respond({ status: 42, text: async () => json }), /no valid status/],
    ["gives a status getter that throws", respond({ get status() { throw new Boom("status"); }, text: async () => json }), /boom from status/, "status"],
    ["gives headers whose get throws", respond({ status: 200, headers: { get: boom("headers.get") }, text: async () => json }), /boom from headers\.get/, "headers.get"],
    ["gives a Proxy response whose get trap throws", respond(new Proxy({}, { get: boom("get trap") })), /boom from get trap/, "get trap"],
    ["gives text() that throws", respond({ status: 200, text: boom("text") }), /boom from text/, "text"],
    ["gives text() that resolves to a number", respond({ status: 200, text: async () => 5 }), /text\(\) did not give a string/],
    ["gives neither text() nor arrayBuffer()", respond({ status: 200 }), /neither text\(\) nor arrayBuffer\(\)/],
    ["gives arrayBuffer() of no ArrayBuffer", respond({ status: 200, arrayBuffer: async () => ({}) }), /arrayBuffer\(\) did not give an ArrayBuffer/],
  ];
  for (const [name, fetch, message, where] of networkCases) {
    test(`that ${name} is a network error`, async () => {
      const client = clientWith(fetch);
      const e = await outcome(client);
      assert.equal(e.kind, "network", e.message);
      assert.match(e.message, message);
      if (where) assert.ok(e.cause instanceof Boom && e.cause.message === `boom from ${where}`, `cause: ${e.cause}`);
      client.free();
    });
  }

  test("a response with only status and text(), or only arrayBuffer(), is read like fetch's", async () => {
    for (const response of [
      { status: 200, text: async () => json },
      { status: 200, headers: null, arrayBuffer: async () => new TextEncoder().encode(json).buffer },
    ]) {
      const client = clientWith(respond(response));
      assert.deepEqual(await outcome(client), user);
      client.free();
    }
  });

  test("it is called with the global object as `this`, the URL and an init with the method, headers and a signal", async () => {
    const seen = [];
    const client = clientWith(async function (url, init) {
      seen.push({ self: this, url, init });
      return { status: 200, text: async () => json };
    });
    assert.deepEqual(await outcome(client), user);
    assert.equal(seen.length, 1);
    const [{ self, url, init }] = seen;
    assert.equal(self, globalThis);
    assert.equal(url, `${BASE_URL}/wiki/rest/api/user?accountId=${encodeURIComponent(SPECIAL.currentUser)}&expand=operations`);
    assert.equal(init.method, "GET");
    assert.equal(init.headers.Accept, "application/json");
    assert.match(init.headers.Authorization, /^Basic /);
    assert.ok(init.signal instanceof AbortSignal && !init.signal.aborted);
    client.free();
  });

  test("with no timeout and no caller's signal, nothing can abort the attempt: its init has no signal", async () => {
    const inits = [];
    const client = clientWith(async (url, init) => {
      inits.push(init);
      return { status: 200, text: async () => json };
    }, { timeout: false });
    assert.deepEqual(await outcome(client), user);
    assert.equal(inits.length, 1);
    assert.deepEqual(Object.keys(inits[0]).sort(), ["headers", "method"]);
    // A caller's signal: the attempt's own signal follows it.
    const caller = new AbortController();
    assert.deepEqual(await client.getUser(VALID.getUser(), { signal: caller.signal }), user);
    assert.equal(inits.length, 2);
    assert.ok(inits[1].signal instanceof AbortSignal && !inits[1].signal.aborted);
    assert.notEqual(inits[1].signal, caller.signal);
    client.free();
  });

  test("the rate-limit headers and the content type are read through headers.get", async () => {
    const infos = [];
    const headers = headersOf({ "content-type": "text/html", "x-ratelimit-remaining": "7", "retry-after": "0" });
    const client = clientWith(respond({ status: 200, headers, text: async () => json }), { hooks: { onResponse: (i) => infos.push(i) } });
    const e = await outcome(client);
    // text/html is not JSON: the body is refused for its content type, after the response was reported.
    assert.equal(e.kind, "decode", e.message);
    assert.deepEqual(infos[0].rateLimit, { "X-RateLimit-Remaining": "7", "Retry-After": "0" });
    client.free();
  });

  // The step's own timer and listener: a stand-in that, like fetch, rejects when its signal aborts.
  const hanging = async (_url, init) =>
    new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));

  test("the client's timeout aborts the attempt's signal and ends the call as a timeout", async () => {
    const client = clientWith(hanging, { timeout: 30 });
    const e = await outcome(client);
    assert.equal(e.kind, "timeout", e.message);
    client.free();
  });

  test("the caller's signal, aborted before or during the attempt, ends the call as aborted", async () => {
    const client = clientWith(hanging, { timeout: 60_000 });
    const before = new AbortController();
    before.abort();
    const during = new AbortController();
    setTimeout(() => during.abort(), 20);
    for (const { signal } of [before, during]) {
      const e = await client.getUser(VALID.getUser(), { signal }).catch((e) => e);
      assert.ok(isConfluenceError(e) && e.kind === "aborted", `${e?.kind}: ${e?.message}`);
    }
    client.free();
  });

  test("1,000 failing attempts leave no externref slot behind", async () => {
    const client = clientWith(respond({ get status() { throw new Boom("status"); } }));
    for (let i = 0; i < 20; i++) assert.equal((await outcome(client)).kind, "network");
    const before = probe();
    for (let i = 0; i < 1000; i++) {
      const e = await outcome(client);
      if (e.kind !== "network") assert.equal(e.kind, "network");
    }
    const after = probe();
    client.free();
    assert.ok(after.table - before.table <= 8, `the externref table grew from ${before.table} to ${after.table} slots`);
    assert.ok(after.live - before.live <= 8, `slots holding a value went from ${before.live} to ${after.live}`);
  });
});
