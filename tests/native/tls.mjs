// A tiny HTTPS Confluence for tests/native/main.rs: `node tests/native/tls.mjs`, on 127.0.0.1 port 0
// with the test-only certificate in tls-test-only/, answering GET /wiki/rest/api/user/current with one
// user. It prints {"port":N} when ready and exits when stdin closes (the test ended, however it ended),
// or after LIFETIME_MS whatever happens.
import https from "node:https";
import { readFileSync } from "node:fs";

const LIFETIME_MS = 60_000;
const dir = new URL("./tls-test-only/", import.meta.url);
const server = https.createServer(
  { key: readFileSync(new URL("server.key", dir)), cert: readFileSync(new URL("server.pem", dir)) },
  (req, res) => {
    if (req.method === "GET" && req.url.startsWith("/wiki/rest/api/user/current")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ type: "known", accountId: "5b10ac8d82e05b22cc7d4ef5", publicName: "Over TLS" }));
    } else {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ statusCode: 404, message: "not here" }));
    }
  },
);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), LIFETIME_MS).unref();
