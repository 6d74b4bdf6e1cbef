// The npm package exactly as a user installs it: `npm pack` pkg/, `npm install` the tarball into a throwaway
// project, load `confluence-users` by name through `import` and through `require`, and call every method
// against the fake Confluence server (a real HTTP server on 127.0.0.1).
//
//   cd /work/main && node pkg-template/build.mjs --no-opt && node --test js-tests/
//
// Error kinds: errors.test.mjs. Credentials in errors: secrets.test.mjs.

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, sep } from "node:path";

import {
  BASIC_HEADER,
  BEARER_HEADER,
  CREDENTIALS,
  REPO,
  SPECIAL,
  expectConfluenceError,
  installPackage,
  loadBothWays,
  loadSecondCopy,
  recorded,
  startFakeConfluence,
} from "./helpers.mjs";

let inst;
let loaded;
let fake;

before(async () => {
  inst = installPackage("package-test");
  loaded = await loadBothWays(inst.consumer);
  fake = await startFakeConfluence({ port: 0 });
});

after(async () => {
  await fake?.close();
  inst?.cleanup();
});

beforeEach(() => fake?.reset());

const enc = encodeURIComponent;
const API = "/wiki/rest/api";


function assertRequest(rec, { path, rawQuery = "", auth = BASIC_HEADER }) {
  assert.equal(rec.method, "GET");
  assert.equal(rec.path, `${API}${path}`);
  assert.equal(rec.rawQuery, rawQuery);
  assert.equal(rec.headers.accept, "application/json");
  if (auth === null) assert.equal(rec.headers.authorization, undefined, "no Authorization header expected");
  else assert.equal(rec.headers.authorization, auth);
}

/** The JSON fields of `User` that come straight from the directory entry. */
function assertUserMatches(actual, dirUser) {
  assert.equal(actual.accountId, dirUser.accountId);
  assert.equal(actual.accountType, dirUser.accountType);
  assert.equal(actual.displayName, dirUser.displayName);
  assert.equal(actual.publicName, dirUser.publicName);
  assert.equal(actual.email, dirUser.email);
  assert.equal(actual.timeZone, dirUser.timeZone);
  assert.equal(actual.isExternalCollaborator, dirUser.isExternalCollaborator);
  assert.deepEqual(actual.profilePicture, dirUser.profilePicture);
}

// ------------------------------------------------------------------------------------------------------------
describe("installation", () => {
  test("the tarball installs offline and holds the wasm (the web file and the embedded copy)", () => {
    const pkgJson = JSON.parse(readFileSync(join(inst.installed, "package.json"), "utf8"));
    assert.equal(pkgJson.name, "confluence-users");
    const cargoVersion = /^version = "([^"]+)"/m.exec(readFileSync(join(REPO, "Cargo.toml"), "utf8"))[1];
    assert.equal(pkgJson.version, cargoVersion, "the package version is the crate's");
    for (const file of ["embedded/wasm.cjs", "web/confluence_users_bg.wasm", "index.js", "index.d.ts", "node/index.mjs", "node/index.d.mts", "node/confluence_users.cjs", "node/confluence_users.d.cts", "web/confluence_users.js", "web/confluence_users.d.ts"]) {
      assert.ok(readFileSync(join(inst.installed, file)).length > 0, `${file} is installed`);
    }
  });

  test("import resolves exports['.'].node.import and require resolves exports['.'].node.require", () => {
    const base = join(inst.consumer, "node_modules", "confluence-users") + sep;
    assert.equal(loaded.esmResolved, `${base}node${sep}index.mjs`);
    assert.equal(loaded.cjsResolved, `${base}node${sep}confluence_users.cjs`);
    assert.equal(loaded.esmWebResolved, `${base}web${sep}confluence_users.js`);
    assert.equal(loaded.require("confluence-users/package.json").name, "confluence-users");
  });

  test("both module systems export the API, and share one module instance", () => {
    for (const [label, mod] of [["esm", loaded.esm], ["cjs", loaded.cjs]]) {
      assert.equal(typeof mod.ConfluenceClient, "function", `${label}: ConfluenceClient`);
      assert.equal(typeof mod.isConfluenceError, "function", `${label}: isConfluenceError`);
    }
    // node/index.mjs re-exports the CommonJS build: one wasm instance for import and require.
    assert.equal(loaded.esm.ConfluenceClient, loaded.cjs.ConfluenceClient);
    assert.equal(loaded.esm.isConfluenceError, loaded.cjs.isConfluenceError);
  });

  test("a client from `import` and one from `require` both work side by side", async () => {
    const a = new loaded.esm.ConfluenceClient({ baseUrl: fake.url, auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken } });
    const b = new loaded.cjs.ConfluenceClient({ baseUrl: fake.url, auth: { type: "bearer", token: CREDENTIALS.oauthToken } });
    const [x, y] = await Promise.all([a.getCurrentUser(), b.getCurrentUser()]);
    assert.equal(x.accountId, SPECIAL.currentUser);
    assert.equal(y.accountId, SPECIAL.currentUser);
  });
});

// ------------------------------------------------------------------------------------------------------------
for (const system of ["esm", "cjs"]) {
  describe(`${system}: every method against the fake`, () => {
    const lib = () => (system === "esm" ? loaded.esm : loaded.cjs);
    const basic = () => new (lib().ConfluenceClient)({ baseUrl: fake.url, auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken } });
    const dir = () => fake.directory;

    test("getUser: a user's fields, GET /user?accountId= with basic auth and Accept: application/json", async () => {
      const { result, requests } = await recorded(fake, () => basic().getUser({ accountId: SPECIAL.currentUser }));
      assert.equal(requests.length, 1);
      assertRequest(requests[0], { path: "/user", rawQuery: `accountId=${SPECIAL.currentUser}` });
      assert.equal(requests[0].auth, "basic");
      assert.equal(result.type, "known");
      assertUserMatches(result, dir().user(SPECIAL.currentUser));
      assert.equal(result.displayName, "Mia Krystof");
      assert.equal(result.email, "admin@example.com");
      assert.equal(result.operations, undefined, "operations only with expand");
      assert.equal(typeof result._expandable.operations, "string");
    });

    test("getUser: expand is one parameter with a literal comma (expand=operations,personalSpace)", async () => {
      const { result, requests } = await recorded(fake, () => basic().getUser({ accountId: SPECIAL.currentUser, expand: ["operations", "personalSpace"] }));
      assertRequest(requests[0], { path: "/user", rawQuery: `accountId=${SPECIAL.currentUser}&expand=operations,personalSpace` });
      assert.deepEqual(
        result.operations.map((o) => o.operation),
        ["administer", "create_space", "use"],
      );
      assert.equal(result.personalSpace.key, `~${SPECIAL.currentUser}`);
      assert.equal(result.personalSpace.id, dir().user(SPECIAL.currentUser).personalSpace.id);
      assert.equal(result._expandable.operations, undefined);
    });

    test("getUser: all five expand values, details and isExternalCollaborator", async () => {
      const expand = ["operations", "details.personal", "details.business", "personalSpace", "isExternalCollaborator"];
      const { result, requests } = await recorded(fake, () => basic().getUser({ accountId: SPECIAL.externalCollaborator, expand }));
      assertRequest(requests[0], { path: "/user", rawQuery: `accountId=${SPECIAL.externalCollaborator}&expand=${expand.join(",")}` });
      assert.equal(result.isExternalCollaborator, true);
      assert.equal(result.externalCollaborator, true);
      assert.equal(result.personalSpace, null, "no personal space is null, not absent");
      assert.deepEqual(result.details.business, dir().user(SPECIAL.externalCollaborator).details.business);
      assert.equal(result.details.personal.email, "eve@partner.example.org");
    });

    test("getUser: the odd account id round-trips (percent-encoded: + & = # % / space é ? ü)", async () => {
      const { result, requests } = await recorded(fake, () => basic().getUser({ accountId: SPECIAL.oddAccountId }));
      assertRequest(requests[0], { path: "/user", rawQuery: `accountId=${enc(SPECIAL.oddAccountId)}` });
      assert.deepEqual(requests[0].query.accountId, [SPECIAL.oddAccountId]);
      assert.equal(result.accountId, SPECIAL.oddAccountId);
      assert.equal(result.accountType, "app");
      assert.equal(result.displayName, "Odd Encoding Bot");
    });

    test("getUser: a privacy-restricted profile (email \"\", timeZone null)", async () => {
      const user = await basic().getUser({ accountId: SPECIAL.hiddenProfile });
      assert.equal(user.email, "");
      assert.equal(user.timeZone, null);
      assert.equal(user.displayName, "quinn");
      assert.equal(user.publicName, "quinn");
    });

    test("getCurrentUser with a bearer token: Authorization: Bearer <token>", async () => {
      const client = new (lib().ConfluenceClient)({ baseUrl: fake.url, auth: { type: "bearer", token: CREDENTIALS.oauthToken } });
      const { result, requests } = await recorded(fake, () => client.getCurrentUser());
      assertRequest(requests[0], { path: "/user/current", rawQuery: "", auth: BEARER_HEADER });
      assert.equal(requests[0].auth, "bearer");
      assertUserMatches(result, dir().currentUser);
    });

    test("getCurrentUser with basic auth and expand", async () => {
      const { result, requests } = await recorded(fake, () => basic().getCurrentUser({ expand: ["personalSpace", "details.business"] }));
      assertRequest(requests[0], { path: "/user/current", rawQuery: "expand=personalSpace,details.business" });
      assert.equal(result.accountId, SPECIAL.currentUser);
      assert.equal(result.details.business.position, "Site Administrator");
      assert.equal(result.personalSpace.type, "personal");
    });

    test("getAnonymousUser: no params and no auth sends no Authorization header", async () => {
      const anon = new (lib().ConfluenceClient)({ baseUrl: fake.url });
      const { result, requests } = await recorded(fake, () => anon.getAnonymousUser());
      assert.equal(requests.length, 1);
      assertRequest(requests[0], { path: "/user/anonymous", rawQuery: "", auth: null });
      assert.equal(requests[0].auth, "none");
      assert.equal(result.type, "anonymous");
      assert.equal(result.displayName, "Anonymous");
      assert.equal(result.profilePicture.isDefault, true);
      assert.equal(result.operations, undefined);
    });

    test("getAnonymousUser with expand=operations and basic auth", async () => {
      const { result, requests } = await recorded(fake, () => basic().getAnonymousUser({ expand: ["operations"] }));
      assertRequest(requests[0], { path: "/user/anonymous", rawQuery: "expand=operations" });
      assert.deepEqual(result.operations, [{ operation: "use", targetType: "application" }]);
    });

    test("getGroupMembershipsForUser: paging with start/limit and _links.next (200 + 50 groups)", async () => {
      const client = basic();
      const all = dir().groupsOf(SPECIAL.manyGroups);
      assert.equal(all.length, SPECIAL.manyGroupsCount);

      const first = await recorded(fake, () => client.getGroupMembershipsForUser({ accountId: SPECIAL.manyGroups }));
      assertRequest(first.requests[0], { path: "/user/memberof", rawQuery: `accountId=${SPECIAL.manyGroups}` });
      assert.equal(first.result.start, 0);
      assert.equal(first.result.limit, 200);
      assert.equal(first.result.size, 200);
      assert.deepEqual(first.result.results.map((g) => g.name), all.slice(0, 200).map((g) => g.name));
      assert.deepEqual(first.result.results.map((g) => g.id), all.slice(0, 200).map((g) => g.id));
      assert.equal(first.result.results[0].type, "group");
      assert.equal(first.result._links.next, `/rest/api/user/memberof?accountId=${SPECIAL.manyGroups}&start=200&limit=200`);

      const second = await recorded(fake, () => client.getGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: first.result.start + first.result.size, limit: 200 }));
      assertRequest(second.requests[0], { path: "/user/memberof", rawQuery: `accountId=${SPECIAL.manyGroups}&start=200&limit=200` });
      assert.equal(second.result.start, 200);
      assert.equal(second.result.size, 50);
      assert.deepEqual(second.result.results.map((g) => g.name), all.slice(200).map((g) => g.name));
      assert.equal(second.result._links.next, undefined, "no next link on the last page");

      const small = await recorded(fake, () => client.getGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: 10, limit: 5 }));
      assertRequest(small.requests[0], { path: "/user/memberof", rawQuery: `accountId=${SPECIAL.manyGroups}&start=10&limit=5` });
      assert.deepEqual(small.result.results.map((g) => g.name), all.slice(10, 15).map((g) => g.name));
      assert.equal(small.result._links.next, `/rest/api/user/memberof?accountId=${SPECIAL.manyGroups}&start=15&limit=5`);

      const zero = await recorded(fake, () => client.getGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start: 0, limit: 0 }));
      assertRequest(zero.requests[0], { path: "/user/memberof", rawQuery: `accountId=${SPECIAL.manyGroups}&start=0&limit=0` });
      assert.deepEqual(zero.result.results, []);
    });

    test("getGroupMembershipsForUser: groups with & + spaces and accents, and the odd id", async () => {
      const { result, requests } = await recorded(fake, () => basic().getGroupMembershipsForUser({ accountId: SPECIAL.oddAccountId }));
      assertRequest(requests[0], { path: "/user/memberof", rawQuery: `accountId=${enc(SPECIAL.oddAccountId)}` });
      assert.deepEqual(result.results.map((g) => g.name), ["atlassian-addons-admin"]);
      const client = basic();
      const names = [];
      for (let start = 0, more = true; more; ) {
        const page = await client.getGroupMembershipsForUser({ accountId: SPECIAL.manyGroups, start, limit: 100 });
        names.push(...page.results.map((g) => g.name));
        start += page.size;
        more = Boolean(page._links.next);
      }
      assert.deepEqual(names, dir().groupsOf(SPECIAL.manyGroups).map((g) => g.name));
      for (const odd of ["R&D Berlin", "sales+marketing", "équipe-paris", "team 42 (ops)"]) assert.ok(names.includes(odd), odd);
    });

    test("getBulkUserLookup: ids comma-joined in ONE accountId parameter, expand and limit; unknown ids omitted", async () => {
      const ids = [SPECIAL.currentUser, SPECIAL.unknownAccountId, SPECIAL.oddAccountId, SPECIAL.hiddenProfile];
      const { result, requests } = await recorded(fake, () => basic().getBulkUserLookup({ accountIds: ids, expand: ["operations", "personalSpace"], limit: 10 }));
      assertRequest(requests[0], { path: "/user/bulk", rawQuery: `accountId=${ids.map(enc).join(",")}&expand=operations,personalSpace&limit=10` });
      assert.deepEqual(requests[0].query.accountId, [ids.join(",")]);
      assert.deepEqual(result.results.map((u) => u.accountId), [SPECIAL.currentUser, SPECIAL.oddAccountId, SPECIAL.hiddenProfile]);
      assert.equal(result.size, 3);
      assert.equal(result.limit, 10);
      for (const u of result.results) assertUserMatches(u, dir().user(u.accountId));
      assert.equal(result.results[0].personalSpace.key, `~${SPECIAL.currentUser}`);
      assert.equal(result.results[1].personalSpace, null);
      assert.ok(result.results[0].operations.some((o) => o.operation === "administer"));
    });

    test("getBulkUserLookup: exactly 200 ids is accepted and sent", async () => {
      const ids = dir().users.slice(0, 200).map((u) => u.accountId);
      const { result, requests } = await recorded(fake, () => basic().getBulkUserLookup({ accountIds: ids }));
      assert.equal(requests.length, 1);
      assert.equal(requests[0].query.accountId[0].split(",").length, 200);
      assert.equal(result.results.length, 200);
      assert.deepEqual(result.results.map((u) => u.accountId), ids);
    });

    test("getPrivacyUnsafeUserEmail: the real address of a privacy-restricted user", async () => {
      const { result, requests } = await recorded(fake, () => basic().getPrivacyUnsafeUserEmail({ accountId: SPECIAL.hiddenProfile }));
      assertRequest(requests[0], { path: "/user/email", rawQuery: `accountId=${SPECIAL.hiddenProfile}` });
      assert.deepEqual(result, { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail });
    });

    test("getPrivacyUnsafeUserEmailBulk: comma-joined ids, unknown ids omitted", async () => {
      const ids = [SPECIAL.hiddenProfile, SPECIAL.unknownAccountId, SPECIAL.appUser, SPECIAL.oddAccountId];
      const { result, requests } = await recorded(fake, () => basic().getPrivacyUnsafeUserEmailBulk({ accountIds: ids }));
      assertRequest(requests[0], { path: "/user/email/bulk", rawQuery: `accountId=${ids.map(enc).join(",")}` });
      assert.deepEqual(result, [
        { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail },
        { accountId: SPECIAL.appUser, email: dir().user(SPECIAL.appUser).unsafeEmail },
        { accountId: SPECIAL.oddAccountId, email: "odd-encoding-bot@connect.atlassian.com" },
      ]);
    });

    test("getBulkUserMigration by keys: repeated key=a&key=b, results in order, unknown key → accountId null", async () => {
      const admin = dir().currentUser;
      const odd = dir().user(SPECIAL.oddAccountId);
      const keys = [admin.userKey, "nosuchkey", odd.userKey];
      const { result, requests } = await recorded(fake, () => basic().getBulkUserMigration({ keys }));
      assertRequest(requests[0], { path: "/user/bulk/migration", rawQuery: keys.map((k) => `key=${k}`).join("&") });
      assert.deepEqual(result.results, [
        { username: "admin", key: admin.userKey, accountId: SPECIAL.currentUser },
        { username: null, key: "nosuchkey", accountId: null },
        { username: SPECIAL.oddUsername, key: odd.userKey, accountId: SPECIAL.oddAccountId },
      ]);
      assert.equal(result.start, 0);
      assert.equal(result.size, 3);
    });

    test("getBulkUserMigration by usernames: the odd username round-trips; start/limit page", async () => {
      const usernames = [SPECIAL.oddUsername, "admin", "nosuchuser"];
      const { result, requests } = await recorded(fake, () => basic().getBulkUserMigration({ usernames }));
      assertRequest(requests[0], { path: "/user/bulk/migration", rawQuery: usernames.map((u) => `username=${enc(u)}`).join("&") });
      assert.deepEqual(requests[0].query.username, usernames);
      assert.deepEqual(result.results.map((r) => r.accountId), [SPECIAL.oddAccountId, SPECIAL.currentUser, null]);
      assert.equal(result.results[0].username, SPECIAL.oddUsername);

      assert.deepEqual(result.notFound, ["nosuchuser"]);

      // start/limit pick a window of the values: only those are asked for, and the result is whole.
      const page = await recorded(fake, () => basic().getBulkUserMigration({ usernames, start: 1, limit: 1 }));
      assertRequest(page.requests[0], { path: "/user/bulk/migration", rawQuery: "username=admin" });
      assert.deepEqual(page.result.results, [{ username: "admin", key: dir().currentUser.userKey, accountId: SPECIAL.currentUser }]);
      assert.equal(page.result.start, 1);
      assert.equal(page.result.limit, 1);
      assert.equal(page.result._links.next, undefined);
      assert.deepEqual(page.result.notFound, []);
    });

    test("a baseUrl ending in /wiki or with a trailing slash still reaches /wiki/rest/api", async () => {
      for (const baseUrl of [`${fake.url}/`, `${fake.url}/wiki`, `${fake.url}/wiki/rest/api`, fake.url.replace("127.0.0.1", "localhost")]) {
        const client = new (lib().ConfluenceClient)({ baseUrl, auth: { type: "bearer", token: CREDENTIALS.oauthToken } });
        const { result, requests } = await recorded(fake, () => client.getCurrentUser());
        assertRequest(requests[0], { path: "/user/current", auth: BEARER_HEADER });
        assert.equal(result.accountId, SPECIAL.currentUser, baseUrl);
      }
    });

    // --------------------------------------------------------------------------------------------------------
    test("custom fetch: receives (url, init) with method and headers; its response is used", async () => {
      const calls = [];
      const client = new (lib().ConfluenceClient)({
        baseUrl: fake.url,
        auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken },
        fetch: (url, init) => {
          calls.push({ url, init });
          return globalThis.fetch(url, init);
        },
      });
      const { result, requests } = await recorded(fake, () => client.getUser({ accountId: SPECIAL.oddAccountId, expand: ["operations"] }));
      assert.equal(calls.length, 1);
      assert.equal(calls[0].url, `${fake.url}${API}/user?accountId=${enc(SPECIAL.oddAccountId)}&expand=operations`);
      assert.equal(calls[0].init.method, "GET");
      assert.deepEqual(
        Object.fromEntries(Object.entries(calls[0].init.headers).map(([k, v]) => [k.toLowerCase(), v])),
        { accept: "application/json", authorization: BASIC_HEADER },
      );
      assert.equal(requests.length, 1, "the request went through the user's fetch to the fake");
      assert.equal(result.accountId, SPECIAL.oddAccountId);
      assert.deepEqual(result.operations, [{ operation: "use", targetType: "application" }]);
    });

    test("custom fetch: a minimal ResponseLike {status, text} without headers works", async () => {
      const seen = [];
      const client = new (lib().ConfluenceClient)({
        baseUrl: fake.url,
        auth: { type: "bearer", token: CREDENTIALS.oauthToken },
        fetch: async (url, init) => {
          seen.push(url);
          const res = await globalThis.fetch(url, init);
          const body = await res.text();
          return { status: res.status, text: () => Promise.resolve(body) };
        },
      });
      const me = await client.getCurrentUser();
      assert.equal(me.accountId, SPECIAL.currentUser);
      const page = await client.getBulkUserMigration({ usernames: ["admin"] });
      assert.equal(page.results[0].accountId, SPECIAL.currentUser);
      assert.equal(seen.length, 2);
      await expectConfluenceError(client.getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http", status: 404 });
    });

    test("without baseUrl requests are relative paths (for host bridges)", async () => {
      const urls = [];
      const client = new (lib().ConfluenceClient)({
        fetch: async (url, init) => {
          urls.push([url, init.headers]);
          return globalThis.fetch(new URL(url, fake.url), init);
        },
      });
      const anon = await client.getAnonymousUser();
      assert.equal(anon.displayName, "Anonymous");
      assert.equal(urls[0][0], "/wiki/rest/api/user/anonymous");
      assert.ok(!Object.keys(urls[0][1]).some((k) => k.toLowerCase() === "authorization"));
    });

    // --------------------------------------------------------------------------------------------------------
    test("isConfluenceError: true for thrown errors, false for anything else", async () => {
      const { ConfluenceClient, isConfluenceError } = lib();
      const e1 = await expectConfluenceError(basic().getUser({ accountId: "" }), { kind: "invalidArgument" });
      const e2 = await expectConfluenceError(basic().getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http" });
      const e3 = await expectConfluenceError(() => new ConfluenceClient({ baseUrl: "ftp://x" }), { kind: "invalidArgument" });
      for (const e of [e1, e2, e3]) assert.equal(isConfluenceError(e), true, e.message);
      for (const v of [new Error("x"), new TypeError("x"), Object.assign(new Error("x"), { name: "Error", kind: "http" }), {}, { name: "ConfluenceError" }, null, undefined, "ConfluenceError", 0, [], () => {}]) {
        assert.equal(isConfluenceError(v), false, String(v));
      }
    });

    test("isConfluenceError works across two copies of the package", async () => {
      const copy = loadSecondCopy(inst.installed, inst.root);
      assert.notEqual(copy.resolved, loaded.cjsResolved);
      assert.notEqual(copy.module.ConfluenceClient, lib().ConfluenceClient, "really a second module instance");
      const other = new copy.module.ConfluenceClient({ baseUrl: fake.url, auth: { type: "bearer", token: CREDENTIALS.oauthToken } });
      assert.equal((await other.getCurrentUser()).accountId, SPECIAL.currentUser);
      const fromCopy = await expectConfluenceError(other.getUser({ accountId: SPECIAL.unknownAccountId }), { kind: "http", status: 404 });
      const fromThis = await expectConfluenceError(basic().getUser({ accountId: "" }), { kind: "invalidArgument" });
      assert.equal(lib().isConfluenceError(fromCopy), true);
      assert.equal(copy.module.isConfluenceError(fromThis), true);
      assert.equal(copy.module.isConfluenceError(new Error("plain")), false);
    });

    test("100 concurrent getUser calls on one client all resolve to the right users", async () => {
      const client = basic();
      const users = dir().users.slice(0, 100);
      fake.latencyMs = 20; // keep them in flight together
      try {
        const started = fake.requests.length;
        const results = await Promise.all(users.map((u) => client.getUser({ accountId: u.accountId })));
        assert.equal(fake.requests.length - started, 100);
        results.forEach((r, i) => assertUserMatches(r, users[i]));
      } finally {
        fake.latencyMs = 0;
      }
    });
  });
}
