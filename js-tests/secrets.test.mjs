// Credentials never surface in an error: not in message, String(e), stack, JSON.stringify(e), util.inspect(e),
// any own property, nor deep inside e.body, for every error kind, even when a transport or a server echoes
// them back. Through both `import` and `require` of the installed package.

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import {
  CREDENTIALS,
  SPECIAL,
  assertNoSecrets,
  basicHeader,
  errorSurfaces,
  expectConfluenceError,
  installPackage,
  loadBothWays,
  startFakeConfluence,
} from "./helpers.mjs";

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
        assertNoSecrets(e1, secrets, "empty accountId");
        const e2 = await expectConfluenceError(c.getUser({ accountId: SPECIAL.currentUser, expand: [TOKEN] }), { kind: "invalidArgument" });
        assertNoSecrets(e2, secrets, "token as an expand value");
        const e3 = await expectConfluenceError(c.getBulkUserMigration({ usernames: [headerValue], keys: [TOKEN] }), { kind: "invalidArgument" });
        assertNoSecrets(e3, secrets, "token as a migration key");
        const e4 = await expectConfluenceError(c.getUser({ accountId: SPECIAL.currentUser }, { [TOKEN]: true }), { kind: "invalidArgument" });
        assertNoSecrets(e4, secrets, "token as an option name");
      });

      test("http: a plain 401 from the fake (wrong credentials)", async () => {
        const e = await expectConfluenceError(client().getUser({ accountId: SPECIAL.currentUser }), { kind: "http", status: 401 });
        assertNoSecrets(e, secrets, "401");
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
        assertNoSecrets(e, secrets, "JSON echo");
        assert.equal(typeof e.body, "object", "the body is still parsed");
        assert.equal(e.body.statusCode, 400);
      });

      test("http: a server that echoes it in a text/plain body and in an HTML <title>", async () => {
        fake.enqueue(echo(500, "text/plain", (h) => `upstream refused Authorization: ${h} (token ${TOKEN})`));
        const e1 = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 500 });
        assertNoSecrets(e1, secrets, "text echo");
        assert.ok(e1.message.includes("upstream refused"), e1.message);
        fake.enqueue(echo(502, "text/html", (h) => `<html><head><title>Bad gateway for ${h}</title></head><body>${TOKEN}</body></html>`));
        const e2 = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 502 });
        assertNoSecrets(e2, secrets, "HTML echo");
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
        assertNoSecrets(e, [...secrets, secretPart.slice(0, 10)], "text echo cut at the length limit");
      });

      test("http: a long JSON message cut at the length limit does not leak a prefix of the credential", async () => {
        fake.enqueue(
          echo(400, "application/json", (h) => JSON.stringify({ statusCode: 400, message: `${"m".repeat(1190)} ${TOKEN} ${h}` })),
        );
        const e = await expectConfluenceError(client().getCurrentUser(), { kind: "http", status: 400 });
        assertNoSecrets(e, [...secrets, TOKEN.slice(0, 8)], "JSON message cut at the length limit");
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
        assertNoSecrets(e, secrets, "fetch throws");
        assert.ok(e.message.includes("cannot send"), e.message);
      });

      test("network: a custom fetch that rejects with a string, and a text() that rejects, naming the credential", async () => {
        const c1 = client({ fetch: (url, init) => Promise.reject(`refused ${init.headers.Authorization}`) });
        assertNoSecrets(await expectConfluenceError(c1.getCurrentUser(), { kind: "network" }), secrets, "rejects with a string");
        const c2 = client({ fetch: async (url, init) => ({ status: 200, text: () => Promise.reject(new Error(`stream for ${init.headers.Authorization} aborted`)) }) });
        assertNoSecrets(await expectConfluenceError(c2.getCurrentUser(), { kind: "network" }), secrets, "text() rejects");
      });

      test("decode: a 2xx body echoing the credential in a field of the wrong type", async () => {
        fake.enqueue(echo(200, "application/json", (h) => JSON.stringify({ type: "known", accountId: SPECIAL.currentUser, profilePicture: h })));
        const e1 = await expectConfluenceError(client().getCurrentUser(), { kind: "decode", status: 200 });
        assertNoSecrets(e1, secrets, "decode echo");
        assert.ok(e1.message.includes("profilePicture"), e1.message);
        fake.enqueue(echo(200, "application/json", (h) => `{"type":"known","displayName":"${h} ${TOKEN}`));
        const e2 = await expectConfluenceError(client().getCurrentUser(), { kind: "decode", status: 200 });
        assertNoSecrets(e2, secrets, "truncated JSON echo");
      });

      test("timeout: an attempt that never gets an answer", async () => {
        fake.enqueue(() => {}); // never answers
        const e = await expectConfluenceError(client({ timeout: 100 }).getCurrentUser(), { kind: "timeout", status: 0 });
        assertNoSecrets(e, secrets, "timeout");
      });

      test("aborted: a signal whose reason names the credential", async () => {
        fake.enqueue(() => {}); // never answers
        const controller = new AbortController();
        const pending = client().getCurrentUser({}, { signal: controller.signal });
        setTimeout(() => controller.abort(new Error(`user cancelled the call with ${headerValue} (${TOKEN})`)), 30);
        const e = await expectConfluenceError(pending, { kind: "aborted", status: 0 });
        assertNoSecrets(e, secrets, "aborted");
      });

      test("errors of every kind expose the request URL but never the credential", async () => {
        const e = await expectConfluenceError(client().getUser({ accountId: TOKEN.toLowerCase() }), { kind: "http" });
        assert.ok(e.url.startsWith(fake.url), e.url);
        assertNoSecrets(e, secrets, "url");
        const surfaces = errorSurfaces(e);
        assert.ok(Object.keys(surfaces).length >= 8, "the surfaces checked include the own properties");
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
      assertNoSecrets(e, [token, b64], "escaped JSON echo");
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
        assertNoSecrets(thrown, [TOKEN, BASIC_B64], label);
      });
    }
  });
}
