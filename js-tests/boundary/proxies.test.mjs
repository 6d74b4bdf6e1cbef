// Real proxies as params and options (issue 14): Vue 3 `reactive()`, MobX observables and Immer drafts are
// Proxies that web apps pass around. Live ones must behave exactly like the plain objects they wrap (same
// request, same result); a revoked Immer draft is an invalidArgument whose cause is the engine's TypeError.
// Against the built package (pkg/) and the fake Confluence on 127.0.0.1.
//
//   node --test js-tests/boundary/proxies.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { reactive, readonly, shallowReactive } from "@vue/reactivity";
import { observable } from "mobx";
import { produce } from "immer";

import { BASIC, SPECIAL, loadPackage } from "./harness.mjs";
import { startFakeConfluence } from "../helpers.mjs";

const { mod } = loadPackage();
const { ConfluenceClient, isConfluenceError } = mod;
let fake;
let client;

before(async () => {
  fake = await startFakeConfluence({ port: 0 });
  client = new ConfluenceClient({ baseUrl: fake.url, auth: BASIC });
});
after(async () => {
  client.free();
  await fake.close();
});

const IDS = [SPECIAL.currentUser, SPECIAL.hiddenProfile, SPECIAL.externalCollaborator];
/** Each method with plain params, compared with the same params wrapped by `wrap`. */
const CASES = [
  ["getUser", () => ({ accountId: SPECIAL.currentUser, expand: ["operations", "personalSpace"] })],
  ["getGroupMembershipsForUser", () => ({ accountId: SPECIAL.manyGroups, start: 0, limit: 25 })],
  ["getBulkUserLookup", () => ({ accountIds: [...IDS], expand: ["operations"] })],
  ["getPrivacyUnsafeUserEmailBulk", () => ({ accountIds: [...IDS] })],
  ["getBulkUserMigration", () => ({ usernames: ["admin"] })],
];

/** The plain call's result and the request it sent, then the same for `call(wrap(params))`. */
async function sameAsPlain(method, params, wrap, call = (p) => client[method](p)) {
  fake.reset();
  const plain = await client[method](params());
  const plainUrl = fake.requests.at(-1).url;
  fake.reset();
  const wrapped = await call(wrap(params()));
  assert.equal(fake.requests.at(-1).url, plainUrl, `${method}: the wrapped params sent another request`);
  assert.deepEqual(wrapped, plain, `${method}: the wrapped params gave another result`);
}

describe("Vue 3 reactive()", () => {
  for (const [method, params] of CASES) {
    test(`${method} with reactive, readonly and shallowReactive params`, async () => {
      await sameAsPlain(method, params, reactive);
      await sameAsPlain(method, params, (p) => readonly(reactive(p)));
      await sameAsPlain(method, params, shallowReactive);
    });
  }
  test("reactive client options and call options", async () => {
    const c = new ConfluenceClient(reactive({ baseUrl: fake.url, auth: { ...BASIC }, retry: { maxRetries: 1 }, timeout: 5000 }));
    const controller = new AbortController();
    const user = await c.getUser(reactive({ accountId: SPECIAL.currentUser }), reactive({ signal: controller.signal }));
    assert.equal(user.accountId, SPECIAL.currentUser);
    c.free();
  });
});

describe("MobX observables", () => {
  for (const [method, params] of CASES) {
    test(`${method} with observable params`, async () => {
      await sameAsPlain(method, params, (p) => observable(p));
      await sameAsPlain(method, params, (p) => observable(p, {}, { deep: false }));
    });
  }
  test("observable client options", async () => {
    const c = new ConfluenceClient(observable({ baseUrl: fake.url, auth: { ...BASIC } }));
    assert.equal((await c.getCurrentUser()).accountId, SPECIAL.currentUser);
    c.free();
  });
});

describe("Immer drafts", () => {
  for (const [method, params] of CASES) {
    test(`${method} with a live draft`, async () => {
      // The call is made inside the recipe, on the live draft: the params must be read before the
      // method returns (the draft is revoked when produce returns); the promise is awaited afterwards.
      await sameAsPlain(method, params, (p) => p, (p) => {
        let pending;
        produce(p, (draft) => {
          pending = client[method](draft);
        });
        return pending;
      });
    });
  }

  test("a revoked draft is an invalidArgument whose cause is the TypeError", async () => {
    let kept;
    produce({ accountId: SPECIAL.currentUser }, (draft) => {
      kept = draft;
    });
    const error = await client.getUser(kept).then(
      () => assert.fail("resolved"),
      (e) => e,
    );
    assert.ok(isConfluenceError(error), String(error));
    assert.equal(error.kind, "invalidArgument");
    assert.ok(error.cause instanceof TypeError, `cause: ${error.cause}`);
    let keptIds;
    produce({ accountIds: [...IDS] }, (draft) => {
      keptIds = draft.accountIds;
    });
    const bulk = await client.getBulkUserLookup({ accountIds: keptIds }).then(
      () => assert.fail("resolved"),
      (e) => e,
    );
    assert.equal(bulk.kind, "invalidArgument");
    assert.ok(bulk.cause instanceof TypeError);
  });
});

