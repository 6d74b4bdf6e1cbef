// Runs a `wrangler deploy --dry-run --outdir` folder in workerd itself (the open-source Workers runtime,
// the same binary wrangler and miniflare start), from a generated config: every .js file of the folder is
// an ES module and every .wasm a compiled WebAssembly module, as wrangler uploads them. Outbound fetch may
// reach loopback addresses only (the fake Confluence). POSTs the config and prints the worker's answer.
//
//   node workerd-run.mjs WORKERD_BINARY OUT_DIR MAIN_MODULE COMPATIBILITY_DATE PORT   (RUNTIME_CONFIG in env)
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [workerd, outDir, main, compatibilityDate, port] = process.argv.slice(2);
const files = readdirSync(outDir).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
const modules = [main, ...files.filter((f) => f !== main)].map((f) => `(name = "${f}", ${f.endsWith(".wasm") ? "wasm" : "esModule"} = embed "${f}")`);
const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "${compatibilityDate}",
  globalOutbound = "loopback",
);
`;
writeFileSync(join(outDir, "workerd.capnp"), config);
// workerd's stdout is not ours: our stdout is the one JSON line the test reads.
const child = spawn(workerd, ["serve", join(outDir, "workerd.capnp")], { stdio: ["ignore", "ignore", "inherit"] });
const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(`workerd exited (${code ?? signal})`)));
try {
  let response;
  for (let attempt = 0; !response; attempt++) {
    try {
      response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: process.env.RUNTIME_CONFIG });
    } catch (e) {
      const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 100))]);
      if (early) throw new Error(early);
      if (attempt > 200) throw new Error(`workerd did not listen on 127.0.0.1:${port}: ${e.message}`);
    }
  }
  const text = await response.text();
  if (response.status !== 200) throw new Error(`worker answered ${response.status}: ${text}`);
  console.log(text);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  child.kill("SIGKILL");
}
process.exit(); // stdout is a pipe, written synchronously on Linux: nothing is lost
