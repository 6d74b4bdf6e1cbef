// Regression cases of the JS boundary (issue 14): each input the issue reported, and each one the fuzz
// (fuzz.test.mjs) found, as an explicit case against the built package (pkg/).
//
//   node --test js-tests/boundary/regressions.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";

import { BASIC, CREDENTIALS, SPECIAL, VALID, loadPackage, startWithRecording } from "./harness.mjs";
import { Boom } from "./hostile.mjs";

const { mod, probe } = loadPackage();
const { ConfluenceClient, isConfluenceError } = mod;
let fake;
let memFetch;

before(async () => {
  ({ fake, memFetch } = await startWithRecording(mod));
});
after(() => fake.close());

const revoked = (target) => {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
};

/**
 * Calls `method` on a fresh client with `args`: it must return a promise (not throw), which must reject with
 * a ConfluenceError of `kind`; `cause`, when given, is checked against the error's cause. The client is freed
 * afterwards, which must not throw (a JS exception unwinding through Rust used to leave its borrow held).
 */
async function rejects(method, args, { kind = "invalidArgument", cause, options = {} } = {}) {
  const client = new ConfluenceClient({ auth: BASIC, fetch: memFetch, ...options });
  let promise;
  assert.doesNotThrow(() => {
    promise = client[method](...args);
  }, `${method} threw synchronously`);
  assert.ok(promise instanceof Promise, `${method} did not return a promise`);
  const error = await promise.then(
    (value) => assert.fail(`${method} resolved: ${JSON.stringify(value)?.slice(0, 200)}`),
    (e) => e,
  );
  assert.ok(isConfluenceError(error) && error instanceof Error, `not a ConfluenceError: ${error?.stack ?? error}`);
  assert.equal(error.kind, kind, error.message);
  if (cause) cause(error.cause, error);
  assert.doesNotThrow(() => client.free(), "free() after the failed call");
  return error;
}

const isBoom = (c) => assert.ok(c instanceof Boom, `cause is ${c}`);
const isTypeError = (c) => assert.ok(c instanceof TypeError, `cause is ${c}`);

describe("the inputs of issue 14", () => {
  test("getUser(revoked Proxy) rejects with invalidArgument, cause the TypeError", async () => {
    await rejects("getUser", [revoked({})], { cause: isTypeError });
    await rejects("getUser", [revoked([])], { cause: isTypeError });
  });

  test("getAnonymousUser({ expand: [getter that throws] }) rejects with the getter's error as cause", async () => {
    const expand = ["operations"];
    Object.defineProperty(expand, 0, { get: () => { throw new Boom("expand[0]"); } });
    const e = await rejects("getAnonymousUser", [{ expand }], { cause: isBoom });
    assert.match(e.message, /params\.expand\[0\]/);
    const params = { get expand() { throw new Boom("expand getter"); } };
    await rejects("getAnonymousUser", [params], { cause: isBoom });
  });

  test("a params Proxy whose ownKeys trap throws", async () => {
    const params = new Proxy({}, { ownKeys() { throw new Boom("ownKeys"); } });
    await rejects("getUser", [params], { cause: isBoom });
  });

  test("arrays of length 2^31 are refused from their length, without touching items or memory", async () => {
    const before = probe().memory;
    const t0 = performance.now();
    for (const [method, params] of [
      ["getBulkUserMigration", () => ({ keys: new Array(2 ** 31) })],
      ["getCurrentUser", () => ({ expand: new Array(2 ** 31) })],
      ["getPrivacyUnsafeUserEmailBulk", () => ({ accountIds: new Array(2 ** 31) })],
      ["getBulkUserLookup", () => ({ accountIds: new Array(2 ** 31) })],
    ]) {
      const e = await rejects(method, [params()]);
      assert.match(e.message, /holds 2147483648 items; the most a call takes is 1000000/);
    }
    assert.ok(performance.now() - t0 < 2000, "refusing took too long: items were read");
    assert.ok(probe().memory - before <= 1 << 20, "wasm memory grew while refusing");
  });

  test("a signal whose aborted getter returns false, then throws, settles the call", async () => {
    let reads = 0;
    const signal = {
      get aborted() {
        if (reads++ > 0) throw new Boom("aborted");
        return false;
      },
      addEventListener() {},
      removeEventListener() {},
    };
    // Read once while checking the options, then throwing when the call looks: taken as aborted.
    await rejects("getUser", [VALID.getUser(), { signal }], { kind: "aborted" });
    const throwsAtOnce = { get aborted() { throw new Boom("aborted"); }, addEventListener() {} };
    await rejects("getUser", [VALID.getUser(), { signal: throwsAtOnce }], { cause: isBoom });
  });

  test("accountIds whose index getter throws (bulk email) is an invalidArgument, not an uncaught exception", async () => {
    const accountIds = [SPECIAL.currentUser, "x"];
    Object.defineProperty(accountIds, 1, { get: () => { throw new Boom("accountIds[1]"); } });
    await rejects("getPrivacyUnsafeUserEmailBulk", [{ accountIds }], { cause: isBoom });
    await rejects("getBulkUserLookup", [{ accountIds }], { cause: isBoom });
  });

  test("a token function that never settles is bounded by the attempt timeout", async () => {
    const t0 = performance.now();
    await rejects("getUser", [VALID.getUser()], {
      kind: "timeout",
      options: { auth: { type: "bearer", token: () => new Promise(() => {}) }, timeout: 50 },
    });
    assert.ok(performance.now() - t0 < 2000);
  });

  test("a custom fetch that never settles is bounded by the attempt timeout", async () => {
    await rejects("getUser", [VALID.getUser()], { kind: "timeout", options: { fetch: () => new Promise(() => {}), timeout: 50, retry: false } });
  });

  test("the constructor throws only ConfluenceErrors, with a redacted copy of the trap's error as cause", () => {
    for (const options of [
      new Proxy({}, { get() { throw new Boom("get"); } }),
      new Proxy({}, { ownKeys() { throw new Boom("ownKeys"); } }),
      { baseUrl: "https://x.atlassian.net", auth: new Proxy({}, { ownKeys() { throw new Boom("auth ownKeys"); } }) },
      { get fetch() { throw new Boom("fetch getter"); } },
      revoked({}),
    ]) {
      let error;
      try {
        new ConfluenceClient(options).free();
      } catch (e) {
        error = e;
      }
      assert.ok(isConfluenceError(error), `not a ConfluenceError: ${error?.stack ?? error}`);
      assert.equal(error.kind, "invalidArgument");
      // The options hold the credentials, so the cause is a redacted stand-in: the original's name and
      // description.
      assert.ok(error.cause instanceof Error && ["Boom", "TypeError"].includes(error.cause.name), `cause: ${error.cause}`);
    }
  });
});

describe("inputs the fuzz found", () => {
  test("an aborted signal with a fetch that throws at once leaves no unhandled rejection", async () => {
    const unhandled = [];
    const onUnhandled = (e) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      // A signal that reads as not aborted when the call starts, then as aborted when the attempt looks;
      // the fetch throws before the attempt awaits anything. The old behaviour: the attempt's interrupt
      // rejected its promise with "interrupted", which nobody observed.
      let reads = 0;
      const signal = { get aborted() { return reads++ > 1; }, addEventListener() {}, removeEventListener() {} };
      const fetch = () => { throw new Boom("fetch"); };
      await rejects("getUser", [VALID.getUser(), { signal }], { options: { fetch, retry: false }, kind: "aborted" });
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.deepEqual(unhandled.map(String), []);
  });

  test("a lone surrogate is refused rather than sent as U+FFFD", async () => {
    const e = await rejects("getUser", [{ accountId: "5b10\uD800" }]);
    assert.match(e.message, /lone surrogate/);
    await rejects("getBulkUserMigration", [{ usernames: ["a\uDC00"] }]);
  });

  test("a string longer than anything the client sends is refused before it is copied", async () => {
    const e = await rejects("getUser", [{ accountId: "x".repeat(70_000) }]);
    assert.match(e.message, /70000 UTF-16 units/);
  });

  test("an abort from a hook between attempts stops the call at once", async () => {
    const controller = new AbortController();
    let sent = 0;
    const fetch = (url, init) => {
      sent++;
      return sent === 1 ? Promise.resolve({ status: 503, text: async () => "" }) : memFetch(url, init);
    };
    const t0 = performance.now();
    await rejects("getUser", [VALID.getUser(), { signal: controller.signal }], {
      kind: "aborted",
      options: { fetch, retry: { maxRetries: 2, baseDelayMs: 3000, maxDelayMs: 3000 }, hooks: { onRetry: () => controller.abort() } },
    });
    assert.equal(sent, 1, "a request was sent after the abort");
    assert.ok(performance.now() - t0 < 1500, "the backoff wait ran despite the abort");
  });

  test("a token function's returned promise with a throwing then getter is an invalidArgument", async () => {
    const token = () => ({ get then() { throw new Boom("then"); } });
    // The token function saw no credential, but it is the credential's source: its error is kept redacted.
    await rejects("getUser", [VALID.getUser()], { options: { auth: { type: "bearer", token } }, cause: (c) => assert.equal(c?.name, "Boom") });
  });

  test("a response whose headers.get throws is a network error with the cause", async () => {
    const fetch = () => Promise.resolve({ status: 200, headers: { get() { throw new Boom("headers.get"); } }, text: async () => "{}" });
    await rejects("getUser", [VALID.getUser()], { kind: "network", options: { fetch, retry: false }, cause: (c) => assert.match(c?.message, /boom from headers.get/) });
  });

  test("a detached or proxied ArrayBuffer body is a network error", async () => {
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    for (const buffer of [detached, new Proxy(new ArrayBuffer(2), {})]) {
      const fetch = () => Promise.resolve({ status: 200, arrayBuffer: async () => buffer });
      await rejects("getUser", [VALID.getUser()], { kind: "network", options: { fetch, retry: false } });
    }
  });

  test("the token and hooks still work when they behave (bearer through a function, hooks called)", async () => {
    const seen = [];
    const client = new ConfluenceClient({
      baseUrl: fake.url,
      auth: { type: "bearer", token: async () => CREDENTIALS.oauthToken },
      hooks: { onRequest: (i) => seen.push(i.operation) },
    });
    const user = await client.getUser({ accountId: SPECIAL.currentUser });
    assert.equal(user.accountId, SPECIAL.currentUser);
    assert.deepEqual(seen, ["getUser"]);
    client.free();
  });
});

// wasm-bindgen 0.2.130's shim for a `catch` import that returns a JS value takes an externref slot for the
// return value before it looks for an exception, and on an exception never frees it (the slot holds
// `undefined`). The skin's own imports (src/wasm/js.rs) return `Option<Nullable<JsValue>>`, whose slot the JS
// side takes only for a value. One case per import that runs user code: each throws on every call, and after
// CALLS calls the table's length and its slots holding anything (undefined included) are where they were.
// The array step (readStrings) also hands Rust the item it stopped at: those cases refuse an item.
describe("no externref slot is left behind by a caught exception", () => {
  const CALLS = 1000;
  /** Slots the table may gain over CALLS calls: a leak of one per call shows as CALLS. */
  const SLACK = 8;
  const ok = (status, text, extra = {}) => () =>
    Promise.resolve({ status, headers: { get: () => "application/json" }, text: async () => text, ...extra });
  const boom = (where) => () => {
    throw new Boom(where);
  };
  const accountIdsThrowing = () => {
    const ids = [SPECIAL.currentUser];
    Object.defineProperty(ids, 0, { get: boom("accountIds[0]") });
    return ids;
  };
  // Makes the array step itself throw (src/wasm/read.js): the item's getter replaces Array.prototype.push
  // by one that puts the original back and throws, and the step's next push is its own.
  const stepThrowing = () => {
    const ids = [SPECIAL.currentUser];
    Object.defineProperty(ids, 0, {
      get() {
        const push = Array.prototype.push;
        Array.prototype.push = function () {
          Array.prototype.push = push;
          throw new Boom("Array.prototype.push");
        };
        return SPECIAL.currentUser;
      },
    });
    return ids;
  };
  const promiseWithThrowingConstructor = () => {
    const p = Promise.resolve(CREDENTIALS.oauthToken);
    Object.defineProperty(p, "constructor", { get: boom("constructor getter") });
    return p;
  };
  const detached = () => {
    const buffer = new ArrayBuffer(8);
    structuredClone(buffer, { transfer: [buffer] });
    return buffer;
  };
  const cases = [
    // [import, options of the client, method, params, outcome]
    ["Reflect.get: a params getter throws", {}, "getUser", () => ({ get accountId() { throw new Boom("accountId"); } }), "invalidArgument"],
    ["readStrings: an accountIds item getter throws", {}, "getBulkUserLookup", () => ({ accountIds: accountIdsThrowing() }), "invalidArgument"],
    ["readStrings: the step itself throws", {}, "getBulkUserLookup", () => ({ accountIds: stepThrowing() }), "invalidArgument"],
    ["readStrings: an accountIds item is an object", {}, "getBulkUserLookup", () => ({ accountIds: [SPECIAL.currentUser, {}] }), "invalidArgument"],
    ["readStrings: an accountIds item has a lone surrogate", {}, "getBulkUserLookup", () => ({ accountIds: [SPECIAL.currentUser, "a\uD800"] }), "invalidArgument"],
    ["Object.keys: a params Proxy's ownKeys trap throws", {}, "getUser", () => new Proxy({}, { ownKeys: boom("ownKeys") }), "invalidArgument"],
    ["Function.call (0 args): the token function throws", { auth: { type: "bearer", token: boom("token") } }, "getUser", VALID.getUser, "invalidArgument"],
    ["Promise.resolve: the token's promise has a throwing constructor getter", { auth: { type: "bearer", token: promiseWithThrowingConstructor } }, "getUser", VALID.getUser, "invalidArgument"],
    ["Function.call (1 arg): every hook throws", { hooks: { onRequest: boom("onRequest"), onResponse: boom("onResponse") } }, "getUser", VALID.getUser, "resolved"],
    ["Function.call (1 arg): a hook's result has a throwing catch", { hooks: { onRequest: () => ({ catch: boom("catch") }) } }, "getUser", VALID.getUser, "resolved"],
    ["Function.call (2 args): fetch throws", { fetch: boom("fetch") }, "getUser", VALID.getUser, "network"],
    ["Function.call (1 arg): headers.get throws", { fetch: ok(200, "{}", { headers: { get: boom("headers.get") } }) }, "getUser", VALID.getUser, "network"],
    ["Function.call (0 args): text() throws", { fetch: ok(200, "{}", { text: boom("text") }) }, "getUser", VALID.getUser, "network"],
    ["Reflect.get (receiver): arrayBuffer() gives no ArrayBuffer", { fetch: () => Promise.resolve({ status: 200, arrayBuffer: async () => ({}) }) }, "getUser", VALID.getUser, "network"],
    ["Reflect.construct: arrayBuffer() gives a detached buffer", { fetch: () => Promise.resolve({ status: 200, arrayBuffer: async () => detached() }) }, "getUser", VALID.getUser, "network"],
    ["JSON.parse: an error body that is not JSON", { fetch: ok(502, "<html>Bad gateway</html>") }, "getUser", VALID.getUser, "http"],
  ];
  for (const [name, options, method, params, outcome] of cases) {
    test(name, async () => {
      const client = new ConfluenceClient({ auth: BASIC, fetch: memFetch, retry: false, timeout: 1000, ...options });
      const once = () =>
        client[method](params()).then(
          () => "resolved",
          (e) => (isConfluenceError(e) ? e.kind : `not a ConfluenceError: ${e?.stack ?? e}`),
        );
      // Warm-up: the first calls allocate what every call reuses (the client's tables, the allocator's pages).
      for (let i = 0; i < 20; i++) assert.equal(await once(), outcome);
      const before = probe();
      for (let i = 0; i < CALLS; i++) {
        const got = await once();
        if (got !== outcome) assert.equal(got, outcome);
      }
      const after = probe();
      client.free();
      console.log(`${name}: externref table ${before.table} -> ${after.table}, slots holding a value ${before.live} -> ${after.live} over ${CALLS} calls`);
      assert.ok(after.table - before.table <= SLACK, `the externref table grew from ${before.table} to ${after.table} slots over ${CALLS} calls`);
      assert.ok(after.live - before.live <= SLACK, `slots holding a value went from ${before.live} to ${after.live} over ${CALLS} calls`);
    });
  }
});
