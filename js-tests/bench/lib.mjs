// Helpers of the benchmark harness (js-tests/bench/bench.mjs): loading the package with a handle on
// its wasm memory, interleaved timing, medians, child processes, the markdown table.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

/** The files a built package must have for the benchmark. */
export const PKG_FILES = [
  "index.js",
  "node/index.mjs",
  "node/confluence_users.cjs",
  "embedded/wasm.cjs",
  "web/confluence_users.js",
  "web/confluence_users_bg.wasm",
];

export function checkPkg(dir) {
  const missing = PKG_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `${dir} is not a built confluence-users package (missing ${missing.join(", ")}). Build the optimised ` +
        `package first, e.g.: node pkg-template/build.mjs --out /tmp/bench-pkg, then pass --pkg /tmp/bench-pkg`,
    );
  }
}

/**
 * `require(file)` of a package's CommonJS glue, with the first WebAssembly.Instance it creates: the
 * generated glue exports neither the memory nor the externref table, so `WebAssembly.Instance` is
 * wrapped while the glue instantiates the module. `instance` is undefined for a glue that
 * instantiates asynchronously.
 */
export function requireWithInstance(file) {
  const Original = WebAssembly.Instance;
  let instance;
  WebAssembly.Instance = new Proxy(Original, {
    construct(target, args, newTarget) {
      const made = Reflect.construct(target, args, newTarget);
      instance ??= made;
      return made;
    },
  });
  try {
    return { mod: require(file), instance };
  } finally {
    WebAssembly.Instance = Original;
  }
}

/**
 * Loads the package's Node build (what `import "confluence-users"` gives in Node: node/index.mjs
 * re-exports this CommonJS module) and keeps its WebAssembly.Memory. Returns `memory: null` if that
 * could not be had (see `requireWithInstance`).
 */
export function loadOurs(pkgDir) {
  const file = join(resolve(pkgDir), "node", "confluence_users.cjs");
  const { mod, instance } = requireWithInstance(file);
  const memory = instance?.exports?.memory instanceof WebAssembly.Memory ? instance.exports.memory : null;
  return { mod, memory, file, url: pathToFileURL(join(resolve(pkgDir), "node", "index.mjs")).href };
}

export const now = () => process.hrtime.bigint();
export const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Runs the contenders round by round, each round every contender once (`inner` calls timed
 * together, divided by `inner`), the first `warmup` rounds not recorded. The contender that starts
 * a round rotates (A B C, B C A, C A B, ...), so none always runs right after the same other one
 * (whose garbage it would collect). Returns name -> per-call milliseconds of every recorded round.
 * @param {{name: string, run: () => Promise<unknown>, before?: () => void, after?: () => void}[]} contenders
 */
export async function interleave(contenders, { rounds, warmup = 0, inner = 1 }) {
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  const n = contenders.length;
  for (let r = 0; r < warmup + rounds; r++) {
    for (let k = 0; k < n; k++) {
      const c = contenders[(r + k) % n];
      c.before?.();
      try {
        const t0 = now();
        for (let i = 0; i < inner; i++) await c.run();
        const ms = msSince(t0) / inner;
        if (r >= warmup) samples[c.name].push(ms);
      } finally {
        c.after?.();
      }
    }
  }
  return samples;
}

/**
 * Spawns `node --input-type=module -e script` and resolves with the milliseconds from just before
 * the spawn to the child's first "done" line on stdout; waits for the child to exit.
 */
export function timeChild(script, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = now();
    let doneMs;
    let out = "";
    let err = "";
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d) => {
      out += d;
      if (doneMs === undefined && /(^|\n)done\n/.test(out)) doneMs = msSince(t0);
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (doneMs === undefined || code !== 0) {
        reject(new Error(`child exited with ${code ?? signal} before printing "done": ${err.trim() || out.trim()}`));
      } else resolvePromise(doneMs);
    });
  });
}

/** Runs a node script with `input` on stdin, resolves with its stdout parsed as JSON. */
export function runJsonChild(file, args, input, { env = {}, timeoutMs = 300_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${file} exited with ${code ?? signal}: ${err.trim() || out.trim()}`));
      try {
        resolvePromise(JSON.parse(out));
      } catch {
        reject(new Error(`${file} printed no JSON: ${out.slice(0, 500)} ${err.slice(0, 500)}`));
      }
    });
    child.stdin.end(input);
  });
}

/** Samples process RSS every `everyMs` while `fn` runs; returns { result, peakRss, startRss }. */
export async function withRssSampling(fn, everyMs = 2) {
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peakRss) peakRss = r;
  }, everyMs);
  try {
    const result = await fn();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return { result, peakRss, startRss };
  } finally {
    clearInterval(timer);
  }
}

// ------------------------------------------------------------------------------------------------
// Formatting

export const fmtMs = (ms) =>
  !Number.isFinite(ms) ? "n/a" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`;
export const fmtKB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KB` : "n/a");
export const fmtMB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : "n/a");
export const fmtRatio = (x) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
export const fmtInt = (n) => (Number.isFinite(n) ? n.toLocaleString("en-US") : "n/a");

/** A markdown table with padded columns. */
export function markdownTable(header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c ?? "").replace(/\|/g, "\\|")));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(cells[0]), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.slice(1).map(line)].join("\n");
}
