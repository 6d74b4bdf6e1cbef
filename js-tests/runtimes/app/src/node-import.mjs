// Node (any version) and Deno/Bun: `import "confluence-users"` unbundled; also `require` from the same
// process, to show both give the one wasm instance. Config: RUNTIME_CONFIG (JSON); result: one JSON line.
import { createRequire } from "node:module";
import * as lib from "confluence-users";
import { direct, scenario } from "./scenario.js";

const config = JSON.parse(process.env.RUNTIME_CONFIG);
const required = createRequire(import.meta.url)("confluence-users");
const runtime = typeof Deno === "object" ? `deno ${Deno.version.deno}` : typeof Bun === "object" ? `bun ${Bun.version}` : `node ${process.version}`;
const result = await scenario(lib, direct(config), config.special, runtime);
result.sameInstance = required.ConfluenceClient === lib.ConfluenceClient;
result.resolved = import.meta.resolve("confluence-users");
console.log(JSON.stringify(result));
