// The Connect page's logic: the current user's groups, every page of them, through AP.request (the
// host calls Confluence as the current user; the app's descriptor scopes decide what it may call).
//
// main.js passes Connect's global AP in, so this module has no host globals
// (js-tests/examples.test.mjs runs it with an AP.request stand-in).
import { ConfluenceClient, isConfluenceError } from "confluence-users";
import { connectFetch } from "confluence-users/adapters";

/**
 * Loads the current user and all their groups. `AP` is Connect's (from all.js); `pageSize` is the
 * number of groups per request (default: the server's, 200).
 * @param {{ AP: import("confluence-users/adapters").ConnectAP, pageSize?: number }} deps
 */
export async function loadGroups({ AP, pageSize }) {
  // No baseUrl and no auth: AP.request authenticates and sends the request to the current site.
  const client = new ConfluenceClient({ fetch: connectFetch(AP) });
  const me = await client.getCurrentUser();
  const groups = [];
  // Follows _links.next until the last page; `break` would stop it without another request.
  for await (const group of client.paginateGroupMembershipsForUser({ accountId: me.accountId, limit: pageSize })) {
    groups.push({ name: group.name, id: group.id ?? null });
  }
  // Needs the ACCESS_EMAIL_ADDRESSES scope (and Atlassian's approval): optional here.
  let email = null;
  try {
    ({ email } = await client.getPrivacyUnsafeUserEmail({ accountId: me.accountId }));
  } catch (e) {
    if (!isConfluenceError(e)) throw e;
  }
  return { accountId: me.accountId, displayName: me.displayName ?? me.publicName ?? "", email, groups };
}

/** Renders `model` (from loadGroups) into `root`, with textContent only: group names are user data. */
export function renderGroups(root, model) {
  const doc = root.ownerDocument;
  const heading = doc.createElement("h2");
  heading.textContent = `${model.displayName}${model.email ? ` <${model.email}>` : ""}: ${model.groups.length} groups`;
  const list = doc.createElement("ul");
  list.id = "group-list";
  for (const group of model.groups) {
    const item = doc.createElement("li");
    item.textContent = group.name;
    list.append(item);
  }
  root.replaceChildren(heading, list);
  root.dataset.state = "done";
}

/** Loads and renders; a failure is shown in the page. */
export async function run({ AP, root }) {
  try {
    renderGroups(root, await loadGroups({ AP }));
  } catch (e) {
    root.textContent = isConfluenceError(e) ? `Confluence said no: ${e.message}` : `Failed: ${e}`;
    root.dataset.state = "error";
  }
  AP.resize?.(); // let the host fit the iframe to the content
}
