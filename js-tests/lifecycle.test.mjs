// The client's lifecycle at its edges: a client without baseUrl where nothing can resolve
// relative paths is refused at construction; a request the runtime cannot send is not retried;
// after free() or [Symbol.dispose]() every call fails with a ConfluenceError, on every class
// that has free(), in every entry (ESM, CommonJS, the web build).
//
// Build the package first: node pkg-template/build.mjs --no-opt

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { CREDENTIALS, SPECIAL, expectConfluenceError, installPackage, loadBothWays, startFakeConfluence } from "./helpers.mjs";
import { spawn } from "node:child_process";
import { getEventListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import * as F from "./fake-server/faults.mjs";
import * as kit from "./kit.mjs";

let inst;
let loaded;
let fake;

before(async () => {
  inst = installPackage("lifecycle");
  loaded = await loadBothWays(inst.consumer);
  fake = await startFakeConfluence({ port: 0 });
});
after(async () => {
  await fake?.close();
  inst?.cleanup();
});

const auth = { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken };

for (const way of ["esm", "cjs"]) {
  const lib = () => loaded[way];

  describe(`${way}: no baseUrl outside a host bridge`, () => {
    test("the global fetch cannot send relative paths: refused at construction, with the fix", () => {
      for (const options of [{ auth }, {}, undefined]) {
        let thrown;
        try {
          new (lib().ConfluenceClient)(options);
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown, `constructed with ${JSON.stringify(options)}`);
        assert.equal(thrown.name, "ConfluenceError");
        assert.equal(thrown.kind, "invalidArgument");
        assert.equal(thrown.operation, "ConfluenceClient");
        assert.match(thrown.message, /baseUrl is missing/);
        assert.match(thrown.message, /pass baseUrl .*, or a fetch that resolves relative paths/);
        assert.equal(lib().isConfluenceError(thrown), true);
      }
    });

    test("relative paths stay allowed with a custom fetch (a host bridge) and with a page location", async () => {
      const urls = [];
      const bridge = async (url, init) => {
        urls.push(url);
        return fetch(fake.url + url, init);
      };
      const client = new (lib().ConfluenceClient)({ auth, fetch: bridge });
      const me = await client.getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      assert.deepEqual(urls, ["/wiki/rest/api/user/current"]);
      // A browser page or worker resolves relative paths against its location.
      globalThis.location = new URL(`${fake.url}/wiki/spaces/X`);
      try {
        assert.ok(new (lib().ConfluenceClient)({ auth }));
      } finally {
        delete globalThis.location;
      }
    });

    test("a request the runtime refuses (an unparsable URL) is not retried; a network failure is", async () => {
      let calls = 0;
      const unsendable = async (url) => {
        calls++;
        throw new TypeError(`Failed to parse URL from ${url}`, { cause: new TypeError("Invalid URL") });
      };
      const retry = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 2 };
      const c = new (lib().ConfluenceClient)({ auth, fetch: unsendable, retry });
      const e = await expectConfluenceError(c.getCurrentUser(), { kind: "network", attempts: 1 });
      assert.match(e.message, /Failed to parse URL from \/wiki\/rest\/api\/user\/current \(Invalid URL\)/);
      assert.equal(calls, 1);
      calls = 0;
      const down = async () => {
        calls++;
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
      };
      const d = new (lib().ConfluenceClient)({ baseUrl: fake.url, auth, fetch: down, retry });
      await expectConfluenceError(d.getCurrentUser(), { kind: "network", attempts: 4 });
      assert.equal(calls, 4);
    });
  });

  describe(`${way}: free() and Symbol.dispose`, () => {
    const client = () => new (lib().ConfluenceClient)({ baseUrl: fake.url, auth });

    /** Every method of the class's prototype, called on a freed object: a ConfluenceError each. */
    async function assertFreed(object, label) {
      const proto = Object.getPrototypeOf(object);
      const own = (n) => Object.getOwnPropertyDescriptor(proto, n);
      const names = Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor" && n !== "free" && !n.startsWith("__") && typeof own(n).value === "function");
      // Getters (`rateLimit`, `cache`: issue 11) throw the same error.
      for (const name of Object.getOwnPropertyNames(proto).filter((n) => typeof own(n).get === "function")) {
        assert.throws(() => object[name], (e) => e.name === "ConfluenceError" && e.kind === "invalidArgument" && /(client|iterator) was freed/.test(e.message) && lib().isConfluenceError(e), `${label}.${name}`);
      }
      assert.ok(names.length >= 2, `${label}: methods ${names}`);
      for (const name of names) {
        let result;
        let thrown;
        try {
          result = object[name]({ accountId: SPECIAL.currentUser, usernames: ["admin"], accountIds: [SPECIAL.currentUser] });
        } catch (e) {
          thrown = e;
        }
        if (name.startsWith("paginate")) {
          assert.ok(thrown, `${label}.${name} throws`);
        } else {
          assert.equal(thrown, undefined, `${label}.${name} rejects rather than throws`);
          assert.ok(result instanceof Promise, `${label}.${name} returns a promise`);
          thrown = await result.then(
            () => assert.fail(`${label}.${name} resolved`),
            (e) => e,
          );
        }
        assert.equal(thrown.name, "ConfluenceError", `${label}.${name}: ${thrown}`);
        assert.equal(thrown.kind, "invalidArgument");
        assert.equal(thrown.status, 0);
        assert.equal(thrown.attempts, 0);
        assert.match(thrown.message, /(client|iterator) was freed/);
        assert.equal(lib().isConfluenceError(thrown), true);
      }
    }

    test("after client.free(), every method fails with a ConfluenceError; a second free() does nothing", async () => {
      const c = client();
      const pages = c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups });
      c.free();
      c.free();
      await assertFreed(c, "client");
      const e = await c.getUser({ accountId: "x" }).catch((err) => err);
      assert.equal(e.message, "getUser: invalid argument: client was freed (free() or [Symbol.dispose]() was called on it); create a new one");
      assert.equal(e.operation, "getUser");
      assert.throws(() => c.paginateBulkUserMigration({ usernames: ["admin"] }), { name: "ConfluenceError", operation: "getBulkUserMigration" });
      // An iterator made before keeps working: it holds what it needs.
      const first = await pages.next();
      assert.equal(first.done, false);
      assert.equal(fake.requests.at(-1).path, "/wiki/rest/api/user/memberof");
    });

    test("Symbol.dispose frees the same way", async () => {
      assert.equal(typeof Symbol.dispose, "symbol", "this Node has Symbol.dispose");
      const c = client();
      c[Symbol.dispose]();
      await assertFreed(c, "disposed client");
      c.free();
    });

    test("the iterators' free() and Symbol.dispose: next() and return() reject", async () => {
      const c = client();
      const groups = c.paginateGroupMembershipsForUser({ accountId: SPECIAL.manyGroups });
      const users = c.paginateBulkUserMigration({ usernames: ["admin"] });
      groups.free();
      users[Symbol.dispose]();
      await assertFreed(groups, "GroupMembershipPages");
      await assertFreed(users, "MigratedUserPages");
      const e = await groups.next().catch((err) => err);
      assert.equal(e.operation, "getGroupMembershipsForUser");
      const u = await users.next().catch((err) => err);
      assert.equal(u.operation, "getBulkUserMigration");
      // The client is untouched.
      assert.equal((await c.getCurrentUser()).accountId, SPECIAL.currentUser);
    });

    test("a freed-object error has the same properties, in the same order, as one the client builds", async () => {
      const c = client();
      const made = await c.getUser({}).catch((e) => e);
      c.free();
      const freed = await c.getUser({}).catch((e) => e);
      assert.deepEqual(Object.keys(freed), Object.keys(made));
      for (const key of ["kind", "status", "method", "url", "attempts", "body", "retryAfterMs", "requestId"]) {
        assert.deepEqual(freed[key], made[key], key);
      }
    });
  });
}

test("web build: the guard is in the browser entry too", async () => {
  const web = join(inst.installed, "web", "confluence_users.js");
  const mod = await import(pathToFileURL(web).href);
  mod.initSync({ module: readFileSync(join(inst.installed, "web", "confluence_users_bg.wasm")) });
  const c = new mod.ConfluenceClient({ baseUrl: fake.url, auth });
  assert.equal((await c.getCurrentUser()).accountId, SPECIAL.currentUser);
  c.free();
  await expectConfluenceError(c.getCurrentUser(), { kind: "invalidArgument", attempts: 0, message: /client was freed/ });
  assert.throws(() => c.paginateGroupMembershipsForUser({ accountId: "x" }), { name: "ConfluenceError" });
});

// ---------------------------------------------------------------------------------------------------------
// Resources: nothing outlives a call (no abort listener left on the caller's signal, no timer keeping a
// Node process alive). Against the built package (pkg/), each test on a fresh fake (./kit.mjs).
{
  const { fake, ftest, TIMINGS, client, someUser } = kit;

  describe("resources: nothing outlives a call", () => {
    ftest("a signal shared by many calls (successes, retries, timeouts) keeps no abort listener afterwards", async () => {
      const c = client({ timeout: 400 });
      const ac = new AbortController();
      for (let i = 0; i < 10; i++) await c.getUser({ accountId: someUser(i).accountId }, { signal: ac.signal });
      // 503, 503, a hang (timed out), then the real answer: three backoff sleeps and four attempts.
      fake.enqueue(...F.storm503(2), F.hang());
      await c.getCurrentUser(undefined, { signal: ac.signal });
      fake.enqueue(F.status(404));
      await c.getCurrentUser(undefined, { signal: ac.signal }).catch(() => {});
      assert.equal(fake.requests.length, 10 + 4 + 1);
      assert.equal(getEventListeners(ac.signal, "abort").length, 0, "abort listeners left on the caller's signal");
    });

    ftest("a Node process exits promptly after its calls: no 30 s attempt timer or backoff timer keeps it alive", async () => {
      // The child: a call answered by a 503 with Retry-After: 20 (the backoff sleep is aborted after 300 ms),
      // then a successful call (default 30 s timeout armed for the attempt), then it returns from its module.
      const pkg = new URL("../pkg/node/index.mjs", import.meta.url).href;
      const script = `
        import { ConfluenceClient } from ${JSON.stringify(pkg)};
        const [url, token] = process.argv.slice(1);
        const c = new ConfluenceClient({ baseUrl: url, auth: { type: "bearer", token }, retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 30000 } });
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 300);
        const first = await c.getCurrentUser(undefined, { signal: ac.signal }).then(() => "resolved", (e) => e.kind);
        // A second client: the first stays paused for the 20 s of Retry-After (issue 11).
        const c2 = new ConfluenceClient({ baseUrl: url, auth: { type: "bearer", token } });
        const second = await c2.getCurrentUser().then((u) => u.accountId, (e) => e.kind);
        process.stdout.write(JSON.stringify({ first, second, at: Date.now() }) + "\\n");
      `;
      fake.enqueue(F.unavailable503({ retryAfter: 20 }));
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, fake.url, CREDENTIALS.oauthToken], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await new Promise((r) => child.on("exit", (c) => r(c)));
      const exitedAt = Date.now();
      clearTimeout(killer);
      assert.ok(out.trim(), `the child printed nothing (exit ${code}): ${err}`);
      const report = JSON.parse(out.trim());
      TIMINGS.push({ case: "child process: exit after its last call", outcome: `exit ${code}`, kind: report.first, status: "", attempts: "", requests: fake.requests.length, ms: exitedAt - report.at });
      assert.equal(report.first, "aborted");
      assert.equal(report.second, SPECIAL.currentUser);
      assert.equal(code, 0, err);
      assert.ok(exitedAt - report.at < 2000, `the child lingered ${exitedAt - report.at} ms after its last call (a timer keeps the event loop alive)`);
    });
  });
}
