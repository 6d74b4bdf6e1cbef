// Deno: the package through an `npm:` specifier (resolved from the local node_modules).
import * as lib from "npm:confluence-users";
import { direct, scenario } from "./scenario.js";

const config = JSON.parse(Deno.env.get("RUNTIME_CONFIG"));
const result = await scenario(lib, direct(config), config.special, `deno ${Deno.version.deno} (npm: specifier)`);
result.resolved = import.meta.resolve("npm:confluence-users");
console.log(JSON.stringify(result));
