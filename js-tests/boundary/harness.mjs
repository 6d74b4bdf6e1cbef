// Shared by the boundary suites (issue 14): the built package loaded with a handle on its wasm instance
// (linear memory and the externref table), the fake Confluence on 127.0.0.1, and an in-memory `fetch` that
// answers every endpoint with a body the fake really served (recorded once at start-up), so most calls of the
// fuzz and the soak cost no socket.

import { join } from "node:path";

import { requireWithInstance } from "../bench/lib.mjs";
import { CREDENTIALS, PKG_DIR, SPECIAL, assertBuilt, startFakeConfluence } from "../helpers.mjs";

export { CREDENTIALS, SPECIAL };

export const BASIC = { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken };

/**
 * The package's Node build (what `import "confluence-users"` gives in Node) and a probe of its wasm
 * instance: linear memory bytes and externref-table slots. The glue exports neither, so
 * the bench's `requireWithInstance` keeps the instance the glue creates.
 */
export function loadPackage() {
  // BOUNDARY_PKG=DIR runs a suite against another build (e.g. main's, to see it catch the old defects).
  const dir = process.env.BOUNDARY_PKG ?? PKG_DIR;
  if (dir === PKG_DIR) assertBuilt();
  const { mod, instance } = requireWithInstance(join(dir, "node", "confluence_users.cjs"));
  const exports = instance?.exports ?? {};
  const memory = exports.memory;
  const table = Object.values(exports).find((v) => v instanceof WebAssembly.Table);
  if (!(memory instanceof WebAssembly.Memory) || !table) {
    throw new Error("could not reach the wasm memory and externref table of the package's instance");
  }
  // The table's length is its high-water mark; a freed slot is set back to null (wasm-bindgen's
  // __externref_table_dealloc), and the table grows with null slots. Every other slot is counted,
  // `undefined` included: a slot that wasm-bindgen's catch shims leaked holds `undefined` (see
  // src/wasm/js.rs). A few are fixed for the instance's life (0 and 1024 hold undefined, 1026 and
  // 1027 true and false), the same in every sample.
  const live = () => {
    let n = 0;
    for (let i = 0; i < table.length; i++) if (table.get(i) !== null) n++;
    return n;
  };
  return { mod, probe: () => ({ memory: memory.buffer.byteLength, table: table.length, live: live() }) };
}

/** Valid params of every method (the users exist in the fake's directory). */
export const VALID = {
  getUser: () => ({ accountId: SPECIAL.currentUser, expand: ["operations"] }),
  getAnonymousUser: () => ({ expand: ["operations"] }),
  getCurrentUser: () => ({}),
  getGroupMembershipsForUser: () => ({ accountId: SPECIAL.currentUser, start: 0, limit: 10 }),
  getBulkUserLookup: () => ({ accountIds: [SPECIAL.currentUser, SPECIAL.hiddenProfile] }),
  getPrivacyUnsafeUserEmail: () => ({ accountId: SPECIAL.currentUser }),
  getPrivacyUnsafeUserEmailBulk: () => ({ accountIds: [SPECIAL.currentUser, SPECIAL.hiddenProfile] }),
  getBulkUserMigration: () => ({ usernames: ["admin"] }),
};
export const METHODS = Object.keys(VALID);

/**
 * Starts the fake and records one real response per endpoint path, through a client whose `fetch` wraps
 * the global one. Returns the fake and `memFetch`, a fetch that answers from the recording at once.
 */
export async function startWithRecording(mod) {
  const fake = await startFakeConfluence({ port: 0 });
  const recorded = new Map();
  const recorder = new mod.ConfluenceClient({
    baseUrl: fake.url,
    auth: BASIC,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      const text = await response.text();
      recorded.set(new URL(url).pathname, { status: response.status, text });
      return { status: response.status, headers: response.headers, text: async () => text };
    },
  });
  for (const method of METHODS) await recorder[method](VALID[method]());
  recorder.free();
  const headers = { get: (name) => (name.toLowerCase() === "content-type" ? "application/json" : null) };
  const notFound = { status: 404, text: JSON.stringify({ statusCode: 404, message: "no such path" }) };
  const memFetch = (url) => {
    const queryAt = url.indexOf("?");
    const path = new URL(queryAt < 0 ? url : url.slice(0, queryAt), "http://127.0.0.1").pathname;
    const { status, text } = recorded.get(path) ?? notFound;
    return Promise.resolve({ status, headers, text: () => Promise.resolve(text) });
  };
  return { fake, memFetch, recorded };
}

/** A deterministic PRNG (mulberry32): the same seed gives the same inputs. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

/** `promise`, or "pending" if it has not settled within `ms`. */
export function within(promise, ms) {
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ status: "pending" }), ms);
  });
  const settled = promise.then(
    (value) => ({ status: "fulfilled", value }),
    (reason) => ({ status: "rejected", reason }),
  );
  return Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
}
