// No bundler: the "confluence-users/web" build imported by path; the page calls init() itself.
import init, * as lib from "../node_modules/confluence-users/web/confluence_users.js";
import { publish } from "./page.js";

await init();
publish(lib, "web entry, unbundled");
