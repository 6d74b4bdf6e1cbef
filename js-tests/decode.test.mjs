// Hostile and broken response bodies (issue 3): a 2xx body of any wrong shape, size or depth is a decode
// error, never a panic or a hang, and the client keeps working; an error status keeps its status whatever
// its body. The error kinds through both loaders of the installed package: errors.test.mjs.
//
//   node --test js-tests/decode.test.mjs

import { describe } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { SPECIAL } from "./helpers.mjs";
import { errorBody } from "./fake-server/server.mjs";
import * as F from "./fake-server/faults.mjs";
import { fake, ftest, record, client, someUser, realBody, expectFailure, expectSuccess, nextCallWorks, between } from "./kit.mjs";

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
