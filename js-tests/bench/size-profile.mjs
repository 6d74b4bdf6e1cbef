#!/usr/bin/env node
// Where the bytes of the wasm go (issue 10): function body sizes from the code section, named by the wasm's
// name section, grouped by crate and by the machinery issue 10 asks about; the other sections by size.
// It reads a module that still has its name section, e.g. the cargo output through wasm-bindgen without
// --remove-name-section, then `wasm-opt -Oz -g` (which keeps names) with pkg-template/build.mjs's flags;
// js-tests/bench/SIZE.md gives the exact commands.
//
//   node js-tests/bench/size-profile.mjs FILE.wasm [--top N]

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
if (!file) {
  console.error("usage: node js-tests/bench/size-profile.mjs FILE.wasm [--top N]");
  process.exit(2);
}
const topAt = args.indexOf("--top");
const TOP = topAt >= 0 ? Number(args[topAt + 1]) : 40;
const bytes = readFileSync(file);

let at = 8; // magic and version
const leb = () => {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return result;
  }
};
const name = () => {
  const len = leb();
  const s = bytes.toString("utf8", at, at + len);
  at += len;
  return s;
};

const SECTION = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"];
const sections = [];
let importedFunctions = 0;
const bodies = []; // [start, end] in the file, per defined function
const names = new Map();
while (at < bytes.length) {
  const id = bytes[at++];
  const size = leb();
  const start = at;
  const end = at + size;
  let label = SECTION[id] ?? `id ${id}`;
  if (id === 0) {
    label = `custom "${name()}"`;
    if (label === 'custom "name"') {
      while (at < end) {
        const sub = bytes[at++];
        const subSize = leb();
        const subEnd = at + subSize;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            names.set(index, name());
          }
        }
        at = subEnd;
      }
    }
  } else if (id === 2) {
    for (let n = leb(); n > 0; n--) {
      name();
      name();
      const kind = bytes[at++];
      if (kind === 0) {
        leb();
        importedFunctions++;
      } else if (kind === 1) {
        at++; // reftype
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 2) {
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 3) {
        at += 2; // valtype, mutability
      } else {
        throw new Error(`unknown import kind ${kind}`);
      }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const bodyStart = at;
      const bodySize = leb();
      at += bodySize;
      bodies.push([bodyStart, at]);
    }
  }
  sections.push({ label, size: end - start });
  at = end;
}

const functions = bodies.map(([start, end], i) => ({
  size: end - start,
  body: bytes.subarray(start, end),
  name: names.get(importedFunctions + i) ?? `function[${importedFunctions + i}]`,
}));
const codeTotal = functions.reduce((a, f) => a + f.size, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const pct = (n) => `${((100 * n) / bytes.length).toFixed(1)}%`;

/** The crate a symbol belongs to: its first path segment, of the Self type for `<T as Trait>::f`. */
function crateOf(symbol) {
  // v0 demangling names a crate with its disambiguator: `core[c5930c85a12de822]::fmt::write`.
  const s = symbol.replace(/^(<)+/, "").replace(/^(&|mut |dyn |\*const |\*mut |\[)+/, "");
  if (/ (externref|multivalue) shim/.test(s)) return "exports (wasm-bindgen's shims, export bodies inlined)";
  if (/^(__wbg_|__wbindgen|__externref|wasm_bindgen__)|^(Closure|Ref|F64|String)\b.*->/.test(s)) return "wasm_bindgen";
  if (/^(u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|bool|char|str|T)\b/.test(s)) {
    // A trait impl on a primitive or a generic: the trait's crate.
    const trait = / as ([a-z_0-9]+)(\[[0-9a-f]+\])?::/.exec(symbol);
    return trait ? trait[1] : "core";
  }
  const m = /^([A-Za-z_][A-Za-z_0-9]*)(\[[0-9a-f]+\])?::/.exec(s);
  if (m) return m[1];
  if (/^(memcpy|memset|memmove|memcmp|bcmp|__multi3|__[a-z0-9]+[0-9]$)/.test(s)) return "compiler_builtins";
  return "(unnamed)";
}

const group = (key) => {
  const totals = new Map();
  for (const f of functions) {
    const k = key(f.name);
    if (k === undefined) continue;
    const row = totals.get(k) ?? { size: 0, count: 0, bodies: [] };
    row.size += f.size;
    row.count++;
    row.bodies.push(f.body);
    totals.set(k, row);
  }
  return [...totals.entries()].sort((a, b) => b[1].size - a[1].size);
};

// What issue 10 asks about, by what the symbol names: a function counts in every bucket it matches.
const MACHINERY = [
  ["core::fmt (formatting, Display/Debug impls)", /core::fmt|as core::fmt::(Display|Debug|Write)>|alloc::fmt::format|::fmt::h|\bfmt\b/],
  ["serde / serde_json / serde_path_to_error", /serde/],
  ["allocator (talc or dlmalloc, alloc::raw_vec, realloc)", /talc|dlmalloc|__rust_(alloc|dealloc|realloc)|alloc::raw_vec|__rdl_/],
  ["wasm-bindgen runtime, js-sys, web-sys", /wasm_bindgen(?!_futures)|js_sys|web_sys|__wbg_|__wbindgen|__externref/],
  ["async machinery (futures, closures, poll)", /wasm_bindgen_futures|\{\{closure\}\}|core::future|Future>::poll|::poll::h|async/],
  ["drop_in_place (destructors)", /drop_in_place/],
  ["panics (core::panicking, unwrap failures)", /panic|unwrap_failed|expect_failed/],
  ["the crate's own code (confluence_users::)", /confluence_users::/],
];

console.log(`${file}: ${bytes.length} bytes (${kb(bytes.length)}), ${functions.length} functions defined, ${importedFunctions} imported, ${names.size} named`);
console.log("\nsections:");
for (const s of [...sections].sort((a, b) => b.size - a.size)) console.log(`  ${String(s.size).padStart(8)}  ${pct(s.size).padStart(6)}  ${s.label}`);
// A group's bodies gzipped on their own: a rough share of the download (gzip's context spans groups).
const gz = (row) => (row.bodies.length ? String(gzipSync(Buffer.concat(row.bodies), { level: 9 }).length) : "-").padStart(7);
console.log(`\nby crate (function bodies, ${codeTotal} bytes; gz: that group's bodies alone, gzip -9):`);
for (const [crate, row] of group((n) => crateOf(n))) {
  console.log(`  ${String(row.size).padStart(8)}  ${pct(row.size).padStart(6)}  gz ${gz(row)}  ${String(row.count).padStart(5)} fns  ${crate}`);
}
console.log("\nconfluence_users by module:");
for (const [module, row] of group((n) => /^<?confluence_users::/.test(n) ? /^<?confluence_users::(wasm::)?[a-z_]+/.exec(n)[0].replace(/^</, "") : undefined)) {
  console.log(`  ${String(row.size).padStart(8)}  ${pct(row.size).padStart(6)}  gz ${gz(row)}  ${String(row.count).padStart(5)} fns  ${module}`);
}
console.log("\nby machinery (a function may count in several; an async fn's body is its {{closure}}):");
for (const [label, re] of MACHINERY) {
  const hits = functions.filter((f) => re.test(f.name));
  const size = hits.reduce((a, f) => a + f.size, 0);
  const row = { bodies: hits.map((f) => f.body) };
  console.log(`  ${String(size).padStart(8)}  ${pct(size).padStart(6)}  gz ${gz(row)}  ${String(hits.length).padStart(5)} fns  ${label}`);
}
console.log(`\ntop ${TOP} functions:`);
for (const f of [...functions].sort((a, b) => b.size - a.size).slice(0, TOP)) {
  console.log(`  ${String(f.size).padStart(8)}  ${pct(f.size).padStart(6)}  ${f.name.replace(/::h[0-9a-f]{16}$/, "").slice(0, 150)}`);
}
