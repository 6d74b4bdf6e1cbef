// Looks up users on a Confluence Cloud site: the current user, their groups and personal space, a
// bulk lookup and the anonymous user. Copy it into a project that has confluence-users installed:
//
//   CONFLUENCE_BASE_URL=https://your-domain.atlassian.net \
//   CONFLUENCE_EMAIL=you@example.com CONFLUENCE_API_TOKEN=... node lookup-users.mjs [accountId...]
//   (or CONFLUENCE_OAUTH_TOKEN=... with CONFLUENCE_BASE_URL=https://api.atlassian.com/ex/confluence/<cloudId>)
//
// The account ids given as arguments are looked up in bulk, with the current user's.
// `bash examples/run.sh` runs it against the project's fake Confluence on 127.0.0.1.
import { ConfluenceClient, isConfluenceError } from "confluence-users";

const { CONFLUENCE_BASE_URL: baseUrl, CONFLUENCE_EMAIL: email, CONFLUENCE_API_TOKEN: apiToken, CONFLUENCE_OAUTH_TOKEN: token } =
  process.env;
if (!baseUrl || !(token || (email && apiToken))) {
  console.error("Set CONFLUENCE_BASE_URL and CONFLUENCE_EMAIL + CONFLUENCE_API_TOKEN (or CONFLUENCE_OAUTH_TOKEN).");
  process.exit(2);
}
const client = new ConfluenceClient({
  baseUrl,
  auth: token ? { type: "bearer", token } : { type: "basic", email, apiToken },
});

try {
  const me = await client.getCurrentUser({ expand: ["operations"] });
  console.log(`Current user: ${me.displayName ?? me.publicName} (${me.accountId}), ${me.operations?.length ?? 0} operations`);
  // accountId is null only for the anonymous user, which credentials never give.
  const accountId = me.accountId ?? "";

  const groups = await client.getGroupMembershipsForUser({ accountId, limit: 10 });
  console.log(`Groups (first ${groups.size}): ${groups.results.map((g) => g.name).join(", ") || "none"}`);

  const user = await client.getUser({ accountId, expand: ["personalSpace"] });
  console.log(`Personal space: ${user.personalSpace ? `${user.personalSpace.name} (${user.personalSpace.key})` : "none"}`);

  const ids = [accountId, ...process.argv.slice(2)];
  const bulk = await client.getBulkUserLookup({ accountIds: ids });
  console.log(`Bulk lookup of ${ids.length} ids:`);
  for (const u of bulk.results) console.log(`  ${u.accountId}  ${u.displayName}  <${u.email || "hidden"}>`);

  const anonymous = await client.getAnonymousUser();
  console.log(`Anonymous user shows as: ${anonymous.displayName}`);

  try {
    await client.getUser({ accountId: "no-such-account" });
  } catch (e) {
    if (!isConfluenceError(e)) throw e;
    console.log(`A missing user gives a ConfluenceError: kind=${e.kind} status=${e.status}: ${e.message}`);
  }
} catch (e) {
  if (!isConfluenceError(e)) throw e;
  console.error(`Failed: ${e.message} (kind ${e.kind}, status ${e.status})`);
  process.exitCode = 1;
}
