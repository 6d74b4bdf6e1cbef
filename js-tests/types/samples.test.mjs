// The documentation reads right to a TypeScript user:
// - every code sample (```ts and ```js blocks) in the repository README, the npm README,
//   ADAPTERS.md and the doc comments of the built .d.ts files compiles under `tsc --strict`
//   (js samples with checkJs), each as a module of its own, against the built package, with
//   samples/prelude.d.ts declaring what a reader takes as given (`client`, `accountId`, ...)
//   and samples/forge-sdks.d.ts standing in for the Forge SDKs;
// - the doc comments of the built .d.ts files carry no Rust-only syntax (Option<...>, Vec<...>,
//   [`Item`] intra-doc links, `newtype`, &str, paths with ::, Self, Some/None...).
//
//   node --test js-tests/types/samples.test.mjs     (after node pkg-template/build.mjs --no-opt)
// About 5 s (one tsc run over every sample).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { JS_TESTS, PKG_DIR, REPO, assertBuilt } from "../helpers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const TSC = join(JS_TESTS, "node_modules", ".bin", "tsc");
const NODE_TYPES = join(JS_TESTS, "node_modules", "@types");
const DOCS = [
  ["README.md", join(REPO, "README.md")],
  ["pkg-template/README.md", join(REPO, "pkg-template", "README.md")],
  ["pkg-template/ADAPTERS.md", join(REPO, "pkg-template", "ADAPTERS.md")],
];
const DECLARATIONS = ["index.d.ts", "adapters.d.ts"];

/** The ```ts / ```js blocks of a Markdown text, with the line each starts on. */
function markdownSamples(text) {
  const samples = [];
  for (const m of text.matchAll(/^```(ts|js)[ \t]*\n([\s\S]*?)^```/gm)) {
    samples.push({ lang: m[1], code: m[2], line: text.slice(0, m.index).split("\n").length });
  }
  return samples;
}

/** The doc comments (/** ... *\/) of a declaration file, as text, with their first line. */
function docComments(text) {
  return [...text.matchAll(/\/\*\*([\s\S]*?)\*\//g)].map((m) => ({
    text: m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n"),
    line: text.slice(0, m.index).split("\n").length,
  }));
}

/** Rust-only syntax, each with why it is wrong in a .d.ts. */
const RUST_ONLY = [
  [/\bOption</, "Option<T> (in TS: T | null or an optional field)"],
  [/\bVec</, "Vec<T> (in TS: T[])"],
  [/\b(HashMap|BTreeMap|Box|Rc|Arc)</, "a Rust container type"],
  [/\[`[^`\]]+`\](?!\()/, "an intra-doc link [`Item`] (rendered as brackets in TS)"],
  [/\]\((?:Self|crate|super)::/, "an intra-doc link to a Rust path"],
  [/\bnewtype\b/i, "newtype (in TS the type is a plain alias)"],
  [/&(?:'a )?(?:str|mut\b)/, "a Rust reference type"],
  [/\w::\w/, "a Rust path (a::b)"],
  [/\bSelf\b/, "Self"],
  [/\b(?:Some|Ok|Err)\(/, "Some(..)/Ok(..)/Err(..)"],
  [/`None`/, "None (in TS: null or undefined)"],
  [/\b[ui](?:8|16|32|64|128|size)\b/, "a Rust integer type (in TS: number)"],
  [/#\[/, "a Rust attribute"],
  [/\b(?:serde|tsify|wasm_bindgen)\b/, "a Rust crate's name"],
];

let work;

function tsc(cwd) {
  return new Promise((resolve) => {
    execFile(TSC, ["-p", "tsconfig.json"], { cwd, encoding: "utf8", timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

before(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), "confluence-users-samples-"));
  mkdirSync(join(work, "node_modules"));
  symlinkSync(PKG_DIR, join(work, "node_modules", "confluence-users"), "dir");
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "samples", private: true, type: "module" }));
  for (const f of ["prelude.d.ts", "forge-sdks.d.ts"]) copyFileSync(join(HERE, "samples", f), join(work, f));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the documentation's TypeScript", () => {
  test("the built .d.ts doc comments carry no Rust-only syntax", () => {
    const found = [];
    for (const file of DECLARATIONS) {
      const text = readFileSync(join(PKG_DIR, file), "utf8");
      for (const comment of docComments(text)) {
        // Code samples are checked by the compiler instead (and may use `a::b`-free TS only).
        const prose = comment.text.replace(/^```[\s\S]*?^```/gm, "");
        for (const [pattern, why] of RUST_ONLY) {
          const m = pattern.exec(prose);
          if (m) found.push(`${file}:${comment.line}: ${why}: ...${prose.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\n/g, " ")}...`);
        }
      }
    }
    assert.deepEqual(found, []);
  });

  test("the checks above catch what they look for", () => {
    const samples = [
      "fields of this type are `Option<Icon>`",
      "A newtype so an account ID cannot be passed",
      "Stricter than [`User`]: the identity fields",
      "relative to [`base`](Self::base)",
      "takes a `&str`",
      "returns `None` when",
    ];
    for (const s of samples) assert.ok(RUST_ONLY.some(([p]) => p.test(s)), s);
    for (const s of ["a `string`, or `null`", "see `User` and [the REST docs](https://developer.atlassian.com)"]) {
      assert.ok(!RUST_ONLY.some(([p]) => p.test(s)), s);
    }
  });

  test("every ts/js sample in the READMEs, ADAPTERS.md and the .d.ts doc comments compiles under --strict", async () => {
    const files = [];
    const origin = new Map();
    const add = (where, sample) => {
      const name = `sample-${files.length}.${sample.lang}`;
      // `export {}` makes each sample a module: its names are its own, and top-level await works.
      writeFileSync(join(work, name), `${sample.code}\nexport {};\n`);
      files.push(name);
      origin.set(name, `${where}:${sample.line}`);
    };
    for (const [where, path] of DOCS) for (const s of markdownSamples(readFileSync(path, "utf8"))) add(where, s);
    for (const file of DECLARATIONS) {
      const text = readFileSync(join(PKG_DIR, file), "utf8");
      for (const c of docComments(text)) for (const s of markdownSamples(c.text)) add(`pkg/${file}`, { ...s, line: c.line + s.line });
    }
    assert.ok(files.length >= 25, `${files.length} samples found`);
    writeFileSync(
      join(work, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          allowJs: true,
          checkJs: true,
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["esnext", "dom", "dom.iterable"],
          ...(existsSync(join(NODE_TYPES, "node", "package.json")) ? { typeRoots: [NODE_TYPES], types: ["node"] } : { types: [] }),
          skipLibCheck: true,
          pretty: false,
        },
        files: ["prelude.d.ts", "forge-sdks.d.ts", ...files],
      }),
    );
    const r = await tsc(work);
    const errors = r.output
      .split("\n")
      .filter((l) => / error TS\d+/.test(l))
      .map((l) => l.replace(/^(sample-\d+\.(?:ts|js))\((\d+),(\d+)\)/, (_, f, line) => `${origin.get(f)} (+${Number(line) - 1})`));
    assert.deepEqual(errors, [], r.output.slice(0, 4000));
    assert.equal(r.code, 0, r.output.slice(0, 2000));
  });
});
