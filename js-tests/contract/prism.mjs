// Starts and stops `prism mock -d` (Stoplight Prism, from js-tests/node_modules) for the contract
// test. Prism runs in its own process group (`detached: true`) so that stopping it kills every
// process it started; the groups are also killed when this process exits or is signalled, and a
// preload (exit-with-parent.cjs) kills prism if this process dies without any cleanup at all.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const JS_TESTS = join(HERE, "..");
const PRELOAD = join(HERE, "exit-with-parent.cjs");

/** Prism's package (resolved from js-tests/, as npm installed it): its CLI script and version. */
export function prismPackage() {
  const require = createRequire(join(JS_TESTS, "package.json"));
  let pkgJson;
  try {
    pkgJson = require.resolve("@stoplight/prism-cli/package.json");
  } catch {
    throw new Error(`@stoplight/prism-cli is not installed in ${JS_TESTS}/node_modules: run \`npm ci\` in js-tests/`);
  }
  const pkg = JSON.parse(readFileSync(pkgJson, "utf8"));
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin.prism;
  return { dir: dirname(pkgJson), version: pkg.version, cli: join(dirname(pkgJson), bin), require: createRequire(pkgJson) };
}

/** A port that was free a moment ago on 127.0.0.1 (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set(); // process group ids of prism instances not yet known to be dead

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const cleanups = new Set(); // synchronous functions to run when this process ends, however it ends

/** Runs `fn` (synchronous) when this process exits or is ended by SIGINT/SIGTERM/SIGHUP. */
export function atExit(fn) {
  hookProcessExit();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups() {
  for (const pgid of live) killGroup(pgid, "SIGKILL");
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  cleanups.clear();
}

let hooked = false;
function hookProcessExit() {
  if (hooked) return;
  hooked = true;
  process.on("exit", runCleanups);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, () => {
      runCleanups();
      process.kill(process.pid, sig); // the listener is gone: the default action ends the process
    });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `prism mock -d -h 127.0.0.1 -p PORT spec` and waits until it answers HTTP.
 * @returns {Promise<{ url: string, port: number, pid: number, startupMs: number, command: string,
 *   alive(): boolean, log(): string, stop(opts?: { force?: boolean }): Promise<void> }>}
 */
export async function startPrism(spec, { readyTimeoutMs = 45_000, attempts = 3 } = {}) {
  const { cli } = prismPackage();
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await freePort();
    try {
      return await startOn(cli, spec, port, readyTimeoutMs);
    } catch (e) {
      lastError = e;
      if (!e.portTaken) throw e;
      // Someone else took the port between our probe and prism's listen(): try another one.
    }
  }
  throw lastError;
}

async function startOn(cli, spec, port, readyTimeoutMs) {
  hookProcessExit();
  const args = ["--require", PRELOAD, cli, "mock", "-d", "-h", "127.0.0.1", "-p", String(port), spec];
  const command = `node ${args.join(" ")}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    detached: true, // own process group: stop() kills prism and anything it spawned
    stdio: ["pipe", "pipe", "pipe"], // stdin stays open: see exit-with-parent.cjs
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
  });
  const pgid = child.pid;
  live.add(pgid);
  const lines = [];
  let listening = null;
  const keep = (chunk) => {
    for (const line of String(chunk).split("\n")) {
      if (!line) continue;
      const m = /Prism is listening on (\S+)/.exec(line);
      if (m) listening = m[1];
      lines.push(line);
      if (lines.length > 400) lines.splice(0, lines.length - 300);
    }
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.stdin.on("error", () => {});
  let exited = null;
  const exitPromise = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      live.delete(pgid);
      resolve();
    }),
  );
  const log = () => lines.join("\n");
  const url = `http://127.0.0.1:${port}`;

  const stop = async ({ force = false } = {}) => {
    if (exited) {
      killGroup(pgid, "SIGKILL"); // children of a dead leader, if any
      return;
    }
    killGroup(pgid, force ? "SIGKILL" : "SIGTERM");
    const timer = sleep(3000).then(() => "timeout");
    if ((await Promise.race([exitPromise, timer])) === "timeout") {
      killGroup(pgid, "SIGKILL");
      await exitPromise;
    }
    killGroup(pgid, "SIGKILL"); // anything left in the group
    child.stdin.destroy();
  };

  // Ready = our own child has logged that it listens on our URL (so it, not another process that
  // got the same port from listen(0), owns it) AND an HTTP request is answered with prism's own
  // "no path matched" problem document.
  const deadline = t0 + readyTimeoutMs;
  for (;;) {
    if (exited) {
      const err = new Error(`prism exited during startup (${JSON.stringify(exited)}). Command: ${command}\n${log()}`);
      err.portTaken = /EADDRINUSE/.test(log());
      throw err;
    }
    if (performance.now() > deadline) {
      await stop({ force: true });
      throw new Error(`prism did not answer on ${url} within ${readyTimeoutMs} ms. Command: ${command}\n${log()}`);
    }
    if (listening === null) {
      await sleep(50);
      continue;
    }
    if (listening !== url) {
      await stop({ force: true });
      throw new Error(`prism says it listens on ${listening}, not ${url}:\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      if (!text.includes("stoplight.io/prism/errors#NO_PATH_MATCHED")) {
        await stop({ force: true });
        throw Object.assign(new Error(`${url} answered, but not as prism: ${res.status} ${text.slice(0, 300)}`), { fatal: true });
      }
      break;
    } catch (e) {
      if (e.fatal) throw e;
      await sleep(50);
    }
  }
  const startupMs = Math.round(performance.now() - t0);
  return {
    url,
    port,
    pid: child.pid,
    startupMs,
    command,
    listening,
    alive: () => !exited,
    exitInfo: () => exited,
    log,
    stop,
  };
}
