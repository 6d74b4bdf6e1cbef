// Runs in the browser page (bundled by Vite, webpack and esbuild, and loaded unbundled by the CSP page).
// Reads config.json from the page's own server (the fake's URL, its credentials and special ids), calls the
// fake cross-origin, and publishes plain data in window.__results for the test to assert on.

export async function publish(lib) {
  try {
    window.__results = await scenario(lib);
  } catch (e) {
    window.__results = { fatal: String(e?.stack ?? e) };
  }
}

async function scenario(lib) {
  const { ConfluenceClient, isConfluenceError } = lib;
  const config = await (await fetch(new URL("config.json", document.baseURI))).json();
  const { fakeUrl, credentials, special } = config;
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
    exports: Object.keys(lib).sort(),
    me: { accountId: me.accountId, displayName: me.displayName },
    odd: { accountId: odd.accountId, displayName: odd.displayName, accountType: odd.accountType },
    notFound,
  };
}
