// Credentials never surface in an error, in any form (exact, fragments of 8+ characters, percent-encoded, HTML
// entities, base64, split by whitespace: see secret-forms.mjs): not in message, String(e), stack, JSON.stringify(e), util.inspect(e),
// any own property, nor deep inside e.body, for every error kind, even when a transport or a server echoes
// them back. Through both `import` and `require` of the installed package.

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";

import * as faults from "./fake-server/faults.mjs";
import { assertNoCredential, surfaces } from "./secret-forms.mjs";

import {
  CREDENTIALS,
  SPECIAL,
  basicHeader,
  expectConfluenceError,
  installPackage,
  loadBothWays,
  startFakeConfluence,
} from "./helpers.mjs";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfluenceClient } from "../pkg/node/index.mjs";
import * as F from "./fake-server/faults.mjs";
import * as kit from "./kit.mjs";

/** No credential in `secrets` on any surface of `e`, in any form (see secret-forms.mjs). */
const noLeak = (e, secrets, label) => assertNoCredential(e, { secrets }, label);

const EMAIL = "admin@example.com";
const TOKEN = "SECRET-TOKEN-ABC123";
const BASIC_B64 = basicHeader(EMAIL, TOKEN).slice("Basic ".length);

let inst;
let loaded;
let fake;

before(async () => {
  inst = installPackage("secrets-test");
  loaded = await loadBothWays(inst.consumer);
  fake = await startFakeConfluence({ port: 0 });
});

after(async () => {
  await fake?.close();
  inst?.cleanup();
});

beforeEach(() => fake?.reset());

/** A handler that answers with whatever `make(authorizationHeader)` returns. */
const echo = (status, contentType, make) => (req, res) => {
  const body = make(req.headers.authorization ?? "");
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.end(body);
};

for (const system of ["esm", "cjs"]) {
  const lib = () => (system === "esm" ? loaded.esm : loaded.cjs);

  for (const authType of ["basic", "bearer"]) {
    describe(`${system}, ${authType} auth: no credential in any error surface`, () => {
      const auth = authType === "basic" ? { type: "basic", email: EMAIL, apiToken: TOKEN } : { type: "bearer", token: TOKEN };
      const secrets = authType === "basic" ? [TOKEN, BASIC_B64] : [TOKEN];
      const headerValue = authType === "basic" ? `Basic ${BASIC_B64}` : `Bearer ${TOKEN}`;
      // retry: false: one attempt per call (a retried echo would only repeat the same check, slowly).
      const client = (extra = {}) => new (lib().ConfluenceClient)({ baseUrl: fake.url, auth, retry: false, ...extra });

      test("the client really sends the credential (so the echo tests below echo it)", async () => {
        await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 401 });
        assert.equal(fake.requests.at(-1).headers.authorization, headerValue);
      });

      test("invalidArgument, including a credential passed into a parameter by mistake", async () => {
        const c = client();
        const e1 = await expectConfluenceError(c.getUser({ accountId: "" }), { kind: "invalidArgument" });
        noLeak(e1, secrets, "empty accountId");
        const e2 = await expectConfluenceError(c.getUser({ accountId: SPECIAL.currentUser, expand: [TOKEN] }), { kind: "invalidArgument" });
        noLeak(e2, secrets, "token as an expand value");
        const e3 = await expectConfluenceError(c.getBulkUserMigration({ usernames: [headerValue], keys: [TOKEN] }), { kind: "invalidArgument" });
        noLeak(e3, secrets, "token as a migration key");
        const e4 = await expectConfluenceError(c.getUser({ accountId: SPECIAL.currentUser }, { [TOKEN]: true }), { kind: "invalidArgument" });
        noLeak(e4, secrets, "token as an option name");
      });

      test("http: a plain 401 from the fake (wrong credentials)", async () => {
        const e = await expectConfluenceError(client().getUser({ accountId: SPECIAL.currentUser }), { kind: "http", status: 401 });
        noLeak(e, secrets, "401");
      });

      test("http: a server that echoes the Authorization header in its JSON error body", async () => {
        fake.enqueue(
          echo(400, "application/json;charset=UTF-8", (h) =>
            JSON.stringify({
              statusCode: 400,
              message: `Bad credentials header: ${h}`,
              data: { authorized: false, valid: false, errors: [{ message: { translation: `token ${TOKEN} rejected`, args: [h, TOKEN] } }], successful: false },
              echo: { headers: { authorization: h }, list: [h, { deeper: [TOKEN] }] },
            }),
          ),
        );
        const e = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 400 });
        noLeak(e, secrets, "JSON echo");
        assert.equal(typeof e.body, "object", "the body is still parsed");
        assert.equal(e.body.statusCode, 400);
      });

      test("http: a server that echoes it in a text/plain body and in an HTML <title>", async () => {
        fake.enqueue(echo(500, "text/plain", (h) => `upstream refused Authorization: ${h} (token ${TOKEN})`));
        const e1 = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 500 });
        noLeak(e1, secrets, "text echo");
        assert.ok(e1.message.includes("upstream refused"), e1.message);
        fake.enqueue(echo(502, "text/html", (h) => `<html><head><title>Bad gateway for ${h}</title></head><body>${TOKEN}</body></html>`));
        const e2 = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 502 });
        noLeak(e2, secrets, "HTML echo");
        assert.ok(e2.message.includes("HTML page: Bad gateway for"), e2.message);
      });

      test("http: an echo cut by the message length limit does not leak a prefix of the credential", async () => {
        // The message keeps 300 characters of a text body; start the credential-dependent characters 12
        // before that cut. (The base64 of "admin@example.com:" is the first 24 characters of BASIC_B64 and
        // does not depend on the token.)
        const secretPart = authType === "basic" ? BASIC_B64.slice(24) : TOKEN;
        const lead = "Authorization: ".length + headerValue.indexOf(secretPart);
        const filler = "upstream error ".padEnd(288 - lead, "x");
        fake.enqueue(echo(500, "text/plain", (h) => `${filler}Authorization: ${h} and more text after it`));
        const e = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 500 });
        assert.ok(e.message.includes("upstream error"), e.message);
        noLeak(e, [...secrets, secretPart.slice(0, 10)], "text echo cut at the length limit");
      });

      test("http: a long JSON message cut at the length limit does not leak a prefix of the credential", async () => {
        fake.enqueue(
          echo(400, "application/json", (h) => JSON.stringify({ statusCode: 400, message: `${"m".repeat(1190)} ${TOKEN} ${h}` })),
        );
        const e = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 400 });
        noLeak(e, [...secrets, TOKEN.slice(0, 8)], "JSON message cut at the length limit");
      });

      test("network: a custom fetch that throws an Error naming the token and the Authorization value", async () => {
        const c = client({
          fetch: (url, init) => {
            const err = new Error(`cannot send ${init.headers.Authorization} (token=${TOKEN}) to ${url}`, { cause: new Error(`proxy said: ${init.headers.Authorization}`) });
            err.config = { headers: init.headers };
            throw err;
          },
        });
        const e = await expectConfluenceError(c.getCurrentUser(), { kind: "network", status: 0 });
        noLeak(e, secrets, "fetch throws");
        assert.ok(e.message.includes("cannot send"), e.message);
      });

      test("network: a custom fetch that rejects with a string, and a text() that rejects, naming the credential", async () => {
        const c1 = client({ fetch: (url, init) => Promise.reject(`refused ${init.headers.Authorization}`) });
        noLeak(await expectConfluenceError(c1.getCurrentUser(), { kind: "network" }), secrets, "rejects with a string");
        const c2 = client({ fetch: async (url, init) => ({ status: 200, text: () => Promise.reject(new Error(`stream for ${init.headers.Authorization} aborted`)) }) });
        noLeak(await expectConfluenceError(c2.getCurrentUser(), { kind: "network" }), secrets, "text() rejects");
      });

      test("decode: a 2xx body echoing the credential in a field of the wrong type", async () => {
        fake.enqueue(echo(200, "application/json", (h) => JSON.stringify({ type: "known", accountId: SPECIAL.currentUser, profilePicture: h })));
        const e1 = await expectConfluenceError(client().getCurrentUser(), { kind: "decode", status: 200 });
        noLeak(e1, secrets, "decode echo");
        assert.ok(e1.message.includes("profilePicture"), e1.message);
        fake.enqueue(echo(200, "application/json", (h) => `{"type":"known","displayName":"${h} ${TOKEN}`));
        const e2 = await expectConfluenceError(client().getCurrentUser(), { kind: "decode", status: 200 });
        noLeak(e2, secrets, "truncated JSON echo");
      });

      test("timeout: an attempt that never gets an answer", async () => {
        fake.enqueue(() => {}); // never answers
        const e = await expectConfluenceError(client({ timeout: 100 }).getCurrentUser(), { kind: "timeout", status: 0 });
        noLeak(e, secrets, "timeout");
      });

      test("aborted: a signal whose reason names the credential", async () => {
        fake.enqueue(() => {}); // never answers
        const controller = new AbortController();
        const pending = client().getCurrentUser({}, { signal: controller.signal });
        setTimeout(() => controller.abort(new Error(`user cancelled the call with ${headerValue} (${TOKEN})`)), 30);
        const e = await expectConfluenceError(pending, { kind: "aborted", status: 0 });
        noLeak(e, secrets, "aborted");
      });

      test("errors of every kind expose the request URL but never the credential", async () => {
        const e = await expectConfluenceError(client().getUser({ accountId: TOKEN.toLowerCase() }), { kind: "http" });
        assert.ok(e.url.startsWith(fake.url), e.url);
        noLeak(e, secrets, "url");
        const found = surfaces(e);
        assert.ok(Object.keys(found).length >= 8, "the surfaces checked include the own properties");
      });

      test("the clients still serve calls afterwards", async () => {
        const good = new (lib().ConfluenceClient)({ baseUrl: fake.url, auth: { type: "bearer", token: CREDENTIALS.oauthToken } });
        assert.equal((await good.getCurrentUser()).accountId, SPECIAL.currentUser);
      });
    });
  }

  describe(`${system}: a proxy that escapes "/" in JSON (PHP's json_encode) echoes a basic credential`, () => {
    // A real API token is ~190 characters, so its base64 almost surely holds "/" and "+": many JSON encoders
    // escape those ("\/", "\u002B"), and the raw text then no longer contains the credential verbatim.
    const token = "SECRET-TOKEN-ABC123_Zz~?";
    const b64 = basicHeader(EMAIL, token).slice("Basic ".length);

    test("the credential's base64 contains '/' (precondition)", () => {
      assert.ok(b64.includes("/"), b64);
    });

    test("e.body holds no credential", async () => {
      const client = new (lib().ConfluenceClient)({ baseUrl: fake.url, auth: { type: "basic", email: EMAIL, apiToken: token }, retry: false });
      fake.enqueue(
        echo(502, "application/json", (h) => JSON.stringify({ error: "upstream rejected the request", authorization: h }).replaceAll("/", "\\/")),
      );
      const e = await expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 502 });
      assert.equal(e.body?.error, "upstream rejected the request", "the body is parsed");
      noLeak(e, [token, b64], "escaped JSON echo");
    });
  });

  describe(`${system}: constructor errors never echo a credential`, () => {
    const CASES = [
      ["the token given as auth itself (auth: token)", { baseUrl: "https://x.atlassian.net", auth: TOKEN }],
      ["the basic pair given as auth (auth: 'email:token')", { baseUrl: "https://x.atlassian.net", auth: `${EMAIL}:${TOKEN}` }],
      ["a token with a line break", { baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: `${TOKEN}\r\n` } }],
      ["a token with a space", { baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: `Bearer ${TOKEN}` } }],
      ["credentials in the baseUrl", { baseUrl: `https://${encodeURIComponent(EMAIL)}:${TOKEN}@x.atlassian.net` }],
      ["the token in the baseUrl's query", { baseUrl: `https://x.atlassian.net/wiki?token=${TOKEN}` }],
      ["a misspelt token key", { baseUrl: "https://x.atlassian.net", auth: { type: "basic", email: EMAIL, apiToken: TOKEN, token: TOKEN } }],
      ["an unknown auth type", { baseUrl: "https://x.atlassian.net", auth: { type: "oauth2", token: TOKEN } }],
      ["an unknown option next to the auth", { baseUrl: "https://x.atlassian.net", auth: { type: "bearer", token: TOKEN }, token: TOKEN }],
    ];
    for (const [label, options] of CASES) {
      test(label, () => {
        let thrown;
        try {
          new (lib().ConfluenceClient)(options);
        } catch (e) {
          thrown = e;
        }
        assert.ok(thrown, "the constructor throws");
        assert.equal(thrown.kind, "invalidArgument");
        noLeak(thrown, [TOKEN, BASIC_B64], label);
      });
    }
  });
}

// Issue 15: every echo an attacker-minded reviewer found, for four kinds of credential, searched for in every
// form (exact, fragments of 8+ characters, percent-encoded in either case, HTML entities, base64 of
// email:token, split by whitespace) on every surface: the errors, every hook's argument, the console.
const LONG_TOKEN = "ATATT3xFfGF0+kP9/vQ2zL8=mW4nR7sT1uY6hJ3dC5bE0aXq1w2e3r4t5y6u7i8o9p0Lz";
const SHORT_TOKEN = "q7+Zp2/Kx9";
const BEARER_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI1YjEwYWM4ZCJ9.Qm9ndXMtc2lnbmF0dXJlLWZvci10ZXN0cw+/_-~";

/** A fresh credential kind: its auth option, the tokens the client has been given so far, its header. */
function kinds() {
  const fixed = (name, auth, token) => ({
    name,
    auth,
    email: auth.type === "basic" ? EMAIL : undefined,
    tokens: [token],
    next: () => token,
    header: (t) => (auth.type === "basic" ? basicHeader(EMAIL, t) : `Bearer ${t}`),
  });
  const rotating = () => {
    const tokens = [];
    const predicted = (n) => `${BEARER_TOKEN.slice(0, 40)}Rot${n}x${"k".repeat(20)}${n}`;
    const kind = {
      name: "bearer from a token function (a new token per attempt)",
      tokens,
      predicted,
      next: () => predicted(tokens.length + 1),
      header: (t) => `Bearer ${t}`,
      fail: undefined,
    };
    kind.auth = {
      type: "bearer",
      token: () => {
        // A failure set by a scenario strikes once the function has returned a token.
        if (kind.fail && tokens.length > 0) return kind.fail(tokens);
        const t = predicted(tokens.length + 1);
        tokens.push(t);
        return t;
      },
    };
    return kind;
  };
  return [
    fixed("basic", { type: "basic", email: EMAIL, apiToken: LONG_TOKEN }, LONG_TOKEN),
    fixed("short basic", { type: "basic", email: EMAIL, apiToken: SHORT_TOKEN }, SHORT_TOKEN),
    fixed("bearer", { type: "bearer", token: BEARER_TOKEN }, BEARER_TOKEN),
    rotating(),
  ];
}

const dec = (s) => [...s].map((c) => `&#${c.codePointAt(0)};`).join("");
const hex = (s) => [...s].map((c) => `&#x${c.codePointAt(0).toString(16).toUpperCase()};`).join("");
const named = (s) => s.replaceAll("/", "&sol;").replaceAll("+", "&plus;").replaceAll("=", "&equals;").replaceAll(".", "&period;");
const pctLower = (s) => [...Buffer.from(s)].map((b) => "%" + b.toString(16).padStart(2, "0")).join("");
/** The header a request carried (the first request's, unless `which` says otherwise). */
const sent = (which = 0) => fake.requests[which]?.headers.authorization ?? "";

/**
 * Each row of issue 15's table as scenarios: `run(kind, client)` makes the client fail and returns what it threw
 * (several values when a row has variants); `kinds` limits a row to the credential kinds it applies to.
 */
const SCENARIOS = [
  {
    row: "a 429 whose response headers echo the Authorization value (onResponse's rateLimit)",
    async run(kind, client) {
      for (let i = 0; i < 3; i++)
        fake.enqueue((req, res) => {
          const h = req.headers.authorization;
          res.writeHead(429, {
            "Content-Type": "application/json",
            "Retry-After": "0",
            "X-RateLimit-Limit": h,
            "X-RateLimit-Remaining": encodeURIComponent(h),
            "RateLimit-Reason": `quota of ${h.split(" ")[1]}`,
            "X-RateLimit-NearLimit": h.replace(/(.{9})/g, "$1 "),
          });
          res.end(JSON.stringify({ statusCode: 429, message: "Rate limit exceeded" }));
        });
      return [await expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 429, attempts: 3 })];
    },
  },
  {
    row: "a 200 body whose broken member has the credential as its key",
    async run(kind, client) {
      fake.enqueue((req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(`{"type":"known","accountId":"abc","${req.headers.authorization} ${kind.tokens.at(-1)}": [1, }`);
      });
      return [await expectConfluenceError(client.getCurrentUser(), { kind: "decode", status: 200 })];
    },
  },
  {
    row: "a 200 whose Content-Type echoes the credential",
    async run(kind, client) {
      fake.enqueue((req, res) => {
        res.writeHead(200, { "Content-Type": `${req.headers.authorization}${"/x".repeat(3)}; charset=utf-8` });
        res.end("{}");
      });
      const e = await expectConfluenceError(client.getCurrentUser(), { kind: "decode", status: 200 });
      assert.match(e.message, /expected a JSON body/);
      return [e];
    },
  },
  {
    row: "retries with a token per attempt; the server echoes the first attempt's credential",
    async run(kind, client) {
      fake.enqueue(faults.unavailable503({ retryAfter: 0 }), faults.unavailable503({ retryAfter: 0 }), (req, res) => {
        const first = sent(0);
        res.writeHead(400, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ statusCode: 400, message: `token ${first.split(" ")[1]} was revoked`, data: { errors: [{ message: { translation: first } }] }, echo: { [first]: first } }));
      });
      const e = await expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 400, attempts: 3 });
      assert.ok(e.body && typeof e.body === "object", "the body is still parsed");
      return [e];
    },
  },
  {
    row: "a token function that throws naming the token it returned before",
    only: "token function",
    async run(kind, client) {
      fake.enqueue(faults.unavailable503({ retryAfter: 0 }));
      kind.fail = (tokens) => {
        const err = new Error(`refresh failed; the old token ${tokens[0]} is expired`);
        err.token = tokens[0];
        throw err;
      };
      const e = await expectConfluenceError(client.getCurrentUser(), { kind: "invalidArgument", attempts: 1 });
      assert.match(e.message, /auth\.token threw: refresh failed; the old token/);
      assert.ok(e.cause instanceof Error, "the cause is kept, redacted");
      return [e];
    },
  },
  {
    row: "a token function that rejects naming the token it returned before",
    only: "token function",
    async run(kind, client) {
      fake.enqueue(faults.unavailable503({ retryAfter: 0 }));
      kind.fail = (tokens) => Promise.reject(new Error(`refresh failed for Bearer ${tokens[0]}`, { cause: new Error(encodeURIComponent(tokens[0])) }));
      const e = await expectConfluenceError(client.getCurrentUser(), { kind: "invalidArgument", attempts: 1 });
      assert.match(e.message, /auth\.token rejected: refresh failed for/);
      return [e];
    },
  },
  {
    row: "a text/plain echo with the credential split by line breaks",
    async run(kind, client) {
      fake.enqueue(echo(500, "text/plain", (h) => `upstream refused ${h.slice(0, 13)}\r\n    ${h.slice(13, 30)}\n${h.slice(30)} (end)`));
      return [await expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 500 })];
    },
  },
  {
    row: "an HTML echo, HTML-entity-encoded (decimal, hex, named)",
    async run(kind, client) {
      const out = [];
      for (const encode of [dec, hex, named]) {
        fake.enqueue(echo(500, "text/html", (h) => `<html><head><title>Denied for ${encode(h)}</title></head><body>${encode(h)}</body></html>`));
        const e = await expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 500 });
        assert.match(e.message, /HTML page: Denied for/);
        out.push(e);
      }
      return out;
    },
  },
  {
    row: "a text/plain echo, percent-encoded (upper and lower case)",
    async run(kind, client) {
      const out = [];
      for (const encode of [encodeURIComponent, pctLower]) {
        fake.enqueue(echo(500, "text/plain", (h) => `redirecting to /login?auth=${encode(h)}&next=%2F`));
        out.push(await expectConfluenceError(client.getCurrentUser(), { kind: "http", status: 500 }));
      }
      return out;
    },
  },
  {
    row: "a transport error carrying the credential percent-encoded",
    fetch: (url, init) => {
      const h = init.headers.Authorization;
      throw new Error(`ECONNREFUSED ${url}&auth=${encodeURIComponent(h)}`, { cause: new Error(`proxy: ${pctLower(h)}`) });
    },
    async run(kind, client) {
      const e = await expectConfluenceError(client.getCurrentUser(), { kind: "network", attempts: 3 });
      assert.match(e.message, /ECONNREFUSED/);
      return [e];
    },
  },
  {
    row: "misuse: the token passed as a param value (percent-encoded in url)",
    async run(kind, client) {
      const token = kind.next();
      const e1 = await expectConfluenceError(client.getUser({ accountId: token }), { kind: "http", status: 401 });
      assert.ok(e1.url.startsWith(fake.url), e1.url);
      return [e1];
    },
  },
  {
    row: "misuse: the token passed as an option name or an expand value (invalidArgument messages)",
    except: "token function",
    async run(kind, client, lib) {
      const token = kind.next();
      const e1 = await expectConfluenceError(client.getUser({ accountId: "abc" }, { [token]: true }), { kind: "invalidArgument" });
      const e2 = await expectConfluenceError(client.getUser({ accountId: "abc", expand: [token] }), { kind: "invalidArgument" });
      const e3 = await expectConfluenceError(client.getUser({ accountId: "abc", [`${token}${token}`]: 1 }), { kind: "invalidArgument" });
      const e4 = await expectConfluenceError(() => new lib.ConfluenceClient({ baseUrl: fake.url, auth: kind.auth, [token]: 1 }), { kind: "invalidArgument" });
      return [e1, e2, e3, e4];
    },
  },
];

for (const system of ["esm", "cjs"]) {
  const lib = () => (system === "esm" ? loaded.esm : loaded.cjs);
  for (const scenario of SCENARIOS) {
    describe(`${system}: ${scenario.row}`, () => {
      for (const kind of kinds()) {
        const applies =
          (!scenario.only || kind.name.includes(scenario.only)) && (!scenario.except || !kind.name.includes(scenario.except));
        if (!applies) continue;
        test(kind.name, async () => {
          const hooks = [];
          const record = (hook) => (info) => hooks.push({ hook, info });
          const client = new (lib().ConfluenceClient)({
            baseUrl: fake.url,
            auth: kind.auth,
            retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 },
            hooks: { onRequest: record("onRequest"), onResponse: record("onResponse"), onRetry: record("onRetry") },
            ...(scenario.fetch ? { fetch: scenario.fetch } : {}),
          });
          const printed = [];
          const saved = {};
          for (const method of ["log", "info", "warn", "error", "debug", "trace"]) {
            saved[method] = console[method];
            console[method] = (...args) => printed.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 20 }))).join(" "));
          }
          let thrown;
          try {
            thrown = await scenario.run(kind, client, lib());
          } finally {
            Object.assign(console, saved);
          }
          // The client really sent the credential the search looks for.
          if (fake.requests.length > 0) assert.equal(sent(0), kind.header(kind.tokens[0]));
          const credentials = { secrets: [...kind.tokens], email: kind.email };
          assertNoCredential({ thrown, hooks, console: printed }, credentials, `${kind.name}: ${scenario.row}`);
        });
      }
    });
  }
}

describe("a token function's exception is the error's cause, kept as it is unless it holds a credential", () => {
  test("an exception without a credential is the cause itself; one with a credential is replaced by a redacted copy", async () => {
    const thrown = new Error("the refresh endpoint is down");
    let calls = 0;
    const token = () => {
      calls += 1;
      if (calls === 1) return BEARER_TOKEN;
      throw calls === 2 ? thrown : Object.assign(new Error("still down"), { detail: { header: `Bearer ${BEARER_TOKEN}` } });
    };
    const client = new loaded.esm.ConfluenceClient({ baseUrl: fake.url, auth: { type: "bearer", token }, retry: { maxRetries: 1, baseDelayMs: 1 } });
    fake.enqueue(faults.unavailable503({ retryAfter: 0 }));
    const e1 = await expectConfluenceError(client.getCurrentUser(), { kind: "invalidArgument", attempts: 1 });
    assert.equal(e1.cause, thrown, "the caller's own exception");
    calls = 2;
    const e2 = await expectConfluenceError(client.getCurrentUser(), { kind: "invalidArgument", attempts: 0 });
    assert.notEqual(e2.cause, undefined);
    assert.equal(e2.cause.message, "still down", "the copy keeps the message");
    assert.equal(e2.cause.detail, undefined, "the property holding the credential is not copied");
    assertNoCredential(e2, { secrets: [BEARER_TOKEN] }, "redacted cause");
  });
});

// ---------------------------------------------------------------------------------------------------------
{
  const { FAST, fake, ftest, someUser, expectFailure, waitFor } = kit;

  // =========================================================================================================
  // Secrets: every error path driven with a recognisable credential; no surface of the thrown value may hold
  // it. (Kept in this file because js-tests/secrets.test.mjs already belongs to another suite; this block is
  // self-contained and can move to its own file as is.)

  const TOKEN = "tok-SECRET-4f9c2e";
  const EMAIL = "admin@example.com";
  const B64 = Buffer.from(`${EMAIL}:${TOKEN}`, "utf8").toString("base64");
  const AUTHS = {
    // The header values hold these, so a header that leaks is found through them (in every form noLeak
    // searches); searched as secrets themselves, "Bearer …" would match any text about a bearer token.
    basic: { auth: { type: "basic", email: EMAIL, apiToken: TOKEN }, header: `Basic ${B64}`, secrets: [TOKEN, B64] },
    bearer: { auth: { type: "bearer", token: TOKEN }, header: `Bearer ${TOKEN}`, secrets: [TOKEN] },
  };

  /** A handler answering `status` with `make(authorizationHeader)` as the body, in `contentType`. */
  const echo = (status, contentType, make, headers = {}) => (req, res) => {
    const h = req.headers.authorization ?? "";
    const body = make(h);
    res.statusCode = status;
    res.setHeader("Content-Type", contentType);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, typeof v === "function" ? v(h) : v);
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.end(body);
  };
  const echoJson = (status, headers) =>
    echo(
      status,
      "application/json;charset=UTF-8",
      (h) =>
        JSON.stringify({
          statusCode: status,
          message: `Rejected Authorization: ${h} (token ${TOKEN})`,
          data: { authorized: false, valid: false, errors: [{ message: { translation: `header ${h}`, args: [h, TOKEN, { deeper: [h] }] } }], successful: false },
          echo: { headers: { authorization: h }, token: TOKEN },
        }),
      headers,
    );
  const echoText = (status, headers) => echo(status, "text/plain;charset=UTF-8", (h) => `upstream refused Authorization: ${h} token=${TOKEN}`, headers);
  const echoHtml = (status) => echo(status, "text/html", (h) => `<html><head><title>Denied ${h}</title></head><body>${TOKEN}</body></html>`);

  describe("secrets: no error surface holds the credential", { concurrency: true }, () => {
    for (const [authName, A] of Object.entries(AUTHS)) {
      const mk = (extra = {}) => new ConfluenceClient({ baseUrl: fake.url, auth: A.auth, retry: FAST, timeout: 2000, ...extra });
      const someId = () => someUser(2).accountId;
      /** [label, kind, run(): Promise (the failing call), sentCredential?: whether the fake must have seen it] */
      const cases = [
        // invalidArgument
        ["invalidArgument: empty accountId", "invalidArgument", () => mk().getUser({ accountId: "" })],
        ["invalidArgument: the token as an expand value", "invalidArgument", () => mk().getUser({ accountId: someId(), expand: [TOKEN] })],
        ["invalidArgument: the header as an expand value", "invalidArgument", () => mk().getUser({ accountId: someId(), expand: [A.header] })],
        ["invalidArgument: the token as a migration key next to a username", "invalidArgument", () => mk().getBulkUserMigration({ keys: [TOKEN], usernames: [A.header] })],
        ["invalidArgument: call options { signal: token }", "invalidArgument", () => mk().getUser({ accountId: someId() }, { signal: TOKEN })],
        ["invalidArgument: call options with the token as a key", "invalidArgument", () => mk().getUser({ accountId: someId() }, { [TOKEN]: A.header })],
        // http
        ["http: 401 from the fake (it does not know this credential)", "http", () => mk().getCurrentUser(), true],
        ["http: 400 whose JSON body echoes the Authorization header and the token", "http", () => (fake.enqueue(echoJson(400)), mk().getCurrentUser()), true],
        ["http: 400 text/plain echo", "http", () => (fake.enqueue(echoText(400)), mk().getCurrentUser()), true],
        ["http: 403 HTML echo", "http", () => (fake.enqueue(echoHtml(403)), mk().getCurrentUser()), true],
        ["http: 404 whose atl-traceid echoes the header (requestId)", "http", () => (fake.enqueue(echoJson(404, { "atl-traceid": (h) => h })), mk().getCurrentUser()), true],
        ["http: 400 whose JSON echo escapes characters Gson- and PHP-style ('=' as \\u003d, '/' as \\/)", "http", () => (
          fake.enqueue(echo(400, "application/json", (h) => JSON.stringify({ message: `auth ${h}`, token: TOKEN, again: h }).replace(/=/g, "\\u003d").replace(/\//g, "\\/"))),
          mk().getCurrentUser()
        ), true],
        // network
        ["network: a custom fetch throws an Error naming the token and the header (message, cause, stack)", "network", () =>
          mk({
            fetch: (url, init) => {
              const h = init.headers.Authorization ?? init.headers.authorization;
              const cause = new Error(`proxy said: ${h} / ${TOKEN}`);
              const err = new Error(`cannot send ${h} (token=${TOKEN}) to ${url}`, { cause });
              err.stack = `Error: ${h}\n    at ${TOKEN} (file:///x.js:1:1)`;
              err.config = { headers: init.headers };
              throw err;
            },
          }).getCurrentUser()],
        ["network: a custom fetch rejects with a string naming the header", "network", () => mk({ fetch: (url, init) => Promise.reject(`refused ${init.headers.Authorization}`) }).getCurrentUser()],
        ["network: a response whose text() rejects naming the header", "network", () =>
          mk({ fetch: async (url, init) => ({ status: 200, headers: new Headers({ "content-type": "application/json" }), text: () => Promise.reject(new Error(`stream for ${init.headers.Authorization} broke; ${TOKEN}`)) }) }).getCurrentUser()],
        ["network: connection refused", "network", async () => mk({ baseUrl: `http://127.0.0.1:${await F.closedPort()}` }).getCurrentUser()],
        ["network: reset in the middle of a body echoing the header", "network", () => (
          fake.enqueue(...Array.from({ length: 4 }, () => (req, res) => F.resetMidBody(`{"message":"${req.headers.authorization} ${TOKEN} ${"x".repeat(200)}"}`)(req, res))),
          mk().getCurrentUser()
        ), true],
        // decode
        ["decode: a malformed 200 body holding the token and the header", "decode", () => (fake.enqueue(echo(200, "application/json", (h) => `{"type":"known","accountId":"${h}","displayName":"${TOKEN}`)), mk().getCurrentUser()), true],
        ["decode: a 200 body with the header in a field of the wrong type", "decode", () => (
          fake.enqueue(echo(200, "application/json", (h) => JSON.stringify({ type: "known", accountId: SPECIAL.currentUser, profilePicture: h, displayName: TOKEN }))),
          mk().getCurrentUser()
        ), true],
        ["decode: a 200 HTML page holding the header", "decode", () => (fake.enqueue(echoHtml(200)), mk().getCurrentUser()), true],
        // timeout
        ["timeout: a hang", "timeout", () => (fake.enqueue(F.hang()), mk({ timeout: 1000, retry: false }).getCurrentUser()), true],
        ["timeout: a body echoing the header dripped too slowly", "timeout", () => (
          fake.enqueue((req, res) => F.drip(`{"message":"${req.headers.authorization} ${TOKEN}"}`, 50)(req, res)),
          // The drip takes ~6 s; 1.5 s leaves a loaded machine time to connect before it fires.
          mk({ timeout: 1500, retry: false }).getCurrentUser()
        ), true],
        // aborted
        ["aborted: abort during a hang with a reason naming the token and the header", "aborted", async () => {
          fake.enqueue(F.hang());
          const ac = new AbortController();
          const p = mk().getCurrentUser(undefined, { signal: ac.signal });
          await waitFor(() => fake.requests.length === 1);
          ac.abort(new Error(`user cancelled ${A.header} ${TOKEN}`, { cause: A.header }));
          return p;
        }, true],
        ["aborted: an already-aborted signal whose reason names the token", "aborted", () => mk().getCurrentUser(undefined, { signal: AbortSignal.abort(`${TOKEN} ${A.header}`) })],
        ["aborted: abort during the backoff after a 503 echoing the header", "aborted", async () => {
          fake.enqueue(echoJson(503, { "Retry-After": "1" }));
          const ac = new AbortController();
          const p = mk({ retry: { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 5000 } }).getCurrentUser(undefined, { signal: ac.signal });
          await waitFor(() => fake.requests.length === 1);
          await sleep(50);
          ac.abort(new Error(TOKEN));
          return p;
        }, true],
        // retries exhausted
        ["retries exhausted: 429s whose JSON bodies echo the token (Retry-After 0)", "http", () => (
          fake.enqueue(...Array.from({ length: 4 }, () => echoJson(429, { "Retry-After": "0", "atl-traceid": (h) => `trace ${h}` }))),
          mk().getCurrentUser()
        ), true],
        ["retries exhausted: 503s with text/plain echoes", "http", () => (fake.enqueue(...Array.from({ length: 4 }, () => echoText(503))), mk().getCurrentUser()), true],
        ["retries exhausted: 502 HTML echoes", "http", () => (fake.enqueue(...Array.from({ length: 4 }, () => echoHtml(502))), mk().getCurrentUser()), true],
        ["retries exhausted: a 429 echo whose Retry-After exceeds maxDelayMs", "http", () => (fake.enqueue(echoJson(429, { "Retry-After": "3600" })), mk().getCurrentUser()), true],
      ];
      for (const [label, kind, run, sent] of cases) {
        ftest(`${authName}: ${label}`, async () => {
          const { error } = await expectFailure(`secrets ${authName}: ${label}`, run, { kind });
          if (sent) assert.equal(fake.requests[0]?.headers.authorization, A.header, "the fake saw the credential (so the echo held it)");
          noLeak(error, A.secrets, label);
        });
      }

      describe(`${authName}: constructor errors`, { concurrency: true }, () => {
        const base = "https://x.atlassian.net";
        const ctorCases = [
          ["the token as userinfo in baseUrl, next to auth", { baseUrl: `https://user:${TOKEN}@x.atlassian.net`, auth: A.auth }],
          ["the token in the baseUrl's query", { baseUrl: `${base}/wiki?token=${TOKEN}`, auth: A.auth }],
          ["the token in a baseUrl with a space", { baseUrl: `https://x.atlassian.net/ ${TOKEN}`, auth: A.auth }],
          ["the header value passed as auth (auth: 'Basic …' / 'Bearer …')", { baseUrl: base, auth: A.header }],
          ["the token given to retry.maxRetries by mistake, valid auth next to it", { baseUrl: base, auth: A.auth, retry: { maxRetries: TOKEN } }],
          ["the token given to timeout by mistake, valid auth next to it", { baseUrl: base, auth: A.auth, timeout: TOKEN }],
          ["the token given as fetch by mistake, valid auth next to it", { baseUrl: base, auth: A.auth, fetch: TOKEN }],
        ];
        for (const [label, options] of ctorCases) {
          ftest(label, async () => {
            const { error } = await expectFailure(`secrets ${authName}: constructor, ${label}`, () => new ConfluenceClient(options), { kind: "invalidArgument" });
            noLeak(error, A.secrets, label);
          });
        }
      });
    }

    describe("constructor errors (any auth)", { concurrency: true }, () => {
      const base = "https://x.atlassian.net";
      const all = [...new Set([...AUTHS.basic.secrets, ...AUTHS.bearer.secrets])];
      const ctorCases = [
        ["a bearer token containing CR/LF", { baseUrl: base, auth: { type: "bearer", token: `${TOKEN}\r\nX-Injected: 1` } }],
        ["a bearer token with a space (the header value given as the token)", { baseUrl: base, auth: { type: "bearer", token: `Bearer ${TOKEN}` } }],
        ["the token as userinfo in baseUrl, no auth", { baseUrl: `https://${encodeURIComponent(EMAIL)}:${TOKEN}@x.atlassian.net` }],
        ["an email containing ':' and the token", { baseUrl: base, auth: { type: "basic", email: `${EMAIL}:${TOKEN}`, apiToken: TOKEN } }],
        ["the token passed as auth itself (auth: token)", { baseUrl: base, auth: TOKEN }],
        ["'email:token' passed as auth", { baseUrl: base, auth: `${EMAIL}:${TOKEN}` }],
      ];
      for (const [label, options] of ctorCases) {
        ftest(label, async () => {
          const { error } = await expectFailure(`secrets: constructor, ${label}`, () => new ConfluenceClient(options), { kind: "invalidArgument" });
          noLeak(error, all, label);
        });
      }
    });

    ftest("a real-looking token with '=' and '/' echoed by a JSON encoder that escapes them (Gson: \\u003d, PHP: \\/)", async () => {
      // Atlassian API tokens contain '=' (see CREDENTIALS.apiToken); Gson escapes '=' as \u003d by default.
      const token = "ATATT3x-tok-SECRET=4f9c/2e";
      const header = `Bearer ${token}`;
      const c = new ConfluenceClient({ baseUrl: fake.url, auth: { type: "bearer", token }, retry: false });
      fake.enqueue(echo(400, "application/json", (h) => JSON.stringify({ statusCode: 400, message: "rejected", echo: h }).replace(/=/g, "\\u003d").replace(/\//g, "\\/")));
      const { error } = await expectFailure("secrets: escaped JSON echo of a token with '=' and '/'", () => c.getCurrentUser(), { kind: "http", status: 400 });
      assert.equal(fake.requests[0].headers.authorization, header);
      noLeak(error, [token], "escaped JSON echo");
    });
  });
}
