// Arrays of strings in params (accountIds, expand, keys, usernames), which the skin reads in one crossing by
// a JS step (src/wasm/read.js) and judges in Rust: what user code can observe of their reading (the array's
// `length` read once, each item once and in order, nothing after the first bad item), the exact message and
// cause of every refusal, and ids that arrive intact however many there are and whatever their characters,
// with or without String.prototype.isWellFormed. Against the built package (pkg/).
//
//   node --test js-tests/boundary/arrays.test.mjs

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { BASIC, loadPackage } from "./harness.mjs";
import { Boom } from "./hostile.mjs";

const { mod } = loadPackage();
const { ConfluenceClient, isConfluenceError } = mod;

const ID = "5b10a2844c20165700ede21g";
const PAGE = JSON.stringify({ results: [], start: 0, limit: 200, size: 0, _links: {} });
const headers = { get: (name) => (name.toLowerCase() === "content-type" ? "application/json" : null) };

/** A client whose fetch records each URL and answers an empty page (a list for the email lookup). */
function recording() {
  const urls = [];
  const fetch = (url) => {
    urls.push(url);
    const text = url.includes("/email/bulk") ? "[]" : PAGE;
    return Promise.resolve({ status: 200, headers, text: () => Promise.resolve(text) });
  };
  return { urls, client: new ConfluenceClient({ auth: BASIC, fetch, retry: false }) };
}

/** The array `items` behind a Proxy that logs each property read (`get length`, `get 0`, ...) to `log`. */
function counted(items, log) {
  return new Proxy(items, {
    get(target, key, receiver) {
      log.push(`get ${String(key)}`);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      log.push(`has ${String(key)}`);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      log.push(`getOwnPropertyDescriptor ${String(key)}`);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      log.push("ownKeys");
      return Reflect.ownKeys(target);
    },
  });
}

/** The ConfluenceError `promise` rejects with. */
async function refusal(promise) {
  const error = await promise.then(
    (value) => assert.fail(`resolved: ${JSON.stringify(value)?.slice(0, 200)}`),
    (e) => e,
  );
  assert.ok(isConfluenceError(error), `not a ConfluenceError: ${error?.stack ?? error}`);
  assert.equal(error.kind, "invalidArgument", error.message);
  return error;
}

/** Items whose index `at` is a getter that throws `thrown`. */
function throwingAt(items, at, thrown) {
  Object.defineProperty(items, at, {
    get() {
      throw thrown;
    },
  });
  return items;
}

/** The account ids that the bulk URLs `urls` asked for, in the order of `ids` (each request asks for a run of them). */
function idsSent(urls, ids) {
  const at = new Map(ids.map((id, i) => [id, i]));
  const runs = urls.map((url) => new URL(url, "https://example.atlassian.net").searchParams.get("accountId").split(","));
  return runs.sort((a, b) => at.get(a[0]) - at.get(b[0])).flat();
}

describe("reading an array of strings", () => {
  test("its length is read once and each item once, in order, and nothing after the first bad item", async () => {
    const { client } = recording();
    const log = [];
    await client.getBulkUserLookup({ accountIds: counted([ID, "b", "c"], log), expand: counted(["operations"], log) });
    assert.deepEqual(log, ["get length", "get 0", "get 1", "get 2", "get length", "get 0"]);

    for (const bad of [7, "x".repeat(70_000), "a\uD800"]) {
      log.length = 0;
      await refusal(client.getBulkUserLookup({ accountIds: counted([ID, bad, 5, "d"], log) }));
      assert.deepEqual(log, ["get length", "get 0", "get 1"], `after ${String(bad).slice(0, 10)}`);
    }

    // A getter runs once; one that changes later items is seen by their reads.
    let runs = 0;
    const items = [ID, "b", "c"];
    Object.defineProperty(items, 0, {
      get() {
        runs++;
        items[2] = 9;
        items.push("not read: the length was read before");
        return ID;
      },
    });
    const e = await refusal(client.getBulkUserLookup({ accountIds: items }));
    assert.equal(runs, 1);
    assert.equal(e.message, "getBulkUserLookup: invalid argument: params.accountIds[2]: expected a string, found a number");

    // A Proxy whose length says more than it holds: each index up to that length is read once.
    log.length = 0;
    const lying = new Proxy([ID, "b"], { get: (target, key) => (log.push(String(key)), key === "length" ? 4 : target[key]) });
    assert.equal(
      (await refusal(client.getBulkUserLookup({ accountIds: lying }))).message,
      "getBulkUserLookup: invalid argument: params.accountIds[2]: expected a string, found undefined",
    );
    assert.deepEqual(log, ["length", "0", "1", "2"]);
    client.free();
  });

  test("every refusal of an item has the message it always had, the first bad item deciding", async () => {
    const { client, urls } = recording();
    const item = (at, what) => `getBulkUserLookup: invalid argument: params.accountIds[${at}]: ${what}`;
    const lone = "the string holds a lone surrogate (it is not valid UTF-16)";
    const cases = [
      [[ID, 7, "c"], item(1, "expected a string, found a number")],
      [[ID, null], item(1, "expected a string, found null")],
      [[ID, , "b"], item(1, "expected a string, found undefined")], // eslint-disable-line no-sparse-arrays
      [[ID, {}], item(1, "expected a string, found an object")],
      [[ID, new String("x")], item(1, "expected a string, found an object")],
      [[[ID]], item(0, "expected a string, found an array")],
      [[ID, new Proxy([], {})], item(1, "expected a string, found an array")],
      [[ID, Symbol("s")], item(1, "expected a string, found a symbol")],
      [[10n], item(0, "expected a string, found a bigint")],
      [[() => ID], item(0, "expected a string, found a function")],
      [[true], item(0, "expected a string, found a boolean")],
      [[ID, "x".repeat(70_000)], item(1, "a string of 70000 UTF-16 units, longer than the most (65536) the client sends")],
      [[ID, "\uD800" + "x".repeat(70_000)], item(1, "a string of 70001 UTF-16 units, longer than the most (65536) the client sends")],
      [[ID, "a\uD800"], item(1, lone)],
      [[ID, "\uDC00b"], item(1, lone)],
      [[ID, "\uFFFD\uD800"], item(1, lone)],
      [[ID, "b", 5, "\uD800", {}], item(2, "expected a string, found a number")],
      [[ID, "\uD800", 5], item(1, lone)],
      // Past the 2^20 UTF-16 units the step joins in one piece: the item after them is judged on its own.
      [Array.from({ length: 20 }, (_, i) => (i === 16 ? "\uD800" : "q".repeat(65_536))), item(16, lone)],
      [Array.from({ length: 20 }, (_, i) => (i === 16 ? 16 : "q".repeat(65_536))), item(16, "expected a string, found a number")],
    ];
    for (const [accountIds, message] of cases) {
      const e = await refusal(client.getBulkUserLookup({ accountIds }));
      assert.equal(e.message, message);
      assert.ok(!("cause" in e), `${message}: a cause`);
    }
    assert.equal(
      (await refusal(client.getBulkUserLookup({ accountIds: [ID], expand: ["operations", 5] }))).message,
      "getBulkUserLookup: invalid argument: params.expand[1]: expected a string, found a number",
    );
    assert.equal(
      (await refusal(client.getBulkUserMigration({ keys: ["k1", "k\uDBFF"] }))).message,
      `getBulkUserMigration: invalid argument: params.keys[1]: ${lone}`,
    );
    assert.equal(
      (await refusal(client.getPrivacyUnsafeUserEmailBulk({ accountIds: [ID, "b", 7] }))).message,
      "getPrivacyUnsafeUserEmailBulk: invalid argument: params.accountIds[2]: expected a string, found a number",
    );
    assert.deepEqual(urls, [], "a refused call sent a request");
    client.free();
  });

  test("an item whose read throws is refused with what was thrown as the cause, whatever it is", async () => {
    const { client } = recording();
    const threw = (at) => `getBulkUserLookup: invalid argument: params.accountIds[${at}]: reading it threw (the error's \`cause\`)`;
    for (const thrown of [new Boom("accountIds[2]"), { plain: true }, "a string", null, undefined]) {
      const e = await refusal(client.getBulkUserLookup({ accountIds: throwingAt([ID, "b", "c", 4], 2, thrown) }));
      assert.equal(e.message, threw(2));
      assert.ok("cause" in e);
      assert.equal(e.cause, thrown);
    }
    const boom = new Boom("get trap");
    const trap = new Proxy([ID, "b"], { get: (target, key) => (key === "1" ? (() => { throw boom; })() : target[key]) });
    const e = await refusal(client.getBulkUserLookup({ accountIds: trap }));
    assert.equal(e.message, threw(1));
    assert.equal(e.cause, boom);
    // An item after a bad one is never read: its getter does not run.
    let reads = 0;
    const later = [ID, 5, "c"];
    Object.defineProperty(later, 2, { get: () => (reads++, "c") });
    const after = await refusal(client.getBulkUserLookup({ accountIds: later }));
    assert.equal(after.message, "getBulkUserLookup: invalid argument: params.accountIds[1]: expected a string, found a number");
    assert.equal(reads, 0);

    // Only the engine makes the step itself throw: here a replaced Array.prototype.push, once.
    const ids = [ID];
    const pushBoom = new Boom("Array.prototype.push");
    Object.defineProperty(ids, 0, {
      get() {
        const push = Array.prototype.push;
        Array.prototype.push = function () {
          Array.prototype.push = push;
          throw pushBoom;
        };
        return ID;
      },
    });
    const step = await refusal(client.getBulkUserLookup({ accountIds: ids }));
    assert.equal(step.message, "getBulkUserLookup: invalid argument: params.accountIds: reading it threw (the error's `cause`)");
    assert.equal(step.cause, pushBoom);

    client.free();
  });

  test("a String.prototype.isWellFormed that throws or says no changes nothing", async () => {
    const saved = Object.getOwnPropertyDescriptor(String.prototype, "isWellFormed");
    try {
      for (const replaced of [() => { throw new Boom("isWellFormed"); }, () => false]) {
        Object.defineProperty(String.prototype, "isWellFormed", { value: replaced, configurable: true, writable: true });
        const { client, urls } = recording();
        await client.getBulkUserLookup({ accountIds: [ID, "😀", "b"] });
        assert.deepEqual(idsSent(urls, [ID, "😀", "b"]), [ID, "😀", "b"]);
        const e = await refusal(client.getBulkUserLookup({ accountIds: [ID, "\uD800"] }));
        assert.equal(e.message, "getBulkUserLookup: invalid argument: params.accountIds[1]: the string holds a lone surrogate (it is not valid UTF-16)");
        client.free();
      }
    } finally {
      Object.defineProperty(String.prototype, "isWellFormed", saved);
    }
  });

  for (const isWellFormed of ["with", "without"]) {
    test(`ids arrive intact, past one joined piece and outside ASCII, ${isWellFormed} String.prototype.isWellFormed`, async () => {
      const saved = Object.getOwnPropertyDescriptor(String.prototype, "isWellFormed");
      if (isWellFormed === "without") delete String.prototype.isWellFormed;
      try {
        const { client, urls } = recording();
        // 50,000 ids of 24 units: 1.2 million units, more than the step joins in one piece (2^20).
        const ascii = Array.from({ length: 50_000 }, (_, i) => `id${i}`.padEnd(24, "x"));
        await client.getBulkUserLookup({ accountIds: ascii });
        assert.deepEqual(idsSent(urls, ascii), ascii);
        // 2, 3 and 4 UTF-8 bytes a char, surrogate pairs included, and a real U+FFFD.
        urls.length = 0;
        const wide = Array.from({ length: 40_000 }, (_, i) => `é😀${i}中\uFFFD`.padEnd(30, "y"));
        await client.getBulkUserLookup({ accountIds: wide });
        assert.deepEqual(idsSent(urls, wide), wide);
        const e = await refusal(client.getBulkUserLookup({ accountIds: ["😀", "é", "a\uDBFF"] }));
        assert.equal(e.message, "getBulkUserLookup: invalid argument: params.accountIds[2]: the string holds a lone surrogate (it is not valid UTF-16)");
        client.free();
      } finally {
        if (saved) Object.defineProperty(String.prototype, "isWellFormed", saved);
      }
    });
  }
});
