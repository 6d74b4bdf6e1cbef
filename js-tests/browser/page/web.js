// The ./web entry: the page calls init() itself before using the client.
import { publish } from "./scenario.js";

await publish(async () => {
  const web = await import("/pkg/web/confluence_users.js");
  await web.default();
  return web;
});
