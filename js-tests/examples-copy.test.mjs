// The examples, copy-pasted the way a user would: `npm pack pkg`, a fresh project in a temp dir
// with only that tarball installed (`npm install ./confluence-users-X.tgz`, no registry needed:
// the package has no dependencies), each Node example copied into it on its own, then run against
// the fake Confluence on 127.0.0.1. Also: no example anywhere imports the package by a path
// (`../pkg/...`) or reaches into the repository (`../js-tests/...`), and the tarball carries what
// the README promises (the license files, the repository fields, the adapters guide in its README).
//
//   node --test js-tests/examples-copy.test.mjs     (after node pkg-template/build.mjs --no-opt)
// About 10 s (npm pack and npm install take most of it).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";

import { CREDENTIALS, SPECIAL, startFakeConfluence } from "./fake-server/server.mjs";
import { PKG_DIR, REPO, assertBuilt } from "./helpers.mjs";

const EXAMPLES = join(REPO, "examples");
let project;
let fake;

function run(cmd, args, { cwd, env = process.env, timeout = 60_000 } = {}) {
  return new Promise((resolvePromise) => {
    execFile(cmd, args, { cwd, env, encoding: "utf8", timeout }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const userEnv = () => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  CONFLUENCE_BASE_URL: fake.url,
  CONFLUENCE_EMAIL: CREDENTIALS.email,
  CONFLUENCE_API_TOKEN: CREDENTIALS.apiToken,
});

/** Every .js/.mjs/.cjs file under examples/, without node_modules and build output. */
function exampleSources(dir = EXAMPLES) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return ["node_modules", "dist"].includes(name) ? [] : exampleSources(path);
    return /\.(m|c)?js$/.test(name) ? [path] : [];
  });
}

before(async () => {
  assertBuilt();
  project = mkdtempSync(join(tmpdir(), "confluence-users-copy-"));
  const pack = await run("npm", ["pack", PKG_DIR, "--silent"], { cwd: project });
  assert.equal(pack.code, 0, pack.stderr);
  const tarball = pack.stdout.trim().split("\n").at(-1);
  assert.match(tarball, /^confluence-users-\d+\.\d+\.\d+\.tgz$/);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-app", private: true, type: "module" }));
  const install = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", `./${tarball}`], { cwd: project });
  assert.equal(install.code, 0, install.stderr);
  fake = await startFakeConfluence({ port: 0 });
});

after(async () => {
  await fake?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("examples, copied into a fresh project with the tarball installed", () => {
  test("every example imports confluence-users by name and nothing outside its own folder", () => {
    const sources = exampleSources();
    assert.ok(sources.length >= 10, `${sources.length} example sources`);
    for (const file of sources) {
      const text = readFileSync(file, "utf8");
      const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)["']([^"']+)["']/gm)].map((m) => m[1]);
      // An example's own folder: examples/<name>/ for the apps, the file itself for the top-level scripts.
      const top = relative(EXAMPLES, file).split(sep);
      const home = top.length > 1 ? join(EXAMPLES, top[0]) : undefined;
      for (const spec of specifiers) {
        if (!spec.startsWith(".")) {
          assert.doesNotMatch(spec, /(^|\/)(pkg|js-tests)\//, `${relative(REPO, file)} imports ${spec}`);
          continue;
        }
        const target = resolve(dirname(file), spec);
        assert.ok(home && target.startsWith(home + sep), `${relative(REPO, file)} imports ${spec}, outside its own folder`);
      }
    }
  });

  test("lookup-users.mjs runs as copied (current user, groups, space, bulk, anonymous, a 404)", async () => {
    copyFileSync(join(EXAMPLES, "lookup-users.mjs"), join(project, "lookup-users.mjs"));
    const r = await run(process.execPath, ["lookup-users.mjs", SPECIAL.hiddenProfile], { cwd: project, env: userEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Current user: Mia Krystof \\(${SPECIAL.currentUser}\\), \\d+ operations$`, "m"));
    assert.match(r.stdout, /^Groups \(first 6\): /m);
    assert.match(r.stdout, /^Personal space: .*\(~5b10ac8d82e05b22cc7d4ef5\)$/m);
    assert.match(r.stdout, new RegExp(`^Bulk lookup of 2 ids:\\n  ${SPECIAL.currentUser} .*\\n  ${SPECIAL.hiddenProfile} `, "m"));
    assert.match(r.stdout, /kind=http status=404/);
    const bare = await run(process.execPath, ["lookup-users.mjs"], { cwd: project, env: { PATH: process.env.PATH } });
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /Set CONFLUENCE_BASE_URL/);
  });

  test("usernames-to-accountids.mjs runs as copied, on its sample CSV", async () => {
    for (const f of ["usernames-to-accountids.mjs", "usernames.sample.csv"]) copyFileSync(join(EXAMPLES, f), join(project, f));
    const r = await run(process.execPath, ["usernames-to-accountids.mjs", "usernames.sample.csv"], { cwd: project, env: userEnv() });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trimEnd().split("\n");
    assert.equal(rows[0], "username,key,accountId");
    assert.ok(rows.some((row) => row.startsWith("admin,") && row.endsWith(`,${SPECIAL.currentUser}`)), r.stdout);
  });

  test("the installed package carries the licenses, the repository fields and the adapters guide in its README", () => {
    const installed = join(project, "node_modules", "confluence-users");
    const mit = readFileSync(join(installed, "LICENSE-MIT"), "utf8");
    assert.match(mit, /^MIT License\n\nCopyright \(c\) the confluence-users authors\n/);
    assert.match(mit, /THE SOFTWARE IS PROVIDED "AS IS"/);
    const apache = readFileSync(join(installed, "LICENSE-APACHE"), "utf8");
    assert.match(apache, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(apache, /END OF TERMS AND CONDITIONS/);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    assert.equal(manifest.license, "MIT OR Apache-2.0");
    assert.equal(manifest.repository.type, "git");
    assert.match(manifest.repository.url, /^git\+https:\/\//);
    assert.match(manifest.homepage, /^https:\/\//);
    assert.match(manifest.bugs.url, /^https:\/\/.*\/issues$/);
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    const guide = readFileSync(join(REPO, "pkg-template", "ADAPTERS.md"), "utf8");
    // Every paragraph of the guide is in the README npm renders (headings one level down).
    for (const para of guide.split(/\n\n+/).filter((p) => !p.startsWith("#"))) {
      assert.ok(readme.includes(para), `missing from the npm README: ${para.slice(0, 60)}`);
    }
    assert.match(readme, /^## Host adapters: `confluence-users\/adapters`$/m);
    assert.ok(existsSync(join(installed, "ADAPTERS.md")));
  });
});
