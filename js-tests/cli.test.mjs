// End-to-end tests of the package's command-line tool, pkg/bin/cli.mjs (`confluence-users`): every
// command runs as a child process (`node pkg/bin/cli.mjs ...`) against the fake Confluence, and the
// tests check stdout (JSON or CSV, against the fake's directory), stderr and the exit code.
// The progress bar is checked with stderr on a pseudo-terminal, through util-linux's `script`; what a
// person sees on a real terminal (tmux) during a long run is checked by cli-screen.test.mjs.
//
// Build the package first: node pkg-template/build.mjs --no-opt

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { CREDENTIALS, SPECIAL, closedPort, startFakeConfluence, withFake } from "./helpers.mjs";
import { assertNoCredential } from "./secret-forms.mjs";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(REPO, "pkg", "bin", "cli.mjs");
const USER_COLUMNS = ["accountId", "displayName", "publicName", "email", "accountType", "timeZone"];
const HAS_SCRIPT = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
// Under CI nothing is skipped: without `script` the pseudo-terminal tests fail rather than skip.
const NO_SCRIPT = !HAS_SCRIPT && process.env.CI !== "true" && "util-linux `script` is not installed";
const COMMANDS = ["user", "current", "anonymous", "groups", "bulk", "email", "emails", "migrate"];
// What the progress display draws: carriage return / erase-line, bar and spinner glyphs.
const PROGRESS_CHARS = /[\r\x1b█░⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|requests/;

let fake; // shared by the tests that neither enqueue responses nor count requests
let tmp;

// The environment of every run: this process's, without any CONFLUENCE_* the developer has set.
const BASE_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONFLUENCE_")));

const basicEnv = (server = fake) => ({
  CONFLUENCE_BASE_URL: server.url,
  CONFLUENCE_EMAIL: CREDENTIALS.email,
  CONFLUENCE_API_TOKEN: CREDENTIALS.apiToken,
});
const bearerEnv = (server = fake) => ({ CONFLUENCE_BASE_URL: server.url, CONFLUENCE_OAUTH_TOKEN: CREDENTIALS.oauthToken });

/**
 * Runs the CLI. `input`: what stdin gets (a pipe that is then closed); without it stdin is /dev/null.
 * Asynchronous on purpose: the fake server lives in this process and must keep answering.
 */
function runCli(args, { env = basicEnv(), input, cwd } = {}) {
  return new Promise((resolvePromise, reject) => {
    // `--` as in the CLI's first line (#!/usr/bin/env -S node --): Node 20 would take --env-file itself.
    const child = spawn(process.execPath, ["--", CLI, ...args], {
      // A fresh directory by default: a developer's own .env must not reach the tests.
      cwd: cwd ?? tmp,
      env: { ...BASE_ENV, ...env },
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Runs a shell command line under `script`, so its stderr (and stdout, unless redirected) is a pseudo-terminal. */
function runInPty(commandLine, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("script", ["-qfec", commandLine, "/dev/null"], {
      env: { ...BASE_ENV, SHELL: "/bin/sh", TERM: "xterm", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}

const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** An RFC 4180 parser: rows of fields; quoted fields may hold commas, doubled quotes, CR and LF. */
function parseCsvRows(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      assert.equal(field, "", `a quote inside an unquoted field: ${JSON.stringify(text)}`);
      quoted = true;
      wasQuoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
      wasQuoted = false;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      wasQuoted = false;
    } else {
      assert.ok(!wasQuoted, `text after a closing quote: ${JSON.stringify(text)}`);
      field += c;
    }
  }
  assert.ok(!quoted, "unterminated quoted field");
  assert.ok(field === "" && row.length === 0, "the CSV must end with a line break");
  return rows;
}

/** Parses CSV output: checks the header and returns the rows as objects. */
function parseCsv(text, columns) {
  const [header, ...rows] = parseCsvRows(text);
  assert.deepEqual(header, columns);
  for (const r of rows) assert.equal(r.length, columns.length, `row ${JSON.stringify(r)}`);
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
}

/** A directory user as the CSV shows it (null becomes an empty field). */
function userRow(u) {
  return Object.fromEntries(USER_COLUMNS.map((c) => [c, u[c] ?? ""]));
}

function assertOk(r) {
  assert.equal(r.code, 0, `exit ${r.code}, stderr: ${r.stderr}`);
}

/** No credential of the fake (nor any of `secrets`) printed, in any form (see secret-forms.mjs). */
function assertNoSecrets(r, ...secrets) {
  const credentials = { secrets: [CREDENTIALS.apiToken, CREDENTIALS.oauthToken, ...secrets] };
  assertNoCredential({ stdout: r.stdout, stderr: r.stderr }, credentials, "the CLI's output");
}

const requestsTo = (server, path) => server.requests.filter((r) => r.path === `/wiki/rest/api${path}`);

before(async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build the package first (node pkg-template/build.mjs --no-opt)`);
  fake = await startFakeConfluence({ port: 0 });
  tmp = mkdtempSync(join(tmpdir(), "confluence-users-cli-"));
});

after(async () => {
  await fake?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("confluence-users CLI", { concurrency: 4 }, () => {
  // ------------------------------------------------------------------------------------------
  // Help and usage

  test("--help, -h and `help` print the global help on stdout, without env or server", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await runCli(args, { env: {} });
      assertOk(r);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, /^Usage: confluence-users <command>/);
      for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, "m"), `command ${c} listed`);
      for (const v of ["CONFLUENCE_BASE_URL", "CONFLUENCE_EMAIL", "CONFLUENCE_API_TOKEN", "CONFLUENCE_OAUTH_TOKEN"]) {
        assert.ok(r.stdout.includes(v), `${v} documented`);
      }
      assert.match(r.stdout, /Exit codes:[\s\S]*\n {2}2 {4}usage[\s\S]*\n {2}3 {4}.*4xx[\s\S]*\n {2}4 {4}.*5xx/);
    }
  });

  test("--help of every command (--help, -h, help <command>, --help among other arguments)", async () => {
    // Each command with one of the four spellings, so that every spelling is covered.
    const spellings = [(c) => [c, "--help"], (c) => [c, "-h"], (c) => ["help", c], (c) => [c, "some-id", "--csv", "--help"]];
    const outputs = await Promise.all(
      COMMANDS.map(async (c, i) => {
        const args = spellings[i % spellings.length](c);
        const r = await runCli(args, { env: {} });
        assertOk(r);
        assert.equal(r.stderr, "");
        assert.match(r.stdout, new RegExp(`^Usage: confluence-users ${c}\\b`), args.join(" "));
        assert.match(r.stdout, /--csv/);
        // The shared environment and exit-code text is in the global help only, pointed to here.
        assert.doesNotMatch(r.stdout, /Exit codes:|CONFLUENCE_OAUTH_TOKEN/);
        assert.match(r.stdout, /exit codes: confluence-users --help\n$/);
        assert.match(r.stdout, new RegExp(`\nExamples:\n  confluence-users ${c}\\b`), `${c} has an example`);
        return r.stdout;
      }),
    );
    const migrate = outputs[COMMANDS.indexOf("migrate")];
    assert.match(migrate, /--keys/);
    assert.match(migrate, /--usernames/);
    assert.match(migrate, /username,key,accountId/);
    assert.match(outputs[COMMANDS.indexOf("groups")], /columns: name,id/);
    assert.match(outputs[COMMANDS.indexOf("bulk")], /columns:\s+accountId,displayName,publicName,email,accountType,timeZone/);
  });

  test("--version prints the package version", async () => {
    const r = await runCli(["--version"], { env: {} });
    assertOk(r);
    const { version } = JSON.parse(readFileSync(join(REPO, "pkg", "package.json"), "utf8"));
    assert.equal(r.stdout, `${version}\n`);
  });

  test("no command: usage on stderr, exit 2", async () => {
    const r = await runCli([], { env: {} });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /Usage: confluence-users/);
  });

  test("usage errors exit 2 with a message and a pointer to --help, and send nothing", async () => {
    await withFake({}, async (own) => {
      const env = basicEnv(own);
      const cases = [
        [["frobnicate"], /unknown command 'frobnicate'/, /confluence-users --help/],
        [["help", "frobnicate"], /unknown command 'frobnicate'/, /confluence-users --help/],
        [["user", SPECIAL.currentUser, "--frob"], /unknown option '--frob'\n/, /confluence-users user --help/],
        [["--frob"], /unknown option '--frob'\n/, /confluence-users --help/],
        [["bulkk", "a"], /unknown command 'bulkk'; did you mean 'bulk'\?/, /confluence-users --help/],
        [["grops", "a"], /unknown command 'grops'; did you mean 'groups'\?/, /confluence-users --help/],
        [["help", "emial"], /unknown command 'emial'; did you mean 'email'\?/, /confluence-users --help/],
        [["bulk", "--colum", "x"], /unknown option '--colum'; did you mean '--column'\?/, /bulk --help/],
        [["user", "a", "--expnad=operations"], /unknown option '--expnad'; did you mean '--expand'\?/, /user --help/],
        [["user", "a", "--csv", "--json"], /give either --csv or --json, not both/, /user --help/],
        [["groups", "a", "--expand", "operations"], /groups takes no --expand/, /groups --help/],
        [["user", "a", "--fields", "a b"], /--fields: 'a b' is not a field name/, /user --help/],
        [["user", "a", "--file", "x"], /--file is only for bulk, emails and migrate/, /user --help/],
        [["bulk", "--file"], /--file needs a value/, /bulk --help/],
        [["bulk", "a", "--file", "x"], /give the values either as arguments or with --file, not both/, /bulk --help/],
        [["bulk", "-", "a"], /"-" \(read stdin\) cannot be combined with values as arguments/, /bulk --help/],
        [["bulk", "--file", "/no/such/file"], /cannot read \/no\/such\/file: no such file/, /bulk --help/],
        [["user"], /user needs an account id/, /user --help/],
        [["user", "a", "b"], /user takes exactly one account id \(got 2\)/, /user --help/],
        [["groups"], /groups needs an account id/, /groups --help/],
        [["email", "a", "b"], /email takes exactly one account id/, /email --help/],
        [["current", "extra"], /current takes no arguments/, /current --help/],
        [["anonymous", "extra"], /anonymous takes no arguments/, /anonymous --help/],
        [["migrate", "admin"], /migrate needs --keys or --usernames/, /migrate --help/],
        [["migrate", "--keys", "--usernames", "admin"], /give either --keys or --usernames, not both/, /migrate --help/],
        [["bulk", "--keys", "a"], /--keys is only for migrate/, /bulk --help/],
        [["bulk"], /bulk needs account ids/, /bulk --help/], // stdin is /dev/null: nothing there
        [["emails"], /emails needs account ids/, /emails --help/],
        [["migrate", "--usernames"], /migrate needs usernames/, /migrate --help/],
      ];
      await Promise.all(
        cases.map(async ([args, message, pointer]) => {
          const r = await runCli(args, { env });
          assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}, stderr ${r.stderr}`);
          assert.equal(r.stdout, "");
          assert.match(r.stderr, new RegExp(`^confluence-users: ${message.source}`), args.join(" "));
          assert.match(r.stderr, pointer);
        }),
      );
      const blank = await runCli(["bulk"], { env, input: "\n  \n\n" });
      assert.equal(blank.code, 2);
      assert.match(blank.stderr, /bulk needs account ids/);
      const empty = await runCli(["user", ""], { env });
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /^confluence-users: getUser: invalid argument: accountId must not be empty\n$/);
      assert.equal(own.requests.length, 0);
    });
  });

  // ------------------------------------------------------------------------------------------
  // Commands

  test("user: JSON of the user; --csv one row; an id that needs percent-encoding", async () => {
    const mia = fake.directory.user(SPECIAL.currentUser);
    const r = await runCli(["user", SPECIAL.currentUser]);
    assertOk(r);
    assert.equal(r.stderr, "");
    const json = JSON.parse(r.stdout);
    assert.equal(json.accountId, SPECIAL.currentUser);
    assert.equal(json.displayName, mia.displayName);
    assert.equal(json.email, mia.email);
    assert.equal(json.timeZone, mia.timeZone);
    assert.equal(json.type, "known");

    const csv = await runCli(["--csv", "user", SPECIAL.oddAccountId]);
    assertOk(csv);
    assert.deepEqual(parseCsv(csv.stdout, USER_COLUMNS), [userRow(fake.directory.user(SPECIAL.oddAccountId))]);

    const hidden = await runCli(["user", SPECIAL.hiddenProfile, "--csv"]);
    assertOk(hidden);
    const [row] = parseCsv(hidden.stdout, USER_COLUMNS);
    assert.deepEqual(row, { ...userRow(fake.directory.user(SPECIAL.hiddenProfile)), email: "", timeZone: "" });
    assert.equal(row.displayName, row.publicName);
  });

  test("current: basic and OAuth credentials, JSON and CSV", async () => {
    const mia = fake.directory.currentUser;
    const basic = await runCli(["current"]);
    assertOk(basic);
    assert.equal(JSON.parse(basic.stdout).accountId, SPECIAL.currentUser);
    const bearer = await runCli(["current", "--csv"], { env: bearerEnv() });
    assertOk(bearer);
    assert.equal(bearer.stderr, "");
    assert.deepEqual(parseCsv(bearer.stdout, USER_COLUMNS), [userRow(mia)]);
    assert.equal(bearer.stdout.split("\n")[1], `${mia.accountId},${mia.displayName},${mia.publicName},${mia.email},atlassian,${mia.timeZone}`);
  });

  test("anonymous: works with only CONFLUENCE_BASE_URL; CSV type,displayName", async () => {
    await withFake({}, async (own) => {
      const r = await runCli(["anonymous"], { env: { CONFLUENCE_BASE_URL: own.url } });
      assertOk(r);
      const json = JSON.parse(r.stdout);
      assert.equal(json.type, "anonymous");
      assert.equal(json.displayName, "Anonymous");
      assert.equal(requestsTo(own, "/user/anonymous")[0].auth, "none");
      const csv = await runCli(["anonymous", "--csv"], { env: basicEnv(own) });
      assertOk(csv);
      assert.deepEqual(parseCsv(csv.stdout, ["type", "displayName"]), [{ type: "anonymous", displayName: "Anonymous" }]);
      assert.equal(requestsTo(own, "/user/anonymous")[1].auth, "basic");
    });
  });

  test("groups: every page (250 groups in 2 requests), JSON and CSV, no progress without a TTY", async () => {
    await withFake({}, async (own) => {
      const expected = own.directory.groupsOf(SPECIAL.manyGroups);
      assert.equal(expected.length, SPECIAL.manyGroupsCount);
      const r = await runCli(["groups", SPECIAL.manyGroups], { env: basicEnv(own) });
      assertOk(r);
      assert.equal(r.stderr, "");
      const json = JSON.parse(r.stdout);
      assert.deepEqual(json.map((g) => g.name), expected.map((g) => g.name));
      assert.ok(json.every((g) => g.type === "group"));
      assert.equal(requestsTo(own, "/user/memberof").length, 2);

      const csv = await runCli(["groups", SPECIAL.manyGroups, "--csv"], { env: basicEnv(own) });
      assertOk(csv);
      assert.equal(csv.stderr, "");
      assert.deepEqual(parseCsv(csv.stdout, ["name", "id"]), expected.map((g) => ({ name: g.name, id: g.id })));
      // Names with &, +, spaces and accents come through; none needs quoting.
      assert.ok(csv.stdout.includes("\nR&D Berlin,") && csv.stdout.includes("\nsales+marketing,"));
    });
    const none = await runCli(["groups", SPECIAL.externalCollaborator, "--csv"]);
    assertOk(none);
    assert.equal(none.stdout, "name,id\n");
    const noneJson = await runCli(["groups", SPECIAL.externalCollaborator]);
    assert.deepEqual(JSON.parse(noneJson.stdout), []);
  });

  test("bulk: ids as arguments, in input order; unknown ids are left out and reported", async () => {
    const ids = [SPECIAL.hiddenProfile, SPECIAL.unknownAccountId, SPECIAL.currentUser, SPECIAL.oddAccountId];
    const r = await runCli(["bulk", ...ids]);
    assertOk(r);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.map((u) => u.accountId), [SPECIAL.hiddenProfile, SPECIAL.currentUser, SPECIAL.oddAccountId]);
    assert.equal(json[1].displayName, fake.directory.currentUser.displayName);
    assert.equal(r.stderr, `confluence-users: warning: 1 of 4 account ids was not found: ${SPECIAL.unknownAccountId}\n`);

    const csv = await runCli(["bulk", "--csv", SPECIAL.appUser, SPECIAL.externalCollaborator]);
    assertOk(csv);
    assert.equal(csv.stderr, "");
    assert.deepEqual(
      parseCsv(csv.stdout, USER_COLUMNS),
      [SPECIAL.appUser, SPECIAL.externalCollaborator].map((id) => userRow(fake.directory.user(id))),
    );
  });

  test("bulk: more than 200 ids on stdin go out in several requests; no progress without a TTY", async () => {
    await withFake({ userCount: 300 }, async (own) => {
      const ids = own.directory.users.map((u) => u.accountId);
      assert.ok(ids.length > 200);
      // Surrounding spaces, blank lines, CRLF and a repeated id are all fine.
      const input = `  ${ids[0]}  \r\n\n${ids.join("\n")}\n${ids[5]}\n\n`;
      const r = await runCli(["bulk"], { input, env: basicEnv(own) });
      assertOk(r);
      assert.equal(r.stderr, "");
      assert.doesNotMatch(r.stderr, PROGRESS_CHARS);
      const json = JSON.parse(r.stdout);
      assert.deepEqual(json.map((u) => u.accountId), ids);
      const sent = requestsTo(own, "/user/bulk");
      assert.ok(sent.length >= 2, `${sent.length} requests`);
      const asked = sent.flatMap((req) => req.query.accountId[0].split(","));
      assert.ok(sent.every((req) => req.query.accountId[0].split(",").length <= 200));
      assert.deepEqual([...asked].sort(), [...ids].sort(), "each id asked for once");

      const csv = await runCli(["bulk", "--csv"], { input: ids.join("\n"), env: basicEnv(own) });
      assertOk(csv);
      assert.deepEqual(parseCsv(csv.stdout, USER_COLUMNS), own.directory.users.map(userRow));
    });
  });

  test("CSV quotes fields with commas, quotes and line breaks (RFC 4180)", async () => {
    await withFake({}, async (own) => {
      const tricky = {
        type: "known",
        accountId: "5b10ac8d82e05b22cc7d4ef5",
        accountType: "atlassian",
        email: "plain@example.com",
        publicName: 'Jane "JD" Doe',
        displayName: "Doe, Jane\nsecond line",
        timeZone: "Europe/Prague\r",
        _links: {},
      };
      own.enqueue({ status: 200, body: tricky });
      const r = await runCli(["user", tricky.accountId, "--csv"], { env: basicEnv(own) });
      assertOk(r);
      assert.equal(
        r.stdout,
        'accountId,displayName,publicName,email,accountType,timeZone\n' +
          '5b10ac8d82e05b22cc7d4ef5,"Doe, Jane\nsecond line","Jane ""JD"" Doe",plain@example.com,atlassian,"Europe/Prague\r"\n',
      );
      assert.deepEqual(parseCsv(r.stdout, USER_COLUMNS), [userRow(tricky)]);
    });
  });

  test("email: JSON and CSV of the privacy-unsafe address", async () => {
    const r = await runCli(["email", SPECIAL.hiddenProfile]);
    assertOk(r);
    assert.deepEqual(JSON.parse(r.stdout), { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail });
    const csv = await runCli(["email", SPECIAL.hiddenProfile, "--csv"]);
    assertOk(csv);
    assert.equal(csv.stdout, `accountId,email\n${SPECIAL.hiddenProfile},${SPECIAL.hiddenProfileEmail}\n`);
  });

  test("emails: arguments and stdin, > 200 ids in several requests, unknown ids reported", async () => {
    await withFake({}, async (own) => {
      const users = own.directory.users.slice(0, 250);
      const ids = users.map((u) => u.accountId);
      const r = await runCli(["emails", ...ids, SPECIAL.unknownAccountId], { env: basicEnv(own) });
      assertOk(r);
      assert.deepEqual(JSON.parse(r.stdout), users.map((u) => ({ accountId: u.accountId, email: u.unsafeEmail })));
      assert.match(r.stderr, /^confluence-users: warning: 1 of 251 account ids was not found: 0{24}\n$/);
      assert.ok(requestsTo(own, "/user/email/bulk").length >= 2);

      const csv = await runCli(["emails", "--csv"], { env: basicEnv(own), input: `${SPECIAL.hiddenProfile}\n${SPECIAL.currentUser}\n` });
      assertOk(csv);
      assert.equal(csv.stderr, "");
      assert.deepEqual(parseCsv(csv.stdout, ["accountId", "email"]), [
        { accountId: SPECIAL.hiddenProfile, email: SPECIAL.hiddenProfileEmail },
        { accountId: SPECIAL.currentUser, email: own.directory.currentUser.unsafeEmail },
      ]);
    });
  });

  test("migrate --usernames: arguments, JSON; unknown values get accountId null and a warning", async () => {
    const r = await runCli(["migrate", "--usernames", "admin", SPECIAL.oddUsername, "nosuchuser"]);
    assertOk(r);
    assert.deepEqual(JSON.parse(r.stdout), [
      { username: "admin", key: fake.directory.currentUser.userKey, accountId: SPECIAL.currentUser },
      { username: SPECIAL.oddUsername, key: fake.directory.user(SPECIAL.oddAccountId).userKey, accountId: SPECIAL.oddAccountId },
      { username: "nosuchuser", key: null, accountId: null },
    ]);
    assert.equal(r.stderr, "confluence-users: warning: 1 of 3 usernames has no account id: nosuchuser\n");
    const two = await runCli(["migrate", "--keys", "nokey1", fake.directory.currentUser.userKey, "nokey2"]);
    assertOk(two);
    assert.equal(two.stderr, "confluence-users: warning: 2 of 3 keys have no account id: nokey1, nokey2\n");
  });

  test("migrate --keys: stdin, all pages (250 keys), CSV username,key,accountId", async () => {
    await withFake({}, async (own) => {
      const users = own.directory.users.slice(0, 250);
      const r = await runCli(["migrate", "--csv", "--keys"], {
        env: basicEnv(own),
        input: users.map((u) => u.userKey).join("\n") + "\n",
      });
      assertOk(r);
      assert.equal(r.stderr, "");
      assert.deepEqual(
        parseCsv(r.stdout, ["username", "key", "accountId"]),
        users.map((u) => ({ username: u.username, key: u.userKey, accountId: u.accountId })),
      );
      assert.equal(requestsTo(own, "/user/bulk/migration").length, 2);
      assert.ok(r.stdout.includes(`\n${SPECIAL.oddUsername},`), "the odd username is not quoted (no comma)");
    });
  });

  // ------------------------------------------------------------------------------------------
  // Configuration and errors

  test("missing configuration: clear messages naming the variables, exit 2, nothing sent", async () => {
    await withFake({}, async (own) => {
      const noUrl = await runCli(["current"], { env: {} });
      assert.equal(noUrl.code, 2);
      assert.equal(noUrl.stdout, "");
      assert.match(noUrl.stderr, /^confluence-users: CONFLUENCE_BASE_URL is not set/);

      const noCreds = await runCli(["current"], { env: { CONFLUENCE_BASE_URL: own.url } });
      assert.equal(noCreds.code, 2);
      assert.match(noCreds.stderr, /^confluence-users: no credentials: set CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN .*CONFLUENCE_OAUTH_TOKEN/);

      const half = await runCli(["bulk", SPECIAL.currentUser], { env: { CONFLUENCE_BASE_URL: own.url, CONFLUENCE_EMAIL: CREDENTIALS.email } });
      assert.equal(half.code, 2);
      assert.match(half.stderr, /CONFLUENCE_EMAIL is set but CONFLUENCE_API_TOKEN is not/);

      const relative = await runCli(["current"], { env: { ...basicEnv(own), CONFLUENCE_BASE_URL: "/wiki" } });
      assert.equal(relative.code, 2);
      assert.match(relative.stderr, /CONFLUENCE_BASE_URL is not an absolute http\(s\) URL/);

      // The client refuses plain http to a non-loopback host; the URL's password is not echoed.
      const insecure = await runCli(["current"], { env: { ...basicEnv(own), CONFLUENCE_BASE_URL: "http://u:hunter2secret@example.com" } });
      assert.equal(insecure.code, 2);
      assert.match(insecure.stderr, /^confluence-users: invalid configuration: /);
      assertNoSecrets(insecure, "hunter2secret");
      assert.equal(own.requests.length, 0);
    });
  });

  test("wrong credentials: 401 message on stderr, exit 3, no credential printed", async () => {
    const badToken = "ATATT-wrong-token-0123456789abcdef";
    const basic = await runCli(["current"], { env: { ...basicEnv(), CONFLUENCE_API_TOKEN: badToken } });
    assert.equal(basic.code, 3);
    assert.equal(basic.stdout, "");
    assert.match(basic.stderr, /^confluence-users: getCurrentUser: 401 Unauthorized: Client must be authenticated/);
    assert.match(basic.stderr, /hint: check CONFLUENCE_EMAIL, CONFLUENCE_API_TOKEN/);
    assertNoSecrets(basic, badToken, Buffer.from(`${CREDENTIALS.email}:${badToken}`).toString("base64"));

    const badOauth = "eyJ-wrong-oauth-token-fedcba9876543210";
    const bearer = await runCli(["groups", SPECIAL.manyGroups, "--csv"], { env: { ...bearerEnv(), CONFLUENCE_OAUTH_TOKEN: badOauth } });
    assert.equal(bearer.code, 3);
    assert.equal(bearer.stdout, "");
    assert.match(bearer.stderr, /401 Unauthorized/);
    assert.match(bearer.stderr, /hint: check CONFLUENCE_OAUTH_TOKEN/);
    assertNoSecrets(bearer, badOauth);
  });

  test("unknown user: 404 message, exit 3 (user, groups, email)", async () => {
    for (const cmd of ["user", "groups", "email"]) {
      const r = await runCli([cmd, SPECIAL.unknownAccountId]);
      assert.equal(r.code, 3, `${cmd}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`^confluence-users: \\w+: 404 Not Found: No user found with accountId: ${SPECIAL.unknownAccountId}\\n$`));
    }
  });

  test("server error, network failure and a malformed response: exit 4, 4 and 5", async () => {
    await withFake({}, async (own) => {
      own.enqueue({ status: 500, body: { statusCode: 500, message: "Internal server error" } });
      const server = await runCli(["user", SPECIAL.currentUser], { env: basicEnv(own) });
      assert.equal(server.code, 4, server.stderr);
      assert.match(server.stderr, /^confluence-users: getUser: 500\b/);

      own.enqueue({ status: 200, body: { type: "known", accountId: 42, displayName: ["not", "a", "string"] } });
      const decode = await runCli(["user", SPECIAL.currentUser], { env: basicEnv(own) });
      assert.equal(decode.code, 5, decode.stderr);
      assert.equal(decode.stdout, "");
      assert.match(decode.stderr, /^confluence-users: getUser: /);
    });
    const port = await closedPort();
    const network = await runCli(["current"], { env: { ...basicEnv(), CONFLUENCE_BASE_URL: `http://127.0.0.1:${port}` } });
    assert.equal(network.code, 4, network.stderr);
    assert.match(network.stderr, /^confluence-users: getCurrentUser: .*network/);
    assertNoSecrets(network);
  });

  // ------------------------------------------------------------------------------------------
  // Input, output options, configuration files

  test("help: every line within 80 columns; environment and exit codes once, in the global help", async () => {
    const outputs = await Promise.all([["--help"], ...COMMANDS.map((c) => [c, "--help"])].map((args) => runCli(args, { env: {} })));
    for (const r of outputs) {
      assertOk(r);
      for (const line of r.stdout.split("\n")) assert.ok([...line].length <= 80, `longer than 80 columns: ${JSON.stringify(line)}`);
    }
    const global = outputs[0].stdout;
    assert.equal(global.split("Exit codes:").length, 2, "the exit codes appear once");
    assert.equal(global.split("Environment:").length, 2, "the environment appears once");
    assert.match(global, /--env-file PATH/);
    assert.match(global, /\.env file/);
    for (const c of COMMANDS) assert.match(global, new RegExp(`\n  confluence-users ${c} `), `an example of ${c}`);
  });

  test("input: - is stdin, --file/--input PATH (- too), a CSV column with --column", async () => {
    await withFake({}, async (own) => {
      const env = basicEnv(own);
      const ids = own.directory.users.slice(0, 3).map((u) => u.accountId);
      const plain = join(tmp, "input-ids.txt");
      writeFileSync(plain, `${ids.join("\n")}\n`);
      const csvPath = join(tmp, "input-people.csv");
      const usernames = own.directory.users.slice(0, 3).map((u) => u.username);
      // The username column is not first; a quoted field holds a comma and a line break.
      writeFileSync(csvPath, `name,Username,team\r\n"Doe, Jane\nJr",${usernames[0]},a\r\nX,${usernames[1]},b\r\nY,${usernames[2]},\r\n`);
      const runs = await Promise.all([
        runCli(["bulk", "-"], { env, input: ids.join("\n") }),
        runCli(["bulk", "--file", plain], { env }),
        runCli(["bulk", `--input=${plain}`], { env }),
        runCli(["bulk", "--file", "-"], { env, input: ids.join("\n") }),
        runCli(["migrate", "--usernames", "--file", csvPath, "--column", "username"], { env }),
        runCli(["migrate", "--usernames", "--column", "Username", "-"], { env, input: readFileSync(csvPath, "utf8") }),
      ]);
      for (const r of runs.slice(0, 4)) {
        assertOk(r);
        assert.deepEqual(JSON.parse(r.stdout).map((u) => u.accountId), ids);
      }
      for (const r of runs.slice(4)) {
        assertOk(r);
        assert.deepEqual(JSON.parse(r.stdout).map((u) => u.username), usernames);
        assert.equal(r.stderr, "");
      }
      // A CSV read without --column is refused, naming its columns; so is a missing column.
      const refused = await Promise.all([
        runCli(["migrate", "--usernames", "--file", csvPath], { env }),
        runCli(["migrate", "--usernames"], { env, input: readFileSync(csvPath, "utf8") }),
        runCli(["migrate", "--usernames", "--file", csvPath, "--column", "login"], { env }),
        runCli(["migrate", "--usernames", "--column", "username", "admin"], { env }),
      ]);
      assert.match(refused[0].stderr, /input-people\.csv looks like CSV: say which column holds the values with --column NAME \(columns: name, Username, team\)/);
      assert.match(refused[1].stderr, /stdin looks like CSV \(its first line has commas\): .*--column NAME/);
      assert.match(refused[2].stderr, /has no column 'login' in its header row \(columns: name, Username, team\)/);
      assert.match(refused[3].stderr, /--column reads a CSV from --file or stdin, not from arguments/);
      for (const r of refused) assert.equal(r.code, 2, r.stderr);
      assert.equal(requestsTo(own, "/user/bulk/migration").length, 2, "only the two good migrate runs sent anything");
    });
  });

  test("an argument that names an existing file is refused with a pointer to --file; after -- it is a value", async () => {
    await withFake({}, async (own) => {
      const env = basicEnv(own);
      writeFileSync(join(tmp, "ids.txt"), `${SPECIAL.currentUser}\n`);
      const r = await runCli(["bulk", "ids.txt"], { env, cwd: tmp });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^confluence-users: 'ids\.txt' is a file, not an account id: to read the values in it, use --file ids\.txt \(to look up 'ids\.txt' as it is, put it after --\)\n/);
      const m = await runCli(["migrate", "--usernames", "ids.txt"], { env, cwd: tmp });
      assert.match(m.stderr, /'ids\.txt' is a file, not a username: .*--file ids\.txt/);
      assert.equal(own.requests.length, 0, "nothing was sent");
      const literal = await runCli(["bulk", "--", "ids.txt"], { env, cwd: tmp });
      assertOk(literal);
      assert.deepEqual(requestsTo(own, "/user/bulk").map((q) => q.query.accountId[0]), ["ids.txt"]);
      assert.match(literal.stderr, /1 of 1 account id was not found: ids\.txt/);
    });
  });

  test("--expand, --json (the default, explicit), --fields for JSON and CSV, nested a.b", async () => {
    await withFake({}, async (own) => {
      const env = basicEnv(own);
      const [expanded, json, plain, fields, csv, bulkExpand, badExpand] = await Promise.all([
        runCli(["user", SPECIAL.currentUser, "--expand", "personalSpace,operations"], { env }),
        runCli(["current", "--json"], { env }),
        runCli(["current"], { env }),
        runCli(["bulk", SPECIAL.currentUser, SPECIAL.appUser, "--fields", "displayName,accountId,personalSpace.key"], { env }),
        runCli(["user", SPECIAL.currentUser, "--csv", "--expand=personalSpace", "--fields=accountId,personalSpace.key"], { env }),
        runCli(["bulk", SPECIAL.currentUser, "--expand", "operations"], { env }),
        runCli(["user", SPECIAL.currentUser, "--expand", "groups"], { env }),
      ]);
      for (const r of [expanded, json, plain, fields, csv, bulkExpand]) assertOk(r);
      const user = JSON.parse(expanded.stdout);
      assert.ok(user.personalSpace?.key, "personalSpace expanded");
      assert.ok(Array.isArray(user.operations), "operations expanded");
      assert.ok(requestsTo(own, "/user").some((q) => q.query.expand?.[0] === "personalSpace,operations"), "one comma-separated expand");
      assert.equal(json.stdout, plain.stdout);
      assert.deepEqual(JSON.parse(fields.stdout), [
        { displayName: own.directory.currentUser.displayName, accountId: SPECIAL.currentUser, "personalSpace.key": null },
        { displayName: own.directory.user(SPECIAL.appUser).displayName, accountId: SPECIAL.appUser, "personalSpace.key": null },
      ]);
      assert.equal(csv.stdout, `accountId,personalSpace.key\n${SPECIAL.currentUser},${user.personalSpace.key}\n`);
      assert.ok(Array.isArray(JSON.parse(bulkExpand.stdout)[0].operations));
      assert.equal(badExpand.code, 2);
      assert.match(badExpand.stderr, /expand/);
    });
  });

  test("credentials from ./.env or --env-file; the environment wins; values are never printed", async () => {
    await withFake({}, async (own) => {
      const dir = mkdtempSync(join(tmp, "envdir-"));
      writeFileSync(
        join(dir, ".env"),
        `# the fake's credentials\nexport CONFLUENCE_BASE_URL=${own.url}\nCONFLUENCE_EMAIL="${CREDENTIALS.email}"\n` +
          `CONFLUENCE_API_TOKEN='${CREDENTIALS.apiToken}'\nOTHER=ignored\n`,
      );
      const fromDotenv = await runCli(["current", "--fields", "accountId"], { env: {}, cwd: dir });
      assertOk(fromDotenv);
      assert.deepEqual(JSON.parse(fromDotenv.stdout), { accountId: SPECIAL.currentUser });
      const envFile = join(tmp, "bearer.env");
      writeFileSync(envFile, `CONFLUENCE_BASE_URL=${own.url}\nCONFLUENCE_OAUTH_TOKEN=${CREDENTIALS.oauthToken} # comment\n`);
      const fromFlag = await runCli(["current", "--env-file", envFile], { env: {} });
      assertOk(fromFlag);
      assert.equal(own.requests.at(-1).auth, "bearer");
      // A variable set in the environment wins over the file: a wrong token there gives 401.
      const wins = await runCli(["current"], { env: { CONFLUENCE_API_TOKEN: "wrong-token" }, cwd: dir });
      assert.equal(wins.code, 3, wins.stderr);
      const missing = await runCli(["current", "--env-file", join(tmp, "nope.env")], { env: {} });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /cannot read the env file .*nope\.env: no such file/);
      // Run as an installed bin runs it, through its #! line: the option still reaches the CLI.
      const direct = await new Promise((done) => {
        const child = spawn(CLI, ["current", `--env-file=${join(tmp, "nope.env")}`], { env: { ...BASE_ENV }, stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        child.stderr.setEncoding("utf8").on("data", (d) => (err += d));
        child.on("close", (code) => done({ code, err }));
      });
      assert.equal(direct.code, 2, direct.err);
      assert.match(direct.err, /^confluence-users: cannot read the env file/);
      const bad = join(tmp, "bad.env");
      writeFileSync(bad, `CONFLUENCE_API_TOKEN=${CREDENTIALS.apiToken}\nthis line holds ${CREDENTIALS.oauthToken}\n`);
      const malformed = await runCli(["current", "--env-file", bad], { env: {} });
      assert.equal(malformed.code, 2);
      assert.match(malformed.stderr, /bad\.env, line 2: expected NAME=value/);
      const none = await runCli(["current"], { env: {}, cwd: tmp });
      assert.match(none.stderr, /CONFLUENCE_BASE_URL is not set: .*a \.env file here, or --env-file PATH/);
      for (const r of [fromDotenv, fromFlag, wins, missing, malformed, none]) assertNoSecrets(r);
    });
  });

  test("HTTP 431 and 414 (no reason phrase): exit 3 with a hint that the URL was too long", async () => {
    await withFake({}, async (own) => {
      for (const status of [431, 414]) {
        own.enqueue({ status, body: "" });
        const r = await runCli(["bulk", SPECIAL.currentUser], { env: basicEnv(own) });
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, new RegExp(`${status}`));
        assert.match(r.stderr, new RegExp(`\nconfluence-users: hint: HTTP ${status} means the request URL was too long`));
      }
    });
  });

  // ------------------------------------------------------------------------------------------
  // Progress on a terminal

  test("progress bar on a TTY stderr for a bulk lookup spanning several requests, erased at the end", { skip: NO_SCRIPT }, async () => {
    await withFake({}, async (own) => {
      const ids = own.directory.users.map((u) => u.accountId);
      const idsFile = join(tmp, "ids.txt");
      const outFile = join(tmp, "bulk.json");
      writeFileSync(idsFile, ids.join("\n"));
      const r = await runInPty(`${sh(process.execPath)} ${sh(CLI)} bulk < ${sh(idsFile)} > ${sh(outFile)}`, basicEnv(own));
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, new RegExp(`bulk ░+ 0/${ids.length} account ids, 0/2 requests`));
      assert.match(r.output, new RegExp(`bulk █{10,19}░+ 200/${ids.length} account ids, 1/2 requests`));
      assert.match(r.output, new RegExp(`bulk █+ ${ids.length}/${ids.length} account ids, 2/2 requests`));
      assert.ok(r.output.endsWith("\r\x1b[2K"), `the line is erased at the end: ${JSON.stringify(r.output.slice(-40))}`);
      assert.deepEqual(JSON.parse(readFileSync(outFile, "utf8")).map((u) => u.accountId), ids);
    });
  });

  test("progress counter on a TTY for pages; none for a single request", { skip: NO_SCRIPT }, async () => {
    const outFile = join(tmp, "groups.csv");
    const r = await runInPty(`${sh(process.execPath)} ${sh(CLI)} groups ${sh(SPECIAL.manyGroups)} --csv > ${sh(outFile)}`, basicEnv());
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /groups \S 0 requests, 0 groups/, "paged work shows from the first request");
    assert.match(r.output, /groups \S 1 request, 200 groups/);
    assert.ok(r.output.endsWith("\r\x1b[2K"));
    assert.equal(parseCsv(readFileSync(outFile, "utf8"), ["name", "id"]).length, SPECIAL.manyGroupsCount);

    const single = await runInPty(`${sh(process.execPath)} ${sh(CLI)} bulk ${sh(SPECIAL.currentUser)} > /dev/null`, basicEnv());
    assert.equal(single.code, 0, single.output);
    assert.equal(single.output, "");
  });

  test("no drawing with TERM=dumb, even on a terminal", { skip: NO_SCRIPT }, async () => {
    const outFile = join(tmp, "groups-dumb.csv");
    const r = await runInPty(`${sh(process.execPath)} ${sh(CLI)} groups ${sh(SPECIAL.manyGroups)} --csv > ${sh(outFile)}`, { ...basicEnv(), TERM: "dumb" });
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output, "");
    assert.equal(parseCsv(readFileSync(outFile, "utf8"), ["name", "id"]).length, SPECIAL.manyGroupsCount);
  });
});
