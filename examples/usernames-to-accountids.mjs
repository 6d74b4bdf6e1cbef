#!/usr/bin/env node
// Resolves legacy Confluence usernames to Atlassian account ids.
//
//   CONFLUENCE_BASE_URL=https://your-domain.atlassian.net \
//   CONFLUENCE_EMAIL=you@example.com CONFLUENCE_API_TOKEN=... \
//     node usernames-to-accountids.mjs usernames.csv > accountids.csv
//
//   (or CONFLUENCE_OAUTH_TOKEN=... with CONFLUENCE_BASE_URL=https://api.atlassian.com/ex/confluence/<cloudId>)
//
// The input is a CSV file with a header row that has a `username` column (any position, any other
// columns). The output, on stdout, is a CSV `username,key,accountId` with one row per distinct
// username, in input order; `key` and `accountId` are empty for a username Confluence does not know.
// A summary goes to stderr. Options: --batch-size N (usernames per lookup, default 100) and
// --page-size N (results per request, default: the server's).
//
// It uses the deprecated migration endpoint (GET /wiki/rest/api/user/bulk/migration), which Atlassian
// keeps for exactly this job: translating usernames and user keys left over from before the GDPR
// changes. It needs the `read:confluence-user` scope for OAuth.
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ConfluenceClient, isConfluenceError } from "confluence-users";

/**
 * Parses RFC 4180 CSV: fields separated by commas, records by CRLF or LF, fields in double quotes
 * may hold commas, line breaks and doubled quotes (`""`). A leading byte order mark is dropped.
 * Returns an array of records, each an array of strings.
 */
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records = [];
  let record = [];
  let field = "";
  let quoted = false; // inside a quoted field
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n") endRecord();
    else if (c === "\r" && text[i + 1] === "\n") {
      endRecord();
      i += 1;
    } else field += c;
    i += 1;
  }
  if (quoted) throw new Error("CSV: a quoted field is not closed before the end of the file");
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

/** One CSV field: quoted when it holds a comma, a quote, a line break, or leading/trailing spaces. */
export function csvField(value) {
  const s = value == null ? "" : String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The distinct, non-empty values of the `username` column (header matched case-insensitively). */
export function usernamesFromCsv(text) {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error("the CSV file is empty");
  const column = header.findIndex((name) => name.trim().toLowerCase() === "username");
  if (column < 0) throw new Error(`the CSV header has no "username" column (found: ${header.join(", ")})`);
  const seen = new Set();
  for (const row of rows) {
    const username = (row[column] ?? "").trim();
    if (username !== "") seen.add(username);
  }
  return [...seen];
}

/**
 * Resolves `usernames` with `client`, `batchSize` usernames per paginated lookup of pages of
 * `pageSize` results. Returns one `{ username, key, accountId }` per username, in the same order.
 * @param {import("confluence-users").ConfluenceClient} client
 * @param {string[]} usernames
 * @param {{ batchSize?: number, pageSize?: number }} [options]
 */
export async function resolveUsernames(client, usernames, { batchSize = 100, pageSize } = {}) {
  const out = [];
  for (let i = 0; i < usernames.length; i += batchSize) {
    const batch = usernames.slice(i, i + batchSize);
    const found = [];
    for await (const user of client.paginateBulkUserMigration({ usernames: batch, limit: pageSize })) found.push(user);
    // Results come back in request order; the username check guards against a server that would not.
    const byName = new Map(found.filter((u) => u.username).map((u) => [u.username, u]));
    batch.forEach((username, j) => {
      const user = found[j]?.username === username ? found[j] : byName.get(username);
      out.push({ username, key: user?.key ?? null, accountId: user?.accountId ?? null });
    });
  }
  return out;
}

function clientFromEnv(env) {
  const { CONFLUENCE_BASE_URL: baseUrl, CONFLUENCE_EMAIL: email, CONFLUENCE_API_TOKEN: apiToken, CONFLUENCE_OAUTH_TOKEN: token } = env;
  if (!baseUrl || !(token || (email && apiToken))) return null;
  return new ConfluenceClient({
    baseUrl,
    auth: token ? { type: "bearer", token } : { type: "basic", email, apiToken },
  });
}

function parseArgs(argv) {
  const opts = { file: undefined, batchSize: 100, pageSize: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--batch-size" || arg === "--page-size") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a positive integer`);
      opts[arg === "--batch-size" ? "batchSize" : "pageSize"] = n;
    } else if (opts.file === undefined) opts.file = arg;
    else throw new Error(`unexpected argument: ${arg}`);
  }
  if (opts.file === undefined) throw new Error("no CSV file given");
  return opts;
}

async function main() {
  const usage =
    "usage: node usernames-to-accountids.mjs [--batch-size N] [--page-size N] FILE.csv > out.csv\n" +
    "environment: CONFLUENCE_BASE_URL and CONFLUENCE_EMAIL + CONFLUENCE_API_TOKEN, or CONFLUENCE_OAUTH_TOKEN";
  let opts;
  let usernames;
  try {
    opts = parseArgs(process.argv.slice(2));
    usernames = usernamesFromCsv(readFileSync(opts.file, "utf8"));
  } catch (e) {
    console.error(`${e.message}\n${usage}`);
    return 2;
  }
  const client = clientFromEnv(process.env);
  if (!client) {
    console.error(`missing credentials\n${usage}`);
    return 2;
  }
  try {
    const rows = await resolveUsernames(client, usernames, opts);
    process.stdout.write(["username,key,accountId", ...rows.map((r) => [r.username, r.key, r.accountId].map(csvField).join(","))].join("\n") + "\n");
    const missing = rows.filter((r) => !r.accountId).map((r) => r.username);
    console.error(`resolved ${rows.length - missing.length} of ${rows.length} usernames` + (missing.length ? `; not found: ${missing.join(", ")}` : ""));
    return 0;
  } catch (e) {
    if (!isConfluenceError(e)) throw e;
    console.error(`lookup failed: ${e.message} (kind ${e.kind}, status ${e.status})`);
    return 1;
  }
}

// Run only when executed, not when imported (the functions above are exported for reuse).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main();
}
