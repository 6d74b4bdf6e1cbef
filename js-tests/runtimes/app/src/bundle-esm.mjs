// The ESM consumer that esbuild bundles for Node (--platform=node --format=esm), run from a folder with no
// node_modules. Config: RUNTIME_CONFIG (JSON); result: one JSON line.
import * as lib from "confluence-users";
import { direct, scenario } from "./scenario.js";

const config = JSON.parse(process.env.RUNTIME_CONFIG);
console.log(JSON.stringify(await scenario(lib, direct(config), config.special, `node ${process.version} (esbuild esm bundle)`)));
