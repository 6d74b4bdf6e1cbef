// The page's Confluence part, without DOM: a client from the settings, and the lookup itself.
import { ConfluenceClient } from "confluence-users";

/**
 * A client for the settings of the form.
 * - With `baseUrl` (a site, or anything serving /wiki/rest/api/...): the browser calls it directly,
 *   with basic auth. Confluence Cloud sends no CORS headers, so this only works against servers that
 *   do (the project's fake Confluence does).
 * - Without: same-origin relative paths (/wiki/rest/api/...) and no credentials in the page; the
 *   server the page came from proxies them to the site and adds the credentials (vite.config.js).
 */
export function createClient({ baseUrl, email, apiToken }) {
  if (!baseUrl) return new ConfluenceClient({});
  return new ConfluenceClient({ baseUrl, auth: { type: "basic", email, apiToken } });
}

/** Account ids from a comma- or newline-separated list (ids may contain spaces, never commas). */
export function parseIds(text) {
  return [...new Set((text ?? "").split(/[,\n]/).map((s) => s.trim()).filter(Boolean))];
}

/**
 * The rows of the table: the current user first, then one row per requested id, in order;
 * `found: false` for ids Confluence does not know (the bulk lookup leaves them out).
 */
export async function lookUpUsers(client, accountIds) {
  const me = await client.getCurrentUser();
  const found = new Map();
  if (accountIds.length > 0) {
    // Any number of ids: the client splits them into requests of at most 200.
    const { results } = await client.getBulkUserLookup({ accountIds });
    for (const user of results) found.set(user.accountId, user);
  }
  const row = (accountId, user, you = false) => ({
    accountId,
    found: Boolean(user),
    you,
    displayName: user?.displayName ?? user?.publicName ?? "",
    email: user?.email ?? "",
    accountType: user?.accountType ?? "",
    timeZone: user?.timeZone ?? "",
  });
  return [row(me.accountId, me, true), ...accountIds.map((id) => row(id, found.get(id)))];
}
