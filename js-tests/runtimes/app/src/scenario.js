// The operations every runtime cell drives, written for any JS runtime (no Node, DOM or Deno API):
// current user, a user, bulk lookup, memberships (one page and every page), migration, and one failing
// call whose ConfluenceError is returned as plain data. `clientOptions` is either baseUrl + auth, or
// `{ fetch }` with a host adapter (then the host authenticates). Returns plain JSON data.
export async function scenario(lib, clientOptions, special, runtime) {
  const { ConfluenceClient, isConfluenceError } = lib;
  const client = new ConfluenceClient(clientOptions);
  const me = await client.getCurrentUser();
  const user = await client.getUser({ accountId: special.oddAccountId });
  const bulk = await client.getBulkUserLookup({ accountIds: [special.currentUser, special.oddAccountId, special.unknownAccountId, special.hiddenProfile] });
  const groups = await client.getGroupMembershipsForUser({ accountId: special.currentUser });
  let allGroups = 0;
  for await (const group of client.paginateGroupMembershipsForUser({ accountId: special.manyGroups })) if (typeof group.name === "string") allGroups += 1;
  const migration = await client.getBulkUserMigration({ usernames: ["admin", special.oddUsername, "nosuchuser"] });
  let notFound = null;
  try {
    await client.getUser({ accountId: special.unknownAccountId });
  } catch (e) {
    notFound = { isConfluenceError: isConfluenceError(e), isError: e instanceof Error, name: e.name, kind: e.kind, status: e.status, message: e.message };
  }
  return {
    runtime,
    exports: Object.keys(lib).filter((k) => k !== "default" && k !== "module.exports").sort(),
    me: { accountId: me.accountId, displayName: me.displayName },
    user: { accountId: user.accountId, displayName: user.displayName, accountType: user.accountType },
    bulk: bulk.results.map((u) => u.accountId),
    groups: groups.results.map((g) => g.name),
    allGroups,
    migration: migration.results.map((m) => ({ username: m.username ?? null, accountId: m.accountId ?? null })),
    notFound,
  };
}

/** baseUrl + basic auth against the fake, from the config the test passes in. */
export function direct(config) {
  return { baseUrl: config.fakeUrl, auth: { type: "basic", email: config.credentials.email, apiToken: config.credentials.apiToken } };
}
