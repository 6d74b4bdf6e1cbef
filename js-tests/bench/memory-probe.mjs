// Child process of bench.mjs for the memory figure: a process holding nothing but the client (the
// fake server and the other contenders stay in the parent), which resolves the same ids `runs`
// times with one getBulkUserLookup call each and reports its peak RSS and wasm linear memory.
//
// stdin: JSON { pkg, url, email, apiToken, ids, runs }. stdout: JSON (see the end of the file).
import { loadOurs } from "./lib.mjs";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { pkg, url, email, apiToken, ids, runs } = JSON.parse(input);
input = "";

const maxRss = () => process.resourceUsage().maxRSS * 1024; // KiB -> bytes
const { mod, memory } = loadOurs(pkg);
const client = new mod.ConfluenceClient({ baseUrl: url, auth: { type: "basic", email, apiToken } });
const wasmBytes = () => (memory ? memory.buffer.byteLength : null);

const out = {
  afterLoad: { rss: process.memoryUsage.rss(), maxRss: maxRss(), wasm: wasmBytes() },
  runs: [],
};
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  let page = await client.getBulkUserLookup({ accountIds: ids });
  const ms = performance.now() - t0;
  const resolved = page.results.length;
  page = null;
  out.runs.push({ ms, resolved, rss: process.memoryUsage.rss(), maxRss: maxRss(), wasm: wasmBytes() });
}
client.free();
process.stdout.write(JSON.stringify(out));
