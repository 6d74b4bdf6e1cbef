#!/usr/bin/env node
// A quick hot-path check of package builds, for A/B of build settings or of two commits (js-tests/bench/SIZE.md):
// every call is answered from memory by a custom fetch, so only the package's own work is timed. Rows:
//   getUser   a getUser (its real body from the fake), 50 calls a sample
//   bulk200   the bench's row 3: getBulkUserLookup of 200 users with every expand (personal spaces included,
//             ~413 KB body), 5 calls a sample, beside JSON.parse of the same body
//   empty     the same bulk call answered with an empty page: the fixed cost of a call, 20 calls a sample
//   err404    the bench's row 1c: getUser of an unknown id answered with the fake's 404 body (rejected),
//             50 calls a sample
// 60 rounds, medians of the last 50. Far lighter than bash js-tests/bench/run.sh.
//
//   node js-tests/bench/hot-ab.mjs PKG_DIR            one build
//   node js-tests/bench/hot-ab.mjs OLD_PKG NEW_PKG    both in this process, interleaved: each round runs every
//                                                     row on both builds, in alternating order, and the table
//                                                     gives each build's median and new/old (the ratio of the
//                                                     medians, and the median of the rounds' paired ratios)
//
// The machine may be loaded: run it several times and compare the ratios rather than the microseconds.
import { startFakeInline } from "./fake-worker.mjs";
import { loadOurs, median } from "./lib.mjs";
import { CREDENTIALS } from "../fake-server/server.mjs";

const pkgs = process.argv.slice(2);
if (pkgs.length < 1 || pkgs.length > 2) {
  console.error("usage: node js-tests/bench/hot-ab.mjs PKG_DIR  |  node js-tests/bench/hot-ab.mjs OLD_PKG NEW_PKG");
  process.exit(2);
}
const ROUNDS = 60;
const WARMUP = 10;

const fake = await startFakeInline({ userCount: 1000 });
const { email, apiToken } = CREDENTIALS;
const auth = { type: "basic", email, apiToken };
const hex = fake.users.filter((u) => /^[0-9a-f]{24}$/.test(u.accountId));
const ids = hex.filter((u) => u.personalSpace).slice(0, 200).map((u) => u.accountId);
const EXPAND = ["operations", "details.personal", "details.business", "personalSpace"];
const headers = { get: (n) => (n.toLowerCase() === "content-type" ? "application/json;charset=UTF-8" : null) };
// An id of the right shape that the fake does not know (the bench's row 1c asks the same way).
const UNKNOWN = "0".repeat(24);
const mem = (t, status = 200) => ({ status, headers, text: async () => t });

// The bodies the fake really serves, recorded once (through the first build) by a wrapping fetch.
let bulkBody, userBody, notFoundBody;
{
  const { ConfluenceClient } = loadOurs(pkgs[0]).mod;
  const record = async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.text();
    if (response.status === 404) notFoundBody = text;
    else if (url.includes("/bulk")) bulkBody = text;
    else userBody = text;
    return { status: response.status, headers, text: async () => text };
  };
  const cap = new ConfluenceClient({ baseUrl: fake.url, auth, fetch: record });
  await cap.getBulkUserLookup({ accountIds: ids, expand: EXPAND });
  await cap.getUser({ accountId: ids[1] });
  await cap.getUser({ accountId: UNKNOWN }).catch(() => {});
  if (notFoundBody === undefined) throw new Error(`the fake did not answer 404 for ${UNKNOWN}`);
}
const emptyBody = JSON.stringify({ ...JSON.parse(bulkBody), results: [], size: 0 });

/** Each row's call on the build in `dir` (its own wasm instance), and how many calls make a sample. */
function rowsOf(dir) {
  const { ConfluenceClient } = loadOurs(dir).mod;
  const answering = (body) => new ConfluenceClient({ baseUrl: fake.url, auth, fetch: async () => mem(body) });
  const userC = answering(userBody);
  const bulkC = answering(bulkBody);
  const emptyC = answering(emptyBody);
  const notFoundC = new ConfluenceClient({ baseUrl: fake.url, auth, fetch: async () => mem(notFoundBody, 404) });
  return {
    getUser: { inner: 50, run: () => userC.getUser({ accountId: ids[1] }) },
    bulk200: { inner: 5, run: () => bulkC.getBulkUserLookup({ accountIds: ids, expand: EXPAND }) },
    empty: { inner: 20, run: () => emptyC.getBulkUserLookup({ accountIds: ids, expand: EXPAND }) },
    err404: {
      inner: 50,
      run: () =>
        notFoundC.getUser({ accountId: UNKNOWN }).then(
          () => {
            throw new Error("err404: getUser of an unknown id resolved");
          },
          (e) => {
            if (e?.status !== 404) throw e;
          },
        ),
    },
  };
}

/** Microseconds per call of `fn`, over `inner` calls in a row. */
const time = async (fn, inner) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inner; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / inner;
};

const builds = pkgs.map(rowsOf);
const ROWS = Object.keys(builds[0]);
// samples[build][row]: one per round; parse: JSON.parse of the bulk body, the floor of row bulk200.
const samples = builds.map(() => Object.fromEntries(ROWS.map((r) => [r, []])));
const parse = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which build goes first, so neither always runs on a warmer (or busier) moment.
  const order = round % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => i).reverse();
  for (const row of ROWS) {
    for (const i of order) samples[i][row].push(await time(builds[i][row].run, builds[i][row].inner));
  }
  parse.push(await time(async () => JSON.parse(bulkBody), 5));
}
const kept = (xs) => xs.slice(WARMUP);
const m = (xs) => median(kept(xs));
const us = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

if (builds.length === 1) {
  const s = samples[0];
  console.log(
    `${pkgs[0]}: bulk200 ${us(m(s.bulk200))} us (JSON.parse ${us(m(parse))} us, ratio ${(m(s.bulk200) / m(parse)).toFixed(2)}), ` +
      `getUser from memory ${us(m(s.getUser))} us, empty page ${us(m(s.empty))} us, 404 ${us(m(s.err404))} us; body ${bulkBody.length} B`,
  );
} else {
  const [old, neu] = samples;
  console.log(`old: ${pkgs[0]}\nnew: ${pkgs[1]}\n${ROUNDS} rounds, medians of the last ${ROUNDS - WARMUP}, microseconds per call`);
  console.log(`| row | old us | new us | new/old (medians) | new/old (paired rounds) |`);
  console.log(`| --- | ---: | ---: | ---: | ---: |`);
  for (const row of ROWS) {
    const paired = median(kept(neu[row]).map((n, i) => n / kept(old[row])[i]));
    console.log(`| ${row} | ${us(m(old[row]))} | ${us(m(neu[row]))} | ${(m(neu[row]) / m(old[row])).toFixed(3)} | ${paired.toFixed(3)} |`);
  }
  console.log(
    `| bulk200 / JSON.parse | ${(m(old.bulk200) / m(parse)).toFixed(2)} | ${(m(neu.bulk200) / m(parse)).toFixed(2)} | | |  (JSON.parse ${us(m(parse))} us; body ${bulkBody.length} B)`,
  );
}
await fake.close?.();
process.exit(0);
