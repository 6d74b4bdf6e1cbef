#!/usr/bin/env node
// A quick hot-path check of one package build, for A/B of build settings (js-tests/bench/SIZE.md): the bench's
// row 3 (getBulkUserLookup of 200 users with every expand, answered from memory, against JSON.parse of the
// same ~413 KB body) and a getUser answered from memory, 60 rounds, medians of the last 50. Far lighter
// than bash js-tests/bench/run.sh; run the builds alternately, several times, on a loaded machine.
//
//   node js-tests/bench/hot-ab.mjs PKG_DIR
import { startFakeInline } from "./fake-worker.mjs";
import { loadOurs, median } from "./lib.mjs";
import { CREDENTIALS } from "../fake-server/server.mjs";
const pkg = process.argv[2];
if (!pkg) {
  console.error("usage: node js-tests/bench/hot-ab.mjs PKG_DIR");
  process.exit(2);
}
const { ConfluenceClient } = loadOurs(pkg).mod;
const fake = await startFakeInline({ userCount: 1000 });
const { email, apiToken } = CREDENTIALS;
const hex = fake.users.filter((u) => /^[0-9a-f]{24}$/.test(u.accountId));
const ids = hex.filter((u) => u.personalSpace).slice(0, 200).map((u) => u.accountId);
const EXPAND = ["operations", "details.personal", "details.business", "personalSpace"];
const headers = { get: (n) => (n.toLowerCase() === "content-type" ? "application/json;charset=UTF-8" : null) };
// The bodies the fake really serves, recorded once through a wrapping fetch.
let bulkBody, userBody;
const record = async (url, init) => {
  const response = await fetch(url, init);
  const text = await response.text();
  if (url.includes("/bulk")) bulkBody = text;
  else userBody = text;
  return { status: response.status, headers, text: async () => text };
};
const cap = new ConfluenceClient({ baseUrl: fake.url, auth: { type: "basic", email, apiToken }, fetch: record });
await cap.getBulkUserLookup({ accountIds: ids, expand: EXPAND });
await cap.getUser({ accountId: ids[1] });
const mem = (t) => ({ status: 200, headers, text: async () => t });
const bulkC = new ConfluenceClient({ baseUrl: fake.url, auth: { type: "basic", email, apiToken }, fetch: async () => mem(bulkBody) });
const userC = new ConfluenceClient({ baseUrl: fake.url, auth: { type: "basic", email, apiToken }, fetch: async () => mem(userBody) });
/** Microseconds per call of `fn`, over `inner` calls in a row. */
const time = async (fn, inner) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inner; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / inner;
};
const b = [];
const u = [];
const p = [];
for (let r = 0; r < 60; r++) {
  b.push(await time(() => bulkC.getBulkUserLookup({ accountIds: ids, expand: EXPAND }), 5));
  p.push(await time(async () => JSON.parse(bulkBody), 5));
  u.push(await time(() => userC.getUser({ accountId: ids[1] }), 50));
}
const m = (xs) => median(xs.slice(10));
console.log(`${pkg}: bulk200 ${m(b).toFixed(0)} us (JSON.parse ${m(p).toFixed(0)} us, ratio ${(m(b) / m(p)).toFixed(2)}), getUser from memory ${m(u).toFixed(1)} us; body ${bulkBody.length} B`);
await fake.close?.();
process.exit(0);
