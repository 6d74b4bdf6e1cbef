#!/usr/bin/env -S node --
// confluence-users: the command-line tool of the confluence-users package.
//
//   confluence-users <command> [options] [values...]     (confluence-users --help for the list)
//
// The `--` in the first line: Node 20 reads its own `--env-file` option even after the script
// name (node cli.mjs --env-file x loads x itself, and exits 9 if it is missing); after `--` it
// leaves every argument to the script.
// Node >= 18, `node:` built-ins only. The client is loaded from ../node/index.mjs only once the
// arguments are known to be valid, so `--help` and usage errors never touch the wasm.
// Nothing printed here ever contains a credential: the environment's values (and a .env file's)
// are never echoed, and the client's errors are credential-free by contract.

import { readFileSync, statSync } from "node:fs";

const PROG = "confluence-users";

// ---------------------------------------------------------------------------------------------
// Exit codes, environment

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
  2    usage or configuration error (bad arguments, missing or invalid settings)
  3    Confluence refused the request: HTTP 4xx (401 bad credentials, 403, 404
       unknown user, 429 rate limited after the retries, 431/414 URL too long)
  4    server or connection failure: HTTP 5xx, network error, timeout
  5    Confluence answered with a response of an unexpected shape
  130  interrupted (Ctrl-C)`;

const ENV_HELP = `Environment:
  CONFLUENCE_BASE_URL     your site, e.g. https://your-domain.atlassian.net, or
                          https://api.atlassian.com/ex/confluence/<cloudId>
                          for OAuth 2.0
  CONFLUENCE_EMAIL        with CONFLUENCE_API_TOKEN: basic authentication with
  CONFLUENCE_API_TOKEN    an API token (from id.atlassian.com, Security tab)
  CONFLUENCE_OAUTH_TOKEN  an OAuth 2.0 access token (instead of the two above)

  The variables may also come from a file: --env-file PATH, or else a .env file
  in the working directory when there is one. Lines are NAME=value (optionally
  quoted, "export " and # comments allowed); only CONFLUENCE_* names are read,
  and a variable already set in the environment wins. Values are never printed.`;

// ---------------------------------------------------------------------------------------------
// Commands

const USER_COLUMNS = ["accountId", "displayName", "publicName", "email", "accountType", "timeZone"];

/**
 * Each command: how it is called, its help, its CSV columns and what it does.
 * `values`: "one" (exactly one positional), "none", or "many" (arguments, a file or stdin).
 * `expand`: the --expand values the endpoint takes (absent: no --expand).
 */
const COMMANDS = {
  user: {
    usage: "user <accountId>",
    summary: "get a user by account id",
    values: "one",
    valueName: "account id",
    columns: USER_COLUMNS,
    expand: ["operations", "details.personal", "details.business", "personalSpace", "isExternalCollaborator"],
    output: "the user object (JSON); --csv: one row",
    examples: [`${PROG} user 5b10ac8d82e05b22cc7d4ef5 --expand personalSpace`],
    run: (client, { values, expand }) => client.getUser({ accountId: values[0], expand }),
  },
  current: {
    usage: "current",
    summary: "get the user the credentials belong to",
    values: "none",
    columns: USER_COLUMNS,
    expand: ["operations", "details.personal", "details.business", "personalSpace", "isExternalCollaborator"],
    output: "the user object (JSON); --csv: one row",
    examples: [`${PROG} current --fields accountId,displayName`],
    run: (client, { expand }) => client.getCurrentUser({ expand }),
  },
  anonymous: {
    usage: "anonymous",
    summary: "get the user anonymous visitors act as",
    values: "none",
    columns: ["type", "displayName"],
    expand: ["operations"],
    output: "the anonymous user object (JSON); --csv: one row",
    note: "Works without credentials (only CONFLUENCE_BASE_URL is needed); credentials\nare sent when set.",
    examples: [`${PROG} anonymous --expand operations`],
    anonymous: true,
    run: (client, { expand }) => client.getAnonymousUser({ expand }),
  },
  groups: {
    usage: "groups <accountId>",
    summary: "list every group a user belongs to (all pages)",
    values: "one",
    valueName: "account id",
    columns: ["name", "id"],
    output: "an array of groups (JSON); --csv: one row per group",
    examples: [`${PROG} groups 5b10ac8d82e05b22cc7d4ef5 --csv`],
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
    usage: "bulk [accountId...]",
    summary: "look up many users by account id (any number)",
    values: "many",
    valueName: "account id",
    columns: USER_COLUMNS,
    expand: ["operations", "details.personal", "details.business", "personalSpace"],
    output: "an array of users, in input order (JSON); --csv: one row per user",
    note: "Ids go out in requests of at most 200. Unknown ids are left out and named\non stderr.",
    examples: [`${PROG} bulk --file ids.txt --csv > users.csv`, `${PROG} bulk --file users.csv --column accountId`],
    batched: true,
    run: async (client, { values, expand }) => {
      const { results } = await client.getBulkUserLookup({ accountIds: values, expand });
      warnMissing(values, results.map((u) => u.accountId), "account id");
      return results;
    },
  },
  email: {
    usage: "email <accountId>",
    summary: "get a user's email, even if their profile hides it",
    values: "one",
    valueName: "account id",
    columns: ["accountId", "email"],
    output: "{accountId, email} (JSON); --csv: one row",
    note: "Only apps approved by Atlassian may call this endpoint (others get 403).",
    examples: [`${PROG} email 5b10ac8d82e05b22cc7d4ef5`],
    run: (client, { values }) => client.getPrivacyUnsafeUserEmail({ accountId: values[0] }),
  },
  emails: {
    usage: "emails [accountId...]",
    summary: "get many users' email addresses (any number)",
    values: "many",
    valueName: "account id",
    columns: ["accountId", "email"],
    output: "an array of {accountId, email}, in input order (JSON);\n--csv: one row each",
    note:
      "Only apps approved by Atlassian may call this endpoint (others get 403).\n" +
      "Ids go out in requests of at most 200. Unknown ids are left out and named\non stderr.",
    examples: [`${PROG} emails - --csv < ids.txt`],
    batched: true,
    run: async (client, { values }) => {
      const records = await client.getPrivacyUnsafeUserEmailBulk({ accountIds: values });
      warnMissing(values, records.map((r) => r.accountId), "account id");
      return records;
    },
  },
  migrate: {
    usage: "migrate --keys|--usernames [value...]",
    summary: "map legacy user keys or usernames to account ids",
    values: "many",
    valueName: "value",
    columns: ["username", "key", "accountId"],
    output: "an array of {username, key, accountId}, in input order (JSON);\n--csv: one row each",
    options: [
      ["--keys", "the values are legacy user keys"],
      ["--usernames", "the values are legacy usernames"],
    ],
    note: "Exactly one of --keys or --usernames. Values Confluence does not know get\naccountId null and are named on stderr.",
    examples: [`${PROG} migrate --usernames --file people.csv --column username --csv`],
    paged: "results",
    run: async (client, { values, flags, onItem }) => {
      const params = flags.keys ? { keys: values } : { usernames: values };
      const results = [];
      for await (const user of client.paginateBulkUserMigration(params)) {
        results.push(user);
        onItem();
      }
      const field = flags.keys ? "key" : "username";
      const unknown = results.filter((u) => u.accountId == null).map((u) => u[field] ?? "(unnamed)");
      if (unknown.length > 0) {
        const total = new Set(values).size;
        const what = `${field}${total === 1 ? "" : "s"}`;
        warn(`${unknown.length} of ${total} ${what} ${unknown.length === 1 ? "has" : "have"} no account id: ${listed(unknown)}`);
      }
      return results;
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Help (every line within 80 columns: js-tests/cli.test.mjs checks it)

const INPUT_HELP = `Input (bulk, emails, migrate): the values are the arguments, or
  -              read them from stdin (also the default when there are no
                 arguments and stdin is not a terminal)
  --file PATH    read them from a file (or --input PATH; a PATH of - is stdin)
  --column NAME  the input is CSV with a header row: take the values from column
                 NAME (RFC 4180 quoting); a .csv file or a line with commas
                 needs it
  A plain input has one value per line (trimmed, empty lines skipped). An
  argument that names an existing file is refused: use --file for files, or put
  the value after -- to look it up as it is.`;

const OPTIONS_HELP = `Options:
  --json            print JSON (the default)
  --csv             print CSV: a header row, fields quoted as in RFC 4180
  --fields a,b      only these fields, in this order (JSON keys or CSV columns);
                    a.b picks a nested field, e.g. personalSpace.key
  --expand a,b      ask Confluence to expand these properties (user, current,
                    anonymous, bulk; see the command's help for the values)
  --env-file PATH   read the CONFLUENCE_* variables from PATH (default: ./.env)
  -h, --help        show help (after a command: its help)
  -V, --version     print the version
  --                end of options: what follows are values, even with a "-"`;

function globalHelp() {
  const usages = Object.values(COMMANDS).map((c) => [c.usage, c.summary]);
  // Usages longer than this get a line of their own, so summaries fit in 80 columns.
  const width = 21;
  const lines = usages.map(([u, summary]) => (u.length <= width ? `  ${u.padEnd(width)}  ${summary}` : `  ${u}\n  ${"".padEnd(width)}  ${summary}`));
  return `Usage: ${PROG} <command> [options] [values...]

Query the Confluence Cloud REST API v1 user endpoints.

Commands:
${lines.join("\n")}
  ${"help [command]".padEnd(width)}  show the help of a command

${OPTIONS_HELP}

${INPUT_HELP}

Output: JSON on stdout. Warnings, errors and progress go to stderr; progress is
drawn only on a terminal (not with TERM=dumb) and when the work takes several
requests. For other shapes, pipe the JSON to jq:
  ${PROG} current | jq -r .email

Examples:
${Object.values(COMMANDS).map((c) => `  ${c.examples[0]}`).join("\n")}

${ENV_HELP}

${EXIT_CODES_HELP}
`;
}

function commandHelp(name) {
  const cmd = COMMANDS[name];
  const options = [
    ...(cmd.options ?? []),
    ["--json", "print JSON (the default)"],
    ["--csv", `print CSV; columns: ${cmd.columns.join(",")}`],
    ["--fields a,b", "only these fields (JSON keys or CSV columns), a.b nested"],
  ];
  if (cmd.expand) options.push(["--expand a,b", `expand: ${cmd.expand.join(", ")}`]);
  options.push(["--env-file PATH", "read CONFLUENCE_* variables from PATH (default ./.env)"], ["-h, --help", "show this help"]);
  const width = Math.max(...options.map(([o]) => o.length));
  const optionLines = options.map(([o, d]) => wrap(`  ${o.padEnd(width)}  ${d}`, width + 4));
  const input =
    cmd.values === "many"
      ? `\nValues: as arguments, "-" for stdin, --file PATH, or --column NAME for a CSV\ncolumn (${PROG} --help, "Input", says more).\n`
      : "";
  return `Usage: ${PROG} ${cmd.usage} [options]

${cmd.summary[0].toUpperCase()}${cmd.summary.slice(1)}.
${input}
Options:
${optionLines.join("\n")}

Output: ${cmd.output}.
${cmd.note ? `\n${cmd.note}\n` : ""}
Examples:
${cmd.examples.map((e) => `  ${e}`).join("\n")}

The environment variables (credentials) and exit codes: ${PROG} --help
`;
}

/** Wraps `line` at 80 columns, continuing with `indent` spaces. */
function wrap(line, indent) {
  const out = [];
  let rest = line;
  while (rest.length > 80) {
    let cut = rest.lastIndexOf(" ", 80);
    if (cut <= indent) cut = 80;
    out.push(rest.slice(0, cut).trimEnd());
    rest = " ".repeat(indent) + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out.join("\n");
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

/** The first ten of `names`, then how many more. */
function listed(names) {
  const more = names.length > 10 ? ` and ${names.length - 10} more` : "";
  return `${names.slice(0, 10).join(", ")}${more}`;
}

function warnMissing(requested, found, what) {
  const have = new Set(found);
  const distinct = [...new Set(requested)];
  const missing = distinct.filter((id) => !have.has(id));
  if (missing.length === 0) return;
  const noun = `${what}${distinct.length === 1 ? "" : "s"}`;
  warn(`${missing.length} of ${distinct.length} ${noun} ${missing.length === 1 ? "was" : "were"} not found: ${listed(missing)}`);
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
  if (e.status === 431 || e.status === 414) {
    return (
      `HTTP ${e.status} means the request URL was too long for the server (or a proxy ` +
      "in between): look up fewer values per run, or values that are shorter"
    );
  }
  return undefined;
}

/** Edit distance with swapped neighbours as one edit (the usual typo), for "did you mean". */
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** `unknown command 'x'`, with the closest known name when one is near enough. */
function unknown(what, given, known, command) {
  const best = known
    .map((k) => [k, distance(given.toLowerCase(), k.toLowerCase())])
    .sort((x, y) => x[1] - y[1])[0];
  const near = best && (best[1] <= (best[0].length <= 4 ? 1 : 2) || (given.length >= 3 && best[0].startsWith(given)));
  return new UsageError(`unknown ${what} '${given}'${near ? `; did you mean '${best[0]}'?` : ""}`, command);
}

// ---------------------------------------------------------------------------------------------
// Arguments

/** Options that take a value: --name VALUE or --name=VALUE. */
const VALUE_OPTIONS = {
  "--file": "file",
  "--input": "file",
  "--column": "column",
  "--expand": "expand",
  "--fields": "fields",
  "--env-file": "envFile",
};
const FLAG_OPTIONS = {
  "--csv": "csv",
  "--json": "json",
  "-h": "help",
  "--help": "help",
  "-V": "version",
  "--version": "version",
  "--keys": "keys",
  "--usernames": "usernames",
};
const ALL_OPTIONS = [...Object.keys(VALUE_OPTIONS), ...Object.keys(FLAG_OPTIONS)].filter((o) => o.startsWith("--"));

function parseArgs(argv) {
  const flags = {};
  const positionals = []; // { value, literal }: literal when after --
  let endOfOptions = false;
  let command;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (endOfOptions || arg === "-" || !arg.startsWith("-")) {
      if (command === undefined && !endOfOptions) command = arg;
      else positionals.push({ value: arg, literal: endOfOptions });
      continue;
    }
    if (arg === "--") {
      endOfOptions = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (Object.hasOwn(VALUE_OPTIONS, name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) {
        flags.missingValue ??= name;
      } else if (flags[VALUE_OPTIONS[name]] !== undefined) {
        flags.repeated ??= name;
      } else {
        flags[VALUE_OPTIONS[name]] = value;
      }
    } else if (Object.hasOwn(FLAG_OPTIONS, arg)) {
      flags[FLAG_OPTIONS[arg]] = true;
    } else {
      flags.unknown ??= arg;
    }
  }
  return { command, flags, positionals };
}

const list = (text) => text.split(",").map((s) => s.trim()).filter((s) => s !== "");

/** Validates the arguments against the command; throws UsageError. */
function checkArgs(name, flags, positionals) {
  const cmd = COMMANDS[name];
  if (flags.unknown) {
    if (flags.unknown.startsWith("--")) throw unknown("option", flags.unknown.replace(/=.*/, ""), ALL_OPTIONS, name);
    throw new UsageError(`unknown option ${flags.unknown}`, name);
  }
  if (flags.missingValue) throw new UsageError(`${flags.missingValue} needs a value`, name);
  if (flags.repeated) throw new UsageError(`${flags.repeated} was given twice`, name);
  if (flags.version) throw new UsageError("--version takes no command", name);
  if (flags.csv && flags.json) throw new UsageError("give either --csv or --json, not both", name);
  if (name !== "migrate" && (flags.keys || flags.usernames)) {
    throw new UsageError(`${flags.keys ? "--keys" : "--usernames"} is only for migrate`, name);
  }
  if (name === "migrate") {
    if (flags.keys && flags.usernames) throw new UsageError("give either --keys or --usernames, not both", name);
    if (!flags.keys && !flags.usernames) throw new UsageError("migrate needs --keys or --usernames", name);
  }
  if (flags.expand !== undefined && !cmd.expand) throw new UsageError(`${name} takes no --expand`, name);
  if (flags.expand !== undefined && list(flags.expand).length === 0) throw new UsageError("--expand needs a value, e.g. --expand operations", name);
  if (flags.fields !== undefined) {
    const fields = list(flags.fields);
    if (fields.length === 0) throw new UsageError("--fields needs field names, e.g. --fields accountId,displayName", name);
    const bad = fields.find((f) => !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(f));
    if (bad) throw new UsageError(`--fields: '${bad}' is not a field name (letters, digits, _, and . for nesting)`, name);
  }
  const inputOptions = flags.file !== undefined || flags.column !== undefined;
  if (cmd.values !== "many" && inputOptions) {
    throw new UsageError(`${flags.file !== undefined ? "--file" : "--column"} is only for bulk, emails and migrate`, name);
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
  if (cmd.values === "many") {
    const stdinDash = positionals.filter((p) => p.value === "-" && !p.literal).length;
    if (stdinDash > 0 && positionals.length > 1) {
      throw new UsageError(`"-" (read stdin) cannot be combined with values as arguments`, name);
    }
    if (flags.file !== undefined && positionals.length > 0) {
      throw new UsageError("give the values either as arguments or with --file, not both", name);
    }
  }
  // An argument that names a file is almost always `bulk ids.txt` meant as "read ids.txt": refuse
  // it rather than look the file name up, which would silently find nothing.
  for (const p of positionals) {
    if (p.literal || p.value === "-" || !isFile(p.value)) continue;
    const many = cmd.values === "many";
    const what = name === "migrate" ? (flags.keys ? "a key" : "a username") : `an ${cmd.valueName}`;
    throw new UsageError(
      `'${p.value}' is a file, not ${what}: ` +
        (many ? `to read the values in it, use --file ${p.value}` : "give the value itself") +
        ` (to look up '${p.value}' as it is, put it after --)`,
      name,
    );
  }
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Input: arguments, a file, stdin; lines or a CSV column

async function readStdin() {
  process.stdin.setEncoding("utf8");
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/** RFC 4180: records of fields; quoted fields hold commas, line breaks and doubled quotes. */
function parseCsv(text) {
  const records = [];
  let record = [];
  let field = "";
  let quoted = false;
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
    } else if (c === '"' && field === "") {
      quoted = true;
    } else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** The values in `text` (from `source`, for messages): lines, or the `column` of a CSV. */
function valuesFromText(name, text, { column, source, csvFile }) {
  text = text.replace(/^\uFEFF/, "");
  if (column === undefined) {
    const lines = text.split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line !== "");
    if (csvFile || lines[0]?.includes(",")) {
      const header = parseCsv(lines[0] ?? "")[0] ?? [];
      throw new UsageError(
        `${source} looks like CSV${csvFile ? "" : " (its first line has commas)"}: say which column holds ` +
          `the values with --column NAME (columns: ${header.map((h) => h.trim()).join(", ")})`,
        name,
      );
    }
    return lines;
  }
  const [header = [], ...rows] = parseCsv(text);
  const names = header.map((h) => h.trim());
  const index = names.indexOf(column) >= 0 ? names.indexOf(column) : names.findIndex((h) => h.toLowerCase() === column.toLowerCase());
  if (index < 0) {
    throw new UsageError(`${source} has no column '${column}' in its header row (columns: ${names.join(", ")})`, name);
  }
  return rows.map((r) => (r[index] ?? "").trim()).filter((v) => v !== "");
}

/** The values of a "many" command: the arguments, a file, or stdin. */
async function valuesOf(name, flags, positionals) {
  const cmd = COMMANDS[name];
  const plural = name === "migrate" ? (flags.keys ? "keys" : "usernames") : `${cmd.valueName}s`;
  if (cmd.values !== "many") return positionals.map((p) => p.value);
  const fromStdin = positionals.length === 1 && positionals[0].value === "-" && !positionals[0].literal;
  if (positionals.length > 0 && !fromStdin) {
    if (flags.column !== undefined) throw new UsageError("--column reads a CSV from --file or stdin, not from arguments", name);
    return positionals.map((p) => p.value);
  }
  let text;
  let source;
  let csvFile = false;
  if (flags.file !== undefined && flags.file !== "-") {
    source = flags.file;
    try {
      text = readFileSync(flags.file, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read ${flags.file}: ${e.code === "ENOENT" ? "no such file" : e.code ?? e.message}`, name);
    }
    csvFile = /\.csv$/i.test(flags.file);
  } else {
    source = "stdin";
    if (process.stdin.isTTY && !fromStdin && flags.file === undefined) {
      throw new UsageError(`${name} needs ${plural}: give them as arguments, with --file PATH, or on stdin`, name);
    }
    text = await readStdin();
  }
  const values = valuesFromText(name, text, { column: flags.column, source, csvFile });
  if (values.length === 0) {
    throw new UsageError(`${name} needs ${plural}: none were given as arguments, and ${source} had none`, name);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Configuration from the environment and a .env file

/**
 * The CONFLUENCE_* variables of a .env file. Errors name the file and line, never a value.
 * A missing ./.env is no error; a missing --env-file is.
 */
function readEnvFile(path, { required }) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (!required && e.code === "ENOENT") return {};
    throw new ConfigError(`cannot read the env file ${path}: ${e.code === "ENOENT" ? "no such file" : e.code ?? e.message}`);
  }
  const vars = {};
  text.replace(/^\uFEFF/, "").split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ConfigError(`${path}, line ${i + 1}: expected NAME=value`);
    let value = m[2];
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      const end = value.indexOf(quote, 1);
      if (end < 0) throw new ConfigError(`${path}, line ${i + 1}: the value's closing ${quote} is missing`);
      value = value.slice(1, end);
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    if (m[1].startsWith("CONFLUENCE_")) vars[m[1]] = value;
  });
  return vars;
}

function configFromEnv(env, { anonymous }) {
  const get = (name) => {
    const v = env[name];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  const baseUrl = get("CONFLUENCE_BASE_URL");
  if (!baseUrl) {
    throw new ConfigError(
      "CONFLUENCE_BASE_URL is not set: set it to your site, e.g. https://your-domain.atlassian.net " +
        "(or https://api.atlassian.com/ex/confluence/<cloudId> with CONFLUENCE_OAUTH_TOKEN), " +
        "in the environment, a .env file here, or --env-file PATH",
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
      "no credentials: set CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN (an API token), or CONFLUENCE_OAUTH_TOKEN " +
        "(in the environment, a .env file here, or --env-file PATH)",
    );
  }
  return { baseUrl, auth };
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BAR_WIDTH = 20;

/** How many values a successful request carried: its comma-separated accountId, or its key=/username= params. */
function valuesInUrl(url) {
  try {
    const query = new URL(url, "http://x").searchParams;
    const ids = query.get("accountId");
    if (ids !== null) return ids.split(",").length;
    return query.getAll("key").length + query.getAll("username").length;
  } catch {
    return 0;
  }
}

/**
 * A one-line progress display on stderr, fed by the client's hooks. Draws only on a terminal
 * (not TERM=dumb), and only for work that can span several requests: a bulk lookup of more than
 * one request (a bar over the values, known up front), or paged work (from its first request).
 *
 * Honest by construction: a value or request counts as done only once its 2xx response is in
 * (a 429 that will be retried counts for nothing), the bar is full only when everything is done,
 * and during a retry wait the line says "waiting Ns (HTTP 429)" until that request goes out again.
 */
class Progress {
  constructor(label, { totalRequests, totalValues, valueName, itemName, countItemsAsValues }) {
    Object.assign(this, { label, totalRequests, totalValues, valueName, itemName, countItemsAsValues });
    this.items = 0;
    this.valuesDone = 0;
    this.requestsDone = 0;
    this.frame = 0;
    this.waits = new Map(); // url -> { until, why }: retries being waited for
    this.visible = false;
    this.drawn = { text: "", length: 0, columns: 0 };
    this.enabled = Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb";
    this.paged = itemName !== undefined;
    this.timer = undefined;
    this.onResize = () => {
      if (this.visible) this.draw();
    };
  }

  get hooks() {
    return {
      onRequest: (info) => {
        this.waits.delete(info.url);
        this.draw();
      },
      onResponse: (info) => {
        if (info.status >= 200 && info.status < 300) {
          this.requestsDone++;
          if (!this.countItemsAsValues) this.valuesDone += valuesInUrl(info.url);
        }
        this.draw();
      },
      onRetry: (info) => {
        const why = info.status ? `HTTP ${info.status}` : info.reason;
        this.waits.set(info.url, { until: Date.now() + info.delayMs, why });
        this.draw();
      },
    };
  }

  item() {
    this.items++;
    if (this.countItemsAsValues) this.valuesDone++;
  }

  shouldShow() {
    return this.enabled && (this.paged || this.totalRequests > 1);
  }

  line() {
    const parts = [];
    const plural = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;
    if (this.totalValues !== undefined && !(this.paged && !this.countItemsAsValues)) {
      const total = this.totalValues;
      const done = Math.min(this.valuesDone, total);
      // Full only when all is done: rounding must not fill the last cell early.
      const filled = done >= total ? BAR_WIDTH : Math.min(BAR_WIDTH - 1, Math.floor((BAR_WIDTH * done) / total));
      parts.push(`${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)} ${done}/${total} ${this.valueName}`);
      parts.push(
        this.totalRequests !== undefined
          ? `${this.requestsDone}/${this.totalRequests} requests`
          : plural(this.requestsDone, "request"),
      );
    } else {
      parts.push(`${SPINNER[this.frame % SPINNER.length]} ${plural(this.requestsDone, "request")}`);
      parts.push(`${this.items} ${this.itemName}`);
    }
    let longest;
    for (const w of this.waits.values()) if (!longest || w.until > longest.until) longest = w;
    if (longest) {
      const seconds = Math.ceil((longest.until - Date.now()) / 1000);
      parts.push(seconds > 0 ? `waiting ${seconds}s (${longest.why})` : `retrying (${longest.why})`);
    }
    return `${this.label} ${parts.join(", ")}`;
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
      process.stderr.on("resize", this.onResize);
    }
    const columns = terminalWidth();
    // Three columns short of the width: the line never wraps, and neither does the "^C" the
    // terminal echoes after it on Ctrl-C (two more characters), so one erase clears it all.
    const text = [...this.line()].slice(0, Math.max(1, columns - 3)).join("");
    // Unchanged text at an unchanged width is not rewritten: fewer bytes in flight when the
    // terminal is resized (bytes it applies after reflowing would be erased at the wrong rows).
    if (text === this.drawn.text && columns === this.drawn.columns) return;
    this.erase();
    process.stderr.write(text);
    this.drawn = { text, length: [...text].length, columns };
  }

  /**
   * Erases what was drawn. If the terminal got narrower since, and reflowed the line onto
   * several rows, the rows above are erased too.
   */
  erase() {
    const columns = terminalWidth();
    const rows = this.drawn.columns > columns ? Math.ceil(this.drawn.length / Math.max(1, columns)) : 1;
    process.stderr.write(`\r\x1b[2K${"\x1b[1A\x1b[2K".repeat(Math.max(0, rows - 1))}`);
    this.drawn = { text: "", length: 0, columns };
  }

  /** Erases the line (before a message, and at the end). */
  clear() {
    if (this.visible && this.drawn.length > 0) this.erase();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    process.stderr.off("resize", this.onResize);
    this.clear();
    this.visible = false;
    this.enabled = false;
  }
}

let progress;

/**
 * The terminal's width now. Asked of the tty each time (an ioctl) rather than read from
 * `columns`, which changes only once Node has handled SIGWINCH: a redraw in between would
 * measure the old width and leave rows of a reflowed line behind.
 */
function terminalWidth() {
  try {
    return process.stderr.getWindowSize()[0] || 80;
  } catch {
    return process.stderr.columns || 80;
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function csvField(value) {
  if (value === null || value === undefined) return "";
  const s = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The value at a dotted path, or null. */
function pick(row, path) {
  let v = row;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return null;
    v = v[key];
  }
  return v ?? null;
}

function format(cmd, result, flags) {
  const fields = flags.fields !== undefined ? list(flags.fields) : undefined;
  const rows = Array.isArray(result) ? result : [result];
  if (flags.csv) {
    const columns = fields ?? cmd.columns;
    const lines = [columns.map(csvField).join(",")];
    for (const row of rows) lines.push(columns.map((c) => csvField(pick(row, c))).join(","));
    return `${lines.join("\n")}\n`;
  }
  if (fields) {
    const picked = rows.map((row) => Object.fromEntries(fields.map((f) => [f, pick(row, f)])));
    result = Array.isArray(result) ? picked : picked[0];
  }
  return `${JSON.stringify(result, null, 2)}\n`;
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
  const names = Object.keys(COMMANDS);

  if (command === undefined) {
    if (flags.unknown) throw unknown("option", flags.unknown.replace(/=.*/, ""), ALL_OPTIONS);
    if (flags.help) return void (await writeStdout(globalHelp()));
    if (flags.version) return void (await writeStdout(`${version()}\n`));
    process.stderr.write(globalHelp());
    return EXIT.usage;
  }
  if (command === "help") {
    const topic = positionals[0]?.value;
    if (topic === undefined) return void (await writeStdout(globalHelp()));
    if (!Object.hasOwn(COMMANDS, topic)) throw unknown("command", topic, names);
    return void (await writeStdout(commandHelp(topic)));
  }
  if (!Object.hasOwn(COMMANDS, command)) throw unknown("command", command, [...names, "help"]);
  if (flags.help) return void (await writeStdout(commandHelp(command)));
  checkArgs(command, flags, positionals);

  const cmd = COMMANDS[command];
  // The real environment wins over the file, as with every dotenv loader.
  const fileEnv = readEnvFile(flags.envFile ?? ".env", { required: flags.envFile !== undefined });
  const config = configFromEnv({ ...fileEnv, ...process.env }, { anonymous: Boolean(cmd.anonymous) });
  const values = await valuesOf(command, flags, positionals);
  const expand = flags.expand !== undefined ? list(flags.expand) : undefined;

  const { ConfluenceClient, isConfluenceError } = await import("../node/index.mjs");
  const distinct = new Set(values).size;
  const valueName = command === "migrate" ? (flags.keys ? "keys" : "usernames") : `${cmd.valueName}s`;
  progress = new Progress(command, {
    totalRequests: cmd.batched ? Math.ceil(distinct / 200) : cmd.paged ? undefined : 1,
    totalValues: cmd.values === "many" ? distinct : undefined,
    valueName,
    itemName: cmd.paged,
    countItemsAsValues: command === "migrate",
  });

  let client;
  try {
    client = new ConfluenceClient({ ...config, hooks: progress.hooks });
  } catch (e) {
    if (isConfluenceError(e)) throw new ConfigError(`invalid configuration: ${e.message}`);
    throw e;
  }

  let result;
  try {
    result = await cmd.run(client, { values, flags, expand, onItem: () => progress.item() });
  } catch (e) {
    progress.stop();
    rateLimitSummary(client);
    if (isConfluenceError(e)) {
      process.stderr.write(`${PROG}: ${e.message}\n`);
      const hint = hintFor(e, config.auth?.type);
      if (hint) process.stderr.write(`${PROG}: hint: ${hint}\n`);
      return exitCodeOf(e);
    }
    throw e;
  }
  progress.stop();
  rateLimitSummary(client);
  await writeStdout(format(cmd, result, flags));
  return EXIT.ok;
}

/**
 * One line on stderr after a long run (more than 10 requests) or one that met the rate limit:
 * requests sent, 429s met, time the client spent paused (`client.rateLimit`).
 */
function rateLimitSummary(client) {
  const { requests, rateLimited, pausedMs } = client.rateLimit;
  if (requests <= 10 && rateLimited === 0 && pausedMs === 0) return;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  process.stderr.write(`${PROG}: ${plural(requests, "request")} sent, ${plural(rateLimited, "429")} met, ${(pausedMs / 1000).toFixed(1)} s paused\n`);
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
