// A Forge Custom UI frontend: the real @forge/bridge requestConfluence, through confluence-users/adapters'
// forgeBridgeFetch. It ends in the host global __bridge.callBridge('fetchProduct', ...), which host.js
// (the test's stand-in for the Atlassian product around the iframe) routes to the fake Confluence.
import { requestConfluence } from "@forge/bridge";
import * as lib from "confluence-users/embedded";
import { forgeBridgeFetch } from "confluence-users/adapters";
import { publish } from "./page.js";

publish(lib, "@forge/bridge", { fetch: forgeBridgeFetch(requestConfluence) });
