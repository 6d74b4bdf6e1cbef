// Tests for the fake Confluence server itself: node --test js-tests/fake-server/
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startFakeConfluence, CREDENTIALS, SPECIAL, parseQuery } from "./server.mjs";
import { buildDirectory } from "./directory.mjs";

const BASIC = "Basic " + Buffer.from(`${CREDENTIALS.email}:${CREDENTIALS.apiToken}`).toString("base64");
const BEARER = `Bearer ${CREDENTIALS.oauthToken}`;
const enc = encodeURIComponent;

let fake;
before(async () => {
  fake = await startFakeConfluence({ port: 0 });
});
after(async () => {
  await fake.close();
});

async function get(path, { auth = BASIC, headers = {}, method = "GET" } = {}) {
  const h = { ...headers };
  if (auth) h.Authorization = auth;
  const res = await fetch(`${fake.url}/wiki/rest/api${path}`, { method, headers: h });
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Raw request with an exact request-target (fetch would normalise some characters). */
function raw(target, { auth = BASIC, method = "GET" } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(fake.url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: target, method, headers: auth ? { Authorization: auth } : {}, agent: false },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (data += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data ? JSON.parse(data) : undefined }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function assertError(r, status, message) {
  assert.equal(r.status, status);
  assert.match(r.headers.get ? r.headers.get("content-type") : r.headers["content-type"], /^application\/json;charset=UTF-8$/);
  assert.equal(r.body.statusCode, status);
  assert.equal(r.body.data.successful, false);
  assert.equal(typeof r.body.data.authorized, "boolean");
  assert.equal(typeof r.body.data.valid, "boolean");
  assert.deepEqual(r.body.data.errors, [{ message: { translation: r.body.message, args: [] } }]);
  if (message instanceof RegExp) assert.match(r.body.message, message);
  else assert.equal(r.body.message, message);
}

describe("directory", () => {
  test("is deterministic, sized by userCount, and has the special users", () => {
    const a = buildDirectory({ userCount: 300 });
    const b = buildDirectory({ userCount: 300 });
    assert.deepEqual(a.users, b.users);
    assert.equal(a.users.length, 300);
    assert.equal(buildDirectory({ userCount: 50 }).users.length, 50);
    assert.equal(a.groups.length, 250);
    const hex = a.users.filter((u) => /^[0-9a-f]{24}$/.test(u.accountId));
    const apps = a.users.filter((u) => u.accountId.startsWith("557058:"));
    assert.equal(hex.length + apps.length, 300);
    assert.ok(hex.length > 250);
    assert.ok(apps.every((u) => u.accountType === "app"));
    assert.ok(hex.every((u) => u.accountType === "atlassian"));
    assert.ok(a.users.some((u) => u.email === "") && a.users.some((u) => u.timeZone === null));
    assert.ok(a.users.every((u) => /^ff8080817b0a3c2e017b0a3c[0-9a-f]{8}$/.test(u.userKey)));
    assert.equal(new Set(a.users.map((u) => u.accountId)).size, 300);
    assert.equal(new Set(a.users.map((u) => u.username)).size, 300);
    assert.equal(a.groupsOf(SPECIAL.manyGroups).length, 250);
    assert.equal(a.currentUser.accountId, SPECIAL.currentUser);
    assert.equal(a.user(SPECIAL.oddAccountId).accountType, "app");
    assert.equal(a.user(SPECIAL.unknownAccountId), undefined);
  });

  test("parseQuery decodes + as space and %XX as UTF-8, flags malformed input", () => {
    const p = parseQuery("a=x+y%2Bz&a=%C3%A9&b&=v");
    assert.deepEqual(p.query, { a: ["x y+z", "é"], b: [""], "": ["v"] });
    assert.equal(p.error, undefined);
    assert.match(parseQuery("a=%ZZ").error, /invalid percent-encoding/);
    assert.match(parseQuery("a=%C3%28").error, /invalid percent-encoding or UTF-8/);
    assert.match(parseQuery("a=b|c").error, /unescaped character '\|'/);
    assert.deepEqual(Object.keys(parseQuery("__proto__=1").query), ["__proto__"]);
  });
});

describe("server basics", () => {
  test("listens on 127.0.0.1 only", () => {
    assert.equal(fake.server.address().address, "127.0.0.1");
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("auth: 401 without or with wrong credentials, 200 with basic and bearer", async () => {
    const none = await get("/user/current", { auth: null });
    assertError(none, 401, "Client must be authenticated to access this resource.");
    assert.equal(none.body.data.authorized, false);
    assert.match(none.headers.get("www-authenticate"), /^OAuth realm=/);
    const wrongToken = "Basic " + Buffer.from(`${CREDENTIALS.email}:nope`).toString("base64");
    assertError(await get("/user/current", { auth: wrongToken }), 401, "Client must be authenticated to access this resource.");
    assertError(await get("/user/current", { auth: "Bearer nope" }), 401, "Client must be authenticated to access this resource.");
    assertError(await get("/user/current", { auth: `Token ${CREDENTIALS.oauthToken}` }), 401, /authenticated/);
    // base64url instead of base64, or missing padding, is rejected
    const b64url = "Basic " + Buffer.from(`${CREDENTIALS.email}:${CREDENTIALS.apiToken}`).toString("base64url");
    assert.equal((await get("/user/current", { auth: b64url })).status, 401);
    const basic = await get("/user/current", { auth: BASIC });
    assert.equal(basic.status, 200);
    assert.equal(basic.body.accountId, SPECIAL.currentUser);
    const bearer = await get("/user/current", { auth: BEARER });
    assert.equal(bearer.status, 200);
    assert.equal(bearer.body.email, CREDENTIALS.email);
    const lower = await get("/user/current", { auth: BEARER.replace("Bearer", "bearer") });
    assert.equal(lower.status, 200);
  });

  test("every response has atl-traceid and CORS headers; Origin is echoed", async () => {
    const r = await get("/user/current", { headers: { Origin: "http://localhost:5173" } });
    assert.equal(r.headers.get("access-control-allow-origin"), "http://localhost:5173");
    assert.match(r.headers.get("atl-traceid"), /^[0-9a-f]{16}$/);
    assert.match(r.headers.get("access-control-expose-headers"), /Retry-After.*X-RateLimit-Remaining.*atl-traceid/);
    const e = await get("/user?accountId=nobody");
    assert.equal(e.headers.get("access-control-allow-origin"), "*");
    assert.match(e.headers.get("atl-traceid"), /^[0-9a-f]{16}$/);
    assert.notEqual(e.headers.get("atl-traceid"), r.headers.get("atl-traceid"));
  });

  test("CORS preflight → 204 without auth, and does not consume queued responses", async () => {
    fake.reset();
    fake.enqueue({ status: 503, body: { statusCode: 503, message: "busy" } });
    const res = await fetch(`${fake.url}/wiki/rest/api/user/current`, {
      method: "OPTIONS",
      headers: { Origin: "http://example.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "http://example.test");
    assert.equal(res.headers.get("access-control-allow-methods"), "GET, OPTIONS");
    assert.equal(res.headers.get("access-control-allow-headers"), "Authorization, Accept, Content-Type");
    assert.equal(res.headers.get("access-control-max-age"), "600");
    assert.match(res.headers.get("atl-traceid"), /^[0-9a-f]{16}$/);
    assert.equal(fake.queued, 1);
    const next = await get("/user/current");
    assert.equal(next.status, 503);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0].method, "OPTIONS");
  });

  test("unknown path → 404, other methods → 405", async () => {
    assertError(await get("/user/nope"), 404, /^Could not find resource for relative : \/wiki\/rest\/api\/user\/nope/);
    assertError(await get("/user/"), 404, /Could not find resource/);
    const post = await get("/user/current", { method: "POST" });
    assertError(post, 405, "Method POST is not allowed for /wiki/rest/api/user/current; only GET is supported");
    assert.equal(post.headers.get("allow"), "GET, OPTIONS");
    assertError(await get("/user?accountId=x", { method: "DELETE" }), 405, /Method DELETE is not allowed/);
  });
});

describe("endpoints", () => {
  test("GET /user returns the directory user with links and _expandable", async () => {
    const u = fake.directory.users[10];
    const r = await get(`/user?accountId=${enc(u.accountId)}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json;charset=UTF-8");
    assert.deepEqual(r.body, {
      type: "known",
      accountId: u.accountId,
      accountType: u.accountType,
      email: u.email,
      publicName: u.publicName,
      profilePicture: { path: `/wiki/aa-avatar/${u.accountId}`, width: 48, height: 48, isDefault: u.profilePicture.isDefault },
      displayName: u.displayName,
      timeZone: u.timeZone,
      isExternalCollaborator: u.isExternalCollaborator,
      externalCollaborator: u.isExternalCollaborator,
      _expandable: {
        operations: `/rest/api/user?accountId=${u.accountId}&expand=operations`,
        details: `/rest/api/user?accountId=${u.accountId}&expand=details.personal,details.business`,
        personalSpace: `/rest/api/user?accountId=${u.accountId}&expand=personalSpace`,
      },
      _links: {
        self: `${fake.url}/wiki/rest/api/user?accountId=${u.accountId}`,
        base: `${fake.url}/wiki`,
        context: "/wiki",
      },
    });
  });

  test("GET /user expansions", async () => {
    const r = await get(`/user?accountId=${SPECIAL.currentUser}&expand=operations,personalSpace,isExternalCollaborator,details.personal,details.business`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.operations, [
      { operation: "administer", targetType: "application" },
      { operation: "create_space", targetType: "application" },
      { operation: "use", targetType: "application" },
    ]);
    assert.equal(r.body.isExternalCollaborator, false);
    assert.deepEqual(r.body.details, {
      business: { position: "Site Administrator", department: "IT", location: "Berlin" },
      personal: { phone: "", im: "", website: "", email: "admin@example.com" },
    });
    const s = r.body.personalSpace;
    assert.equal(s.key, `~${SPECIAL.currentUser}`);
    assert.equal(s.type, "personal");
    assert.equal(s.status, "current");
    assert.equal(s.name, "Mia Krystof");
    assert.equal(typeof s.id, "number");
    assert.deepEqual(s.description.plain, { value: "", representation: "plain", embeddedContent: [] });
    assert.equal(s.homepage.type, "page");
    assert.equal(s.homepage.title, "Mia Krystof Home");
    assert.deepEqual(Object.keys(s.icon).sort(), ["height", "isDefault", "path", "width"]);
    assert.deepEqual(r.body._expandable, {});

    const ext = await get(`/user?accountId=${SPECIAL.externalCollaborator}&expand=isExternalCollaborator,operations`);
    assert.equal(ext.body.isExternalCollaborator, true);
    assert.equal(ext.body.externalCollaborator, true);
    assert.deepEqual(ext.body.operations, [{ operation: "use", targetType: "application" }]);

    const app = await get(`/user?accountId=${enc(SPECIAL.appUser)}&expand=personalSpace`);
    assert.equal(app.body.accountType, "app");
    assert.equal(app.body.personalSpace, null);
    assert.equal(app.body.email, "");

    const hidden = await get(`/user?accountId=${SPECIAL.hiddenProfile}`);
    assert.equal(hidden.body.email, "");
    assert.equal(hidden.body.timeZone, null);
    assert.equal(hidden.body.displayName, hidden.body.publicName);
  });

  test("the odd accountId is reachable only when encoded properly", async () => {
    const ok1 = await get(`/user?accountId=${enc(SPECIAL.oddAccountId)}`);
    assert.equal(ok1.status, 200);
    assert.equal(ok1.body.accountId, SPECIAL.oddAccountId);
    // form encoding (space as +) is fine too
    const ok2 = await get(`/user?${new URLSearchParams({ accountId: SPECIAL.oddAccountId })}`);
    assert.equal(ok2.status, 200);
    assert.equal(ok2.body.publicName, "Odd Encoding Bot");
    // "+" left unencoded becomes a space
    const plus = await get(`/user?accountId=${enc(SPECIAL.oddAccountId).replace("%2B", "+")}`);
    assertError(plus, 404, "No user found with accountId: 557058:odd &=# %/ é?ü");
    // not encoded at all: & splits the query, # starts a fragment
    const naive = await get(`/user?accountId=${SPECIAL.oddAccountId}`);
    assertError(naive, 400, /^Unknown query parameter '' for \/wiki\/rest\/api\/user/);
    // encodeURI leaves & = # + unencoded
    const half = await get(`/user?accountId=${encodeURI(SPECIAL.oddAccountId)}`);
    assert.equal(half.status, 400);
    // a lone % is malformed
    const pct = await raw(`/wiki/rest/api/user?accountId=557058:odd%20%26%3D%23%2B%/%20%C3%A9?%C3%BC`);
    assertError({ ...pct, headers: { "content-type": pct.headers["content-type"] } }, 400, /^Malformed query string: invalid percent-encoding/);
  });

  test("GET /user/current and /user/anonymous", async () => {
    const cur = await get("/user/current?expand=operations");
    assert.equal(cur.status, 200);
    assert.equal(cur.body.accountId, SPECIAL.currentUser);
    assert.equal(cur.body.publicName, "Mia Krystof");
    assert.equal(cur.body.operations.length, 3);
    assert.equal(cur.body._expandable.personalSpace, "/rest/api/user/current?expand=personalSpace");
    assert.equal(cur.body._expandable.operations, undefined);

    for (const auth of [null, BASIC]) {
      const an = await get("/user/anonymous", { auth });
      assert.equal(an.status, 200);
      assert.deepEqual(an.body, {
        type: "anonymous",
        profilePicture: {
          path: "/wiki/s/-1783012367/6452/_/images/icons/profilepics/anonymous.svg",
          width: 48,
          height: 48,
          isDefault: true,
        },
        displayName: "Anonymous",
        isExternalCollaborator: false,
        _expandable: { operations: "/rest/api/user/anonymous?expand=operations" },
        _links: { self: `${fake.url}/wiki/rest/api/user/anonymous`, base: `${fake.url}/wiki`, context: "/wiki" },
      });
    }
    const anOps = await get("/user/anonymous?expand=operations", { auth: null });
    assert.deepEqual(anOps.body.operations, [{ operation: "use", targetType: "application" }]);
    assert.deepEqual(anOps.body._expandable, {});
    assertError(await get("/user/anonymous", { auth: "Bearer wrong" }), 401, /authenticated/);
  });

  test("GET /user/memberof pages 250 groups via start/limit and _links.next", async () => {
    const expected = fake.directory.groupsOf(SPECIAL.manyGroups);
    assert.equal(expected.length, 250);
    const p1 = await get(`/user/memberof?accountId=${SPECIAL.manyGroups}`);
    assert.equal(p1.status, 200);
    assert.equal(p1.body.start, 0);
    assert.equal(p1.body.limit, 200);
    assert.equal(p1.body.size, 200);
    assert.equal(p1.body.totalSize, undefined);
    assert.deepEqual(p1.body.results[0], {
      type: "group",
      name: expected[0].name,
      id: expected[0].id,
      _links: { self: `${fake.url}/wiki/rest/api/group/by-id?id=${expected[0].id}` },
    });
    assert.equal(p1.body._links.next, `/rest/api/user/memberof?accountId=${SPECIAL.manyGroups}&start=200&limit=200`);
    assert.equal(p1.body._links.base, `${fake.url}/wiki`);
    assert.equal(p1.body._links.context, "/wiki");
    const p2 = await get(p1.body._links.next.replace(/^\/rest\/api/, ""));
    assert.equal(p2.body.start, 200);
    assert.equal(p2.body.size, 50);
    assert.equal(p2.body._links.next, undefined);
    assert.deepEqual([...p1.body.results, ...p2.body.results].map((g) => g.name), expected.map((g) => g.name));

    // small pages, following next until exhausted
    const names = [];
    let path = `/user/memberof?accountId=${SPECIAL.manyGroups}&start=0&limit=60`;
    let pages = 0;
    while (path) {
      const r = await get(path);
      assert.equal(r.status, 200);
      assert.equal(r.body.limit, 60);
      names.push(...r.body.results.map((g) => g.name));
      pages++;
      path = r.body._links.next?.replace(/^\/rest\/api/, "");
    }
    assert.equal(pages, 5);
    assert.deepEqual(names, expected.map((g) => g.name));

    // limit above the system cap is reduced to 200
    const capped = await get(`/user/memberof?accountId=${SPECIAL.manyGroups}&start=10&limit=1000`);
    assert.equal(capped.body.limit, 200);
    assert.equal(capped.body.size, 200);
    assert.equal(capped.body.results[0].name, expected[10].name);
    assert.equal(capped.body._links.next, `/rest/api/user/memberof?accountId=${SPECIAL.manyGroups}&start=210&limit=200`);
    // past the end, and limit 0
    const past = await get(`/user/memberof?accountId=${SPECIAL.manyGroups}&start=300`);
    assert.deepEqual([past.body.size, past.body.results, past.body._links.next], [0, [], undefined]);
    const zero = await get(`/user/memberof?accountId=${SPECIAL.manyGroups}&limit=0`);
    assert.deepEqual([zero.body.limit, zero.body.size, zero.body._links.next], [0, 0, undefined]);
    // few / no groups
    const admin = await get(`/user/memberof?accountId=${SPECIAL.currentUser}`);
    assert.deepEqual(admin.body.results.map((g) => g.name), fake.directory.memberships.get(SPECIAL.currentUser));
    assert.ok(admin.body.results.some((g) => g.name === "confluence-administrators"));
    const ext = await get(`/user/memberof?accountId=${SPECIAL.externalCollaborator}`);
    assert.deepEqual([ext.body.size, ext.body.results], [0, []]);
    const odd = await get(`/user/memberof?accountId=${enc(SPECIAL.oddAccountId)}`);
    assert.deepEqual(odd.body.results.map((g) => g.name), ["atlassian-addons-admin"]);
    assertError(await get(`/user/memberof?accountId=${SPECIAL.unknownAccountId}`), 404, `No user found with accountId: ${SPECIAL.unknownAccountId}`);
  });

  test("GET /user/bulk", async () => {
    const users = fake.directory.users;
    const ids = [users[20].accountId, SPECIAL.unknownAccountId, SPECIAL.oddAccountId, users[7].accountId];
    const r = await get(`/user/bulk?accountId=${ids.map(enc).join(",")}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.start, 0);
    assert.equal(r.body.limit, 200);
    assert.equal(r.body.size, 3);
    assert.deepEqual(r.body.results.map((u) => u.accountId), [users[20].accountId, SPECIAL.oddAccountId, users[7].accountId]);
    assert.deepEqual(r.body._links, { base: `${fake.url}/wiki`, context: "/wiki" });
    const first = r.body.results[0];
    assert.equal(first.type, "known");
    assert.equal(first.displayName, users[20].displayName);
    assert.equal(first.externalCollaborator, undefined);
    assert.equal(typeof first.isExternalCollaborator, "boolean");
    assert.deepEqual(first._links, { self: `${fake.url}/wiki/rest/api/user?accountId=${users[20].accountId}` });
    // ids separated by %2C decode to the same single parameter
    const r2 = await get(`/user/bulk?accountId=${enc(ids.join(","))}&expand=operations,personalSpace&limit=2`);
    assert.equal(r2.body.limit, 2);
    assert.deepEqual(r2.body.results.map((u) => u.accountId), [users[20].accountId]);
    assert.ok(Array.isArray(r2.body.results[0].operations));
    assert.ok("personalSpace" in r2.body.results[0]);
    // at most 200 results
    const many = users.slice(0, 250).map((u) => enc(u.accountId)).join(",");
    const r3 = await get(`/user/bulk?accountId=${many}`);
    assert.equal(r3.body.size, 200);
    assert.equal(r3.body.results[199].accountId, users[199].accountId);
    // all unknown → empty
    const r4 = await get(`/user/bulk?accountId=${SPECIAL.unknownAccountId}`);
    assert.deepEqual([r4.status, r4.body.size, r4.body.results], [200, 0, []]);
    for (const bad of ["0", "201", "-1", "x"]) {
      const e = await get(`/user/bulk?accountId=${SPECIAL.currentUser}&limit=${bad}`);
      assert.equal(e.status, 400, `limit=${bad}`);
    }
    assertError(await get(`/user/bulk?accountId=${SPECIAL.currentUser}&limit=201`), 400, "Parameter 'limit' must be between 1 and 200, but was 201");
  });

  test("GET /user/email and /user/email/bulk return the unsafe (real) email", async () => {
    const r = await get(`/user/email?accountId=${SPECIAL.hiddenProfile}`);
    assert.deepEqual([r.status, r.body], [200, { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail }]);
    const odd = await get(`/user/email?accountId=${enc(SPECIAL.oddAccountId)}`);
    assert.deepEqual(odd.body, { accountId: SPECIAL.oddAccountId, email: "odd-encoding-bot@connect.atlassian.com" });
    assertError(await get(`/user/email?accountId=${SPECIAL.unknownAccountId}`), 404, `No user found with accountId: ${SPECIAL.unknownAccountId}`);
    const ids = [SPECIAL.currentUser, SPECIAL.unknownAccountId, SPECIAL.hiddenProfile];
    const b = await get(`/user/email/bulk?accountId=${ids.join(",")}`);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body, [
      { accountId: SPECIAL.currentUser, email: "admin@example.com" },
      { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail },
    ]);
    assertError(await get(`/user/email/bulk?accountId=a&accountId=b`), 400, /Parameter 'accountId' was given 2 times/);
  });

  test("GET /user/bulk/migration with keys and usernames", async () => {
    const d = fake.directory;
    const u1 = d.users[12];
    const u2 = d.users[30];
    const r = await get(`/user/bulk/migration?key=${u1.userKey}&key=nosuchkey&key=${u2.userKey}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.results, [
      { username: u1.username, key: u1.userKey, accountId: u1.accountId },
      { username: null, key: "nosuchkey", accountId: null },
      { username: u2.username, key: u2.userKey, accountId: u2.accountId },
    ]);
    assert.deepEqual([r.body.start, r.body.limit, r.body.size, r.body._links.next], [0, 200, 3, undefined]);

    const byName = await get(`/user/bulk/migration?username=${enc(SPECIAL.oddUsername)}&username=admin&username=ghost`);
    assert.deepEqual(byName.body.results, [
      { username: SPECIAL.oddUsername, key: "ff8080817b0a3c2e017b0a3c5f0c0002", accountId: SPECIAL.oddAccountId },
      { username: "admin", key: "ff8080817b0a3c2e017b0a3c5f0c0001", accountId: SPECIAL.currentUser },
      { username: "ghost", key: null, accountId: null },
    ]);
    // "+" unencoded in the username is a space → not found
    const plus = await get(`/user/bulk/migration?username=${enc(SPECIAL.oddUsername).replace("%2B", "+")}`);
    assert.deepEqual(plus.body.results, [{ username: "odd.bot 1 &=é", key: null, accountId: null }]);

    // paging
    const names = d.users.slice(0, 5).map((u) => u.username);
    const q = names.map((n) => `username=${enc(n)}`).join("&");
    const p1 = await get(`/user/bulk/migration?${q}&limit=2`);
    assert.deepEqual(p1.body.results.map((x) => x.username), names.slice(0, 2));
    assert.equal(p1.body._links.next, `/rest/api/user/bulk/migration?${q}&start=2&limit=2`);
    const p3 = await get(`/user/bulk/migration?${q}&start=4&limit=2`);
    assert.deepEqual([p3.body.size, p3.body._links.next], [1, undefined]);
    assert.equal(p3.body.results[0].accountId, d.users[4].accountId);

    assertError(await get(`/user/bulk/migration`), 400, "No user specified: provide one or more 'key' or 'username' parameters");
    assertError(await get(`/user/bulk/migration?start=0`), 400, "No user specified: provide one or more 'key' or 'username' parameters");
    assertError(await get(`/user/bulk/migration?key=a&username=b`), 400, "Parameters 'key' and 'username' cannot be combined: use one or the other");
  });
});

describe("strict request parsing (400s)", () => {
  const cases = [
    ["repeated accountId on /user", `/user?accountId=${SPECIAL.currentUser}&accountId=x`,
      "Parameter 'accountId' was given 2 times, but it takes a single value (several values are one comma-separated parameter): the request is wrongly encoded"],
    ["repeated accountId on /user/bulk", `/user/bulk?accountId=a&accountId=b&accountId=c`, /^Parameter 'accountId' was given 3 times/],
    ["repeated expand on /user/current", `/user/current?expand=operations&expand=personalSpace`, /^Parameter 'expand' was given 2 times.*wrongly encoded$/],
    ["repeated expand on /user/bulk", `/user/bulk?accountId=a&expand=operations&expand=personalSpace`, /^Parameter 'expand' was given 2 times/],
    ["repeated start", `/user/memberof?accountId=a&start=0&start=1`, /^Parameter 'start' was given 2 times, but it takes a single value: the request is wrongly encoded$/],
    ["unknown expand on /user", `/user?accountId=${SPECIAL.currentUser}&expand=groups`,
      "Invalid expand value 'groups' for /wiki/rest/api/user. Valid values: operations, details.personal, details.business, personalSpace, isExternalCollaborator (several values are one comma-separated parameter)"],
    ["encoded comma in expand", `/user/current?expand=operations%2Cfoo`, /^Invalid expand value 'foo'/],
    ["empty expand item", `/user/current?expand=operations,`, /^Invalid expand value ''/],
    ["anonymous expand personalSpace", `/user/anonymous?expand=personalSpace`, /^Invalid expand value 'personalSpace' for \/wiki\/rest\/api\/user\/anonymous\. Valid values: operations /],
    ["bulk expand isExternalCollaborator", `/user/bulk?accountId=a&expand=isExternalCollaborator`, /^Invalid expand value 'isExternalCollaborator' for \/wiki\/rest\/api\/user\/bulk/],
    ["start < 0", `/user/memberof?accountId=${SPECIAL.manyGroups}&start=-1`, "Parameter 'start' must be greater than or equal to 0, but was -1"],
    ["limit < 0", `/user/memberof?accountId=${SPECIAL.manyGroups}&limit=-5`, "Parameter 'limit' must be greater than or equal to 0, but was -5"],
    ["non-integer start", `/user/memberof?accountId=${SPECIAL.manyGroups}&start=1.5`, "Parameter 'start' must be an integer, but was '1.5'"],
    ["non-integer limit", `/user/bulk/migration?key=a&limit=ten`, "Parameter 'limit' must be an integer, but was 'ten'"],
    ["empty start", `/user/memberof?accountId=${SPECIAL.manyGroups}&start=`, "Parameter 'start' must be an integer, but was ''"],
    ["int32 overflow", `/user/memberof?accountId=${SPECIAL.manyGroups}&limit=3000000000`, "Parameter 'limit' is out of range for a 32-bit integer: '3000000000'"],
    ["unknown parameter", `/user?accountId=${SPECIAL.currentUser}&foo=bar`, "Unknown query parameter 'foo' for /wiki/rest/api/user. Accepted parameters: accountId, expand"],
    ["deprecated key on /user", `/user?key=ff8080817b0a3c2e017b0a3c5f0c0001`, /^Unknown query parameter 'key'/],
    ["param on /user/current", `/user/current?accountId=${SPECIAL.currentUser}`, "Unknown query parameter 'accountId' for /wiki/rest/api/user/current. Accepted parameters: expand"],
    ["missing accountId", `/user`, "Parameter 'accountId' is required and must not be empty"],
    ["empty accountId", `/user/email?accountId=`, "Parameter 'accountId' is required and must not be empty"],
    ["missing accountId memberof", `/user/memberof?start=0`, "Parameter 'accountId' is required and must not be empty"],
    ["only commas in bulk", `/user/bulk?accountId=,,`, "Parameter 'accountId' is required and must not be empty"],
    ["malformed %", `/user?accountId=%G1`, "Malformed query string: invalid percent-encoding or UTF-8 in the value of parameter 'accountId': '%G1'"],
    ["invalid UTF-8", `/user?accountId=%C3%28`, /^Malformed query string: invalid percent-encoding or UTF-8/],
    ["unescaped |", `/user?accountId=a|b`, /^Malformed query string: unescaped character '\|'/],
  ];
  for (const [name, path, message] of cases) {
    test(name, async () => {
      const r = await raw(`/wiki/rest/api${path}`);
      assertError({ ...r, headers: { "content-type": r.headers["content-type"] } }, 400, message);
      assert.equal(r.body.data.valid, false);
      assert.equal(r.body.data.authorized, true);
    });
  }

  test("401 wins over 400 when unauthenticated", async () => {
    const r = await raw(`/wiki/rest/api/user?foo=1`, { auth: null });
    assert.equal(r.status, 401);
  });
});

describe("recording and canned responses", () => {
  test("records every request with decoded query, raw query and lowercased headers", async () => {
    fake.reset();
    await get(`/user?accountId=${enc(SPECIAL.oddAccountId)}&expand=operations`, { headers: { "X-Test": "1" } });
    await get(`/user/bulk/migration?key=a+b&key=%C3%A9`);
    await get(`/user?x=1`, { auth: null });
    assert.equal(fake.requests.length, 3);
    const [a, b, c] = fake.requests;
    assert.equal(a.method, "GET");
    assert.equal(a.path, "/wiki/rest/api/user");
    assert.equal(a.rawQuery, `accountId=${enc(SPECIAL.oddAccountId)}&expand=operations`);
    assert.deepEqual(a.query, { accountId: [SPECIAL.oddAccountId], expand: ["operations"] });
    assert.equal(a.headers["x-test"], "1");
    assert.equal(a.headers.authorization, BASIC);
    assert.equal(typeof a.time, "number");
    assert.ok(a.time <= b.time && b.time <= c.time);
    assert.deepEqual(b.query, { key: ["a b", "é"] });
    assert.equal(b.path, "/wiki/rest/api/user/bulk/migration");
    assert.equal(c.headers.authorization, undefined);
    assert.deepEqual(c.query, { x: ["1"] });
    assert.equal(c.auth, "none");
  });

  test("enqueue: canned responses are served FIFO, recorded, and carry CORS headers", async () => {
    fake.reset();
    fake.enqueue(
      { status: 429, headers: { "Retry-After": "3", "X-RateLimit-Remaining": "0" }, body: { statusCode: 429, message: "Rate limited" } },
      { status: 200, body: "{not json" },
      { status: 500, body: Buffer.from("<html>oops</html>"), headers: { "Content-Type": "text/html" } },
    );
    assert.equal(fake.queued, 3);
    const r1 = await get("/user/current", { auth: null }); // canned responses bypass auth
    assert.equal(r1.status, 429);
    assert.equal(r1.headers.get("retry-after"), "3");
    assert.equal(r1.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(r1.headers.get("access-control-allow-origin"), "*");
    assert.match(r1.headers.get("atl-traceid"), /^[0-9a-f]{16}$/);
    assert.deepEqual(r1.body, { statusCode: 429, message: "Rate limited" });
    const r2 = await get("/user/current");
    assert.equal(r2.status, 200);
    assert.equal(r2.text, "{not json");
    assert.equal(r2.headers.get("content-type"), "application/json;charset=UTF-8");
    const r3 = await get("/user/current");
    assert.deepEqual([r3.status, r3.text, r3.headers.get("content-type")], [500, "<html>oops</html>", "text/html"]);
    const r4 = await get("/user/current");
    assert.equal(r4.status, 200);
    assert.equal(r4.body.accountId, SPECIAL.currentUser);
    assert.equal(fake.requests.length, 4);
    assert.equal(fake.queued, 0);
  });

  test("enqueue: function handlers take over the response (and faults)", async () => {
    fake.reset();
    fake.enqueue((req, res, rec) => {
      res.writeHead(202, { "content-type": "text/plain" });
      res.end(`handled ${req.url} #${rec.id}`);
    });
    fake.enqueue((req, res) => res.socket.destroy());
    const r = await get("/user?accountId=zzz");
    assert.equal(r.status, 202);
    assert.equal(r.text, `handled /wiki/rest/api/user?accountId=zzz #${fake.requests[0].id}`);
    assert.equal(r.headers.get("atl-traceid"), fake.requests[0].traceId);
    await assert.rejects(get("/user/current"));
    assert.equal(fake.requests.length, 2);
    // reset clears the queue
    fake.enqueue({ status: 500 });
    fake.reset();
    assert.equal(fake.queued, 0);
    assert.equal(fake.requests.length, 0);
    assert.equal((await get("/user/current")).status, 200);
  });
});

describe("lifecycle and performance", () => {
  test("close() does not hang with a hung request in flight", async () => {
    const f = await startFakeConfluence({ port: 0, userCount: 20 });
    f.enqueue(() => {}); // never answers
    const pending = fetch(`${f.url}/wiki/rest/api/user/current`, { headers: { Authorization: BASIC } });
    pending.catch(() => {});
    while (f.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await f.close();
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(pending);
    await f.close(); // idempotent
  });

  test("close() with a delayed (latency) request in flight", async () => {
    const f = await startFakeConfluence({ port: 0, latencyMs: 5000, userCount: 10 });
    const pending = fetch(`${f.url}/wiki/rest/api/user/current`, { headers: { Authorization: BASIC } });
    pending.catch(() => {});
    while (f.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await f.close();
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(pending);
  });

  test("latency is applied per request without serialising; 150 concurrent requests", async () => {
    const f = await startFakeConfluence({ port: 0, latencyMs: 50 });
    try {
      const t0 = Date.now();
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          fetch(`${f.url}/wiki/rest/api/user?accountId=${enc(f.directory.users[i].accountId)}`, { headers: { Authorization: BEARER } })
            .then(async (r) => [r.status, (await r.json()).accountId]),
        ),
      );
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 50, `elapsed ${elapsed}`);
      assert.ok(elapsed < 1500, `elapsed ${elapsed}`);
      assert.deepEqual(results, f.directory.users.slice(0, 150).map((u) => [200, u.accountId]));
      assert.equal(f.requests.length, 150);
      f.latencyMs = 0;
      assert.equal(f.latencyMs, 0);
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t1 = Date.now();
        assert.equal((await fetch(`${f.url}/wiki/rest/api/user/anonymous`)).status, 200);
        best = Math.min(best, Date.now() - t1);
      }
      assert.ok(best < 45, `best ${best}`);
    } finally {
      await f.close();
    }
  });
});

describe("long URLs and legacy mappings", () => {
  test("a URL over maxUrlLength gets 414 with no body; over Node's 16 KB header limit, 431", async () => {
    fake.reset();
    const ok = await get(`/user/bulk/migration?username=${"a".repeat(8000)}`);
    assert.equal(ok.status, 200);
    const long = await get(`/user/bulk/migration?username=${"a".repeat(8200)}`);
    assert.equal(long.status, 414);
    assert.equal(long.text, "");
    assert.equal(fake.requests.at(-1).rejected, 414);
    const huge = await get(`/user/bulk/migration?username=${"a".repeat(17000)}`);
    assert.equal(huge.status, 431);
    assert.equal(huge.text, "");
  });

  test("legacyCount adds username/key mappings that only the migration endpoint knows; migrationPageCap caps its pages", async () => {
    const own = await startFakeConfluence({ port: 0, legacyCount: 30, migrationPageCap: 5 });
    try {
      assert.equal(own.directory.legacy.length, 30);
      const [a, b] = own.directory.legacy.slice(0, 2);
      assert.ok(a.username.length > 150, "every tenth name is long");
      assert.match(b.username, /ü/);
      const res = await fetch(`${own.url}/wiki/rest/api/user/bulk/migration?username=${enc(a.username)}&username=${enc(b.username)}`, { headers: { Authorization: BASIC } });
      const body = await res.json();
      assert.deepEqual(body.results, [
        { username: a.username, key: a.userKey, accountId: a.accountId },
        { username: b.username, key: b.userKey, accountId: b.accountId },
      ]);
      assert.ok(own.directory.byAccountId.has(a.accountId));
      const keys = own.directory.legacy.slice(0, 7).map((l) => `key=${l.userKey}`).join("&");
      const page = await (await fetch(`${own.url}/wiki/rest/api/user/bulk/migration?${keys}&limit=50`, { headers: { Authorization: BASIC } })).json();
      assert.equal(page.size, 5);
      assert.ok(page._links.next.endsWith("&start=5&limit=5"), page._links.next);
    } finally {
      await own.close();
    }
  });
});
