#!/usr/bin/env node
// Issue 11's benchmark row: the rate-limit points a page render with 500 user mentions spends
// under Confluence Cloud's points model (1 base point per request + 1 point per user returned),
// with and without coalescing and the user cache. Counts, not timings: the requests and the
// users in their answers are read off the fake's front (fake-server/faults.mjs `front`), so the
// figures are the same on any machine. Takes about a second.
//
//   node js-tests/bench/points.mjs [--pkg DIR] [--json FILE]
//
// The page: 500 mentions of 150 distinct users (each mentioned 1 to 7 times, a seeded draw),
// rendered with `Promise.all(mentions.map((accountId) => client.getUser({ accountId })))`, twice
// (a second view of the page within the cache's TTL).
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { CREDENTIALS, SPECIAL, startFakeConfluence } from "../fake-server/server.mjs";
import { front } from "../fake-server/faults.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { pkg: { type: "string" }, json: { type: "string" } } });
const PKG = resolve(args.pkg ?? join(HERE, "..", "..", "pkg"));
const { ConfluenceClient } = await import(join(PKG, "node", "index.mjs"));

const MENTIONS = 500;
const DISTINCT = 150;

function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fake = await startFakeConfluence({ port: 0, userCount: 300 });
const specials = new Set(Object.values(SPECIAL));
const people = fake.directory.users.filter((u) => !specials.has(u.accountId)).slice(0, DISTINCT).map((u) => u.accountId);
const rand = seeded(7);
// Every distinct user at least once, the rest drawn at random, in a shuffled order.
const mentions = [...people];
while (mentions.length < MENTIONS) mentions.push(people[Math.floor(rand() * people.length)]);
for (let i = mentions.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [mentions[i], mentions[j]] = [mentions[j], mentions[i]];
}

/** Requests and users returned by one render, from the front's log of 2xx answers. */
function tally(log, from) {
  const answered = log.slice(from).filter((r) => r.status === 200);
  const users = answered.reduce((n, r) => n + (r.path.endsWith("/user/bulk") ? r.ids.length : 1), 0);
  return { requests: log.length - from, users, points: log.length - from + users };
}

const rows = [];
for (const [label, options] of [
  ["plain getUser", {}],
  ["coalesce: true", { coalesce: true }],
  ["coalesce: true, cache: true", { coalesce: true, cache: true }],
]) {
  const f = await front(fake);
  try {
    const client = new ConfluenceClient({ baseUrl: f.url, auth: { type: "bearer", token: CREDENTIALS.oauthToken }, ...options });
    for (const view of ["first view", "second view"]) {
      const from = f.log.length;
      const got = await Promise.all(mentions.map((accountId) => client.getUser({ accountId })));
      if (got.some((u, i) => u.accountId !== mentions[i])) throw new Error(`${label}: a mention got the wrong user`);
      rows.push({ label, view, ...tally(f.log, from) });
    }
  } finally {
    await f.close();
  }
}
await fake.close();

const base = rows[0].points;
console.log(`\nPoints of a page render with ${MENTIONS} mentions of ${DISTINCT} distinct users (1 per request + 1 per user returned)\n`);
console.log("| # | client | view | requests | users returned | points | vs plain |");
console.log("|---|---|---|---|---|---|---|");
rows.forEach((r, i) => console.log(`| 8${"abcdef"[i]} | ${r.label} | ${r.view} | ${r.requests} | ${r.users} | ${r.points} | ${(r.points / base).toFixed(3)} |`));
if (args.json) writeFileSync(args.json, JSON.stringify({ mentions: MENTIONS, distinct: DISTINCT, rows }, null, 2));
