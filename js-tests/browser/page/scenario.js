// Runs in the browser page: the same calls for both entries (`/pkg/index.js`, auto-initialised, and
// `/pkg/web/confluence_users.js` after an explicit init()). Every step's outcome is recorded as plain data
// for the Node test to assert on.

/** @returns {Promise<Record<string, {ok: true, value: unknown} | {ok: false, error: object}>>} */
export async function scenario(lib, config) {
  const { ConfluenceClient, isConfluenceError } = lib;
  const { fakeUrl, noCorsUrl, credentials, special } = config;
  const results = {};

  async function step(name, fn) {
    const t0 = performance.now();
    try {
      results[name] = { ok: true, value: await fn() };
    } catch (e) {
      results[name] = {
        ok: false,
        error: {
          isConfluenceError: isConfluenceError(e),
          isError: e instanceof Error,
          name: e?.name,
          kind: e?.kind,
          status: e?.status,
          operation: e?.operation,
          method: e?.method,
          url: e?.url,
          message: String(e?.message ?? e),
          body: e?.body,
          attempts: e?.attempts,
        },
      };
    }
    results[name].ms = Math.round(performance.now() - t0);
  }

  const basic = new ConfluenceClient({ baseUrl: fakeUrl, auth: { type: "basic", email: credentials.email, apiToken: credentials.apiToken } });
  const bearer = new ConfluenceClient({ baseUrl: fakeUrl, auth: { type: "bearer", token: credentials.oauthToken } });
  const anonymous = new ConfluenceClient({ baseUrl: fakeUrl });

  await step("getCurrentUser", async () => {
    const u = await basic.getCurrentUser({ expand: ["operations", "personalSpace"] });
    return { accountId: u.accountId, displayName: u.displayName, email: u.email, operations: u.operations.map((o) => o.operation), spaceKey: u.personalSpace?.key };
  });
  await step("getCurrentUserBearer", async () => (await bearer.getCurrentUser()).accountId);
  await step("getUserOdd", async () => {
    const u = await basic.getUser({ accountId: special.oddAccountId });
    return { accountId: u.accountId, displayName: u.displayName, accountType: u.accountType };
  });
  await step("getBulkUserLookup", async () => {
    const page = await basic.getBulkUserLookup({ accountIds: [special.currentUser, special.unknownAccountId, special.hiddenProfile, special.oddAccountId], expand: ["operations"] });
    return { ids: page.results.map((u) => u.accountId), names: page.results.map((u) => u.displayName), size: page.size };
  });
  await step("getGroupMembershipsForUser", async () => {
    const first = await basic.getGroupMembershipsForUser({ accountId: special.manyGroups });
    const second = await basic.getGroupMembershipsForUser({ accountId: special.manyGroups, start: first.start + first.size, limit: 200 });
    return { first: first.size, next: first._links.next ?? null, second: second.size, secondNext: second._links.next ?? null, names: [...first.results, ...second.results].map((g) => g.name) };
  });
  await step("getAnonymousUser", async () => (await anonymous.getAnonymousUser()).displayName);
  await step("getPrivacyUnsafeUserEmailBulk", async () => await basic.getPrivacyUnsafeUserEmailBulk({ accountIds: [special.hiddenProfile, special.unknownAccountId] }));
  await step("getBulkUserMigration", async () => (await basic.getBulkUserMigration({ usernames: [special.oddUsername, "admin"] })).results);
  await step("notFound", () => basic.getUser({ accountId: special.unknownAccountId }));
  await step("invalidArgument", () => basic.getUser({ accountId: "" }));
  await step("invalidExpand", () => basic.getBulkUserLookup({ accountIds: ["x"], expand: ["isExternalCollaborator"] }));
  await step("constructorError", async () => new ConfluenceClient({ baseUrl: "http://example.com" }));
  // A server that sends no CORS headers (as Confluence Cloud itself does): the browser refuses the answer.
  // retry: false, so the error comes from a single attempt (retries are covered in Node).
  await step("network", () => new ConfluenceClient({ baseUrl: noCorsUrl, auth: { type: "bearer", token: credentials.oauthToken }, retry: false }).getCurrentUser());
  await step("afterErrors", async () => (await basic.getUser({ accountId: special.hiddenProfile })).displayName);
  await step("concurrent", async () => {
    const ids = [special.currentUser, special.hiddenProfile, special.externalCollaborator, special.appUser, special.oddAccountId];
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => basic.getUser({ accountId: ids[i % ids.length] })));
    return all.every((u, i) => u.accountId === ids[i % ids.length]);
  });
  await step("isConfluenceErrorPlain", async () => [isConfluenceError(new Error("x")), isConfluenceError(null), isConfluenceError({})]);
  return results;
}

/** Runs the scenario and publishes the outcome on window.results (or window.fatal). */
export async function publish(loadLib) {
  try {
    const config = await (await fetch("/config.json")).json();
    const lib = await loadLib();
    window.results = await scenario(lib, config);
  } catch (e) {
    window.fatal = `${e?.name}: ${e?.message}\n${e?.stack ?? ""}`;
  }
}
