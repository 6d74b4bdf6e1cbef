#!/usr/bin/env node
// Start the fake Confluence server by hand:
//   node js-tests/fake-server/cli.mjs [--port 8090] [--latency-ms N] [--users N]
import { startFakeConfluence, CREDENTIALS, SPECIAL } from "./server.mjs";

function usage(code) {
  console.log("usage: node js-tests/fake-server/cli.mjs [--port 8090] [--latency-ms N] [--users N]");
  process.exit(code);
}

const opts = { port: 8090, latencyMs: 0, userCount: 300 };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  let [flag, value] = args[i].split("=", 2);
  if (flag === "-h" || flag === "--help") usage(0);
  if (value === undefined) value = args[++i];
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 0) {
    console.error(`invalid value for ${flag}: ${value}`);
    usage(2);
  }
  if (flag === "--port") opts.port = n;
  else if (flag === "--latency-ms") opts.latencyMs = n;
  else if (flag === "--users") opts.userCount = n;
  else {
    console.error(`unknown option ${flag}`);
    usage(2);
  }
}

const fake = await startFakeConfluence(opts);
const basic = Buffer.from(`${CREDENTIALS.email}:${CREDENTIALS.apiToken}`).toString("base64");
console.log(`Fake Confluence listening on ${fake.url}  (API base ${fake.url}/wiki/rest/api)`);
console.log(`  users: ${fake.directory.users.length}, groups: ${fake.directory.groups.length}, latency: ${opts.latencyMs} ms`);
console.log("Credentials:");
console.log(`  email:       ${CREDENTIALS.email}`);
console.log(`  apiToken:    ${CREDENTIALS.apiToken}`);
console.log(`  oauthToken:  ${CREDENTIALS.oauthToken}`);
console.log("Try:");
console.log(`  curl -s -H 'Authorization: Basic ${basic}' '${fake.url}/wiki/rest/api/user/current'`);
console.log(`Special users: current ${SPECIAL.currentUser}, odd "${SPECIAL.oddAccountId}", 250 groups ${SPECIAL.manyGroups}`);
console.log("Ctrl-C to stop.");

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1);
  stopping = true;
  await fake.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
