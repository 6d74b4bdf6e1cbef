// No bundler: the browser loads the installed package's default entry (index.js, self-initialising) by its
// path under the static server, as node_modules/confluence-users/index.js of this project.
import * as lib from "/node_modules/confluence-users/index.js";
import { publish } from "./scenario.js";

publish(lib);
