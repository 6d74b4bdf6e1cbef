// What a person sees in a real terminal while the CLI works: the CLI runs in a tmux pane (a real
// terminal emulator, with its own width, reflow on resize and Ctrl-C through the tty), against
// the fake Confluence with latency and a rate-limit answer, and the test reads the screen
// (`tmux capture-pane`) many times during the run and asserts on each snapshot.
//
// Needs tmux (Debian `tmux`; js-tests/setup.sh installs it). Without it the suite is skipped,
// except under CI=true, where that is a failure. Each run is bounded (about 6 s each, 25 s in all).
//
//   node --test js-tests/cli-screen.test.mjs     (after node pkg-template/build.mjs --no-opt)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { CREDENTIALS, SPECIAL, startFakeConfluence } from "./fake-server/server.mjs";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(REPO, "pkg", "bin", "cli.mjs");
const HAS_TMUX = spawnSync("tmux", ["-V"], { stdio: "ignore" }).status === 0;
const SKIP = !HAS_TMUX && process.env.CI !== "true" && "tmux is not installed (apt-get install tmux)";

let tmp;
// A tmux server of our own, its socket in the test's temp dir: the test never touches a user's
// sessions, and leaves nothing behind.
const socket = () => join(tmp, "tmux.sock");

const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tmux(...args) {
  return new Promise((resolvePromise, reject) => {
    execFile("tmux", ["-S", socket(), ...args], { encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tmux ${args.join(" ")}: ${stderr || error.message}`));
      else resolvePromise(stdout);
    });
  });
}

/** The pane's visible text, one string per row, trailing spaces dropped. */
async function screen(name) {
  const text = await tmux("capture-pane", "-p", "-t", name);
  return text.split("\n").map((row) => row.trimEnd());
}

/**
 * Starts `command` (a shell line) in a new detached pane `name` of `width` x 12, with `env`. After
 * the command, the pane prints EXIT=<code> and stays open for a while, so its last screen can be read.
 */
async function startPane(name, command, env, width) {
  const script = join(tmp, `${name}.sh`);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${sh(v)}`).join("\n");
  // Ctrl-C goes to the whole foreground group: the shell traps it (so that it lives on to print
  // EXIT=), which leaves the CLI with the default SIGINT disposition, as in an interactive shell.
  writeFileSync(script, `${exports}\nunset CI\ntrap 'true' INT\n${command}\necho "EXIT=$?"\nsleep 30\n`);
  await tmux("new-session", "-d", "-s", name, "-x", String(width), "-y", "12", `sh ${sh(script)}`);
  await tmux("set-option", "-t", name, "remain-on-exit", "on");
}

/** Snapshots of the pane every ~80 ms until `done(rows)` or `limitMs`. */
async function watch(name, done, limitMs) {
  const shots = [];
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    const rows = await screen(name).catch(async (e) => {
      throw new Error(`${e.message}; sessions: ${await tmux("ls").catch((x) => x.message)}`);
    });
    shots.push({ at: Date.now() - start, rows });
    if (done(rows)) return shots;
    await sleep(80);
  }
  assert.fail(`the pane did not get there in ${limitMs} ms; last screen:\n${shots.at(-1)?.rows.join("\n")}`);
}

const hasExit = (rows) => rows.some((r) => /^EXIT=\d+$/.test(r));
const env = (fake) => ({
  CONFLUENCE_BASE_URL: fake.url,
  CONFLUENCE_EMAIL: CREDENTIALS.email,
  CONFLUENCE_API_TOKEN: CREDENTIALS.apiToken,
});
const node = `${sh(process.execPath)} -- ${sh(CLI)}`;
const BAR = /^bulk ([█░]{20}) (\d+)\/(\d+) account ids, (\d+)\/(\d+) requests(?:, (.*))?$/;

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build the package first (node pkg-template/build.mjs --no-opt)`);
  tmp = mkdtempSync(join(tmpdir(), "confluence-users-screen-"));
});

after(async () => {
  if (HAS_TMUX) await tmux("kill-server").catch(() => {});
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the CLI on a terminal (tmux)", { skip: SKIP }, () => {
  test("bulk of 1,000 ids with a 429: waiting is shown until the retry, the bar is never full early, the line goes at the end", async () => {
    const fake = await startFakeConfluence({ port: 0, userCount: 1000, latencyMs: 700 });
    try {
      const ids = fake.directory.users.map((u) => u.accountId);
      writeFileSync(join(tmp, "ids.txt"), `${ids.join("\n")}\n`);
      // The first of the five requests is rate limited: its retry waits at least 3 s.
      fake.enqueue({ status: 429, headers: { "Retry-After": "3" }, body: { statusCode: 429, message: "Rate limit exceeded" } });
      const out = join(tmp, "bulk.json");
      await startPane("bulk", `${node} bulk --file ${sh(join(tmp, "ids.txt"))} > ${sh(out)}`, env(fake), 100);
      const shots = await watch("bulk", hasExit, 20_000);

      const bars = shots.flatMap((s) => s.rows.map((r) => BAR.exec(r)).filter(Boolean).map((m) => ({ at: s.at, m })));
      assert.ok(bars.length >= 5, `the bar was seen ${bars.length} times`);
      for (const { m } of bars) {
        const [, bar, done, total, reqDone, reqTotal] = m;
        assert.equal(Number(total), 1000);
        assert.equal(Number(reqTotal), 5);
        assert.ok(Number(done) <= 1000 && Number(reqDone) <= 5);
        const full = !bar.includes("░");
        assert.equal(full, Number(done) === 1000, `a full bar only when all is done: ${m[0]}`);
        assert.equal(Number(done), Number(reqDone) * 200, `ids and requests agree: ${m[0]}`);
      }
      // During the wait the line says so, with a countdown, and the work is not done.
      const waiting = bars.filter(({ m }) => /^waiting [1-3]s \(HTTP 429\)$/.test(m[6] ?? ""));
      assert.ok(waiting.length >= 3, `"waiting Ns (HTTP 429)" seen ${waiting.length} times`);
      for (const { m } of waiting) assert.ok(Number(m[2]) < 1000, `waiting while ${m[2]}/1000 are done`);
      const seconds = new Set(waiting.map(({ m }) => m[6].slice(8, 9)));
      assert.ok(seconds.size >= 2, `the countdown moves: ${[...seconds]}`);
      // Progress is visible before the first answer (0 done) and while part is done.
      assert.ok(bars.some(({ m }) => m[2] === "0"), "seen at 0 ids");
      // The 429 pauses the whole client (issue 11): the fifth request waits for the pause with the
      // retry, so the bar stays at 600 through the wait.
      assert.ok(bars.some(({ m }) => m[2] === "600"), "seen with 600 of 1000 done (the three answered before the pause)");

      const last = shots.at(-1).rows;
      assert.ok(last.includes("EXIT=0"), last.join("\n"));
      assert.ok(!last.some((r) => /account ids|[█░]/.test(r)), `the progress line is gone:\n${last.join("\n")}`);
      assert.deepEqual(JSON.parse(readFileSync(out, "utf8")).map((u) => u.accountId), ids);
    } finally {
      await fake.close();
    }
  });

  test("groups (paged): shown from the first request, before any answer; counts pages and groups", async () => {
    const fake = await startFakeConfluence({ port: 0, latencyMs: 1200 });
    try {
      await startPane("groups", `${node} groups ${sh(SPECIAL.manyGroups)} > /dev/null`, env(fake), 80);
      const shots = await watch("groups", hasExit, 15_000);
      const lines = shots.flatMap((s) => s.rows.filter((r) => r.startsWith("groups ")));
      assert.ok(lines.some((l) => /^groups [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 0 requests, 0 groups$/.test(l)), `seen before the first answer: ${lines[0]}`);
      assert.ok(lines.some((l) => /^groups \S 1 request, 200 groups$/.test(l)), "seen after the first page");
      const last = shots.at(-1).rows;
      assert.ok(last.includes("EXIT=0"));
      assert.ok(!last.some((r) => r.startsWith("groups ")), "the line is gone");
    } finally {
      await fake.close();
    }
  });

  test("Ctrl-C leaves a clean line, at a narrow width and after the terminal got narrower", async () => {
    const fake = await startFakeConfluence({ port: 0, userCount: 1000, latencyMs: 20_000 });
    try {
      const ids = fake.directory.users.map((u) => u.accountId);
      writeFileSync(join(tmp, "ids2.txt"), `${ids.join("\n")}\n`);
      for (const [name, width, narrowTo] of [["narrow", 24, undefined], ["resized", 100, 30]]) {
        await startPane(name, `${node} bulk --file ${sh(join(tmp, "ids2.txt"))} > /dev/null`, env(fake), width);
        const drawn = await watch(name, (rows) => rows.some((r) => r.startsWith("bulk ")), 10_000);
        const line = drawn.at(-1).rows.find((r) => r.startsWith("bulk "));
        assert.ok([...line].length < width, `the line fits the width (${width}): ${line}`);
        if (narrowTo) {
          await tmux("resize-window", "-t", name, "-x", String(narrowTo));
          // The CLI redraws on SIGWINCH; wait until a line fitting the new width is there.
          await watch(name, (rows) => rows.some((r) => r.startsWith("bulk ") && [...r].length < narrowTo) && !rows.some((r) => /requests/.test(r)), 5_000);
        }
        await tmux("send-keys", "-t", name, "C-c");
        const shots = await watch(name, hasExit, 10_000);
        // Nothing of the bar (nor the tty's echoed ^C) is left: only the message, wrapped by the
        // terminal if it is wider than the pane, then the shell's EXIT= line.
        const message = "confluence-users: interrupted";
        const width_ = narrowTo ?? width;
        const wrapped = message.match(new RegExp(`.{1,${width_}}`, "g"));
        const last = shots.at(-1).rows.filter((r) => r !== "");
        assert.deepEqual(last, [...wrapped, "EXIT=130"], `screen after Ctrl-C:\n${shots.at(-1).rows.join("\n")}`);
      }
    } finally {
      await fake.close();
    }
  });
});
