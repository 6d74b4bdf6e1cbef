// Observability hooks (issue 2): onRequest, onResponse and onRetry with their exact fields and no
// credentials, their order across retries, network failures and timeouts, bulk chunks, and hooks that
// throw or reject.
//
//   node --test js-tests/hooks.test.mjs

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import { CREDENTIALS, SPECIAL, expectConfluenceError, withFake } from "./helpers.mjs";
import { AUTH, fake, clientOf, allIds, unknownIds, error503 } from "./kit.mjs";
import { assertNoCredential } from "./secret-forms.mjs";

// Every unhandled rejection of the whole run (hooks returning rejected promises must not cause any).
const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(reason));

// ---------------------------------------------------------------------------------------------------------
// 3. Hooks

function recordingHooks(log = []) {
  return {
    log,
    hooks: {
      onRequest: (info) => log.push(["request", info]),
      onResponse: (info) => log.push(["response", info]),
      onRetry: (info) => log.push(["retry", info]),
    },
  };
}

describe("hooks", () => {
  test("onRequest and onResponse of a plain call: exact fields, no credentials", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      const c = clientOf(fake, { hooks, auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken } });
      await c.getUser({ accountId: SPECIAL.oddAccountId });
      assert.deepEqual(log.map(([k]) => k), ["request", "response"]);
      const [[, req], [, res]] = log;
      assert.deepEqual(Object.keys(req).sort(), ["attempt", "method", "operation", "url"]);
      assert.equal(req.operation, "getUser");
      assert.equal(req.method, "GET");
      assert.equal(req.attempt, 1);
      assert.equal(req.url, fake.url + fake.requests[0].url);
      assert.ok(req.url.startsWith(`${fake.url}/wiki/rest/api/user?accountId=`), req.url);
      assert.equal(new URL(req.url).searchParams.get("accountId"), SPECIAL.oddAccountId);
      assert.deepEqual(Object.keys(res).sort(), ["attempt", "elapsedMs", "method", "operation", "rateLimit", "status", "url"]);
      assert.equal(res.operation, "getUser");
      assert.equal(res.url, req.url);
      assert.equal(res.status, 200);
      assert.equal(res.attempt, 1);
      assert.equal(typeof res.elapsedMs, "number");
      assert.ok(res.elapsedMs >= 0 && res.elapsedMs < 5000);
      assert.deepEqual(res.rateLimit, {});
      // The email too: a hook info names no one (and the base64 of email:apiToken is searched through it).
      assertNoCredential(log, { secrets: [CREDENTIALS.apiToken, CREDENTIALS.email], email: CREDENTIALS.email }, "the hook infos");
    }));

  test("elapsedMs covers the server latency", () =>
    withFake({ latencyMs: 80 }, async (fake) => {
      const { log, hooks } = recordingHooks();
      await clientOf(fake, { hooks }).getCurrentUser();
      const res = log.find(([k]) => k === "response")[1];
      assert.ok(res.elapsedMs >= 70, `elapsedMs ${res.elapsedMs}`);
    }));

  test("onResponse.rateLimit holds exactly the rate-limit headers present, by their canonical names", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      const c = clientOf(fake, { hooks });
      const body = await c.getCurrentUser();
      log.length = 0;
      fake.enqueue({
        status: 200,
        headers: {
          "retry-after": "0",
          "x-ratelimit-limit": "1000",
          "x-ratelimit-remaining": "998",
          "x-ratelimit-reset": "2030-01-01T00:00:00Z",
          "x-ratelimit-nearlimit": "true",
          "ratelimit-reason": "confluence-quota-based",
          "x-unrelated": "nope",
        },
        body,
      });
      await c.getCurrentUser();
      const res = log.find(([k]) => k === "response")[1];
      assert.deepEqual(res.rateLimit, {
        "Retry-After": "0",
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "998",
        "X-RateLimit-Reset": "2030-01-01T00:00:00Z",
        "X-RateLimit-NearLimit": "true",
        "RateLimit-Reason": "confluence-quota-based",
      });
      // only some present
      log.length = 0;
      fake.enqueue({ status: 200, headers: { "X-RateLimit-Remaining": "5", "X-RateLimit-NearLimit": "false" }, body });
      await c.getCurrentUser();
      assert.deepEqual(log.find(([k]) => k === "response")[1].rateLimit, { "X-RateLimit-Remaining": "5", "X-RateLimit-NearLimit": "false" });
    }));

  test("order of hook calls across a retried request (429, 503, 200)", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      const c = clientOf(fake, { hooks, retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 } });
      fake.enqueue(
        { status: 429, headers: { "Retry-After": "0", "X-RateLimit-Remaining": "0", "RateLimit-Reason": "too-many" }, body: { statusCode: 429, message: "Rate limit exceeded" } },
        error503,
      );
      const me = await c.getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.deepEqual(log.map(([k, i]) => `${k}#${i.attempt}`), [
        "request#1",
        "response#1",
        "retry#1",
        "request#2",
        "response#2",
        "retry#2",
        "request#3",
        "response#3",
      ]);
      const url = `${fake.url}/wiki/rest/api/user/current`;
      for (const [, info] of log) {
        assert.equal(info.operation, "getCurrentUser");
        assert.equal(info.method, "GET");
        assert.equal(info.url, url);
      }
      const responses = log.filter(([k]) => k === "response").map(([, i]) => i);
      assert.deepEqual(responses.map((r) => r.status), [429, 503, 200]);
      assert.deepEqual(responses[0].rateLimit, { "Retry-After": "0", "X-RateLimit-Remaining": "0", "RateLimit-Reason": "too-many" });
      const retries = log.filter(([k]) => k === "retry").map(([, i]) => i);
      assert.deepEqual(Object.keys(retries[0]).sort(), ["attempt", "delayMs", "method", "operation", "reason", "status", "url"]);
      assert.deepEqual(retries.map((r) => [r.attempt, r.status, r.reason]), [
        [1, 429, "status"],
        [2, 503, "status"],
      ]);
      for (const r of retries) assert.ok(typeof r.delayMs === "number" && r.delayMs >= 0 && r.delayMs <= 20, `delayMs ${r.delayMs}`);
      assert.equal(fake.requests.length, 3);
    }));

  test("onRetry for a network failure: status 0, reason network, and no onResponse for that attempt", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      fake.enqueue((req, res) => res.socket.destroy());
      await clientOf(fake, { hooks }).getCurrentUser();
      assert.deepEqual(log.map(([k, i]) => `${k}#${i.attempt}`), ["request#1", "retry#1", "request#2", "response#2"]);
      const retry = log[1][1];
      assert.equal(retry.status, 0);
      assert.equal(retry.reason, "network");
      assert.equal(retry.operation, "getCurrentUser");
    }));

  test("onRetry for a timeout: status 0, reason timeout", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      fake.enqueue(() => {}); // never answers
      await clientOf(fake, { hooks, timeout: 150 }).getCurrentUser();
      assert.deepEqual(log.map(([k, i]) => `${k}#${i.attempt}`), ["request#1", "retry#1", "request#2", "response#2"]);
      assert.equal(log[1][1].status, 0);
      assert.equal(log[1][1].reason, "timeout");
    }));

  test("hooks see each chunk of a bulk lookup", () =>
    withFake({}, async (fake) => {
      const { log, hooks } = recordingHooks();
      await clientOf(fake, { hooks }).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] });
      const reqs = log.filter(([k]) => k === "request").map(([, i]) => i);
      assert.equal(reqs.length, 3);
      for (const r of reqs) {
        assert.equal(r.operation, "getBulkUserLookup");
        assert.equal(r.attempt, 1);
      }
      assert.deepEqual(new Set(reqs.map((r) => r.url)), new Set(fake.requests.map((r) => fake.url + r.url)));
      assert.equal(log.filter(([k]) => k === "response").length, 3);
    }));

  test("hooks that throw or return rejected promises do not break the call, and cause no unhandledRejection", () =>
    withFake({}, async (fake) => {
      const before = unhandled.length;
      let calls = 0;
      const throwing = {
        onRequest() {
          calls++;
          throw new Error("onRequest exploded");
        },
        onResponse() {
          calls++;
          throw new TypeError("onResponse exploded");
        },
        onRetry() {
          calls++;
          throw "a string";
        },
      };
      fake.enqueue(error503);
      const me = await clientOf(fake, { hooks: throwing }).getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.equal(calls, 5);

      let asyncCalls = 0;
      const rejecting = {
        onRequest: async () => {
          asyncCalls++;
          throw new Error("async onRequest");
        },
        onResponse: () => {
          asyncCalls++;
          return Promise.reject(new Error("rejected onResponse"));
        },
        onRetry: () => {
          asyncCalls++;
          return Promise.reject(undefined);
        },
      };
      fake.enqueue(error503);
      const again = await clientOf(fake, { hooks: rejecting }).getCurrentUser();
      assert.equal(again.accountId, SPECIAL.currentUser);
      assert.equal(asyncCalls, 5);
      // a failing call with failing hooks still rejects with its own error
      await expectConfluenceError(clientOf(fake, { hooks: rejecting }).getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http", status: 404 });
      await sleep(50);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled.slice(before), [], "unhandled rejections");
    }));

  test("hooks must be functions (and hooks an object): the constructor refuses anything else", async () => {
    const base = { baseUrl: "https://x.atlassian.net", auth: AUTH };
    for (const hooks of [{ onRequest: "nope" }, { onResponse: 42 }, { onRetry: {} }, { onRequest: null }, 5, "hooks"]) {
      const e = await expectConfluenceError(() => new ConfluenceClient({ ...base, hooks }), { kind: "invalidArgument", operation: "ConfluenceClient" });
      assert.ok(/hooks/.test(e.message), e.message);
    }
    new ConfluenceClient({ ...base, hooks: {} });
    new ConfluenceClient({ ...base, hooks: { onRequest() {} } });
    new ConfluenceClient({ ...base, hooks: { onRequest: undefined, onRetry: async () => {} } });
  });
});
