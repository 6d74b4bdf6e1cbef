// The default browser/bundler entry: /pkg/index.js initialises the wasm itself (top-level await).
import { publish } from "./scenario.js";

await publish(() => import("/pkg/index.js"));
