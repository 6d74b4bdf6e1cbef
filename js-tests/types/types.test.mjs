// TypeScript consumer checks: the installed package's declarations, compiled with js-tests' typescript
// (node_modules/.bin/tsc) in a throwaway consumer project that installed the packed tarball.
//
// - good.ts compiles under --strict with moduleResolution nodenext (an ESM and a CommonJS consumer) and
//   bundler; good-web.ts (the ./web entry) under bundler; good-fetch.ts (the `fetch` option).
// - every bad-*.ts holds ONE wrong usage, marked `// @expect TSxxxx [TSyyyy]` on its line: tsc must exit
//   non-zero, and every diagnostic of that file must be on the marked line with one of the listed codes, so a
//   bad file failing for an unrelated reason does not count. The bad files are compiled in one tsc run per
//   resolution mode (each file is its own module, so their diagnostics are independent): one process per file
//   would cost a second each.
// - no `any` in the public declarations.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { JS_TESTS, installPackage } from "../helpers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const TSC = join(JS_TESTS, "node_modules", ".bin", "tsc");
const SOURCES = readdirSync(HERE).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
const BAD = SOURCES.filter((f) => f.startsWith("bad-")).sort();

// A Node consumer has @types/node, not the DOM lib (AbortSignal comes from @types/node then). It is in
// js-tests/node_modules transitively; without it, the Node runs fall back to the DOM lib.
const NODE_TYPES = join(JS_TESTS, "node_modules", "@types");
const HAS_NODE_TYPES = existsSync(join(NODE_TYPES, "node", "package.json"));
// skipLibCheck there: checking @types/node costs ~3 s of CPU per run, and the package's declarations are
// checked by the bundler and ES2022 runs (the three entries' declarations are asserted identical below).
const NODE_CONSUMER = HAS_NODE_TYPES ? { lib: ["esnext"], typeRoots: [NODE_TYPES], types: ["node"], skipLibCheck: true } : { lib: ["esnext", "dom"] };
if (!HAS_NODE_TYPES) console.log("# @types/node is not installed in js-tests: the nodenext checks use the DOM lib instead");

const BASE_OPTIONS = {
  strict: true,
  noEmit: true,
  target: "es2022",
  lib: ["esnext"],
  skipLibCheck: false, // the package's own .d.ts files are checked too
  skipDefaultLibCheck: true, // ...but not TypeScript's lib.*.d.ts (4 s per run)
  types: [],
  pretty: false,
  listFiles: true,
};

let inst;
const runs = {};

function tsc(cwd, project) {
  return new Promise((resolve) => {
    execFile(TSC, ["-p", project], { cwd, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      const output = `${stdout}${stderr}`;
      const diagnostics = [];
      for (const line of output.split("\n")) {
        const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
        if (m) diagnostics.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), code: m[4], text: m[5], raw: line });
      }
      const files = output.split("\n").filter((l) => l.startsWith("/"));
      resolve({ code, output, diagnostics, files, errorLines: output.split("\n").filter((l) => / error TS\d+/.test(l)).join("\n") });
    });
  });
}

/** A consumer sub-project: its package.json, a tsconfig per file set, and copies of the sources. */
function project(name, { type, module, moduleResolution, ...extra }) {
  const dir = join(inst.consumer, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `types-${name}`, private: true, type }));
  for (const f of SOURCES) copyFileSync(join(HERE, f), join(dir, f));
  const write = (config, files) => {
    writeFileSync(join(dir, config), JSON.stringify({ compilerOptions: { ...BASE_OPTIONS, module, moduleResolution, ...extra }, files }, null, 2));
    return config;
  };
  return { dir, write };
}

before(async () => {
  if (!existsSync(TSC)) throw new Error(`typescript is not installed: ${TSC} (npm ci --prefix js-tests)`);
  inst = installPackage("types-test");
  const esm = project("esm", { type: "module", module: "nodenext", moduleResolution: "nodenext", ...NODE_CONSUMER });
  const cjs = project("cjs", { type: "commonjs", module: "nodenext", moduleResolution: "nodenext", ...NODE_CONSUMER });
  const bundler = project("bundler", { type: "module", module: "esnext", moduleResolution: "bundler", lib: ["esnext", "dom"] });
  const es2022 = project("es2022", { type: "module", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "dom"] });
  // Four tsc runs (a run costs ~1.7 s of CPU): the bad files share a program with the good ones. Each file
  // is its own module, so its diagnostics are its own; the tests read them per file.
  const jobs = {
    esm: [esm.dir, esm.write("tsconfig.json", ["good.ts", ...BAD])],
    cjs: [cjs.dir, cjs.write("tsconfig.json", ["good.ts"])],
    bundler: [bundler.dir, bundler.write("tsconfig.json", ["good.ts", "good-web.ts", "good-fetch.ts", ...BAD])],
    es2022Lib: [es2022.dir, es2022.write("tsconfig.json", ["good.ts"])],
  };
  // Start every tsc at once and let the tests await their own run.
  for (const [key, [cwd, config]] of Object.entries(jobs)) {
    const sources = JSON.parse(readFileSync(join(cwd, config), "utf8")).files;
    runs[key] = tsc(cwd, config).then((r) => ({ ...r, sources }));
  }
  await Promise.all(Object.values(runs));
});

after(() => inst?.cleanup());

const installedFile = (rel) => join(inst.consumer, "node_modules", "confluence-users", rel);

/** `files` compile without a diagnostic, and nothing else (config, the package's declarations) has one. */
function assertCompiles(result, files, label) {
  const relevant = result.diagnostics.filter((d) => files.includes(d.file) || !SOURCES.includes(d.file));
  const global = result.output.split("\n").filter((l) => /^error TS\d+/.test(l));
  const lines = [...relevant.map((d) => d.raw), ...global];
  assert.deepEqual(lines, [], `${label} must compile cleanly; tsc said:\n${lines.join("\n")}`);
  // A run of only these files must also exit 0.
  if (result.sources.every((f) => files.includes(f))) assert.equal(result.code, 0, result.output.slice(0, 4000));
}

describe("good.ts compiles against the installed package", () => {
  test("moduleResolution nodenext, ESM consumer with @types/node (exports['.'].node.import.types → node/index.d.mts)", async () => {
    const r = await runs.esm;
    assertCompiles(r, ["good.ts"], "good.ts (nodenext, ESM)");
    assert.ok(r.files.includes(installedFile("node/index.d.mts")), `resolved declarations:\n${r.files.filter((f) => f.includes("confluence-users")).join("\n")}`);
  });

  test("moduleResolution nodenext, CommonJS consumer (exports['.'].node.require.types → node/confluence_users.d.cts)", async () => {
    const r = await runs.cjs;
    assertCompiles(r, ["good.ts"], "good.ts (nodenext, CommonJS)");
    assert.ok(r.files.includes(installedFile("node/confluence_users.d.cts")), `resolved declarations:\n${r.files.filter((f) => f.includes("confluence-users")).join("\n")}`);
  });

  test("moduleResolution bundler (exports['.'].types → index.d.ts), plus the ./web entry", async () => {
    const r = await runs.bundler;
    assertCompiles(r, ["good.ts", "good-web.ts"], "good.ts + good-web.ts (bundler)");
    assert.ok(r.files.includes(installedFile("index.d.ts")), `resolved declarations:\n${r.files.filter((f) => f.includes("confluence-users")).join("\n")}`);
    assert.ok(r.files.includes(installedFile("web/confluence_users.d.ts")));
  });

  test("ClientOptions accepts the documented `fetch` option (FetchLike)", async () => {
    assertCompiles(await runs.bundler, ["good-fetch.ts"], "good-fetch.ts (bundler, DOM's fetch)");
  });

  test("the declarations compile for a consumer whose lib is ES2022 + DOM (no esnext.disposable), without skipLibCheck", async () => {
    assertCompiles(await runs.es2022Lib, ["good.ts"], "good.ts with lib es2022 + dom");
  });
});

for (const [mode, key] of [["nodenext", "esm"], ["bundler", "bundler"]]) {
  describe(`bad-*.ts must fail to compile, each for its marked reason (${mode})`, () => {
    test("tsc exits non-zero and reports nothing outside the bad files", async () => {
      const r = await runs[key];
      assert.notEqual(r.code, 0);
      const stray = r.diagnostics.filter((d) => !SOURCES.includes(d.file));
      assert.deepEqual(stray.map((d) => d.raw), [], "errors outside the test files (e.g. in the package's declarations)");
    });

    for (const file of BAD) {
      test(file, async () => {
        const lines = readFileSync(join(HERE, file), "utf8").split("\n");
        const marked = lines.map((text, i) => ({ text, line: i + 1 })).filter((l) => /\/\/ @expect /.test(l.text));
        assert.equal(marked.length, 1, `${file} must mark exactly one line with // @expect`);
        const { line } = marked[0];
        const codes = marked[0].text.split("// @expect ")[1].trim().split(/\s+/);
        const r = await runs[key];
        const mine = r.diagnostics.filter((d) => d.file === file);
        assert.ok(mine.length > 0, `${file} compiled without errors, but line ${line} should fail with ${codes.join(" or ")}`);
        for (const d of mine) {
          assert.equal(d.line, line, `${file}: unexpected error on another line (it must fail only for the marked reason): ${d.raw}`);
        }
        assert.ok(mine.some((d) => codes.includes(d.code)), `${file}:${line} should fail with ${codes.join(" or ")}, got: ${mine.map((d) => d.raw).join("\n")}`);
      });
    }
  });
}

describe("public declarations", () => {
  /** The declaration text without comments (JSDoc prose may say "any"). */
  const code = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const anyLines = (text) =>
    code(text)
      .split("\n")
      .map((l, i) => ({ l: l.trim(), i: i + 1 }))
      .filter(({ l }) => /\bany\b/.test(l));

  for (const rel of ["index.d.ts", "node/index.d.mts", "node/confluence_users.d.cts"]) {
    test(`${rel} has no \`any\``, () => {
      const found = anyLines(readFileSync(installedFile(rel), "utf8"));
      assert.deepEqual(found.map(({ l }) => l), [], `\`any\` in ${rel}`);
    });
  }

  test("web/confluence_users.d.ts has no `any` in the API (wasm-bindgen's InitOutput ABI table excepted)", () => {
    const text = readFileSync(installedFile("web/confluence_users.d.ts"), "utf8");
    const cut = text.indexOf("export type InitInput");
    assert.ok(cut > 0, "the web declarations end with wasm-bindgen's init types");
    assert.deepEqual(anyLines(text.slice(0, cut)).map(({ l }) => l), []);
  });

  test("the three entries declare the same API", () => {
    const strip = (rel) => code(readFileSync(installedFile(rel), "utf8")).replace(/\s+/g, " ");
    const main = strip("index.d.ts");
    assert.equal(strip("node/index.d.mts"), main);
    assert.equal(strip("node/confluence_users.d.cts"), main);
    assert.ok(strip("web/confluence_users.d.ts").trim().startsWith(main.trim()), "the web entry declares the same API, then init()");
  });
});
