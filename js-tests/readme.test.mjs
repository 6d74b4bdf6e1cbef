// The READMEs are written for the people who use the package: the repository README opens with
// what it is, how to install it today and one short example per host, and keeps the
// contributor material (the two commands) further down; the npm README names every error kind
// the declarations have. (Their code samples compile: js-tests/types/samples.test.mjs.)
//
//   node --test js-tests/readme.test.mjs     (after node pkg-template/build.mjs --no-opt)

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { PKG_DIR, REPO, assertBuilt } from "./helpers.mjs";

const readme = readFileSync(join(REPO, "README.md"), "utf8");
const h2 = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);

test("README: what it is, then Install, then an example per host; contributor material last", () => {
  assert.equal(h2[0], "Install", `the first section: ${h2[0]}`);
  assert.equal(h2[1], "Examples, one per host");
  assert.ok(h2.includes("Where it runs"), "the placeholder heading for issue 9's section");
  assert.equal(h2.at(-1), "Contributing");
  const intro = readme.slice(0, readme.indexOf("## Install"));
  assert.match(intro, /Confluence Cloud REST API/);
  assert.doesNotMatch(intro, /run-all|cargo|examples\/run\.sh/, "no contributor commands before Install");
  const install = readme.slice(readme.indexOf("## Install"), readme.indexOf("## Examples"));
  assert.match(install, /not on the npm registry yet/);
  assert.match(install, /npm pack \.\/pkg/);
  assert.match(install, /npm install \.\.\/confluence-users\/confluence-users-\d+\.\d+\.\d+\.tgz/);
  assert.match(install, /`npm install <git URL>` does \*\*not\*\* work/);
  const examples = readme.slice(readme.indexOf("## Examples"), readme.indexOf("## Where it runs"));
  const hosts = [...examples.matchAll(/^### (.+)\n+(?:[^\n]*\n)*?```ts\n([\s\S]*?)```/gm)].map((m) => [m[1], m[2].trimEnd().split("\n").length]);
  assert.deepEqual(hosts.map(([h]) => h.split(" ")[0] + (h.startsWith("Forge") ? ` ${h.split(" ")[1]}` : "")), ["Node", "Browser", "Forge Custom", "Forge function", "Connect"]);
  for (const [host, lines] of hosts) assert.ok(lines <= 15, `${host}: ${lines} lines`);
});

test("README keeps the two commands, and .ci/run calls the test command", () => {
  const contributing = readme.slice(readme.indexOf("## Contributing"));
  assert.match(contributing, /^bash examples\/run\.sh /m);
  assert.match(contributing, /^bash js-tests\/run-all\.sh /m);
  assert.match(readFileSync(join(REPO, ".ci", "run"), "utf8"), /^exec bash js-tests\/run-all\.sh$/m);
});

test("the npm README lists every error kind of the declarations", () => {
  assertBuilt();
  const dts = readFileSync(join(PKG_DIR, "index.d.ts"), "utf8");
  const union = /export type ConfluenceErrorKind\s*=([^;]+);/.exec(dts)?.[1];
  assert.ok(union, "ConfluenceErrorKind in index.d.ts");
  const kinds = [...union.matchAll(/"(\w+)"/g)].map((m) => m[1]);
  assert.equal(kinds.length, 6, kinds.join(", "));
  const npm = readFileSync(join(PKG_DIR, "README.md"), "utf8");
  const listed = [...npm.slice(npm.indexOf("## Errors")).matchAll(/^- `"(\w+)"`:/gm)].map((m) => m[1]);
  assert.deepEqual([...listed].sort(), [...kinds].sort());
  assert.match(npm, /Its `kind` is one of six:/);
});
