// Shared helpers for the package's JS test suites (js-tests/*.test.mjs, js-tests/types/, js-tests/browser/).
//
// The suites test the package exactly as a user gets it: pkg/ is packed with `npm pack`, the tarball is
// installed with `npm install` (offline: a local tarball needs no registry) into a throwaway consumer project
// under os.tmpdir(), and the package is loaded by its NAME from there.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect } from "node:util";

import { CREDENTIALS, SPECIAL, startFakeConfluence } from "./fake-server/server.mjs";

export { CREDENTIALS, SPECIAL, startFakeConfluence };

export const JS_TESTS = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(JS_TESTS, "..");
export const PKG_DIR = join(REPO, "pkg");
export const PKG_NAME = "confluence-users";

/** `Authorization` value of the fake's valid basic credentials. */
export const BASIC_HEADER = basicHeader(CREDENTIALS.email, CREDENTIALS.apiToken);
/** `Authorization` value of the fake's valid bearer token. */
export const BEARER_HEADER = `Bearer ${CREDENTIALS.oauthToken}`;

export function basicHeader(email, token) {
  return "Basic " + Buffer.from(`${email}:${token}`, "utf8").toString("base64");
}

/** Fails with the build command when pkg/ has not been built. */
export function assertBuilt() {
  const needed = ["package.json", "index.js", "index.d.ts", "node/index.mjs", "node/confluence_users.cjs", "embedded/wasm.cjs", "web/confluence_users.js", "web/confluence_users_bg.wasm"];
  const missing = needed.filter((f) => !existsSync(join(PKG_DIR, f)));
  if (missing.length > 0) {
    throw new Error(`pkg/ is not built (missing ${missing.join(", ")}). Build it first: cd ${REPO} && node pkg-template/build.mjs --no-opt`);
  }
}

function npm(args, cwd) {
  return execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
  });
}

/**
 * Packs pkg/ and installs the tarball into a fresh consumer project.
 * @returns {{ root: string, consumer: string, tarball: string, cleanup(): void }}
 */
export function installPackage(label = "consumer") {
  assertBuilt();
  const root = mkdtempSync(join(tmpdir(), `confluence-users-${label}-`));
  const cache = join(root, "npm-cache");
  const packed = JSON.parse(npm(["pack", PKG_DIR, "--pack-destination", root, "--ignore-scripts", "--json", "--cache", cache], root));
  const tarball = join(root, packed[0].filename);
  const consumer = join(root, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: `${label}-app`, version: "1.0.0", private: true }, null, 2));
  // A local tarball needs no registry: --offline proves the install works without network.
  npm(["install", "--no-audit", "--no-fund", "--offline", "--ignore-scripts", "--no-package-lock", "--cache", cache, tarball], consumer);
  const installed = join(consumer, "node_modules", PKG_NAME);
  assert.ok(existsSync(join(installed, "package.json")), `npm install did not create ${installed}`);
  return {
    root,
    consumer,
    tarball,
    installed,
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Loads the installed package by its name from the consumer project, through `import` (a .mjs file in the
 * consumer project, so Node resolves exports["."].node.import) and through `require` (createRequire from the
 * consumer project: exports["."].node.require).
 */
export async function loadBothWays(consumer) {
  const esmEntry = join(consumer, "load-esm.mjs");
  writeFileSync(
    esmEntry,
    `export * from "${PKG_NAME}";\n` +
      `import * as ns from "${PKG_NAME}";\n` +
      `export const namespace = ns;\n` +
      `export const resolvedUrl = import.meta.resolve("${PKG_NAME}");\n` +
      `export const resolvedWebUrl = import.meta.resolve("${PKG_NAME}/web");\n`,
  );
  const esmModule = await import(pathToFileURL(esmEntry).href);
  const require = createRequire(join(consumer, "package.json"));
  const cjs = require(PKG_NAME);
  return {
    esm: esmModule.namespace,
    esmResolved: fileURLToPath(esmModule.resolvedUrl),
    esmWebResolved: fileURLToPath(esmModule.resolvedWebUrl),
    cjs,
    cjsResolved: require.resolve(PKG_NAME),
    require,
  };
}

/** A second, independent copy of the installed package (another folder), loaded by name with require. */
export function loadSecondCopy(installedDir, root) {
  const other = join(root, "second-copy");
  mkdirSync(join(other, "node_modules"), { recursive: true });
  writeFileSync(join(other, "package.json"), JSON.stringify({ name: "second-app", private: true }));
  cpSync(installedDir, join(other, "node_modules", PKG_NAME), { recursive: true });
  const require = createRequire(join(other, "package.json"));
  return { module: require(PKG_NAME), resolved: require.resolve(PKG_NAME) };
}

/** A 127.0.0.1 port nothing listens on: the fake server's own helper, one copy for every suite. */
export { closedPort } from "./fake-server/faults.mjs";

/**
 * Awaits `promiseOrFn` (a promise, or a function called synchronously, for constructors) and asserts it
 * fails with a ConfluenceError of the given shape. Returns the error.
 */
export async function expectConfluenceError(promiseOrFn, want) {
  let error;
  try {
    const r = typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn;
    if (r && typeof r.then === "function") await r;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected a ConfluenceError ${inspect(want)}, but the call succeeded`);
  assert.ok(error instanceof Error, `expected an Error, got ${inspect(error)}`);
  assert.equal(error.name, "ConfluenceError", `name of ${inspect(error)}`);
  for (const [key, value] of Object.entries(want)) {
    if (key === "message") {
      if (value instanceof RegExp) assert.match(error.message, value);
      else assert.equal(error.message, value);
    } else if (key === "messageIncludes") {
      for (const part of [].concat(value)) assert.ok(error.message.includes(part), `message ${JSON.stringify(error.message)} should include ${JSON.stringify(part)}`);
    } else if (key === "body") {
      assert.deepEqual(error.body, value);
    } else {
      assert.equal(error[key], value, `error.${key} (message: ${error.message})`);
    }
  }
  return error;
}

/** Runs `fn` and returns its result plus the requests `fake` recorded meanwhile. */
export async function recorded(fake, fn) {
  const before = fake.requests.length;
  const result = await fn();
  return { result, requests: fake.requests.slice(before) };
}

/** Resolves once `server` listens on 127.0.0.1; returns its base URL. */
export async function listen(server) {
  await new Promise((r, j) => {
    server.once("error", j);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", j);
      r();
    });
  });
  return `http://127.0.0.1:${server.address().port}`;
}


/** Runs `fn(fake)` with a fresh fake Confluence (`opts` for startFakeConfluence), closed afterwards (hung connections included). */
export async function withFake(opts, fn) {
  const fake = await startFakeConfluence({ port: 0, ...opts });
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}
