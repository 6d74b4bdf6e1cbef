// Authentication (issue 2): OAuth bearer tokens as a string or a function (called for every request, each
// chunk and each retry), a refreshed token on the retry, bad tokens refused without echoing them, the
// OAuth gateway base URL. Basic auth is what every other suite uses; credentials in errors: secrets.test.mjs.
//
//   node --test js-tests/auth.test.mjs

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import { CREDENTIALS, SPECIAL, expectConfluenceError, withFake } from "./helpers.mjs";
import { assertNoCredential } from "./secret-forms.mjs";

/** None of `secrets` on any surface of `e`, in any form (see secret-forms.mjs). */
const assertNoSecrets = (e, secrets, label) => assertNoCredential(e, { secrets }, label);
import { fake, clientOf, allIds, unknownIds, error503, cannedFetch } from "./kit.mjs";

// ---------------------------------------------------------------------------------------------------------
// 4. OAuth bearer tokens

describe("OAuth bearer tokens", () => {
  test("a token string is accepted by the fake", () =>
    withFake({}, async (fake) => {
      const me = await clientOf(fake).getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.equal(fake.requests[0].auth, "bearer");
      assert.equal(fake.requests[0].headers.authorization, `Bearer ${CREDENTIALS.oauthToken}`);
    }));

  test("a token function (sync or async) is accepted", () =>
    withFake({}, async (fake) => {
      for (const token of [() => CREDENTIALS.oauthToken, async () => CREDENTIALS.oauthToken, () => Promise.resolve(CREDENTIALS.oauthToken)]) {
        const me = await clientOf(fake, { auth: { type: "bearer", token } }).getCurrentUser();
        assert.equal(me.accountId, SPECIAL.currentUser);
      }
      assert.deepEqual(fake.requests.map((r) => r.auth), ["bearer", "bearer", "bearer"]);
    }));

  test("the token function is called for every request of a bulk lookup (one per chunk)", () =>
    withFake({}, async (fake) => {
      let calls = 0;
      const token = async () => {
        calls++;
        return CREDENTIALS.oauthToken;
      };
      const r = await clientOf(fake, { auth: { type: "bearer", token } }).getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] });
      assert.equal(r.size, 300);
      assert.equal(fake.requests.length, 3);
      assert.equal(calls, 3);
    }));

  test("the token function is called for every request, including each retry of a request", () =>
    withFake({}, async (fake) => {
      let calls = 0;
      const token = () => {
        calls++;
        return CREDENTIALS.oauthToken;
      };
      fake.enqueue(error503, { status: 429, headers: { "Retry-After": "0" }, body: { statusCode: 429, message: "slow down" } });
      const me = await clientOf(fake, { auth: { type: "bearer", token } }).getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.equal(fake.requests.length, 3, "two failed attempts + the successful one");
      assert.equal(calls, fake.requests.length, `token function calls (${calls}) vs requests sent (${fake.requests.length})`);
    }));

  test("a refreshed token is used on the retry", () =>
    withFake({}, async (fake) => {
      const tokens = ["first-token-AAAA", CREDENTIALS.oauthToken];
      let i = 0;
      const token = () => tokens[Math.min(i++, tokens.length - 1)];
      fake.enqueue(error503); // the canned 503 needs no auth; the retry must carry the fresh token
      let outcome;
      try {
        outcome = (await clientOf(fake, { auth: { type: "bearer", token } }).getCurrentUser()).accountId;
      } catch (e) {
        outcome = `rejected: ${e.message}`;
      }
      assert.deepEqual(
        fake.requests.map((r) => r.headers.authorization),
        ["Bearer first-token-AAAA", `Bearer ${CREDENTIALS.oauthToken}`],
        "Authorization of each attempt (the retry must call the token function again)",
      );
      assert.equal(outcome, SPECIAL.currentUser);
    }));

  test("a token function that throws, rejects, or gives a bad value: invalidArgument, nothing sent, no token in the error", () =>
    withFake({}, async (fake) => {
      const secret = CREDENTIALS.oauthToken;
      const cases = [
        ["throws", () => {
          throw new Error("token store offline");
        }],
        ["rejects", () => Promise.reject(new Error("refresh failed"))],
        ["async throws", async () => {
          throw new Error("refresh failed");
        }],
        ["number", () => 12345678],
        ["undefined", () => undefined],
        ["object", () => ({ token: secret })],
        ["promise of a number", async () => 42],
        ["empty", () => ""],
        ["CR/LF", () => `${secret}\r\nX-Injected: yes`],
        ["LF", () => `${secret}\nX-Injected: yes`],
        ["async CR/LF", async () => `${secret}\r\nX-Injected: yes`],
        ["space", () => `${secret} more`],
      ];
      for (const [label, token] of cases) {
        const c = clientOf(fake, { auth: { type: "bearer", token } });
        for (const call of [
          () => c.getCurrentUser(),
          () => c.getBulkUserLookup({ accountIds: [...allIds(fake), ...unknownIds(150)] }),
        ]) {
          const e = await expectConfluenceError(call(), { kind: "invalidArgument", status: 0 });
          assertNoSecrets(e, [secret, "X-Injected"], label);
        }
        const pages = c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups });
        const e = await expectConfluenceError(pages.next(), { kind: "invalidArgument" });
        assertNoSecrets(e, [secret], label);
      }
      await sleep(20);
      assert.equal(fake.requests.length, 0, "nothing was sent");
    }));

  test("a static token string with CR/LF or empty is refused by the constructor, without echoing it", async () => {
    const tok = "static-S3CRET-token";
    for (const token of [`${tok}\r\nX-Injected: yes`, `${tok}\n`, ""]) {
      const e = await expectConfluenceError(() => new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token } }), {
        kind: "invalidArgument",
        operation: "ConfluenceClient",
      });
      if (token) assertNoSecrets(e, [tok], "static token");
    }
    for (const token of [42, null, {}]) {
      await expectConfluenceError(() => new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token } }), { kind: "invalidArgument" });
    }
  });

  test("a CR/LF token returned by the function never appears in the error (shorter, recognisable token)", async () => {
    const fetch = cannedFetch();
    const tok = "s3cr3t-T0KEN-value";
    const c = new ConfluenceClient({ baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: () => `${tok}\r\n` }, fetch });
    const e = await expectConfluenceError(c.getCurrentUser(), { kind: "invalidArgument" });
    assertNoSecrets(e, [tok], "CR/LF token");
    assert.equal(fetch.calls.length, 0);
  });

  test("OAuth gateway baseUrl: requests go to https://api.atlassian.com/ex/confluence/<cloudId>/wiki/rest/api/...", async () => {
    const cloudId = "11223344-a1b2-43c4-d5e6-f7a8b9c0d1e2";
    const fetch = cannedFetch();
    const c = new ConfluenceClient({ baseUrl: `https://api.atlassian.com/ex/confluence/${cloudId}`, auth: { type: "bearer", token: "gateway-token-123" }, fetch });
    const me = await c.getCurrentUser();
    assert.equal(me.accountId, SPECIAL.currentUser);
    assert.equal(fetch.calls.length, 1);
    assert.equal(fetch.calls[0].url, `https://api.atlassian.com/ex/confluence/${cloudId}/wiki/rest/api/user/current`);
    assert.equal(fetch.calls[0].init.method, "GET");
    assert.equal(fetch.calls[0].init.headers.Authorization ?? fetch.calls[0].init.headers.authorization, "Bearer gateway-token-123");
    // trailing slash normalised
    const fetch2 = cannedFetch();
    await new ConfluenceClient({ baseUrl: `https://api.atlassian.com/ex/confluence/${cloudId}/`, auth: { type: "bearer", token: () => "fn-token-1" }, fetch: fetch2 }).getUser({ accountId: SPECIAL.currentUser });
    assert.equal(fetch2.calls[0].url, `https://api.atlassian.com/ex/confluence/${cloudId}/wiki/rest/api/user?accountId=${SPECIAL.currentUser}`);
    assert.equal(fetch2.calls[0].init.headers.Authorization ?? fetch2.calls[0].init.headers.authorization, "Bearer fn-token-1");
  });
});
