// The Custom UI entry: the host-specific part. Everything else is in panel.js.
import { invoke, requestConfluence } from "@forge/bridge";
import { run } from "./panel.js";

run({ requestConfluence, invoke, root: document.getElementById("root") });
