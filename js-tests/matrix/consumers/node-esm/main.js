// An ES module consumer ("type": "module"): imports the package and its adapters and makes real calls
// against the fake server. MATRIX_CONFIG (JSON: fakeUrl, credentials, special) comes from the test; the
// results go to stdout as one JSON line.
import * as lib from "confluence-users";
import { ConfluenceClient, isConfluenceError } from "confluence-users";
import * as adapters from "confluence-users/adapters";

const { fakeUrl, credentials, special } = JSON.parse(process.env.MATRIX_CONFIG);
const client = new ConfluenceClient({ baseUrl: fakeUrl, auth: { type: "bearer", token: credentials.oauthToken } });
const me = await client.getCurrentUser();
const odd = await client.getUser({ accountId: special.oddAccountId });
let notFound = null;
try {
  await client.getUser({ accountId: special.unknownAccountId });
} catch (e) {
  notFound = { isConfluenceError: isConfluenceError(e), isError: e instanceof Error, name: e.name, kind: e.kind, status: e.status, message: e.message };
}

console.log(
  JSON.stringify({
    resolved: { main: import.meta.resolve("confluence-users"), adapters: import.meta.resolve("confluence-users/adapters") },
    exports: Object.keys(lib).sort(),
    adapters: Object.fromEntries(Object.entries(adapters).map(([k, v]) => [k, typeof v])),
    me: { accountId: me.accountId, displayName: me.displayName },
    odd: { accountId: odd.accountId, displayName: odd.displayName, accountType: odd.accountType },
    notFound,
  }),
);
