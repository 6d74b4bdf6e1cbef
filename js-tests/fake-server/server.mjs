// Fake Confluence Cloud REST API v1 ("Users" group) for tests, benchmarks and the example.
// Node 18+, ES module, `node:` built-ins only. Listens on 127.0.0.1 only.
//
//   import { startFakeConfluence, CREDENTIALS, SPECIAL } from "./server.mjs";
//   const fake = await startFakeConfluence({ port: 0, latencyMs: 0, userCount: 300 });
//   ... fake.url, fake.requests, fake.enqueue(r), fake.reset(), fake.directory ...
//   await fake.close();

import http from "node:http";
import { randomBytes } from "node:crypto";
import { buildDirectory, SPECIAL, encodePathSegment } from "./directory.mjs";

export { SPECIAL };

/** The only accepted credentials. Basic: base64(email:apiToken). Bearer: oauthToken. */
export const CREDENTIALS = Object.freeze({
  email: "admin@example.com",
  apiToken: "ATATT3xFfGF0O51BdJFRtZwgQAw7PTvznLfjX7PTHraCKN8X7PTitZVh=C0FFEE42",
  oauthToken:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1YjEwYWM4ZDgyZTA1YjIyY2M3ZDRlZjUiLCJpc3MiOiJmYWtlLWNvbmZsdWVuY2UiLCJzY29wZSI6InJlYWQ6Y29uZmx1ZW5jZS11c2VyIn0.ZmFrZS1zaWduYXR1cmU_not-a-real-token",
});

const HOST = "127.0.0.1";
const API = "/wiki/rest/api";
const JSON_TYPE = "application/json;charset=UTF-8";
const PAGE_CAP = 200; // Confluence's fixed system limit for these endpoints
const EXPOSED_HEADERS = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-NearLimit, atl-traceid";
const EXPAND_USER = ["operations", "details.personal", "details.business", "personalSpace", "isExternalCollaborator"];
const EXPAND_ANON = ["operations"];
const EXPAND_BULK = ["operations", "details.personal", "details.business", "personalSpace"];

/** Endpoint table: allowed query params ("one" = at most once, "many" = repeatable). */
const ROUTES = {
  "/user": { params: { accountId: "one", expand: "one" }, handler: getUser },
  "/user/anonymous": { params: { expand: "one" }, handler: getAnonymous, anonymous: true },
  "/user/current": { params: { expand: "one" }, handler: getCurrent },
  "/user/memberof": { params: { accountId: "one", start: "one", limit: "one" }, handler: getMemberOf },
  "/user/bulk": { params: { accountId: "one", expand: "one", limit: "one" }, handler: getBulk },
  "/user/email": { params: { accountId: "one" }, handler: getEmail },
  "/user/email/bulk": { params: { accountId: "one" }, handler: getEmailBulk },
  "/user/bulk/migration": { params: { key: "many", username: "many", start: "one", limit: "one" }, handler: getMigration },
};

class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}
const badRequest = (msg) => new HttpError(400, msg);

/** The Atlassian v1 error body. */
export function errorBody(status, message, { authorized = status !== 401 && status !== 403, valid = status !== 400 } = {}) {
  return {
    statusCode: status,
    data: {
      authorized,
      valid,
      errors: [{ message: { translation: message, args: [] } }],
      successful: false,
    },
    message,
  };
}

// --------------------------------------------------------------------------------------------
// Query parsing: application/x-www-form-urlencoded as a Java servlet container does it.
// "+" is a space, %XX is UTF-8. Malformed escapes / invalid UTF-8 / unescaped characters that a
// real front end would reject -> error.

// Characters that must never appear unescaped in a query (RFC 3986 + what Tomcat rejects).
const ILLEGAL_RAW = /[^\x21-\x7e]|["<>\\^`{|}]/;

function formDecode(s) {
  return decodeURIComponent(s.replace(/\+/g, " "));
}

/** @returns {{ entries: [string,string][], query: object, error?: string }} */
export function parseQuery(rawQuery) {
  const entries = [];
  const query = {};
  let error;
  const add = (k, v) => {
    if (!Object.prototype.hasOwnProperty.call(query, k)) {
      Object.defineProperty(query, k, { value: [], enumerable: true, writable: true, configurable: true });
    }
    query[k].push(v);
  };
  if (rawQuery) {
    for (const part of rawQuery.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const rn = eq < 0 ? part : part.slice(0, eq);
      const rv = eq < 0 ? "" : part.slice(eq + 1);
      const bad = ILLEGAL_RAW.exec(part);
      let name;
      let value;
      try {
        name = formDecode(rn);
      } catch {
        name = rn;
        error ??= `Malformed query string: invalid percent-encoding in parameter name '${rn}'`;
      }
      try {
        value = formDecode(rv);
      } catch {
        value = rv;
        error ??= `Malformed query string: invalid percent-encoding or UTF-8 in the value of parameter '${name}': '${rv}'`;
      }
      if (bad) error ??= `Malformed query string: unescaped character '${bad[0]}' in '${part}' (the request is wrongly encoded)`;
      entries.push([name, value]);
      add(name, value);
    }
  }
  return { entries, query, error };
}

// --------------------------------------------------------------------------------------------
// Parameter helpers

function one(q, name) {
  const v = q[name];
  return v === undefined ? undefined : v[0];
}

function parseIntParam(q, name, { def, min = 0, max = 2147483647 } = {}) {
  const raw = one(q, name);
  if (raw === undefined) return def;
  if (!/^[0-9]+$/.test(raw) && !/^-[0-9]+$/.test(raw)) {
    throw badRequest(`Parameter '${name}' must be an integer, but was '${raw}'`);
  }
  const n = Number(raw);
  if (n < -2147483648 || n > 2147483647) throw badRequest(`Parameter '${name}' is out of range for a 32-bit integer: '${raw}'`);
  if (n < min || n > max) {
    throw badRequest(
      max === 2147483647
        ? `Parameter '${name}' must be greater than or equal to ${min}, but was ${n}`
        : `Parameter '${name}' must be between ${min} and ${max}, but was ${n}`,
    );
  }
  return n;
}

function requiredAccountId(q) {
  const v = one(q, "accountId");
  if (v === undefined || v === "") throw badRequest("Parameter 'accountId' is required and must not be empty");
  return v;
}

function parseExpand(q, allowed, path) {
  const raw = one(q, "expand");
  if (raw === undefined || raw === "") return new Set();
  const items = raw.split(",");
  for (const item of items) {
    if (!allowed.includes(item)) {
      throw badRequest(
        `Invalid expand value '${item}' for ${API}${path}. Valid values: ${allowed.join(", ")} (several values are one comma-separated parameter)`,
      );
    }
  }
  return new Set(items);
}

function splitIds(raw) {
  return raw.split(",").filter((s) => s !== "");
}

const qs = (s) => encodeURIComponent(s);

// --------------------------------------------------------------------------------------------
// JSON builders

function links(ctx, self) {
  return self === undefined ? { base: ctx.base, context: "/wiki" } : { self, base: ctx.base, context: "/wiki" };
}

function operationsOf(u) {
  if (u.accountType === "app" || u.isExternalCollaborator) return [{ operation: "use", targetType: "application" }];
  const ops = [];
  if (u.isAdmin) ops.push({ operation: "administer", targetType: "application" });
  ops.push({ operation: "create_space", targetType: "application" }, { operation: "use", targetType: "application" });
  return ops;
}

function spaceJson(u, ctx) {
  const s = u.personalSpace;
  const keyEnc = encodePathSegment(s.key);
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    icon: { path: "/images/logo/default-space-logo.svg", width: 48, height: 48, isDefault: false },
    description: {
      plain: { value: "", representation: "plain", embeddedContent: [] },
      _expandable: { view: "" },
    },
    homepage: {
      id: s.homepageId,
      type: "page",
      status: "current",
      title: `${s.name} Home`,
      _expandable: {
        container: `/rest/api/space/${keyEnc}`,
        metadata: "",
        operations: "",
        children: `/rest/api/content/${s.homepageId}/child`,
        history: `/rest/api/content/${s.homepageId}/history`,
        ancestors: "",
        body: "",
        version: "",
        descendants: `/rest/api/content/${s.homepageId}/descendant`,
        space: `/rest/api/space/${keyEnc}`,
      },
      _links: {
        self: `${ctx.base}/rest/api/content/${s.homepageId}`,
        tinyui: `/x/${Buffer.from(s.homepageId).toString("base64url")}`,
        editui: `/pages/resumedraft.action?draftId=${s.homepageId}`,
        webui: `/spaces/${keyEnc}/overview`,
      },
    },
    type: "personal",
    status: "current",
    _expandable: {
      settings: `/rest/api/space/${keyEnc}/settings`,
      metadata: "",
      operations: "",
      lookAndFeel: `/rest/api/settings/lookandfeel?spaceKey=${qs(s.key)}`,
      identifiers: "",
      permissions: "",
      theme: `/rest/api/space/${keyEnc}/theme`,
      history: "",
    },
    _links: { webui: `/spaces/${keyEnc}`, self: `${ctx.base}/rest/api/space/${keyEnc}` },
  };
}

/**
 * User / BulkUserLookup JSON. `expandBase` is the relative endpoint used in `_expandable`.
 */
function userJson(u, expand, ctx, { bulk = false, expandBase } = {}) {
  const idq = qs(u.accountId);
  const o = {
    type: "known",
    accountId: u.accountId,
    accountType: u.accountType,
    email: u.email,
    publicName: u.publicName,
    profilePicture: { ...u.profilePicture },
    displayName: u.displayName,
    timeZone: u.timeZone,
    isExternalCollaborator: u.isExternalCollaborator,
  };
  if (!bulk) o.externalCollaborator = u.isExternalCollaborator;
  const exp = {};
  const base = expandBase ?? `/rest/api/user?accountId=${idq}`;
  const sep = base.includes("?") ? "&" : "?";
  if (expand.has("operations")) o.operations = operationsOf(u);
  else exp.operations = `${base}${sep}expand=operations`;
  const wantPersonal = expand.has("details.personal");
  const wantBusiness = expand.has("details.business");
  if (wantPersonal || wantBusiness) {
    o.details = {};
    if (wantBusiness) o.details.business = { ...u.details.business };
    if (wantPersonal) o.details.personal = { ...u.details.personal };
  } else {
    exp.details = `${base}${sep}expand=details.personal,details.business`;
  }
  if (expand.has("personalSpace")) o.personalSpace = u.personalSpace ? spaceJson(u, ctx) : null;
  else exp.personalSpace = `${base}${sep}expand=personalSpace`;
  o._expandable = exp;
  const self = `${ctx.base}/rest/api/user?accountId=${idq}`;
  o._links = bulk ? { self } : links(ctx, self);
  return o;
}

// --------------------------------------------------------------------------------------------
// Handlers: (ctx, q) -> { status?, body }

function lookup(ctx, id) {
  const u = ctx.directory.byAccountId.get(id);
  if (!u) throw new HttpError(404, `No user found with accountId: ${id}`);
  return u;
}

function getUser(ctx, q) {
  const id = requiredAccountId(q);
  const expand = parseExpand(q, EXPAND_USER, "/user");
  return { body: userJson(lookup(ctx, id), expand, ctx) };
}

function getCurrent(ctx, q) {
  const expand = parseExpand(q, EXPAND_USER, "/user/current");
  return { body: userJson(ctx.directory.currentUser, expand, ctx, { expandBase: "/rest/api/user/current" }) };
}

function getAnonymous(ctx, q) {
  const expand = parseExpand(q, EXPAND_ANON, "/user/anonymous");
  const body = {
    type: "anonymous",
    profilePicture: {
      path: "/wiki/s/-1783012367/6452/_/images/icons/profilepics/anonymous.svg",
      width: 48,
      height: 48,
      isDefault: true,
    },
    displayName: "Anonymous",
    isExternalCollaborator: false,
  };
  const exp = {};
  if (expand.has("operations")) body.operations = [{ operation: "use", targetType: "application" }];
  else exp.operations = "/rest/api/user/anonymous?expand=operations";
  body._expandable = exp;
  body._links = links(ctx, `${ctx.base}/rest/api/user/anonymous`);
  return { body };
}

function getMemberOf(ctx, q) {
  const id = requiredAccountId(q);
  const start = parseIntParam(q, "start", { def: 0 });
  const limit = Math.min(parseIntParam(q, "limit", { def: PAGE_CAP }), PAGE_CAP);
  lookup(ctx, id);
  const all = ctx.directory.groupsOf(id);
  const page = all.slice(start, start + limit);
  const results = page.map((g) => ({
    type: "group",
    name: g.name,
    id: g.id,
    _links: { self: `${ctx.base}/rest/api/group/by-id?id=${g.id}` },
  }));
  const l = links(ctx, `${ctx.base}/rest/api/user/memberof?accountId=${qs(id)}`);
  if (limit > 0 && start + limit < all.length) {
    l.next = `/rest/api/user/memberof?accountId=${qs(id)}&start=${start + limit}&limit=${limit}`;
  }
  return { body: { results, start, limit, size: results.length, _links: l } };
}

function getBulk(ctx, q) {
  const raw = requiredAccountId(q);
  const expand = parseExpand(q, EXPAND_BULK, "/user/bulk");
  const limit = parseIntParam(q, "limit", { def: PAGE_CAP, min: 1, max: PAGE_CAP });
  const ids = splitIds(raw);
  if (ids.length === 0) throw badRequest("Parameter 'accountId' is required and must not be empty");
  const results = [];
  for (const id of ids.slice(0, limit)) {
    const u = ctx.directory.byAccountId.get(id);
    if (u) results.push(userJson(u, expand, ctx, { bulk: true }));
  }
  return { body: { results, start: 0, limit, size: results.length, _links: links(ctx) } };
}

function getEmail(ctx, q) {
  const id = requiredAccountId(q);
  const u = lookup(ctx, id);
  return { body: { accountId: u.accountId, email: u.unsafeEmail } };
}

function getEmailBulk(ctx, q) {
  const ids = splitIds(requiredAccountId(q));
  if (ids.length === 0) throw badRequest("Parameter 'accountId' is required and must not be empty");
  const out = [];
  for (const id of ids) {
    const u = ctx.directory.byAccountId.get(id);
    if (u) out.push({ accountId: u.accountId, email: u.unsafeEmail });
  }
  return { body: out };
}

function getMigration(ctx, q) {
  const keys = q.key;
  const usernames = q.username;
  if (!keys && !usernames) throw badRequest("No user specified: provide one or more 'key' or 'username' parameters");
  if (keys && usernames) throw badRequest("Parameters 'key' and 'username' cannot be combined: use one or the other");
  const start = parseIntParam(q, "start", { def: 0 });
  const limit = Math.min(parseIntParam(q, "limit", { def: ctx.migrationPageCap }), ctx.migrationPageCap);
  const byKey = !!keys;
  const values = keys ?? usernames;
  const all = values.map((v) => {
    const u = (byKey ? ctx.directory.byKey : ctx.directory.byUsername).get(v);
    if (u) return { username: u.username, key: u.userKey, accountId: u.accountId };
    return byKey ? { username: null, key: v, accountId: null } : { username: v, key: null, accountId: null };
  });
  const results = all.slice(start, start + limit);
  const pname = byKey ? "key" : "username";
  const idsQuery = values.map((v) => `${pname}=${qs(v)}`).join("&");
  const l = links(ctx, `${ctx.base}/rest/api/user/bulk/migration?${idsQuery}`);
  if (limit > 0 && start + limit < all.length) {
    l.next = `/rest/api/user/bulk/migration?${idsQuery}&start=${start + limit}&limit=${limit}`;
  }
  return { body: { results, start, limit, size: results.length, _links: l } };
}

// --------------------------------------------------------------------------------------------
// Auth

function authenticate(header) {
  if (header === undefined) return { ok: false, missing: true };
  const m = /^([A-Za-z]+) +(\S+)$/.exec(header);
  if (!m) return { ok: false };
  const scheme = m[1].toLowerCase();
  if (scheme === "basic") {
    const expected = Buffer.from(`${CREDENTIALS.email}:${CREDENTIALS.apiToken}`, "utf8").toString("base64");
    return { ok: m[2] === expected, kind: "basic" };
  }
  if (scheme === "bearer") return { ok: m[2] === CREDENTIALS.oauthToken, kind: "bearer" };
  return { ok: false };
}

// --------------------------------------------------------------------------------------------
// Server

/**
 * Start the fake server.
 * @param {{port?: number, latencyMs?: number, userCount?: number, seed?: number}} [opts]
 */
/** URLs longer than this get 414 with no body, as Confluence's front end answers (Node's own
 * parser answers 431 above its 16 KB header limit). */
export const MAX_URL_LENGTH = 8192;

export async function startFakeConfluence({
  port = 0,
  latencyMs = 0,
  userCount = 300,
  seed,
  legacyCount = 0,
  migrationPageCap = PAGE_CAP,
  maxUrlLength = MAX_URL_LENGTH,
} = {}) {
  const directory = buildDirectory({ userCount, seed, legacyCount });
  const requests = [];
  const queue = [];
  const sockets = new Set();
  const timers = new Set();
  let latency = latencyMs;
  let closed = false;
  let closing;
  let seq = 0;
  const ctx = { directory, base: "", migrationPageCap };

  function commonHeaders(req, res, traceId) {
    const origin = req.headers.origin;
    res.setHeader("Access-Control-Allow-Origin", origin ?? "*");
    if (origin) res.setHeader("Vary", "Origin");
    res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    res.setHeader("atl-traceid", traceId);
    res.setHeader("Cache-Control", "no-cache, no-store, no-transform");
    res.setHeader("X-Content-Type-Options", "nosniff");
  }

  function send(res, status, body, extraHeaders) {
    if (res.destroyed || res.writableEnded) return;
    const text = body === undefined ? "" : JSON.stringify(body);
    res.statusCode = status;
    if (body !== undefined) res.setHeader("Content-Type", JSON_TYPE);
    res.setHeader("Content-Length", Buffer.byteLength(text));
    if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
    res.end(text);
  }

  function sendError(res, err) {
    send(res, err.status, errorBody(err.status, err.message, err.extra), err.extra.headers);
  }

  function serveCanned(item, req, res, rec) {
    if (typeof item === "function") {
      try {
        const p = item(req, res, rec);
        if (p && typeof p.then === "function") p.catch(() => res.destroy());
      } catch {
        res.destroy();
      }
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    const status = item.status ?? 200;
    let body = item.body;
    let payload;
    if (body === undefined || body === null) payload = Buffer.alloc(0);
    else if (Buffer.isBuffer(body) || body instanceof Uint8Array) payload = Buffer.from(body);
    else if (typeof body === "string") payload = Buffer.from(body, "utf8");
    else payload = Buffer.from(JSON.stringify(body), "utf8");
    res.statusCode = status;
    if (payload.length > 0 || (body !== undefined && body !== null)) res.setHeader("Content-Type", JSON_TYPE);
    res.setHeader("Content-Length", payload.length);
    for (const [k, v] of Object.entries(item.headers ?? {})) {
      if (v === undefined || v === null) res.removeHeader(k);
      else res.setHeader(k, v);
    }
    if (status === 204 || status === 304 || req.method === "HEAD") res.end();
    else res.end(payload);
  }

  function route(req, res, rec) {
    const path = rec.path;
    if (req.method === "OPTIONS") {
      res.statusCode = 204;
      res.setHeader("Access-Control-Allow-Methods", "GET, OPTIONS");
      res.setHeader("Access-Control-Allow-Headers", "Authorization, Accept, Content-Type");
      res.setHeader("Access-Control-Max-Age", "600");
      if (req.headers["access-control-request-private-network"] === "true") {
        res.setHeader("Access-Control-Allow-Private-Network", "true");
      }
      res.setHeader("Content-Length", "0");
      res.end();
      return;
    }
    if (!path.startsWith(API + "/") || !Object.prototype.hasOwnProperty.call(ROUTES, path.slice(API.length))) {
      throw new HttpError(404, `Could not find resource for relative : ${path} of full path: ${ctx.origin}${req.url}`);
    }
    const r = ROUTES[path.slice(API.length)];
    if (req.method !== "GET") {
      throw new HttpError(405, `Method ${req.method} is not allowed for ${path}; only GET is supported`, {
        headers: { Allow: "GET, OPTIONS" },
      });
    }
    const auth = authenticate(req.headers.authorization);
    rec.auth = auth.ok ? auth.kind : auth.missing ? "none" : "invalid";
    if (!auth.ok && !(r.anonymous && auth.missing)) {
      throw new HttpError(401, "Client must be authenticated to access this resource.", {
        authorized: false,
        valid: true,
        headers: { "WWW-Authenticate": `OAuth realm="${encodeURIComponent(ctx.origin)}"` },
      });
    }
    if (rec.queryError) throw badRequest(rec.queryError);
    for (const [name, values] of Object.entries(rec.query)) {
      const kind = r.params[name];
      if (!kind) {
        throw badRequest(
          `Unknown query parameter '${name}' for ${path}. Accepted parameters: ${Object.keys(r.params).join(", ") || "(none)"}`,
        );
      }
      if (kind === "one" && values.length > 1) {
        throw badRequest(
          `Parameter '${name}' was given ${values.length} times, but it takes a single value` +
            (name === "expand" || name === "accountId" ? " (several values are one comma-separated parameter)" : "") +
            ": the request is wrongly encoded",
        );
      }
    }
    const out = r.handler(ctx, rec.query);
    send(res, out.status ?? 200, out.body);
  }

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const traceId = randomBytes(8).toString("hex");
    const url = req.url ?? "/";
    const qi = url.indexOf("?");
    const path = qi < 0 ? url : url.slice(0, qi);
    const rawQuery = qi < 0 ? "" : url.slice(qi + 1);
    const parsed = parseQuery(rawQuery);
    const rec = {
      id: ++seq,
      method: req.method,
      url,
      path,
      rawQuery,
      query: parsed.query,
      headers: { ...req.headers },
      time: Date.now(),
      traceId,
    };
    if (parsed.error) rec.queryError = parsed.error;
    requests.push(rec);
    req.resume(); // drain any body
    commonHeaders(req, res, traceId);
    if (url.length > maxUrlLength) {
      // Refused before anything else, with no body, like a front end.
      rec.rejected = 414;
      res.statusCode = 414;
      res.setHeader("Content-Length", "0");
      res.end();
      return;
    }
    const canned = req.method !== "OPTIONS" && queue.length > 0 ? queue.shift() : undefined;

    const run = () => {
      if (closed || res.destroyed) return;
      if (canned !== undefined) return serveCanned(canned, req, res, rec);
      try {
        route(req, res, rec);
      } catch (err) {
        if (err instanceof HttpError) sendError(res, err);
        else {
          console.error("fake-confluence: internal error", err);
          sendError(res, new HttpError(500, `Internal server error: ${err && err.message}`));
        }
      }
    };
    if (latency > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        run();
      }, latency);
      timers.add(t);
    } else run();
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  server.requestTimeout = 0;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: HOST, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const url = `http://${HOST}:${actualPort}`;
  ctx.origin = url;
  ctx.base = `${url}/wiki`;

  return {
    url,
    port: actualPort,
    server,
    requests,
    directory,
    /** Queue canned responses ({status, headers?, body?} or (req, res, rec) => void), consumed FIFO. */
    enqueue(...items) {
      for (const it of items) {
        if (typeof it !== "function" && (typeof it !== "object" || it === null)) throw new TypeError("enqueue: expected an object or a function");
        queue.push(it);
      }
      return this;
    },
    /** Number of queued responses not yet consumed. */
    get queued() {
      return queue.length;
    },
    get latencyMs() {
      return latency;
    },
    set latencyMs(v) {
      latency = Number(v) || 0;
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
    },
    close() {
      if (closing) return closing;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      queue.length = 0;
      closing = new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}
