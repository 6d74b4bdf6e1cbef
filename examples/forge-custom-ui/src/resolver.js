// The app's resolver (backend): email addresses, which Confluence only gives to an app acting as
// itself, `api.asApp()`, and only with Atlassian's approval for the app.
//
// src/index.js imports @forge/resolver and @forge/api and passes them in, so this module has no
// Forge imports and runs anywhere (js-tests/examples.test.mjs runs it with stand-ins).
import { ConfluenceClient, isConfluenceError } from "confluence-users";
import { forgeApiFetch } from "confluence-users/adapters";

/** At most this many account ids per call: /user/email/bulk is meant for a screenful, not the directory. */
export const MAX_IDS = 100;

/**
 * Defines the resolver functions the frontend calls with `invoke(name, payload)`.
 *
 * Mind what asApp means: the app's own permissions, not the viewer's. Anyone who can load the
 * frontend can call these functions with any payload; a real app decides here whose addresses the
 * caller (`req.context.accountId`) may see.
 *
 * @param {{ define(name: string, fn: (req: { payload: any, context: any }) => any): void }} resolver
 *   `new Resolver()` from @forge/resolver
 * @param {{ api: { asApp(): object }, assumeTrustedRoute: (path: string) => unknown }} forge
 *   `api` and `assumeTrustedRoute` from @forge/api
 */
export function defineResolvers(resolver, { api, assumeTrustedRoute }) {
  // One client per invocation: asApp() is bound to the invocation's context.
  const asApp = () => new ConfluenceClient({ fetch: forgeApiFetch(api.asApp(), assumeTrustedRoute) });

  // { accountId } -> { accountId, email } or { accountId, error }
  resolver.define("getEmail", async ({ payload }) => {
    const accountId = payload?.accountId;
    if (typeof accountId !== "string" || accountId === "") return { error: "accountId must be a non-empty string" };
    try {
      return await asApp().getPrivacyUnsafeUserEmail({ accountId });
    } catch (e) {
      return { accountId, error: describe(e) };
    }
  });

  // { accountIds } -> { emails: { [accountId]: email } } (unknown ids are left out) or { error }
  resolver.define("getEmails", async ({ payload }) => {
    const accountIds = payload?.accountIds;
    if (!Array.isArray(accountIds) || accountIds.some((id) => typeof id !== "string" || id === "")) {
      return { error: "accountIds must be an array of non-empty strings" };
    }
    if (accountIds.length > MAX_IDS) return { error: `at most ${MAX_IDS} account ids per call` };
    if (accountIds.length === 0) return { emails: {} };
    try {
      const records = await asApp().getPrivacyUnsafeUserEmailBulk({ accountIds });
      return { emails: Object.fromEntries(records.map((r) => [r.accountId, r.email])) };
    } catch (e) {
      return { error: describe(e) };
    }
  });

  return resolver;
}

/** What the frontend may see of a failure: a ConfluenceError's message holds no credential. */
function describe(e) {
  if (isConfluenceError(e)) return `${e.status || e.kind}: ${e.message}`;
  throw e;
}
