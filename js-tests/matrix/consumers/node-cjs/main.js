// A CommonJS consumer ("type": "commonjs"): loads the package and its adapters with require() and makes
// real calls against the fake server. MATRIX_CONFIG (JSON: fakeUrl, credentials, special) comes from the
// test; the results go to stdout as one JSON line.
"use strict";
const { ConfluenceClient, isConfluenceError } = require("confluence-users");
const adapters = require("confluence-users/adapters");

async function main() {
  const { fakeUrl, credentials, special } = JSON.parse(process.env.MATRIX_CONFIG);
  const client = new ConfluenceClient({ baseUrl: fakeUrl, auth: { type: "basic", email: credentials.email, apiToken: credentials.apiToken } });
  const me = await client.getCurrentUser();
  const odd = await client.getUser({ accountId: special.oddAccountId });
  let notFound = null;
  try {
    await client.getUser({ accountId: special.unknownAccountId });
  } catch (e) {
    notFound = { isConfluenceError: isConfluenceError(e), isError: e instanceof Error, name: e.name, kind: e.kind, status: e.status, message: e.message };
  }
  return {
    resolved: { main: require.resolve("confluence-users"), adapters: require.resolve("confluence-users/adapters") },
    exports: Object.keys(require("confluence-users")).sort(),
    adapters: Object.fromEntries(Object.entries(adapters).map(([k, v]) => [k, typeof v])),
    me: { accountId: me.accountId, displayName: me.displayName },
    odd: { accountId: odd.accountId, displayName: odd.displayName, accountType: odd.accountType },
    notFound,
  };
}

main().then(
  (r) => console.log(JSON.stringify(r)),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
