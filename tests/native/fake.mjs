// The project's fake Confluence (js-tests/fake-server), driven over stdin/stdout by the native
// client's tests (tests/native/fake.rs): the same server and fault handlers the JS suites use.
//
//   node tests/native/fake.mjs '{"userCount":300}'
//
// Prints one line `{"url":"http://127.0.0.1:PORT","credentials":…,"special":…,"accountIds":[…],
// "usernames":[…],"userKeys":[…],"legacyUsernames":[…]}` (server.mjs's CREDENTIALS and SPECIAL, the directory's users), then answers each JSON line on stdin with one
// JSON line on stdout:
//   {"op":"enqueue","items":[ITEM,...]}  queue answers; ITEM is a canned {status,headers,body} or
//                                        {"fault":NAME,...} (reset, hang, resetMidBody, drip, dripRaw, raw,
//                                        closeDelimited; their options as in faults.mjs; pass: the
//                                        answer of a twin fake with the same directory)
//   {"op":"requests"}                    the recorded requests (path, rawQuery, query, auth, time)
//   {"op":"hits"}                        per fault handler queued: [{closed}] for each request it answered
//   {"op":"flight"}                      the most requests that were in flight at once
//   {"op":"latency","ms":N}              delay every normal answer by N ms
//   {"op":"reset"}                       forget recorded requests, queued answers and the flight count
// It exits when stdin closes (the test process ended, however it ended), and after a hard
// lifetime of LIFETIME_MS whatever happens, so no test run can leave it behind.
import http from "node:http";
import readline from "node:readline";

import * as faults from "../../js-tests/fake-server/faults.mjs";
import { CREDENTIALS, SPECIAL, startFakeConfluence } from "../../js-tests/fake-server/server.mjs";

const LIFETIME_MS = 10 * 60 * 1000;

const options = JSON.parse(process.argv[2] ?? "{}");
const fake = await startFakeConfluence({ port: 0, ...options });

let inFlight = 0;
let maxInFlight = 0;
fake.server.on("request", (req, res) => {
  if (req.method === "OPTIONS") return;
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  res.once("close", () => inFlight--);
});

// A second fake with the same (deterministic) directory: `{"fault":"pass"}` forwards a request to it,
// so a canned failure can be queued behind real answers.
let twin;
function pass() {
  return faults.tracked(async (req, res) => {
    twin ??= await startFakeConfluence({ port: 0, ...options, latencyMs: 0 });
    const upstream = http.get(twin.url + req.url, { headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.socket?.destroy());
  });
}

function item(spec) {
  if (spec.fault === undefined) return spec;
  switch (spec.fault) {
    case "pass":
      return pass();
    case "reset":
      return faults.reset();
    case "hang":
      return faults.hang();
    case "resetMidBody":
      return faults.resetMidBody(spec.body, spec);
    case "drip":
      return faults.drip(spec.body, spec.ms, spec);
    case "dripRaw":
      return faults.dripRaw(spec.raw, spec.ms, spec);
    case "raw":
      return faults.raw(spec.status, spec.body, spec.headers ?? {});
    case "closeDelimited":
      return faults.closeDelimited(spec.status, spec.body, spec);
    default:
      throw new Error(`unknown fault ${spec.fault}`);
  }
}

// Every fault handler queued, in order, for {"op":"hits"}.
const handlers = [];

function handle(command) {
  switch (command.op) {
    case "enqueue": {
      const items = command.items.map(item);
      handlers.push(...items.filter((it) => typeof it === "function"));
      fake.enqueue(...items);
      return {};
    }
    case "hits":
      // For each fault handler queued (in order), each request it answered: whether the
      // connection has closed since (the client gave it up, or the handler closed it).
      return { hits: handlers.map((h) => h.hits.map((hit) => ({ closed: hit.closedAt !== undefined }))) };
    case "requests":
      return {
        requests: fake.requests.map((r) => ({
          path: r.path,
          rawQuery: r.rawQuery,
          query: r.query,
          auth: r.auth ?? null,
          time: r.time,
        })),
      };
    case "flight":
      return { max: maxInFlight };
    case "latency":
      fake.latencyMs = command.ms;
      return {};
    case "reset":
      fake.reset();
      handlers.length = 0;
      maxInFlight = 0;
      return {};
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

const stop = async (code) => {
  await Promise.all([fake.close(), twin?.close()]);
  process.exit(code);
};
setTimeout(() => stop(3), LIFETIME_MS).unref();

const users = fake.directory.users;
const ready = {
  url: fake.url,
  credentials: CREDENTIALS,
  special: SPECIAL,
  accountIds: users.map((u) => u.accountId),
  usernames: users.map((u) => u.username),
  userKeys: users.map((u) => u.userKey),
  legacyUsernames: (fake.directory.legacy ?? []).map((l) => l.username),
};
process.stdout.write(JSON.stringify(ready) + "\n");
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let reply;
  try {
    reply = { ok: true, ...handle(JSON.parse(line)) };
  } catch (e) {
    reply = { ok: false, error: String(e?.message ?? e) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
lines.on("close", () => stop(0));
