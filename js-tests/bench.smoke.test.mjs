// Smoke run of the benchmark (js-tests/bench/bench.mjs) with tiny iteration counts, so its code
// cannot rot: every figure must print and the malformed-body guard must hold. Timing targets are
// not judged here (see js-tests/bench/README.md for the real run). Uses the built pkg/, or
// BENCH_PKG if set.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const JS_TESTS = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(JS_TESTS, "..");
const PKG = resolve(process.env.BENCH_PKG ?? join(REPO, "pkg"));
const BENCH = join(JS_TESTS, "bench", "bench.mjs");
const BUDGET_MS = 45_000; // the --quick run takes ~15 s on a loaded 2-core machine

function run(args) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BENCH, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), BUDGET_MS);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

test("bench.mjs --quick prints every figure and the malformed-body guard holds", { timeout: BUDGET_MS + 5_000 }, async () => {
  for (const f of ["index.js", "node/confluence_users.cjs", "web/confluence_users_bg.wasm"]) {
    assert.ok(existsSync(join(PKG, f)), `${PKG} is not built (no ${f}): cd ${REPO} && node pkg-template/build.mjs`);
  }
  const dir = mkdtempSync(join(tmpdir(), "confluence-users-bench-smoke-"));
  try {
    const json = join(dir, "bench.json");
    const t0 = performance.now();
    // Two runs, so the per-run table (--runs, the five-run mode) is checked too: ~4 s more.
    const r = await run(["--quick", "--runs", "2", "--pkg", PKG, "--json", json]);
    const ms = performance.now() - t0;
    assert.equal(r.signal, null, `bench.mjs was killed after ${BUDGET_MS} ms:\n${r.stderr}`);
    assert.equal(r.code, 0, `bench.mjs exited with ${r.code}:\n${r.stderr}\n${r.stdout}`);
    assert.ok(ms < BUDGET_MS, `took ${ms} ms`);

    // Every figure's row, each with a value in the "ours" column.
    for (const id of ["1", "1b", "1c", "2", "2b", "2c", "3", "3b", "3c", "3d", "4", "4b", "5", "5b", "6", "6b", "6c", "7", "7b", "7c", "7d"]) {
      const row = r.stdout.split("\n").find((l) => l.startsWith(`| ${id} `));
      assert.ok(row, `row ${id} missing from:\n${r.stdout}`);
      assert.doesNotMatch(row, /\bNaN\b|undefined/, `row ${id}: ${row}`);
    }
    // The per-run table: one row per call figure, two runs each, and the count of runs won.
    const runTable = r.stdout.slice(r.stdout.indexOf("| #   | figure (2 runs"));
    assert.ok(runTable.startsWith("| #"), `the per-run table is missing from:\n${r.stdout}`);
    for (const id of ["1", "1b", "1c", "2", "2b", "2c", "3", "3d", "3c"]) {
      const row = runTable.split("\n").find((l) => l.startsWith(`| ${id} `));
      assert.ok(row, `per-run row ${id} missing from:\n${runTable}`);
      assert.doesNotMatch(row, /\bNaN\b|undefined|n\/a/, `per-run row ${id}: ${row}`);
    }
    assert.match(runTable, /\| [012] of 2 /);
    for (const label of ["getUser", "getUser with expand", "error path", "200 plain users", "memberships walk", "getBulkUserLookup, 200 users", "decode 200-user body", "malformed", "cold start", "browser download", "ids, +0 ms per response: requests", "wall time", "peak RSS", "wasm linear memory", "Total time:"]) {
      assert.ok(r.stdout.includes(label), `"${label}" missing from the table`);
    }

    const out = JSON.parse(readFileSync(json, "utf8"));
    const F = out.figures;
    assert.equal(F.malformedGuard.held, true, JSON.stringify(F.malformedGuard));
    assert.equal(F.malformedGuard.oursMemory, "rejected (decode)");
    assert.equal(F.malformedGuard.oursNetwork, "rejected (decode)");
    assert.equal(out.runs.length, 2);
    for (const R of [F, ...out.runs]) {
      for (const key of ["getUser", "getUserExpand", "notFound", "bulk", "bulkPlain", "walk"]) for (const c of ["ours", "raw", "cjs"]) assert.ok(R[key][c].median > 0, `${key}.${c}`);
      assert.equal(R.malformedGuard.held, true);
    }
    assert.ok(F.walk.pages >= 3 && F.walk.groups > 0, JSON.stringify(F.walk));
    for (const c of ["ours", "parse", "cjs", "zod", "oursEmpty"]) assert.ok(F.decode[c].median > 0, `decode.${c}`);
    for (const c of ["ours", "raw", "cjs", "cjsRoot"]) assert.ok(F.coldStart[c].median > 0, `coldStart.${c}`);
    assert.ok(F.size.ours.gzip > 0 && F.size.cjsUsersBundle.gzip > 0 && F.size.cjsPrebuilt.gzip > 0);
    // 450 ids: 200 + 200 + 50, in every run.
    assert.deepEqual(F.many.ours.runs.map((x) => x.requests), [3, 3, 3]);
    assert.deepEqual(F.many.sequential.runs.map((x) => x.requests), [3, 3, 3]);
    assert.deepEqual(F.many.rawConcurrent.runs.map((x) => x.requests), [3, 3, 3]);
    assert.equal(F.memory.runs.length, 3);
    assert.ok(F.memory.runs.every((x) => x.resolved === 450 && x.maxRss > 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Issue 11's row (js-tests/bench/points.mjs): points of a 500-mention page render with and without
// coalescing and the cache. Counts, not timings, so they are checked exactly. About 4 s.
test("points.mjs: the 500-mention render's points with and without coalescing and cache", { timeout: BUDGET_MS }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "confluence-users-bench-points-"));
  try {
    const json = join(dir, "points.json");
    const r = await new Promise((done, fail) => {
      const child = spawn(process.execPath, [join(JS_TESTS, "bench", "points.mjs"), "--pkg", PKG, "--json", json], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), BUDGET_MS);
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", fail);
      child.on("close", (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr });
      });
    });
    assert.equal(r.code, 0, r.stderr);
    for (const id of ["8a", "8b", "8c", "8d", "8e", "8f"]) assert.ok(r.stdout.includes(`| ${id} |`), `row ${id} missing:\n${r.stdout}`);
    const { rows, distinct } = JSON.parse(readFileSync(json, "utf8"));
    const points = rows.map((x) => x.points);
    // Plain: one request and one user per mention. Coalesced: one request for the distinct users.
    // Coalesced and cached, second view: nothing.
    assert.deepEqual(points, [1000, 1000, 1 + distinct, 1 + distinct, 1 + distinct, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
