// The Custom UI frontend's logic: who is looking (as the current user, through @forge/bridge's
// requestConfluence) and their email address (through the app's resolver, which calls Confluence
// as the app).
//
// main.js imports @forge/bridge and passes its functions in, so this module has no Forge imports
// (js-tests/examples.test.mjs runs it with stand-ins).
import { ConfluenceClient, isConfluenceError } from "confluence-users";
import { forgeBridgeFetch } from "confluence-users/adapters";

/**
 * Loads what the page shows. `requestConfluence` and `invoke` are @forge/bridge's; `groupPageSize` is
 * the number of groups per request (default: the server's).
 * @param {{
 *   requestConfluence: (restPath: string, init?: object) => Promise<Response>,
 *   invoke: (functionKey: string, payload?: object) => Promise<any>,
 *   groupPageSize?: number,
 * }} deps
 */
export async function loadPanel({ requestConfluence, invoke, groupPageSize }) {
  // No baseUrl and no auth: the bridge sends /wiki/rest/api/... to the current site as the viewer.
  const client = new ConfluenceClient({ fetch: forgeBridgeFetch(requestConfluence) });

  const me = await client.getCurrentUser({ expand: ["personalSpace"] });
  const groups = [];
  for await (const group of client.paginateGroupMembershipsForUser({ accountId: me.accountId, limit: groupPageSize })) {
    groups.push(group.name);
  }
  // The address may be hidden in `me.email` by the viewer's privacy settings; the resolver asks
  // Confluence as the app (src/resolver.js).
  const answer = await invoke("getEmail", { accountId: me.accountId });
  return {
    accountId: me.accountId,
    displayName: me.displayName ?? me.publicName ?? "",
    email: answer.email ?? null,
    emailError: answer.error ?? null,
    personalSpace: me.personalSpace ? me.personalSpace.key : null,
    groups,
  };
}

/** Renders `model` (from loadPanel) into `root`, with textContent only: names are user data. */
export function renderPanel(root, model) {
  const doc = root.ownerDocument;
  const el = (tag, text, attrs = {}) => {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const facts = el("dl");
  for (const [term, value, key] of [
    ["Name", model.displayName, "displayName"],
    ["Account id", model.accountId, "accountId"],
    ["Email (as the app)", model.email ?? `unavailable: ${model.emailError}`, "email"],
    ["Personal space", model.personalSpace ?? "none", "personalSpace"],
  ]) {
    facts.append(el("dt", term), el("dd", value, { "data-field": key }));
  }
  const list = el("ul", undefined, { id: "groups" });
  for (const name of model.groups) list.append(el("li", name));
  root.replaceChildren(el("h2", "You"), facts, el("h3", `Your groups (${model.groups.length})`), list);
  root.dataset.state = "done";
}

/** Loads and renders; a failure is shown in the page. */
export async function run({ requestConfluence, invoke, root }) {
  try {
    renderPanel(root, await loadPanel({ requestConfluence, invoke }));
  } catch (e) {
    root.textContent = isConfluenceError(e) ? `Confluence said no: ${e.message}` : `Failed: ${e}`;
    root.dataset.state = "error";
  }
}
