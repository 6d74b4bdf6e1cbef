// Contract test: the confluence-users package against Atlassian's own OpenAPI document, served by
// Stoplight Prism in dynamic mode (`prism mock -d`). See README.md in this folder.
//
// - Requests: prism validates every request against the document. A request that breaks it gets a
//   422 problem document, or (where the operation documents one) the spec's own 400/401 with an
//   `sl-violations` header. So every request the client sends must come back 200 with no
//   `sl-violations`. The query string is also read back and compared with the call's parameters.
// - Responses: prism generates a random body from the 200 schema for every request (personalSpace
//   graphs, `_links` values that are objects, negative and huge integers, unknown properties).
//   Every body must decode; a top-level `null` (User is `nullable`) may be refused with
//   `kind === "decode"`. Each body is also checked against the unmodified document with prism's
//   own response validator: refusing a spec-valid body fails the test (the body is printed and
//   saved); refusing a body that the validator says is out of spec is counted and reported.
// - What prism serves: generation-doc.mjs derives it from the byte-identical copy. Only the eight
//   200 schemas differ (inlined, cycles cut at the first re-entry with `null`); a test asserts that.
//   Served as is, the cyclic User/Space graph makes prism's generator take seconds to minutes per
//   body (and once exhaust a 4 GB heap), which no 60 s suite survives.
// - A request with no answer within CONTRACT_DEADLINE_MS is a generator stall: prism is restarted,
//   the round is counted as a stall (no body, so it says nothing about the client), and the suite
//   fails only if stalls leave an operation with too few bodies.
//
// Run: `node --test js-tests/contract/` (after `node pkg-template/build.mjs --no-opt`).
// Knobs: CONTRACT_ROUNDS (default 25 per operation), CONTRACT_SEED (request parameters come from a
// PRNG with this seed; printed in the summary), CONTRACT_DEADLINE_MS (default 10000),
// CONTRACT_VERBOSE=1 (print the summary on stdout too). Prism's bodies are random and cannot be
// replayed; refused bodies are written to a temp folder whose path is in the failure message.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { deriveGenerationDoc, withoutSuccessSchemas } from "./generation-doc.mjs";
import { atExit, prismPackage, startPrism } from "./prism.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const SPEC = join(HERE, "confluence-users.openapi.json");
const SHARED_SPEC = join(REPO, "..", "shared", "spec", "confluence-users.openapi.json");
const PKG_ENTRY = join(REPO, "pkg", "node", "index.mjs");

const ROUNDS = positiveInt("CONTRACT_ROUNDS", 25);
const DEADLINE_MS = positiveInt("CONTRACT_DEADLINE_MS", 10_000);
const VALIDATE_ALL = process.env.CONTRACT_VALIDATE === "all";
const SEED = process.env.CONTRACT_SEED ? Number(process.env.CONTRACT_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
/** An operation passes only with at least this many 200 bodies that were not stalls. */
const MIN_BODIES = Math.max(1, Math.ceil(ROUNDS * 0.6));

// Not "t": the client removes the token's text from every error message, so a one-letter token
// would turn each "t" of a failure message into "[REDACTED]".
const EMAIL = "a@example.com";
const API_TOKEN = "contract-test-api-token";
const BASIC = "Basic " + Buffer.from(`${EMAIL}:${API_TOKEN}`, "utf8").toString("base64");
const API = "/wiki/rest/api";
const INT32_MAX = 2 ** 31 - 1;

function positiveInt(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// The spec copy

// SHA-256 of ../shared/spec/confluence-users.openapi.json when it was copied here.
const SPEC_SHA256 = "11c7111d6f169dc286c61fadb679dd9e2f548832a68f001782660ffb433a4343";

test("the spec copy is byte-identical to ../shared/spec (its recorded hash; the folder too when it exists)", () => {
  const copy = readFileSync(SPEC);
  const doc = JSON.parse(copy.toString("utf8"));
  assert.match(doc.openapi, /^3\.0\./);
  assert.equal(Object.keys(doc.paths).filter((p) => p.startsWith(`${API}/user`)).length, 8);
  assert.equal(createHash("sha256").update(copy).digest("hex"), SPEC_SHA256, `${SPEC} was edited: copy ../shared/spec again (cp, not a re-serialisation)`);
  if (existsSync(SHARED_SPEC)) {
    const shared = readFileSync(SHARED_SPEC);
    assert.ok(copy.equals(shared), `${SPEC} differs from ${SHARED_SPEC}: copy it again (cp, not a re-serialisation) and record its hash`);
  }
});

const COPY_DOC = JSON.parse(readFileSync(SPEC, "utf8"));
const GENERATION = deriveGenerationDoc(COPY_DOC);

test("the document prism serves differs from the copy only in the 200 schemas, cut only into nullable schemas", () => {
  assert.deepEqual(withoutSuccessSchemas(GENERATION.doc), withoutSuccessSchemas(COPY_DOC));
  assert.ok(GENERATION.cuts.length > 0, "no cycle was cut: has the document changed?");
  const targets = new Set(GENERATION.cuts.map((c) => c.split(" -> ")[1]));
  for (const name of targets) assert.equal(COPY_DOC.components.schemas[name].nullable, true, name);
});

// ---------------------------------------------------------------------------------------------
// Parameters: valid by the spec, drawn from a seeded PRNG

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNT_IDS = [
  "5b10ac8d82e05b22cc7d4ef5",
  "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
  "384093:32b4d9w0-f6a5-3535-11a3-9c8c88d10192",
  "5b10a2844c20165700ede21g",
  "qm:odd &=#+%/?;é ü",
  "a",
  "712020:" + "x".repeat(60),
];
const LEGACY_NAMES = ["mia", "alana", "admin", "j.smith", "ü ser", "odd&key=1#x", "5b10ac8d82e05b22cc7d4ef5"];

// The spec's enums. The client's UserExpand/BulkExpand also have `details.personal` and
// `details.business` (from older versions of the document); this version's enum lacks them, so
// they are never sent to prism here (prism answers them with 422: see the request-validation test).
const USER_EXPAND = ["operations", "personalSpace", "isExternalCollaborator"];
const BULK_EXPAND = ["operations", "personalSpace"];
const ANON_EXPAND = ["operations"];

function makeGen(rng) {
  const int = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = (xs) => xs[int(0, xs.length - 1)];
  const subset = (xs) => xs.filter(() => rng() < 0.5).sort(() => rng() - 0.5);
  const distinct = (pool, n) => [...pool].sort(() => rng() - 0.5).slice(0, n);
  const many = (n, prefix) => Array.from({ length: n }, (_, k) => `${prefix}${k}-${int(0, 1e6)}`);
  // `expand`: absent, empty, every value, or a random subset (duplicates allowed: no uniqueItems).
  const expand = (i, values) => {
    if (i === 0) return [...values];
    if (i === 1) return undefined;
    const r = rng();
    if (r < 0.15) return undefined;
    if (r < 0.25) return [];
    const s = subset(values);
    if (s.length > 0 && rng() < 0.15) s.push(s[0]);
    return s;
  };
  // int32 with `minimum` lo: absent, the bounds, or anything in between.
  const int32 = (i, lo) => {
    if (i === 0) return lo;
    if (i === 1) return undefined;
    if (i === 2) return INT32_MAX;
    const r = rng();
    if (r < 0.2) return undefined;
    if (r < 0.5) return int(lo, 200);
    return int(lo, INT32_MAX);
  };
  const ids = (i) => {
    if (i === 3) return many(int(201, 260), "acct-"); // more than one request
    if (i === 4) return many(200, "acct-"); // exactly one full request
    return distinct(ACCOUNT_IDS, int(1, 4));
  };
  return {
    getUser: (i) => ({ accountId: i === 2 ? ACCOUNT_IDS[4] : pick(ACCOUNT_IDS), expand: expand(i, USER_EXPAND) }),
    getAnonymousUser: (i) => (i === 1 ? undefined : { expand: expand(i, ANON_EXPAND) }),
    getCurrentUser: (i) => (i === 1 ? undefined : { expand: expand(i, USER_EXPAND) }),
    getGroupMembershipsForUser: (i) => ({ accountId: pick(ACCOUNT_IDS), start: int32(i, 0), limit: int32(i + 1, 0) }),
    getBulkUserLookup: (i) => ({
      accountIds: ids(i),
      expand: expand(i, BULK_EXPAND),
      limit: i === 0 ? 1 : i === 2 ? 200 : rng() < 0.3 ? undefined : int(1, 200),
    }),
    getPrivacyUnsafeUserEmail: () => ({ accountId: pick(ACCOUNT_IDS) }),
    getPrivacyUnsafeUserEmailBulk: (i) => ({ accountIds: ids(i) }),
    getBulkUserMigration: (i) => {
      const names = distinct(LEGACY_NAMES, int(1, 4));
      const which = i % 2 === 0 ? { keys: names } : { usernames: names };
      // start and limit pick a window of the values; an empty one sends nothing, so the
      // window here always holds a value (limit still reaches int32's maximum).
      const start = i === 0 ? 0 : rng() < 0.3 ? undefined : int(0, names.length - 1);
      const limit = i === 1 ? undefined : i === 2 ? INT32_MAX : rng() < 0.3 ? undefined : int(1, INT32_MAX);
      return { ...which, start, limit };
    },
  };
}

// What the request's query must say, given the parameters (read back from the URL sent).
const unique = (xs) => [...new Set(xs)];
const setOf = (v) => (v == null ? [] : unique(v)).sort();
function checkQuery(op, params, url, chunkIds) {
  const u = new URL(url);
  const q = u.searchParams;
  const problems = [];
  const eq = (name, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${name}: sent ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };
  const intParam = (name) => eq(name, q.get(name), params?.[name] === undefined ? null : String(params[name]));
  const expandParam = () => {
    const sent = q.has("expand") ? q.get("expand").split(",") : [];
    eq("expand (as a set)", setOf(sent), setOf(params?.expand));
  };
  const allowed = {
    getUser: ["accountId", "expand"],
    getAnonymousUser: ["expand"],
    getCurrentUser: ["expand"],
    getGroupMembershipsForUser: ["accountId", "start", "limit"],
    getBulkUserLookup: ["accountId", "expand", "limit"],
    getPrivacyUnsafeUserEmail: ["accountId"],
    getPrivacyUnsafeUserEmailBulk: ["accountId"],
    getBulkUserMigration: ["key", "username", "start", "limit"],
  }[op];
  for (const k of q.keys()) if (!allowed.includes(k)) problems.push(`unexpected query parameter ${k}`);
  eq("path", u.pathname, API + OPS[op].path);
  switch (op) {
    case "getUser":
      eq("accountId", q.getAll("accountId"), [params.accountId]);
      expandParam();
      break;
    case "getAnonymousUser":
    case "getCurrentUser":
      expandParam();
      break;
    case "getGroupMembershipsForUser":
      eq("accountId", q.getAll("accountId"), [params.accountId]);
      intParam("start");
      intParam("limit");
      break;
    case "getBulkUserLookup":
      eq("accountId", q.getAll("accountId").length, 1);
      chunkIds.push(...(q.get("accountId") ?? "").split(","));
      expandParam();
      intParam("limit");
      break;
    case "getPrivacyUnsafeUserEmail":
      eq("accountId", q.getAll("accountId"), [params.accountId]);
      break;
    case "getPrivacyUnsafeUserEmailBulk":
      eq("accountId", q.getAll("accountId").length, 1);
      chunkIds.push(...(q.get("accountId") ?? "").split(","));
      break;
    case "getBulkUserMigration": {
      // The window of the distinct values, in one chunk (a handful of short values); the call
      // returns all of it, so no request carries a limit, and only a later page a start.
      const from = params.start ?? 0;
      const window = unique(params.keys ?? params.usernames).slice(from, params.limit === undefined ? undefined : from + params.limit);
      eq("key", q.getAll("key"), params.keys ? window : []);
      eq("username", q.getAll("username"), params.usernames ? window : []);
      eq("limit", q.get("limit"), null);
      if (q.has("start") && !/^[1-9]\d*$/.test(q.get("start"))) problems.push(`start: sent ${q.get("start")}, expected a later page's start`);
      break;
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Helpers for bodies

function jsonDepth(root) {
  let max = 0;
  const stack = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop();
    if (v && typeof v === "object") {
      if (d > max) max = d;
      for (const x of Object.values(v)) stack.push([x, d + 1]);
    }
  }
  return max;
}

function personalSpaces(op, body) {
  if (body == null || typeof body !== "object") return 0;
  if (op === "getUser" || op === "getCurrentUser") return body.personalSpace ? 1 : 0;
  if (op === "getBulkUserLookup") return (Array.isArray(body.results) ? body.results : []).filter((u) => u && u.personalSpace).length;
  return 0;
}

const OUT_DIR = join(tmpdir(), `confluence-users-contract-bodies-${process.pid}`); // kept: for the reader
function saveBody(name, text) {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, name);
  writeFileSync(file, text);
  return file;
}
const excerpt = (s, n = 3000) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

// ---------------------------------------------------------------------------------------------
// The operations

const OPS = {
  getUser: { path: "/user" },
  getAnonymousUser: { path: "/user/anonymous" },
  getCurrentUser: { path: "/user/current" },
  getGroupMembershipsForUser: { path: "/user/memberof" },
  getBulkUserLookup: { path: "/user/bulk" },
  getPrivacyUnsafeUserEmail: { path: "/user/email" },
  getPrivacyUnsafeUserEmailBulk: { path: "/user/email/bulk" },
  getBulkUserMigration: { path: "/user/bulk/migration" },
};

describe("contract: the client against prism -d serving the OpenAPI document", () => {
  let pkg; // { ConfluenceClient, isConfluenceError }
  let prism; // the running instance
  let client; // bound to prism
  let sink = null; // the exchanges of the call in progress
  const strays = []; // fetches outside any call (must stay empty)
  const startups = []; // { ms, reason }
  let staleSocketResends = 0;
  let validator; // (op, text) => { valid, violations }, against the unmodified copy
  let genDir; // temp folder holding the document prism serves
  let validatorMs = 0; // loading prism's validator and compiling the eight schemas
  let compileMs = 0;
  const stats = {};
  const t0 = performance.now();

  /**
   * Wraps the global fetch: records each exchange, reads a copy of the body, enforces the deadline.
   * A request that finds its keep-alive socket already closed by prism (prism drops idle sockets
   * after 5 s; this process can be busy longer than that, e.g. compiling the validator) is sent
   * once more on a fresh socket and counted: that is the harness's connection, not the client.
   */
  const recordingFetch = async (url, init) => {
    const ex = { url, method: init?.method, headers: { ...(init?.headers ?? {}) }, start: performance.now() };
    (sink ?? strays).push(ex);
    const deadline = AbortSignal.timeout(DEADLINE_MS);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    try {
      let res;
      try {
        res = await fetch(url, { ...init, signal });
      } catch (e) {
        if (e?.cause?.code !== "UND_ERR_SOCKET" || signal.aborted) throw e;
        staleSocketResends++;
        res = await fetch(url, { ...init, signal });
      }
      ex.text = await res.clone().text();
      ex.status = res.status;
      ex.violations = res.headers.get("sl-violations");
      ex.contentType = res.headers.get("content-type");
      ex.ms = performance.now() - ex.start;
      return res;
    } catch (e) {
      ex.error = e;
      ex.stalled = deadline.aborted;
      ex.ms = performance.now() - ex.start;
      throw e;
    }
  };

  async function launch(reason) {
    prism = await startPrism(join(genDir, "generation.openapi.json"));
    startups.push({ ms: prism.startupMs, reason });
    client?.free?.();
    client = new pkg.ConfluenceClient({
      baseUrl: prism.url,
      auth: { type: "basic", email: EMAIL, apiToken: API_TOKEN },
      retry: false, // one call = one request per chunk: a stall must not be retried into the next round
      fetch: recordingFetch,
    });
  }

  before(async () => {
    if (!existsSync(PKG_ENTRY)) {
      throw new Error(`pkg/ is not built (${PKG_ENTRY} is missing). Build it first: cd ${REPO} && node pkg-template/build.mjs --no-opt`);
    }
    pkg = await import(pathToFileURL(PKG_ENTRY).href);
    genDir = mkdtempSync(join(tmpdir(), "confluence-users-contract-"));
    const dir = genDir;
    atExit(() => rmSync(dir, { recursive: true, force: true })); // also when the run is interrupted
    writeFileSync(join(genDir, "generation.openapi.json"), JSON.stringify(GENERATION.doc));
    if (VALIDATE_ALL) [validator] = await Promise.all([loadValidator(), launch("start")]);
    else await launch("start");
  });

  /** Prism's own response validator (the one `prism proxy` uses), from the same install, on the unmodified copy. */
  async function loadValidator() {
    const t0v = performance.now();
    const { require } = prismPackage();
    const http = require("@stoplight/prism-http");
    const { validateOutput } = require("@stoplight/prism-http/dist/validator");
    const operations = await http.getHttpOperationsFromSpec(SPEC);
    const byPath = new Map(operations.map((o) => [o.path, o]));
    const validate = (op, text) => {
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        return { valid: false, violations: ["the body is not JSON"] };
      }
      const resource = byPath.get(API + OPS[op].path);
      const r = validateOutput({ resource, element: { statusCode: 200, headers: { "content-type": "application/json" }, body } });
      if (r._tag === "Right") return { valid: true, violations: [] };
      const errors = r.left.filter((d) => d.severity === 0 && d.path?.[0] === "body");
      return { valid: errors.length === 0, violations: errors.map((d) => `${d.path.slice(1).join(".") || "(root)"}: ${d.message}`) };
    };
    const t = performance.now();
    for (const op of Object.keys(OPS)) validate(op, "null"); // compile every schema now (seconds for the cyclic ones)
    validatorMs = Math.round(performance.now() - t0v);
    compileMs = Math.round(performance.now() - t);
    return validate;
  }

  /** The validator, loaded on first use (a few seconds) unless CONTRACT_VALIDATE=all loaded it up front. */
  async function verdictOf(op, text) {
    validator ??= await loadValidator();
    return validator(op, text);
  }

  after(async () => {
    await prism?.stop();
    client?.free?.();
    if (genDir) rmSync(genDir, { recursive: true, force: true });
    assert.ok(!prism || !prism.alive(), "prism is still running after stop()");
  });

  test("prism listens on 127.0.0.1 only", () => {
    assert.equal(prism.listening, prism.url, `prism's log says it listens on ${prism.listening}:\n${prism.log()}`);
  });

  test("prism validates requests, so the rounds' 'no violation' checks mean something", async () => {
    const get = async (path, headers = { authorization: BASIC }) => {
      const res = await fetch(prism.url + API + path, { headers });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    // Operations without a documented 400: prism's own 422 problem document.
    const cases = [
      ["/user", /required property 'accountid'/i],
      ["/user?accountId=a&expand=details.personal", /expand\.0 must be equal to one of the allowed values/],
      ["/user/anonymous?expand=personalSpace", /allowed values: operations/],
      ["/user/memberof?accountId=a&limit=-1", /limit must be >= 0/],
      ["/user/memberof?accountId=a&start=2147483648", /start must be <= 2147483647|int32/],
      ["/user/bulk?accountId=a&limit=201", /limit must be <= 200/],
      ["/user/bulk?accountId=a&limit=0", /limit must be >= 1/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      assert.equal(r.status, 422, `${path}: expected 422, got ${r.status} ${r.text}`);
      assert.match(r.headers.get("content-type"), /application\/problem\+json/);
      assert.match(r.text, message, path);
    }
    // Operations that document a 400 get that 400 (empty body) and the violation in a header.
    for (const path of ["/user/email", "/user/email/bulk", "/user/bulk/migration?start=-1"]) {
      const r = await get(path);
      assert.equal(r.status, 400, `${path}: ${r.status} ${r.text}`);
      assert.ok(r.headers.get("sl-violations"), `${path}: no sl-violations header`);
    }
    // basicAuth is checked: no or malformed credentials are a 401; ours pass.
    for (const headers of [{}, { authorization: "Basic !!!" }]) {
      const r = await get("/user/current", headers);
      assert.equal(r.status, 401, `${JSON.stringify(headers)}: ${r.status}`);
    }
    const ok = await get("/user/current");
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get("sl-violations"), null);
  });

  test("parameters outside the spec never reach the wire", async () => {
    const c = client;
    const before = strays.length;
    const refused = [
      () => c.getGroupMembershipsForUser({ accountId: "a", limit: -1 }),
      () => c.getGroupMembershipsForUser({ accountId: "a", start: INT32_MAX + 1 }),
      () => c.getBulkUserLookup({ accountIds: ["a"], limit: 0 }),
      () => c.getBulkUserLookup({ accountIds: ["a"], limit: 201 }),
      () => c.getBulkUserMigration({ keys: ["a"], start: -1 }),
      () => c.getBulkUserMigration({ keys: ["a"], usernames: ["b"] }),
      () => c.getBulkUserMigration({}),
      () => c.getUser({ accountId: "" }),
      () => c.getAnonymousUser({ expand: ["personalSpace"] }),
    ];
    for (const call of refused) {
      await assert.rejects(call(), (e) => pkg.isConfluenceError(e) && e.kind === "invalidArgument", String(call));
    }
    assert.equal(strays.length, before, `requests were sent: ${strays.slice(before).map((x) => x.url).join(", ")}`);
  });

  const gen = makeGen(mulberry32(SEED));
  for (const op of Object.keys(OPS)) {
    test(`${op}: ${ROUNDS} rounds, every request valid, every spec-valid 200 body decodes`, async (t) => {
      const s = (stats[op] = {
        calls: 0, requests: 0, validated: 0, resolved: 0, nullRefused: 0, refusedOutOfSpec: 0, acceptedOutOfSpec: 0, stalls: 0,
        personalSpaces: 0, maxDepth: 0, maxBytes: 0, ms: [], failures: [], notes: [],
      });
      for (let i = 0; i < ROUNDS; i++) await round(op, gen[op](i), s, i);
      const bodies = s.resolved + s.nullRefused + s.refusedOutOfSpec;
      t.diagnostic(summaryLine(op, s));
      for (const ex of s.notes) t.diagnostic(ex);
      if (s.failures.length) {
        assert.fail(`${op}: ${s.failures.length} failure(s) in ${s.calls} calls:\n\n${s.failures.slice(0, 5).join("\n\n")}`);
      }
      assert.ok(bodies >= MIN_BODIES, `${op}: only ${bodies} of ${ROUNDS} rounds produced a body (${s.stalls} generator stalls); need ${MIN_BODIES}`);
    });
  }

  async function round(op, params, s, i) {
    const exchanges = [];
    sink = exchanges;
    let error;
    try {
      await (params === undefined ? client[op]() : client[op](params));
    } catch (e) {
      error = e;
    } finally {
      sink = null;
    }
    s.calls++;
    s.requests += exchanges.length;
    const where = `round ${i}, params ${JSON.stringify(params)}`;

    // A stall (no answer within the deadline) or a prism crash: no body, restart prism.
    if (exchanges.some((x) => x.error) && (exchanges.some((x) => x.stalled) || !prism.alive())) {
      s.stalls++;
      const why = prism.alive() ? `no answer within ${DEADLINE_MS} ms` : `prism died (${JSON.stringify(prism.exitInfo())})`;
      s.notes.push(`stall: ${op} ${where}: ${why}; prism restarted`);
      await prism.stop({ force: true });
      await launch(`${op} stall`);
      return;
    }
    if (exchanges.length === 0) {
      s.failures.push(`${where}: no request was sent; the call ${error ? `rejected: ${error.kind} ${error.message}` : "resolved"}`);
      return;
    }

    // The request side.
    const ids = [];
    let requestOk = true;
    for (const x of exchanges) {
      if (x.error) {
        s.failures.push(`${where}: ${x.method} ${x.url}: fetch failed: ${x.error}`);
        requestOk = false;
        continue;
      }
      s.ms.push(x.ms);
      if (x.headers.Authorization !== BASIC && x.headers.authorization !== BASIC) {
        s.failures.push(`${where}: ${x.url}: Authorization header ${JSON.stringify(x.headers.Authorization ?? x.headers.authorization)} is not the Basic credentials`);
      }
      if (x.status === 500 && !x.violations) {
        s.failures.push(`${where}: prism itself failed (500) on a request it accepted: ${x.method} ${x.url}\n  ${excerpt(x.text, 1000)}`);
        requestOk = false;
        continue;
      }
      if (x.status !== 200 || x.violations) {
        let detail = x.violations ?? "";
        if (x.status === 422) {
          try {
            detail = JSON.parse(x.text).validation.map((v) => `${v.location.join(".")}: ${v.message}`).join("; ");
          } catch {
            detail = x.text;
          }
        }
        s.failures.push(`${where}: prism refused the request the client sent (the client broke the spec):\n  ${x.method} ${x.url}\n  ${x.status}: ${detail}`);
        requestOk = false;
      }
      for (const p of checkQuery(op, params, x.url, ids)) s.failures.push(`${where}: ${x.url}: ${p}`);
    }
    if (op === "getBulkUserLookup" || op === "getPrivacyUnsafeUserEmailBulk") {
      const want = unique(params.accountIds);
      if (JSON.stringify([...ids].sort()) !== JSON.stringify([...want].sort())) {
        s.failures.push(`${where}: the requests asked for ${ids.length} ids, not the ${want.length} distinct ids given (or some twice)`);
      }
    }
    if (!requestOk) return;

    // The response side. Bodies are checked with prism's validator (against the unmodified copy)
    // when the client refuses one, or always with CONTRACT_VALIDATE=all.
    for (const x of exchanges) {
      s.maxBytes = Math.max(s.maxBytes, x.text.length);
      try {
        const body = JSON.parse(x.text);
        s.maxDepth = Math.max(s.maxDepth, jsonDepth(body));
        s.personalSpaces += personalSpaces(op, body);
      } catch {}
    }
    const invalidOf = async () => {
      const verdicts = [];
      for (const x of exchanges) verdicts.push({ x, ...(await verdictOf(op, x.text)) });
      s.validated += verdicts.length;
      return verdicts.filter((v) => !v.valid);
    };
    if (!error) {
      s.resolved++;
      if (VALIDATE_ALL && (await invalidOf()).length) s.acceptedOutOfSpec++;
      return;
    }
    if (!pkg.isConfluenceError(error) || error.kind !== "decode") {
      s.failures.push(`${where}: unexpected rejection ${error?.kind ?? ""}: ${error?.message ?? error}`);
      return;
    }
    if (exchanges.length === 1 && exchanges[0].text.trim() === "null") {
      s.nullRefused++;
      return;
    }
    const invalid = await invalidOf();
    if (invalid.length) {
      s.refusedOutOfSpec++;
      if (s.notes.length < 3) {
        const file = saveBody(`${op}-round${i}-out-of-spec.json`, invalid[0].x.text);
        s.notes.push(
          `out-of-spec body refused: ${op} ${where}\n  client: ${error.message}\n  prism's validator: ${invalid[0].violations.slice(0, 3).join(" | ")}\n  body (${invalid[0].x.text.length} chars): ${file}`,
        );
      }
      return;
    }
    const text = exchanges.length === 1 ? exchanges[0].text : JSON.stringify(exchanges.map((x) => JSON.parse(x.text)));
    const file = saveBody(`${op}-round${i}-refused.json`, text);
    s.failures.push(
      `${where}: the client refused a body that prism's validator says is spec-valid\n  client: ${error.message}\n  body saved to ${file}\n  body: ${excerpt(text)}`,
    );
  }

  function summaryLine(op, s) {
    const ms = [...s.ms].sort((a, b) => a - b);
    const med = ms.length ? Math.round(ms[ms.length >> 1]) : 0;
    const max = ms.length ? Math.round(ms[ms.length - 1]) : 0;
    return (
      `${op}: ${s.calls} calls (${s.requests} requests), ${s.resolved} resolved, ${s.nullRefused} null refused, ` +
      `${s.refusedOutOfSpec} out-of-spec bodies refused, ` +
      (VALIDATE_ALL ? `${s.acceptedOutOfSpec} out-of-spec bodies accepted (${s.validated} validated), ` : "") +
      `${s.stalls} generator stalls, ${s.failures.length} failures | personalSpace graphs ${s.personalSpaces}, ` +
      `max depth ${s.maxDepth}, max body ${s.maxBytes} B, request ms median ${med} max ${max}`
    );
  }

  test("summary", (t) => {
    const lines = [
      `prism ${prismPackage().version}: ${prism.command}`,
      `prism startups (ms): ${startups.map((s) => `${s.ms} (${s.reason})`).join(", ")}`,
      `seed ${SEED} (CONTRACT_SEED), ${ROUNDS} rounds per operation, deadline ${DEADLINE_MS} ms per request`,
      `prism's validator: ${validator ? `loaded and compiled in ${validatorMs} ms (compile ${compileMs} ms)` : "not needed (no body was refused)"}; ${VALIDATE_ALL ? "every body validated" : "refused bodies only (CONTRACT_VALIDATE=all validates every body)"}`,
      `requests resent because prism had closed the idle keep-alive socket: ${staleSocketResends}`,
      `generation document: ${GENERATION.cuts.length} cycle re-entries cut to null (into ${[...new Set(GENERATION.cuts.map((c) => c.split(" -> ")[1]))].join(", ")})`,
      ...Object.entries(stats).map(([op, s]) => summaryLine(op, s)),
      `wall time so far ${Math.round(performance.now() - t0)} ms`,
    ];
    for (const l of lines) t.diagnostic(l);
    if (process.env.CONTRACT_VERBOSE) console.log(lines.join("\n"));
    assert.deepEqual(strays.map((x) => x.url), [], "fetches outside any call");
  });
});
