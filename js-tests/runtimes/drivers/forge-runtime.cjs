// Stands in for the Forge Node runtime around a deployed function: defines the runtime global the real
// @forge/api calls (__forge_fetch__(descriptor, path, init)) and routes it to the fake Confluence with the
// site's credentials, as Forge's proxy does; then loads the deployed bundle by path and calls its handler.
//
//   node forge-runtime.cjs DEPLOY_DIR/index.cjs   (RUNTIME_CONFIG in the environment; as = "app" | "user")
"use strict";
const config = JSON.parse(process.env.RUNTIME_CONFIG);
const calls = [];
globalThis.__forge_fetch__ = async (descriptor, path, init = {}) => {
  calls.push({ type: descriptor.type, provider: descriptor.provider, remote: descriptor.remote, path });
  const headers = new Headers(init.headers);
  if (headers.has("authorization")) throw new Error("the app passed an Authorization header; Forge's proxy adds it");
  headers.set("Authorization", "Basic " + Buffer.from(`${config.credentials.email}:${config.credentials.apiToken}`).toString("base64"));
  return fetch(config.fakeUrl + "" + path, { method: init.method ?? "GET", headers });
};

const bundle = require(require("node:path").resolve(process.argv[2]));
bundle
  .handler({ as: config.as, special: config.special })
  .then((result) => console.log(JSON.stringify({ ...result, forgeFetchCalls: calls })))
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
