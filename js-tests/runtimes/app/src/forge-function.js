// A Forge function (resolver/trigger style handler), bundled by @forge/bundler's own webpack config and
// run from its deploy folder. The real @forge/api runs: asApp()/asUser().requestConfluence with its own
// assumeTrustedRoute, through confluence-users/adapters' forgeApiFetch. It ends in the runtime global
// __forge_fetch__, which the test provides (routed to the fake Confluence).
import api, { assumeTrustedRoute } from "@forge/api";
import * as lib from "confluence-users";
import { forgeApiFetch } from "confluence-users/adapters";
import { scenario } from "./scenario.js";

export async function handler(event) {
  const requester = event.as === "user" ? api.asUser() : api.asApp();
  return scenario(lib, { fetch: forgeApiFetch(requester, assumeTrustedRoute) }, event.special, `forge function (${event.as})`);
}
