// Runs one bundled script in Vercel's edge-runtime (the package behind `next dev`'s edge functions and
// Vercel's local edge emulation), dispatches a fetch event with the config and prints the answer.
//
//   node edge-run.cjs BUNDLE.js   (RUNTIME_CONFIG in the environment)
"use strict";
const { readFileSync } = require("node:fs");
const { EdgeRuntime } = require("edge-runtime");

async function main() {
  const runtime = new EdgeRuntime({ initialCode: readFileSync(process.argv[2], "utf8") });
  const response = await runtime.dispatchFetch("http://edge.test/", { method: "POST", body: process.env.RUNTIME_CONFIG });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`edge function answered ${response.status}: ${text}`);
  console.log(text);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
