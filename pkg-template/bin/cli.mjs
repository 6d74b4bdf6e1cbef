#!/usr/bin/env node
// confluence-users: the command-line tool of the confluence-users package.
//
//   confluence-users <command> [options] [values...]     (confluence-users --help for the list)
//
// Node >= 18, `node:` built-ins only. The client is loaded from ../node/index.mjs only once the
// arguments are known to be valid, so `--help` and usage errors never touch the wasm.
// Nothing printed here ever contains a credential: the environment's values are never echoed,
// and the client's errors are credential-free by contract.

import { readFileSync } from "node:fs";

const PROG = "confluence-users";

// ---------------------------------------------------------------------------------------------
// Exit codes

const EXIT = Object.freeze({
  ok: 0,
  other: 1,
  usage: 2,
  http4xx: 3,
  server: 4,
  decode: 5,
  interrupted: 130,
});

const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected error
  2    usage or configuration error (bad arguments, missing or invalid environment variables)
  3    Confluence refused the request: HTTP 4xx (401 bad credentials, 403, 404 unknown user, 429...)
  4    server or connection failure: HTTP 5xx, network error, timeout
  5    Confluence answered with a response of an unexpected shape
  130  interrupted (Ctrl-C)`;

const ENV_HELP = `Environment:
  CONFLUENCE_BASE_URL     the site, e.g. https://your-domain.atlassian.net (required), or
                          https://api.atlassian.com/ex/confluence/<cloudId> for OAuth 2.0
  CONFLUENCE_EMAIL        with CONFLUENCE_API_TOKEN: basic authentication with an API token
  CONFLUENCE_API_TOKEN    (https://id.atlassian.com/manage-profile/security/api-tokens)
  CONFLUENCE_OAUTH_TOKEN  an OAuth 2.0 access token (used instead of the two above when set)`;

// ---------------------------------------------------------------------------------------------
// Commands

const USER_COLUMNS = ["accountId", "displayName", "publicName", "email", "accountType", "timeZone"];

/**
 * Each command: how it is called, its help, its CSV columns and what it does.
 * `values`: "one" (exactly one positional), "none", or "many" (arguments, else stdin lines).
 */
const COMMANDS = {
  user: {
    usage: "user <accountId> [--csv]",
    summary: "get a user by account id",
    values: "one",
    valueName: "account id",
    columns: USER_COLUMNS,
    output: "the user object (JSON); --csv: one row",
    run: (client, { values }) => client.getUser({ accountId: values[0] }),
  },
  current: {
    usage: "current [--csv]",
    summary: "get the user the credentials belong to",
    values: "none",
    columns: USER_COLUMNS,
    output: "the user object (JSON); --csv: one row",
    run: (client) => client.getCurrentUser(),
  },
  anonymous: {
    usage: "anonymous [--csv]",
    summary: "get the user anonymous visitors act as",
    values: "none",
    columns: ["type", "displayName"],
    output: "the anonymous user object (JSON); --csv: one row",
    note: "Works without credentials (only CONFLUENCE_BASE_URL is needed); credentials are sent when set.",
    anonymous: true,
    run: (client) => client.getAnonymousUser(),
  },
  groups: {
    usage: "groups <accountId> [--csv]",
    summary: "list every group a user belongs to (all pages)",
    values: "one",
    valueName: "account id",
    columns: ["name", "id"],
    output: "an array of groups (JSON); --csv: one row per group",
    paged: "groups",
    run: async (client, { values, onItem }) => {
      const groups = [];
      for await (const group of client.paginateGroupMembershipsForUser({ accountId: values[0] })) {
        groups.push(group);
        onItem();
      }
      return groups;
    },
  },
  bulk: {
    usage: "bulk [accountId...] [--csv]",
    summary: "look up many users by account id (any number)",
    values: "many",
    valueName: "account id",
    columns: USER_COLUMNS,
    output: "an array of users, in input order (JSON); --csv: one row per user",
    note: "Ids go out in requests of at most 200. Unknown ids are left out and reported on stderr.",
    batched: true,
    run: async (client, { values }) => {
      const { results } = await client.getBulkUserLookup({ accountIds: values });
      warnMissing(values, results.map((u) => u.accountId), "account id");
      return results;
    },
  },
  email: {
    usage: "email <accountId> [--csv]",
    summary: "get a user's email address, whatever their privacy settings",
    values: "one",
    valueName: "account id",
    columns: ["accountId", "email"],
    output: "{accountId, email} (JSON); --csv: one row",
    note: "Only apps approved by Atlassian may call this endpoint (others get 403).",
    run: (client, { values }) => client.getPrivacyUnsafeUserEmail({ accountId: values[0] }),
  },
  emails: {
    usage: "emails [accountId...] [--csv]",
    summary: "get many users' email addresses (any number)",
    values: "many",
    valueName: "account id",
    columns: ["accountId", "email"],
    output: "an array of {accountId, email}, in input order (JSON); --csv: one row per user",
    note:
      "Only apps approved by Atlassian may call this endpoint (others get 403).\n" +
      "Ids go out in requests of at most 200. Unknown ids are left out and reported on stderr.",
    batched: true,
    run: async (client, { values }) => {
      const records = await client.getPrivacyUnsafeUserEmailBulk({ accountIds: values });
      warnMissing(values, records.map((r) => r.accountId), "account id");
      return records;
    },
  },
  migrate: {
    usage: "migrate --keys|--usernames [value...] [--csv]",
    summary: "map legacy user keys or usernames to account ids (all pages)",
    values: "many",
    valueName: "value",
    columns: ["username", "key", "accountId"],
    output: "an array of {username, key, accountId}, in input order (JSON); --csv: one row each",
    options: [
      ["--keys", "the values are legacy user keys"],
      ["--usernames", "the values are legacy usernames"],
    ],
    note: "Exactly one of --keys or --usernames. Values Confluence does not know get accountId null\nand are reported on stderr.",
    paged: "results",
    run: async (client, { values, flags, onItem }) => {
      const params = flags.keys ? { keys: values } : { usernames: values };
      const results = [];
      for await (const user of client.paginateBulkUserMigration(params)) {
        results.push(user);
        onItem();
      }
      const unknown = results.filter((u) => u.accountId == null).length;
      if (unknown > 0) {
        warn(`${unknown} of ${results.length} ${flags.keys ? "keys" : "usernames"} have no account id`);
      }
      return results;
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Help

function globalHelp() {
  const usages = Object.values(COMMANDS).map((c) => [c.usage.replace(/ \[--csv\]$/, ""), c.summary]);
  const width = Math.max(...usages.map(([u]) => u.length));
  const lines = usages.map(([u, summary]) => `  ${u.padEnd(width)}  ${summary}`);
  return `Usage: ${PROG} <command> [options] [values...]

Query the Confluence Cloud REST API v1 user endpoints.

Commands:
${lines.join("\n")}
  ${"help [command]".padEnd(width)}  show the help of a command

Options:
  --csv          print a CSV table instead of JSON: header row, fields quoted as in
                 RFC 4180 (commas, quotes, line breaks), lines ending in LF
  -h, --help     show help (also after a command: ${PROG} bulk --help)
  -V, --version  print the version
  --             end of options: what follows are values, even if they start with "-"

Values: bulk, emails and migrate take their values as arguments, or, when there are none and
stdin is not a terminal, one per line on stdin (surrounding spaces trimmed, empty lines skipped).

Output: JSON on stdout by default. Messages, warnings and the progress bar go to stderr; the
progress bar is drawn only when stderr is a terminal and the work spans several requests.

${ENV_HELP}

${EXIT_CODES_HELP}
`;
}

function commandHelp(name) {
  const cmd = COMMANDS[name];
  const options = [
    ...(cmd.options ?? []),
    ["--csv", `CSV output (RFC 4180 quoting, header row), columns: ${cmd.columns.join(",")}`],
    ["-h, --help", "show this help"],
  ];
  const width = Math.max(...options.map(([o]) => o.length));
  let input = "";
  if (cmd.values === "many") {
    input = `\nInput: ${cmd.valueName}s as arguments, or, when there are none and stdin is not a terminal,\none per line on stdin (trimmed, empty lines skipped).\n`;
  }
  return `Usage: ${PROG} ${cmd.usage}

${cmd.summary[0].toUpperCase()}${cmd.summary.slice(1)}.
${input}
Options:
${options.map(([o, d]) => `  ${o.padEnd(width)}  ${d}`).join("\n")}

Output: ${cmd.output}.
${cmd.note ? `\n${cmd.note}\n` : ""}
${ENV_HELP}

${EXIT_CODES_HELP}
`;
}

function version() {
  try {
    return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

// ---------------------------------------------------------------------------------------------
// Errors and messages

class UsageError extends Error {
  constructor(message, command) {
    super(message);
    this.command = command;
  }
}

class ConfigError extends Error {}

function warn(message) {
  progress?.clear();
  process.stderr.write(`${PROG}: warning: ${message}\n`);
}

function warnMissing(requested, found, what) {
  const have = new Set(found);
  const missing = [...new Set(requested)].filter((id) => !have.has(id));
  if (missing.length === 0) return;
  const shown = missing.slice(0, 10).join(", ");
  const more = missing.length > 10 ? ` and ${missing.length - 10} more` : "";
  warn(`${missing.length} ${what}${missing.length === 1 ? "" : "s"} not found: ${shown}${more}`);
}

function exitCodeOf(e) {
  switch (e.kind) {
    case "invalidArgument":
      return EXIT.usage;
    case "http":
      return e.status >= 400 && e.status < 500 ? EXIT.http4xx : EXIT.server;
    case "network":
    case "timeout":
      return EXIT.server;
    case "decode":
      return EXIT.decode;
    case "aborted":
      return EXIT.interrupted;
    default:
      return EXIT.other;
  }
}

function hintFor(e, auth) {
  if (e.kind !== "http") return undefined;
  if (e.status === 401) {
    return auth === "bearer"
      ? "check CONFLUENCE_OAUTH_TOKEN (is it expired?) and CONFLUENCE_BASE_URL"
      : auth === "basic"
        ? "check CONFLUENCE_EMAIL, CONFLUENCE_API_TOKEN and CONFLUENCE_BASE_URL"
        : "this call needs credentials: set CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN, or CONFLUENCE_OAUTH_TOKEN";
  }
  if (e.status === 403 && /Email/.test(e.operation ?? "")) {
    return "only apps approved by Atlassian may read email addresses";
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const flags = { csv: false, help: false, version: false, keys: false, usernames: false };
  const positionals = [];
  let endOfOptions = false;
  let command;
  for (const arg of argv) {
    if (endOfOptions || arg === "-" || !arg.startsWith("-")) {
      if (command === undefined) command = arg;
      else positionals.push(arg);
      continue;
    }
    switch (arg) {
      case "--":
        endOfOptions = true;
        break;
      case "--csv":
        flags.csv = true;
        break;
      case "-h":
      case "--help":
        flags.help = true;
        break;
      case "-V":
      case "--version":
        flags.version = true;
        break;
      case "--keys":
        flags.keys = true;
        break;
      case "--usernames":
        flags.usernames = true;
        break;
      default:
        flags.unknown ??= arg;
    }
  }
  return { command, flags, positionals };
}

/** Validates the arguments against the command; returns what `run` needs, or throws UsageError. */
function checkArgs(name, flags, positionals) {
  const cmd = COMMANDS[name];
  if (flags.unknown) throw new UsageError(`unknown option ${flags.unknown}`, name);
  if (flags.version) throw new UsageError("--version takes no command", name);
  if (name !== "migrate" && (flags.keys || flags.usernames)) {
    throw new UsageError(`${flags.keys ? "--keys" : "--usernames"} is only for migrate`, name);
  }
  if (name === "migrate") {
    if (flags.keys && flags.usernames) throw new UsageError("give either --keys or --usernames, not both", name);
    if (!flags.keys && !flags.usernames) throw new UsageError("migrate needs --keys or --usernames", name);
  }
  if (cmd.values === "none" && positionals.length > 0) {
    throw new UsageError(`${name} takes no arguments (got ${positionals.length})`, name);
  }
  if (cmd.values === "one") {
    if (positionals.length === 0) throw new UsageError(`${name} needs an ${cmd.valueName}`, name);
    if (positionals.length > 1) {
      throw new UsageError(`${name} takes exactly one ${cmd.valueName} (got ${positionals.length})`, name);
    }
  }
}

async function readStdinLines() {
  process.stdin.setEncoding("utf8");
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** The values of a "many" command: the arguments, else stdin's lines. */
async function valuesOf(name, positionals) {
  const cmd = COMMANDS[name];
  if (cmd.values !== "many" || positionals.length > 0) return positionals;
  if (process.stdin.isTTY) {
    throw new UsageError(`${name} needs ${cmd.valueName}s: give them as arguments, or one per line on stdin`, name);
  }
  const lines = await readStdinLines();
  if (lines.length === 0) {
    throw new UsageError(`${name} needs ${cmd.valueName}s: none were given as arguments, and stdin had none`, name);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Configuration from the environment

function configFromEnv(env, { anonymous }) {
  const get = (name) => {
    const v = env[name];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  const baseUrl = get("CONFLUENCE_BASE_URL");
  if (!baseUrl) {
    throw new ConfigError(
      "CONFLUENCE_BASE_URL is not set: set it to your site, e.g. https://your-domain.atlassian.net " +
        "(or https://api.atlassian.com/ex/confluence/<cloudId> with CONFLUENCE_OAUTH_TOKEN)",
    );
  }
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  // The value is never echoed: it could hold credentials (https://user:secret@...).
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new ConfigError("CONFLUENCE_BASE_URL is not an absolute http(s) URL, e.g. https://your-domain.atlassian.net");
  }

  const oauth = get("CONFLUENCE_OAUTH_TOKEN");
  const email = get("CONFLUENCE_EMAIL");
  const apiToken = get("CONFLUENCE_API_TOKEN");
  let auth;
  if (oauth) {
    auth = { type: "bearer", token: oauth };
  } else if (email && apiToken) {
    auth = { type: "basic", email, apiToken };
  } else if (email || apiToken) {
    const [set, unset] = email ? ["CONFLUENCE_EMAIL", "CONFLUENCE_API_TOKEN"] : ["CONFLUENCE_API_TOKEN", "CONFLUENCE_EMAIL"];
    throw new ConfigError(`${set} is set but ${unset} is not: basic authentication needs both (or set CONFLUENCE_OAUTH_TOKEN)`);
  } else if (!anonymous) {
    throw new ConfigError(
      "no credentials: set CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN (an API token), or CONFLUENCE_OAUTH_TOKEN",
    );
  }
  return { baseUrl, auth };
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BAR_WIDTH = 24;

/**
 * A one-line progress display on stderr, fed by the client's hooks. Draws only when stderr is a
 * terminal, and only once the work spans several requests: from the start when `total` (the
 * expected number of requests) is above 1, or from the second request when the total is unknown
 * (pages). Finished requests are counted on `onResponse`.
 */
class Progress {
  constructor(label, { total, itemName } = {}) {
    this.label = label;
    this.total = total;
    this.itemName = itemName;
    this.items = 0;
    this.started = 0;
    this.done = 0;
    this.frame = 0;
    this.note = "";
    this.visible = false;
    this.enabled = Boolean(process.stderr.isTTY);
    this.timer = undefined;
  }

  get hooks() {
    return {
      onRequest: () => {
        this.started++;
        this.note = "";
        this.draw();
      },
      onResponse: () => {
        this.done++;
        this.draw();
      },
      onRetry: (info) => {
        const why = info.status ? `HTTP ${info.status}` : info.reason;
        this.note = `${why}, retrying in ${Math.max(1, Math.round(info.delayMs / 1000))}s`;
        this.draw();
      },
    };
  }

  item() {
    this.items++;
  }

  shouldShow() {
    if (!this.enabled) return false;
    return this.total !== undefined ? this.total > 1 : this.started > 1;
  }

  line() {
    if (this.total !== undefined) {
      const total = Math.max(this.total, this.started, this.done);
      const filled = Math.round((BAR_WIDTH * this.done) / total);
      const bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled);
      return `${this.label} ${bar} ${this.done}/${total} requests${this.note ? `, ${this.note}` : ""}`;
    }
    const spin = SPINNER[this.frame % SPINNER.length];
    const items = this.itemName ? `, ${this.items} ${this.itemName}` : "";
    const requests = `${this.done} request${this.done === 1 ? "" : "s"}`;
    return `${this.label} ${spin} ${requests}${items}${this.note ? `, ${this.note}` : ""}`;
  }

  draw() {
    if (!this.shouldShow()) return;
    if (!this.visible) {
      this.visible = true;
      this.timer = setInterval(() => {
        this.frame++;
        this.draw();
      }, 120);
      this.timer.unref();
    }
    const columns = process.stderr.columns || 80;
    const chars = [...this.line()];
    const text = chars.length >= columns ? chars.slice(0, columns - 1).join("") : chars.join("");
    process.stderr.write(`\r\x1b[2K${text}`);
  }

  /** Erases the line (before a message, and at the end). */
  clear() {
    if (this.visible) process.stderr.write("\r\x1b[2K");
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.visible = false;
    this.enabled = false;
  }
}

let progress;

// ---------------------------------------------------------------------------------------------
// Output

function csvField(value) {
  if (value === null || value === undefined) return "";
  const s = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(columns, rows) {
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvField(row?.[c])).join(","));
  return `${lines.join("\n")}\n`;
}

function format(cmd, result, csv) {
  if (!csv) return `${JSON.stringify(result, null, 2)}\n`;
  return toCsv(cmd.columns, Array.isArray(result) ? result : [result]);
}

function writeStdout(text) {
  return new Promise((resolve) => {
    process.stdout.write(text, () => resolve());
  });
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(argv) {
  const { command, flags, positionals } = parseArgs(argv);

  if (command === undefined) {
    if (flags.unknown) throw new UsageError(`unknown option ${flags.unknown}`);
    if (flags.help) return void (await writeStdout(globalHelp()));
    if (flags.version) return void (await writeStdout(`${version()}\n`));
    process.stderr.write(globalHelp());
    return EXIT.usage;
  }
  if (command === "help") {
    const topic = positionals[0];
    if (topic === undefined) return void (await writeStdout(globalHelp()));
    if (!Object.hasOwn(COMMANDS, topic)) throw new UsageError(`unknown command '${topic}'`);
    return void (await writeStdout(commandHelp(topic)));
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(`unknown command '${command}'`);
  }
  if (flags.help) return void (await writeStdout(commandHelp(command)));
  checkArgs(command, flags, positionals);

  const cmd = COMMANDS[command];
  const config = configFromEnv(process.env, { anonymous: Boolean(cmd.anonymous) });
  const values = await valuesOf(command, positionals);

  const { ConfluenceClient, isConfluenceError } = await import("../node/index.mjs");
  const expectedRequests = cmd.batched ? Math.ceil(new Set(values).size / 200) : cmd.paged ? undefined : 1;
  progress = new Progress(command, { total: expectedRequests, itemName: cmd.paged });

  let client;
  try {
    client = new ConfluenceClient({ ...config, hooks: progress.hooks });
  } catch (e) {
    if (isConfluenceError(e)) throw new ConfigError(`invalid configuration: ${e.message}`);
    throw e;
  }

  let result;
  try {
    result = await cmd.run(client, { values, flags, onItem: () => progress.item() });
  } catch (e) {
    progress.stop();
    if (isConfluenceError(e)) {
      process.stderr.write(`${PROG}: ${e.message}\n`);
      const hint = hintFor(e, config.auth?.type);
      if (hint) process.stderr.write(`${PROG}: hint: ${hint}\n`);
      return exitCodeOf(e);
    }
    throw e;
  }
  progress.stop();
  await writeStdout(format(cmd, result, flags.csv));
  return EXIT.ok;
}

process.on("SIGINT", () => {
  progress?.stop();
  process.stderr.write(`${PROG}: interrupted\n`);
  process.exit(EXIT.interrupted);
});

// A closed stdout (`| head`) ends the program quietly.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(EXIT.ok);
  process.stderr.write(`${PROG}: cannot write output: ${e.message}\n`);
  process.exit(EXIT.other);
});

// Exits as soon as the output is written: an idle keep-alive connection of fetch would otherwise
// hold the process open for a while. stdout has been flushed (writeStdout waits), and stderr
// writes to pipes and terminals are synchronous.
main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? EXIT.ok),
  (e) => {
    progress?.stop();
    if (e instanceof UsageError) {
      const helpCmd = e.command ? `${PROG} ${e.command} --help` : `${PROG} --help`;
      process.stderr.write(`${PROG}: ${e.message}\nRun '${helpCmd}' for usage.\n`);
      process.exit(EXIT.usage);
    } else if (e instanceof ConfigError) {
      process.stderr.write(`${PROG}: ${e.message}\n`);
      process.exit(EXIT.usage);
    } else {
      process.stderr.write(`${PROG}: unexpected error: ${e?.message ?? String(e)}\n`);
      process.exit(EXIT.other);
    }
  },
);
