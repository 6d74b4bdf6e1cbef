// Looks up users on a Confluence Cloud site: the current user, their groups, a bulk lookup and
// the anonymous user. In your own project, import from "confluence-users" instead.
//
// Against a real site:
//   CONFLUENCE_BASE_URL=https://your-domain.atlassian.net \
//   CONFLUENCE_EMAIL=you@example.com CONFLUENCE_API_TOKEN=... node examples/lookup-users.mjs
//   (or CONFLUENCE_OAUTH_TOKEN=... with CONFLUENCE_BASE_URL=https://api.atlassian.com/ex/confluence/<cloudId>)
// Without those variables it starts the project's fake Confluence on 127.0.0.1 and uses that.
import { ConfluenceClient, isConfluenceError } from "../pkg/node/index.mjs";

const env = process.env;
let fake;
let options;
if (env.CONFLUENCE_BASE_URL && (env.CONFLUENCE_OAUTH_TOKEN || (env.CONFLUENCE_EMAIL && env.CONFLUENCE_API_TOKEN))) {
  options = {
    baseUrl: env.CONFLUENCE_BASE_URL,
    auth: env.CONFLUENCE_OAUTH_TOKEN
      ? { type: "bearer", token: env.CONFLUENCE_OAUTH_TOKEN }
      : { type: "basic", email: env.CONFLUENCE_EMAIL, apiToken: env.CONFLUENCE_API_TOKEN },
  };
  console.log(`Using ${env.CONFLUENCE_BASE_URL}`);
} else {
  const { startFakeConfluence, CREDENTIALS } = await import("../js-tests/fake-server/server.mjs");
  fake = await startFakeConfluence();
  options = {
    baseUrl: fake.url,
    auth: { type: "basic", email: CREDENTIALS.email, apiToken: CREDENTIALS.apiToken },
  };
  console.log(`No CONFLUENCE_BASE_URL and credentials in the environment: using the fake Confluence at ${fake.url}`);
}

const client = new ConfluenceClient(options);
try {
  const me = await client.getCurrentUser({ expand: ["operations"] });
  console.log(`\nCurrent user: ${me.displayName ?? me.publicName} (${me.accountId}), ${me.operations?.length ?? 0} operations`);

  const groups = await client.getGroupMembershipsForUser({ accountId: me.accountId, limit: 10 });
  console.log(`Groups (first ${groups.size}): ${groups.results.map((g) => g.name).join(", ") || "none"}`);

  const user = await client.getUser({ accountId: me.accountId, expand: ["personalSpace"] });
  console.log(`Personal space: ${user.personalSpace ? `${user.personalSpace.name} (${user.personalSpace.key})` : "none"}`);

  // The fake's directory offers more users to look up; on a real site we look up ourselves.
  const ids = fake ? fake.directory.users.slice(0, 5).map((u) => u.accountId) : [me.accountId];
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
  if (isConfluenceError(e)) {
    console.error(`Failed: ${e.message} (kind ${e.kind}, status ${e.status})`);
    process.exitCode = 1;
  } else {
    throw e;
  }
} finally {
  await fake?.close();
}
