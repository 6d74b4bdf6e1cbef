// Node (any version), Bun: `require("confluence-users")` unbundled, and the CommonJS consumer that the
// esbuild/webpack node cells bundle. Config: RUNTIME_CONFIG (JSON); result: one JSON line.
"use strict";
const lib = require("confluence-users");

async function main() {
  const config = JSON.parse(process.env.RUNTIME_CONFIG);
  const { direct, scenario } = await import("./scenario.js");
  const runtime = typeof Bun === "object" ? `bun ${Bun.version}` : `node ${process.version}`;
  const result = await scenario(lib, direct(config), config.special, runtime);
  result.sameInstance = require("confluence-users").ConfluenceClient === lib.ConfluenceClient;
  return result;
}

main().then(
  (r) => console.log(JSON.stringify(r)),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
